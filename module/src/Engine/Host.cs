// What the cmdlets need to know about where they run: can a person answer a login, and can a browser
// be opened.

using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Management.Automation.Host;
using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

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
        /// A PowerShell remoting session runs in a non-interactive Windows session too, but its host shows
        /// the user what the cmdlet writes: the user can approve a device code there.
        /// </summary>
        public static string NonInteractiveReason(PSHost host)
        {
            if (StartedNonInteractive.Value)
            {
                return "PowerShell was started with -NonInteractive";
            }
            if (!Environment.UserInteractive && !HostFacts.IsRemoting(host))
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

    /// <summary>
    /// What the library must know about the host that no variable of the process says, told to it as
    /// entries of its environment (SsoCredsNative.SetHostEntry) before each cmdlet runs.
    /// </summary>
    internal static class HostFacts
    {
        /// <summary>The host of a PowerShell remoting session (Enter-PSSession, Invoke-Command; WinRM or SSH).</summary>
        private const string RemoteHostName = "ServerRemoteHost";

        // The endpoints the library calls, and the variables that move them (as the library reads them).
        private static readonly string[][] Endpoints =
        {
            new[] { "SSOCREDS_SYSTEM_PROXY_SSO", "AWS_ENDPOINT_URL_SSO", "https://portal.sso.us-east-1.amazonaws.com/" },
            new[] { "SSOCREDS_SYSTEM_PROXY_SSO_OIDC", "AWS_ENDPOINT_URL_SSO_OIDC", "https://oidc.us-east-1.amazonaws.com/" },
        };

        public static bool IsRemoting(PSHost host)
        {
            return host != null && host.Name == RemoteHostName;
        }

        /// <summary>
        /// Tells the library whether it runs in a PowerShell remoting session (no browser at the user's
        /// machine reaches a loopback redirect here), and the proxy .NET would use for each endpoint (the
        /// system setting on Windows and macOS), none where it is bypassed. The proxy variables still win.
        /// </summary>
        public static void Tell(PSHost host)
        {
            SsoCredsNative.SetHostEntry("SSOCREDS_POWERSHELL_REMOTING", IsRemoting(host) ? "1" : null);
            IWebProxy proxy = SystemProxy();
            foreach (string[] endpoint in Endpoints)
            {
                string url = Environment.GetEnvironmentVariable(endpoint[1]) ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") ?? endpoint[2];
                SsoCredsNative.SetHostEntry(endpoint[0], ProxyFor(proxy, url));
            }
        }

        /// <summary>HttpClient.DefaultProxy where it exists (.NET Core 3+), else the system's (.NET Framework: Internet Options).</summary>
        private static IWebProxy SystemProxy()
        {
            try
            {
                PropertyInfo defaultProxy = typeof(System.Net.Http.HttpClient).GetProperty("DefaultProxy", BindingFlags.Public | BindingFlags.Static);
                return (defaultProxy?.GetValue(null) as IWebProxy) ?? WebRequest.GetSystemWebProxy();
            }
            catch (Exception e) when (e is TargetInvocationException || e is PlatformNotSupportedException)
            {
                return null;
            }
        }

        /// <summary>The proxy URL for `url`, or null: none, bypassed, or not a URL.</summary>
        private static string ProxyFor(IWebProxy proxy, string url)
        {
            if (proxy == null || !Uri.TryCreate(url, UriKind.Absolute, out Uri endpoint) || proxy.IsBypassed(endpoint))
            {
                return null;
            }
            Uri through = proxy.GetProxy(endpoint);
            return through == null || through == endpoint ? null : through.GetLeftPart(UriPartial.Authority);
        }
    }

    internal static class Browser
    {
        /// <summary>
        /// Opens an http(s) URL in the user's browser: with the commands of the BROWSER environment
        /// variable when it is set, else the shell on Windows, `open` on macOS, `xdg-open` elsewhere.
        /// False when none could be started (no launcher, or it failed at once).
        /// </summary>
        public static bool TryOpen(string url)
        {
            if (!IsPlainHttpUrl(url))
            {
                return false;
            }
            string chosen = Environment.GetEnvironmentVariable("BROWSER");
            if (!string.IsNullOrWhiteSpace(chosen))
            {
                return TryBrowserVariable(chosen, url);
            }
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return TryStart(new ProcessStartInfo(url) { UseShellExecute = true });
            }
            string launcher = RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "open" : "xdg-open";
            return TryStart(Launcher(launcher, QuoteArgument(url)));
        }

        /// <summary>
        /// BROWSER as Python's webbrowser module (the AWS CLI's) reads it: commands separated by the path
        /// separator, tried in order until one starts; in each, %s stands for the URL, else the URL is
        /// appended as one more argument. Unlike Python, no other browser is tried after them: the user
        /// chose these (a headless machine, a browser other than the default one).
        /// </summary>
        internal static bool TryBrowserVariable(string commands, string url)
        {
            foreach (string command in commands.Split(System.IO.Path.PathSeparator))
            {
                List<string> words = SplitCommand(command);
                if (words.Count == 0)
                {
                    continue;
                }
                bool hasPlaceholder = false;
                var arguments = new List<string>();
                for (int i = 1; i < words.Count; i++)
                {
                    hasPlaceholder |= words[i].Contains("%s");
                    arguments.Add(QuoteArgument(words[i].Replace("%s", url)));
                }
                if (!hasPlaceholder)
                {
                    arguments.Add(QuoteArgument(url));
                }
                if (TryStart(Launcher(words[0], string.Join(" ", arguments))))
                {
                    return true;
                }
            }
            return false;
        }

        private static ProcessStartInfo Launcher(string program, string arguments)
        {
            return new ProcessStartInfo(program, arguments)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
        }

        private static bool TryStart(ProcessStartInfo start)
        {
            try
            {
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

        /// <summary>
        /// The words of one BROWSER command: split at spaces, except inside double or single quotes (a
        /// program path with spaces); a backslash is an ordinary character (Windows paths). A command
        /// that names an existing file as a whole is that one program, quoted or not.
        /// </summary>
        internal static List<string> SplitCommand(string command)
        {
            string trimmed = command.Trim();
            var words = new List<string>();
            if (trimmed.Length > 0 && System.IO.File.Exists(trimmed))
            {
                words.Add(trimmed);
                return words;
            }
            var word = new StringBuilder();
            bool inWord = false;
            char quote = '\0';
            foreach (char c in trimmed)
            {
                if (quote != '\0')
                {
                    if (c == quote)
                    {
                        quote = '\0';
                    }
                    else
                    {
                        word.Append(c);
                    }
                }
                else if (c == '"' || c == '\'')
                {
                    quote = c;
                    inWord = true;
                }
                else if (char.IsWhiteSpace(c))
                {
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }
                }
                else
                {
                    word.Append(c);
                    inWord = true;
                }
            }
            if (inWord)
            {
                words.Add(word.ToString());
            }
            return words;
        }

        /// <summary>
        /// One argument as ProcessStartInfo.Arguments takes it (the Windows command-line rules, which .NET
        /// also parses on Linux and macOS): quoted when it holds a space or a quote, backslashes before a
        /// quote doubled.
        /// </summary>
        internal static string QuoteArgument(string argument)
        {
            if (argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '\t', '"' }) < 0)
            {
                return argument;
            }
            var quoted = new StringBuilder("\"");
            int backslashes = 0;
            foreach (char c in argument)
            {
                if (c == '\\')
                {
                    backslashes++;
                    continue;
                }
                quoted.Append('\\', c == '"' ? backslashes * 2 + 1 : backslashes);
                backslashes = 0;
                quoted.Append(c);
            }
            quoted.Append('\\', backslashes * 2);
            return quoted.Append('"').ToString();
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
