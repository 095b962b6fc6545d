// The cmdlets that may log in (Set-AwsCliSsoCredentials, Get-AwsCliSsoAccount): their shared login
// parameters, and the library's run operation (docs/c-api.md) shown on the host. The library decides
// what to fetch, whether and how to log in, and every text; this class only shows its events: host
// lines, the browser, ShouldProcess, progress, and Ctrl+C that cancels the run.

using System;
using System.Linq;
using System.Management.Automation;

namespace SetAwsCliSsoCredentials.Engine
{
    public abstract class LoginCmdlet : SsoCredsCmdlet
    {
        /// <summary>How long one run_next waits at most: short enough to redraw progress on time.</summary>
        private const int NextEventMilliseconds = 250;

        [Parameter]
        public SwitchParameter NonInteractive { get; set; }

        [Parameter]
        public SwitchParameter NoBrowser { get; set; }

        [Parameter]
        public SwitchParameter UseDeviceCode { get; set; }

        [Parameter]
        [ValidateRange(1, 65535)]
        public int RedirectPort { get; set; }

        [Parameter]
        [ValidateRange(1, 256)]
        public int MaxConcurrency { get; set; }

        // The run in progress (0: none), cancelled by StopProcessing (Ctrl+C), which runs on another thread.
        private readonly object runGate = new object();
        private long runId;
        private bool stopping;

        protected override void StopProcessing()
        {
            long running;
            lock (runGate)
            {
                stopping = true;
                running = runId;
            }
            TryCancel(running);
        }

        /// <summary>
        /// -NoBrowser, -UseDeviceCode and -RedirectPort. -UseDeviceCode:$false is kept apart from its absence:
        /// it asks for the browser flow even where the library would pick the device code (SSH with the port forwarded).
        /// </summary>
        internal RunLogin LoginOptions() => new RunLogin
        {
            NoBrowser = NoBrowser.IsPresent,
            UseDeviceCode = IsBound("UseDeviceCode") ? UseDeviceCode.IsPresent : (bool?)null,
            RedirectPort = IsBound("RedirectPort") ? RedirectPort : (int?)null,
        };

