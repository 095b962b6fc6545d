// What the cmdlets need to know about where they run: can a person answer a login, and can a browser
// be opened.

using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Management.Automation.Host;
using System.Runtime.InteropServices;

namespace SetAwsCliSsoCredentials.Engine
{
    internal static class Interactivity
    {
        // pwsh / powershell.exe parameters after which the rest of the command line belongs to the script.
        private static readonly string[] ScriptParameters =
            { "c", "command", "commandwithargs", "cwa", "f", "file", "e", "ec", "encodedcommand" };

        private static readonly Lazy<bool> StartedNonInteractive = new Lazy<bool>(() => HasNonInteractiveSwitch(Environment.GetCommandLineArgs()));

        /// <summary>
        /// Why no person can answer a login here, or null when one can: the process was started with
        /// -NonInteractive, the console's input is redirected (cron, a scheduled task, CI), or Windows runs
        /// it in a non-interactive session (a service, a task that runs whether the user is logged on or not).
        /// </summary>
        public static string NonInteractiveReason(PSHost host)
        {
            if (StartedNonInteractive.Value)
            {
                return "PowerShell was started with -NonInteractive";
            }
            if (!Environment.UserInteractive)
            {
                return "this Windows session is not interactive";
            }
            // Only the console host reads the console; other hosts (VS Code, ISE) have their own input.
            if (host != null && host.Name == "ConsoleHost" && Console.IsInputRedirected)
            {
                return "the console's input is redirected";
            }
            return null;
        }

        /// <summary>-NonInteractive (or an unambiguous prefix such as -noni) before -Command/-File.</summary>
        internal static bool HasNonInteractiveSwitch(string[] arguments)
        {
            for (int i = 1; i < arguments.Length; i++)
            {
                string argument = arguments[i];
                if (argument.Length < 2 || (argument[0] != '-' && argument[0] != '/'))
                {
                    continue;
                }
                string name = argument.TrimStart('-', '/').ToLowerInvariant();
                int colon = name.IndexOf(':');
                if (colon >= 0)
                {
                    name = name.Substring(0, colon);
                }
                if (Array.IndexOf(ScriptParameters, name) >= 0)
                {
                    return false;
                }
                if (name.Length >= 4 && "noninteractive".StartsWith(name, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            return false;
        }
    }

    internal static class Browser
    {
        /// <summary>
        /// Opens an http(s) URL in the user's browser: the shell on Windows, `open` on macOS, `xdg-open`
        /// elsewhere. False when none could be started (no launcher, or it failed at once).
        /// </summary>
        public static bool TryOpen(string url)
        {
            if (!IsPlainHttpUrl(url))
            {
                return false;
            }
            try
            {
                ProcessStartInfo start;
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                {
                    start = new ProcessStartInfo(url) { UseShellExecute = true };
                }
                else
                {
                    string launcher = RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "open" : "xdg-open";
                    start = new ProcessStartInfo(launcher, "\"" + url + "\"")
                    {
                        UseShellExecute = false,
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                        CreateNoWindow = true,
                    };
                }
                Process process = Process.Start(start);
                if (process == null)
                {
                    // The shell handed the URL to a browser that was already running.
                    return true;
                }
                if (!start.RedirectStandardOutput)
                {
                    process.Dispose();
                    return true;
                }
                // The launcher's output, and that of a browser it starts in its place (which inherits the
                // pipes), is drained until the pipes end; the Process is not disposed, since that would close
                // them under a running browser. One small object per login.
                process.OutputDataReceived += (sender, e) => { };
                process.ErrorDataReceived += (sender, e) => { };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                // Launchers hand over and exit at once; one still running has started something.
                return !process.WaitForExit(2000) || process.ExitCode == 0;
            }
            catch (Win32Exception)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        /// <summary>Only http(s) URLs without quotes or spaces are handed to a launcher.</summary>
        private static bool IsPlainHttpUrl(string url)
        {
            if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out Uri parsed))
            {
                return false;
            }
            if (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp)
            {
                return false;
            }
            foreach (char c in url)
            {
                if (c <= ' ' || c == '"' || c == '\'' || c == '`')
                {
                    return false;
                }
            }
            return true;
        }
    }
}
