// What the library must be told of the host the cmdlets run in: a remoting session, the system proxy.

using System;
using System.Collections.Concurrent;
using System.Management.Automation.Host;
using System.Net;
using System.Reflection;

namespace SetAwsCliSsoCredentials.Engine
{
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

        // The proxy of each endpoint URL, looked up once per process: .NET reads the system setting once too.
        private static readonly ConcurrentDictionary<string, string> ProxyOfEndpoint = new ConcurrentDictionary<string, string>();
        private static readonly Lazy<IWebProxy> Proxy = new Lazy<IWebProxy>(SystemProxy);

        /// <summary>
        /// Tells the library whether it runs in a PowerShell remoting session (no browser at the user's
        /// machine reaches a loopback redirect here), and the proxy .NET would use for each endpoint (the
        /// system setting on Windows and macOS), none where it is bypassed. The proxy variables still win.
        /// </summary>
        public static void Tell(PSHost host)
        {
            SsoCredsNative.SetHostEntry("SSOCREDS_POWERSHELL_REMOTING", host?.Name == RemoteHostName ? "1" : null);
            foreach (string[] endpoint in Endpoints)
            {
                string url = Environment.GetEnvironmentVariable(endpoint[1]) ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") ?? endpoint[2];
                SsoCredsNative.SetHostEntry(endpoint[0], ProxyOfEndpoint.GetOrAdd(url, u => ProxyFor(Proxy.Value, u)));
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
