// What every cmdlet of the module shares: telling the library about this host, host lines, and the
// per-environment globals the original script kept.

using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace SetAwsCliSsoCredentials.Engine
{
    public abstract class SsoCredsCmdlet : PSCmdlet
    {
        /// <summary>Tells the library what it must know of this host before any call (HostFacts).</summary>
        protected override void BeginProcessing()
        {
            HostFacts.Tell(Host);
        }

        /// <summary>A line on the host, as Write-Host writes it (information stream, tag PSHOST).</summary>
        protected void WriteHostLine(string text)
        {
            WriteInformation(new HostInformationMessage { Message = text, NoNewLine = false }, new[] { "PSHOST" });
        }

        protected bool IsBound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

        /// <summary>A status of the library (loggedIn, refreshed) as PowerShell shows it (LoggedIn, Refreshed).</summary>
        protected static string Pascal(string status) =>
            string.IsNullOrEmpty(status) ? status : char.ToUpperInvariant(status[0]) + status.Substring(1);

        protected static DateTime? LocalTime(string rfc3339)
        {
            if (!string.IsNullOrEmpty(rfc3339) &&
                DateTimeOffset.TryParse(rfc3339, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed))
            {
                return parsed.LocalDateTime;
            }
            return null;
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

        /// <summary>The remembered settings with `changes` applied over them.</summary>
        protected void RememberSettings(string environment, IDictionary changes)
        {
            var merged = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (IDictionary source in new[] { RememberedSettings(environment), changes })
            {
                foreach (DictionaryEntry entry in source ?? new Hashtable())
                {
                    merged[entry.Key] = entry.Value;
                }
            }
            SetGlobal(SettingsVariable(environment), merged);
        }

        /// <summary>A setting (StartUrl, Region, ...) as given, else what the environment remembered, else null.</summary>
        protected string SettingFor(string environment, string name, string given)
        {
            string value = IsBound(name) ? null : RememberedSetting(environment, name) as string;
            value = string.IsNullOrEmpty(value) ? given : value;
            return string.IsNullOrEmpty(value) ? null : value;
        }

        /// <summary>-NoTokenFile as given, else what the environment remembered from an earlier run.</summary>
        protected bool NoTokenFileFor(string environment, SwitchParameter given) =>
            IsBound("NoTokenFile") ? given.IsPresent : LanguagePrimitives.IsTrue(RememberedSetting(environment, "NoTokenFile"));

        /// <summary>The SSO session of a request: -StartUrl, -Region and -NoTokenFile as given, else as remembered.</summary>
        internal RefreshRequest SessionRequest(string environment, string startUrl, string region, SwitchParameter noTokenFile) => new RefreshRequest
        {
            Environment = environment,
            StartUrl = SettingFor(environment, "StartUrl", startUrl),
            Region = SettingFor(environment, "Region", region),
            NoTokenFile = NoTokenFileFor(environment, noTokenFile),
        };

        /// <summary>One call of the library for one environment: its failure is that environment's error, and the others go on.</summary>
        internal bool TryCall<T>(Func<T> call, string environment, out T answer)
        {
            try
            {
                answer = call();
                return true;
            }
            catch (NativeCallException e)
            {
                WriteError(Errors.Record(e, environment));
                answer = default;
                return false;
            }
        }

        protected static object Unwrap(object value) => value is PSObject wrapped ? wrapped.BaseObject : value;
    }
}
