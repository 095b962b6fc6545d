// What every cmdlet of the module shares: Ctrl+C that really stops, the login, a refresh with
// progress, host messages, and the per-environment globals the original script kept.

using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Threading;

namespace SetAwsCliSsoCredentials.Engine
{
    /// <summary>How a login is made, from the cmdlet's parameters.</summary>
    internal sealed class LoginOptions
    {
        public bool NoBrowser;
        /// <summary>Null unless -UseDeviceCode was given: then true, or false for -UseDeviceCode:$false.</summary>
        public bool? UseDeviceCode;
        public int? RedirectPort;
        public bool NoTokenFile;
        public bool WriteSsoSession;
    }

    public abstract class SsoCredsCmdlet : PSCmdlet, IDisposable
    {
        private const int LoginPollMilliseconds = 500;
        private const int RefreshPollMilliseconds = 250;

        // Cancelled by StopProcessing (Ctrl+C, a stopped pipeline), which runs on another thread.
        private readonly CancellationTokenSource stopping = new CancellationTokenSource();

        /// <summary>Tells the library what it must know of this host before any call (HostFacts).</summary>
        protected override void BeginProcessing()
        {
            HostFacts.Tell(Host);
        }

        protected override void StopProcessing()
        {
            stopping.Cancel();
        }

        public void Dispose()
        {
            stopping.Dispose();
        }

        protected bool IsStopping => stopping.IsCancellationRequested;

