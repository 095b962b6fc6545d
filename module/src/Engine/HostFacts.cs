// What the cmdlets need to know about where they run: can a person answer a login, and what the
// library must be told of this host (a remoting session, the system proxy).

using System;
using System.Management.Automation.Host;
using System.Net;
using System.Reflection;

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
}