        internal bool WhatIfRequested =>
            (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object value) && LanguagePrimitives.IsTrue(value)) ||
            (!IsBound("WhatIf") && LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference")));

        /// <summary>Runs the library's operation to its end, showing its events; returns its finished event.</summary>
        internal RunEvent Run(RunStartRequest start)
        {
            // -NonInteractive given either way decides; else the library tells from the host.
            start.Interactive = !NonInteractive.IsPresent;
            start.Host = IsBound("NonInteractive") ? null : new RunHost { Name = Host.Name, UserInteractive = Environment.UserInteractive };
            start.WhatIf = WhatIfRequested;
            long id = Started(start);
            var schedule = new ProgressSchedule();
            RunEvent progress = null;
            bool finished = false;
            try
            {
                while (true)
                {
                    int waitMs = (int)schedule.UntilNext(TimeSpan.FromMilliseconds(NextEventMilliseconds)).TotalMilliseconds;
                    RunEvent next = Native(() => NativeEngine.RunNext(id, Math.Max(waitMs, 1)), "run");
                    if (next.Event == "finished")
                    {
                        finished = true;
                        return Finished(next);
                    }
                    if (next.Event == "progress")
                    {
                        progress = next;
                    }
                    else
                    {
                        Show(id, next);
                    }
                    if (next.Event == "loginNeeded" || next.Event == "loginWaiting" || next.Event == "loggedIn")
                    {
                        // The time a person takes to log in is no refresh to watch: the fetch after it gets its own 2 s.
                        progress = null;
                        schedule = schedule.Shown ? schedule : new ProgressSchedule();
                    }
                    if (progress != null && schedule.Due(progress.Completed))
                    {
                        schedule.Draw(progress.Completed, () => WriteProgress(Bar(progress)));
                    }
                }
            }
            finally
            {
                lock (runGate)
                {
                    runId = 0;
                }
                if (!finished)
                {
                    TryCancel(id);
                }
                if (!stopping && schedule.Shown)
                {
                    WriteProgress(new ProgressRecord(1, progress?.Activity ?? "Done", "Done") { RecordType = ProgressRecordType.Completed });
                }
            }
        }

        private long Started(RunStartRequest start)
        {
            long id = Native(() => NativeEngine.RunStart(start), start.Request?.Environment);
            bool stopped;
            lock (runGate)
            {
                runId = id;
                stopped = stopping;
            }
            if (stopped)
            {
                TryCancel(id);
            }
            return id;
        }

        /// <summary>A call of the run: after Ctrl+C its failure stops the pipeline; otherwise it fails the command.</summary>
        private T Native<T>(Func<T> call, object target)
        {
            try
            {
                return call();
            }
            catch (NativeCallException) when (stopping)
            {
                throw new PipelineStoppedException();
            }
            catch (NativeCallException e)
            {
                ThrowTerminatingError(Errors.Record(e, target));
                throw;
            }
        }

        private RunEvent Finished(RunEvent finished)
        {
            if (stopping && finished.Error?.Code == "Cancelled")
            {
                throw new PipelineStoppedException();
            }
            return finished;
        }

        private static ProgressRecord Bar(RunEvent progress) =>
            new ProgressRecord(1, progress.Activity, progress.Completed + " of " + progress.Total + " profiles")
            {
                PercentComplete = progress.Total > 0 ? Math.Min(100, 100 * progress.Completed / progress.Total) : 0,
            };

        private void Show(long id, RunEvent next)
        {
            switch (next.Event)
            {
                case "loginNeeded":
                    // The library names the commands and words the lines; starting a process stays here.
                    bool opened = next.OpenBrowser && Browser.TryOpen(next.BrowserCommands);
                    foreach (string line in (opened ? next.IfOpened : next.IfNotOpened) ?? new string[0])
                    {
                        WriteHostLine(line);
                    }
                    break;
                case "loginWaiting":
                    WriteHostLine(next.Message);
                    break;
                case "loggedIn":
                    OnLoggedIn(next.Session, LocalTime(next.ExpiresAt));
                    break;
                case "confirm":
                    string[] confirmed = Confirm(next);
                    Native(() => NativeEngine.RunAnswer(id, confirmed), "run");
                    break;
                case "message":
                    ShowMessage(next);
                    break;
            }
        }

        private void ShowMessage(RunEvent message)
        {
            switch (message.Level)
            {
                case "warning":
                    WriteWarning(message.Text);
                    break;
                case "verbose":
                    WriteVerbose(message.Text);
                    break;
                default:
                    WriteHostLine(message.Text);
                    break;
            }
        }

        /// <summary>Each profile (and, with -WhatIf, each login) is one ShouldProcess question; the answer names those approved.</summary>
        private string[] Confirm(RunEvent confirm) =>
            (confirm.Profiles ?? new ConfirmItem[0]).Concat(confirm.Logins ?? new ConfirmItem[0])
                .Where(item => ShouldProcess(item.Target, item.Action))
                .Select(item => item.Profile ?? item.Session)
                .ToArray();

        /// <summary>A login of the run ended: its token's end, for prompts that read &lt;EnvironmentName&gt;SSOTokenExpire.</summary>
        protected virtual void OnLoggedIn(string environment, DateTime? expiresAt)
        {
            if (expiresAt != null)
            {
                SetGlobal(TokenExpireVariable(environment), expiresAt.Value);
            }
        }

        /// <summary>The run's per-profile errors, then the error that failed it as a whole (terminating).</summary>
        internal void WriteErrors(RunEvent finished, object target)
        {
            foreach (RunError error in finished.Errors ?? new RunError[0])
            {
                WriteError(Errors.Record(error, target));
            }
            if (finished.Error != null)
            {
                ThrowTerminatingError(Errors.Record(finished.Error, target));
            }
        }

        private static void TryCancel(long id)
        {
            if (id == 0)
            {
                return;
            }
            try
            {
                NativeEngine.RunCancel(id);
            }
            catch (NativeCallException)
            {
                // Already finished and forgotten.
            }
        }
    }
}