        protected void ThrowIfStopping()
        {
            if (stopping.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        /// <summary>A line on the host, as Write-Host writes it (information stream, tag PSHOST).</summary>
        protected void WriteHostLine(string text)
        {
            WriteInformation(new HostInformationMessage { Message = text, NoNewLine = false }, new[] { "PSHOST" });
        }

        protected void ThrowTerminating(string code, string message, object target, string recommendedAction = null)
        {
            ThrowTerminatingError(Errors.Record(code, message, target, recommendedAction));
        }

        /// <summary>
        /// Null when a person can answer a login; else why not: -NonInteractive was given, or (when the
        /// parameter was not given at all) the host is not interactive.
        /// </summary>
        protected string NonInteractiveReason(SwitchParameter nonInteractive)
        {
            if (MyInvocation.BoundParameters.ContainsKey("NonInteractive"))
            {
                return nonInteractive.IsPresent ? "-NonInteractive was given" : null;
            }
            return Interactivity.NonInteractiveReason(Host);
        }

        /// <summary>
        /// The login choices of -NoBrowser, -UseDeviceCode and -RedirectPort, and where the token goes.
        /// -UseDeviceCode:$false is kept apart from its absence: it asks for the browser flow even where the
        /// library would pick the device code (an SSH session with the port forwarded).
        /// </summary>
        internal LoginOptions LoginOptionsFrom(SwitchParameter noBrowser, SwitchParameter useDeviceCode, int redirectPort,
            bool noTokenFile, bool writeSsoSession)
        {
            var bound = MyInvocation.BoundParameters;
            return new LoginOptions
            {
                NoBrowser = noBrowser.IsPresent,
                UseDeviceCode = bound.ContainsKey("UseDeviceCode") ? useDeviceCode.IsPresent : (bool?)null,
                RedirectPort = bound.ContainsKey("RedirectPort") ? redirectPort : (int?)null,
                NoTokenFile = noTokenFile,
                WriteSsoSession = writeSsoSession,
            };
        }

        protected static DateTime? LocalTime(string rfc3339)
        {
            if (string.IsNullOrEmpty(rfc3339))
            {
                return null;
            }
            if (DateTimeOffset.TryParse(rfc3339, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed))
            {
                return parsed.LocalDateTime;
            }
            return null;
        }

        // ---- the login ----

        /// <summary>
        /// Reuses the session's token (renewed by the library when it can), or logs in: the library picks
        /// the authorization-code flow (PKCE, a browser on this computer returning to a loopback address)
        /// or the device code (headless, SSH, a container, -NoBrowser, -UseDeviceCode). Prints the URL (and
        /// the code), opens the browser unless told not to, and waits in short polls so that Ctrl+C cancels
        /// at once (releasing the login for other processes). Returns when the token ends. Failures are
        /// terminating errors naming the environment.
        /// </summary>
        internal DateTime? LogIn(string environment, string startUrl, string region, LoginOptions options)
        {
            try
            {
                return LogInOrFail(environment, startUrl, region, options);
            }
            catch (NativeCallException e)
            {
                ThrowTerminatingError(Errors.Record(e, environment));
                throw;
            }
        }

        /// <summary>As LogIn, but a failure of the library is thrown as NativeCallException, for callers
        /// that log in to several sessions and go on after one fails.</summary>
        internal DateTime? LogInOrFail(string environment, string startUrl, string region, LoginOptions options)
        {
            if (string.IsNullOrEmpty(startUrl) || string.IsNullOrEmpty(region))
            {
                string missing = string.IsNullOrEmpty(startUrl) && string.IsNullOrEmpty(region) ? "-StartUrl and -Region"
                    : string.IsNullOrEmpty(startUrl) ? "-StartUrl" : "-Region";
                ThrowTerminating("InvalidInput",
                    "Logging in to environment '" + environment + "' needs " + missing +
                    ", and this session has not remembered them from an earlier run.", environment);
            }
            var request = new LoginStartRequest
            {
                Environment = environment,
                StartUrl = startUrl,
                Region = region,
                NoTokenFile = options.NoTokenFile,
                WriteSsoSession = options.WriteSsoSession,
                UseDeviceCode = options.UseDeviceCode,
                NoBrowser = options.NoBrowser,
                RedirectPort = options.RedirectPort,
            };
            LoginState state = NativeEngine.LoginStart(request);
            if (state.Status == "loggedIn")
            {
                WriteVerbose("Environment '" + environment + "': reusing the stored SSO token (renewed if it was about to expire).");
                return LocalTime(state.ExpiresAt);
            }
            ShowLogin(state, options.NoBrowser);
            return WaitForLogin(environment);
        }

        private void ShowLogin(LoginState state, bool noBrowser)
        {
            if (state.Status == "waiting")
            {
                // Another process runs this session's login; its token arrives through the cache file.
                WriteHostLine(Sentence(state.Message));
                return;
            }
            if (!string.IsNullOrEmpty(state.FlowReason))
            {
                WriteVerbose("Logging in with a device code: " + state.FlowReason);
            }
            if (state.Flow == "authorizationCode")
            {
                ShowAuthorizationCodeLogin(state, noBrowser);
                return;
            }
            if (!noBrowser)
            {
                WriteHostLine(Browser.TryOpen(state.VerificationUriComplete)
                    ? "A Browser window should open. Please login there and click ALLOW."
                    : "No browser could be opened here; open the URL below on any device.");
            }
            // Always shown, also when a browser opened: the user compares the code with the page's.
            WriteHostLine("To sign in, open " + state.VerificationUri + " in a browser and enter the code " + state.UserCode + ",");
            WriteHostLine("or open " + state.VerificationUriComplete + ". Then click ALLOW.");
        }

        /// <summary>
        /// The page must be opened on this computer: it returns to the library's listener on 127.0.0.1.
        /// The URL is always printed, for a browser that did not open or opened in the wrong profile.
        /// </summary>
        private void ShowAuthorizationCodeLogin(LoginState state, bool noBrowser)
        {
            if (!noBrowser && Browser.TryOpen(state.AuthorizationUrl))
            {
                WriteHostLine("A Browser window should open. Please login there and click ALLOW.");
                WriteHostLine("If it did not open, open this URL in a browser on this computer: " + state.AuthorizationUrl);
            }
            else
            {
                WriteHostLine((noBrowser ? "" : "No browser could be opened here. ") +
                    "To sign in, open this URL in a browser on this computer, then click ALLOW: " + state.AuthorizationUrl);
            }
            WriteVerbose("Waiting for the browser to return to " + state.RedirectUri + ".");
        }

        private DateTime? WaitForLogin(string environment)
        {
            bool loggedIn = false;
            // Ctrl+C: forget the login at once, so the blocked poll returns and other processes may log in.
            using (stopping.Token.Register(() => TryCancelLogin(environment)))
            {
                try
                {
                    while (true)
                    {
                        ThrowIfStopping();
                        LoginState state;
                        try
                        {
                            state = NativeEngine.LoginPoll(environment, LoginPollMilliseconds);
                        }
                        catch (NativeCallException) when (IsStopping)
                        {
                            throw new PipelineStoppedException();
                        }
                        if (state.Status == "loggedIn")
                        {
                            loggedIn = true;
                            return LocalTime(state.ExpiresAt);
                        }
                    }
                }
                finally
                {
                    if (!loggedIn)
                    {
                        TryCancelLogin(environment);
                    }
                }
            }
        }

        private static void TryCancelLogin(string environment)
        {
            try
            {
                NativeEngine.LoginCancel(environment);
            }
            catch (NativeCallException)
            {
                // Nothing left to cancel.
            }
        }

        private static string Sentence(string text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return "Another process is already logging in; waiting for it to finish.";
            }
            string sentence = char.ToUpperInvariant(text[0]) + text.Substring(1);
            return sentence.EndsWith(".", StringComparison.Ordinal) ? sentence : sentence + ".";
        }

        // ---- a refresh with progress ----

        /// <summary>
        /// Runs a refresh in the library's background, showing progress. Ctrl+C cancels it: profiles not
        /// yet written are not written, and a write under way completes whole.
        /// </summary>
        internal RefreshReport RunRefresh(RefreshRequest request)
        {
            RefreshStarted started = NativeEngine.RefreshStart(request);
            long operation = started.OperationId;
            string activity = request.FromConfig
                ? "Refreshing AWS credentials (the AWS config file's SSO profiles)"
                : "Refreshing AWS credentials (" + request.Environment + ")";
            var schedule = new ProgressSchedule();
            bool finished = false;
            using (stopping.Token.Register(() => TryCancelRefresh(operation)))
            {
                try
                {
                    while (true)
                    {
                        ThrowIfStopping();
                        RefreshProgress progress;
                        try
                        {
                            // The poll returns as soon as the refresh ends; until then, it waits for the next drawing.
                            int waitMs = (int)schedule.UntilNext(TimeSpan.FromMilliseconds(RefreshPollMilliseconds)).TotalMilliseconds;
                            progress = NativeEngine.RefreshPoll(operation, Math.Max(waitMs, 1));
                        }
                        catch (NativeCallException) when (IsStopping)
                        {
                            throw new PipelineStoppedException();
                        }
                        catch (NativeCallException)
                        {
                            // The operation failed as a whole; the library has forgotten it.
                            finished = true;
                            throw;
                        }
                        if (progress.Status == "done")
                        {
                            finished = true;
                            return progress.Result;
                        }
                        if (schedule.Due(progress.Completed))
                        {
                            int percent = progress.Total > 0 ? Math.Min(100, 100 * progress.Completed / progress.Total) : 0;
                            schedule.Draw(progress.Completed, () => WriteProgress(
                                new ProgressRecord(1, activity, progress.Completed + " of " + progress.Total + " profiles")
                                {
                                    PercentComplete = percent,
                                }));
                        }
                    }
                }
                finally
                {
                    if (!finished)
                    {
                        TryCancelRefresh(operation);
                    }
                    if (!IsStopping && schedule.Shown)
                    {
                        WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
                    }
                }
            }
        }

        private static void TryCancelRefresh(long operation)
        {
            try
            {
                NativeEngine.RefreshCancel(operation);
            }
            catch (NativeCallException)
            {
                // Already finished or cancelled.
            }
        }

        // ---- calls that fail the command ----

        internal T CallOrThrow<T>(Func<T> call, object target)
        {
            try
            {
                return call();
            }
            catch (NativeCallException e)
            {
                ThrowTerminatingError(Errors.Record(e, target));
                throw;
            }
        }

        // ---- what the session remembers, in globals like the original script ----
        //   <Env>SsoAwsAccounts  the account list: @{Profile; AccountId; RoleName; CredsExpiration (epoch ms)}
        //   <Env>SSOTokenExpire  when the SSO token ends (local DateTime)
        //   <Env>SsoAwsSettings  StartUrl, Region, DefaultRoleName, NoTokenFile and the discovery settings
        // Globals outlive Import-Module -Force, as the original's did. The token itself stays in the library.

        protected object GetGlobal(string name) => SessionState.PSVariable.GetValue("global:" + name);

        protected void SetGlobal(string name, object value) => SessionState.PSVariable.Set("global:" + name, value);

        protected void RemoveGlobal(string name)
        {
            if (SessionState.PSVariable.Get("global:" + name) != null)
            {
                SessionState.PSVariable.Remove("global:" + name);
            }
        }

        protected static string AccountsVariable(string environment) => environment + "SsoAwsAccounts";

        protected static string TokenExpireVariable(string environment) => environment + "SSOTokenExpire";

        protected static string SettingsVariable(string environment) => environment + "SsoAwsSettings";

        protected IDictionary RememberedSettings(string environment) => Unwrap(GetGlobal(SettingsVariable(environment))) as IDictionary;

        protected object RememberedSetting(string environment, string name)
        {
            IDictionary settings = RememberedSettings(environment);
            return settings != null && settings.Contains(name) ? Unwrap(settings[name]) : null;
        }

        protected void RememberSettings(string environment, IDictionary changes)
        {
            var merged = new Hashtable(StringComparer.OrdinalIgnoreCase);
            IDictionary settings = RememberedSettings(environment);
            if (settings != null)
            {
                foreach (DictionaryEntry entry in settings)
                {
                    merged[entry.Key] = entry.Value;
                }
            }
            foreach (DictionaryEntry entry in changes)
            {
                merged[entry.Key] = entry.Value;
            }
            SetGlobal(SettingsVariable(environment), merged);
        }

        /// <summary>-NoTokenFile as given, else what the environment remembered from an earlier run.</summary>
        protected bool NoTokenFileFor(string environment, SwitchParameter given) =>
            MyInvocation.BoundParameters.ContainsKey("NoTokenFile")
                ? given.IsPresent
                : LanguagePrimitives.IsTrue(RememberedSetting(environment, "NoTokenFile"));

        protected static object Unwrap(object value) => value is PSObject wrapped ? wrapped.BaseObject : value;
    }
}
