using System;
using System.Collections.Generic;
using System.Management.Automation;
using SetAwsCliSsoCredentials.Engine;

namespace SetAwsCliSsoCredentials.Commands
{
    /// <summary>Shows the IAM Identity Center (SSO) token state of each environment, with no network call.</summary>
    [Cmdlet(VerbsCommon.Get, "AwsCliSsoSession")]
    [OutputType(typeof(Session))]
    public sealed class GetAwsCliSsoSessionCommand : SsoCredsCmdlet
    {
        private static readonly string[] RememberedSuffixes = { "SsoAwsSettings", "SsoAwsAccounts", "SSOTokenExpire" };

        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Environment")]
        [ValidateNotNullOrEmpty]
        public string[] EnvironmentName { get; set; }

        [Parameter]
        public SwitchParameter NoTokenFile { get; set; }

        private readonly List<string> names = new List<string>();

        protected override void ProcessRecord()
        {
            if (EnvironmentName != null)
            {
                names.AddRange(EnvironmentName);
            }
        }

        protected override void EndProcessing()
        {
            if (names.Count == 0)
            {
                names.AddRange(RememberedEnvironments());
            }
            if (names.Count == 0)
            {
                names.Add("Default");
            }
            foreach (string name in names)
            {
                if (!TryCall(() => NativeEngine.SessionStatus(name, NoTokenFileFor(name, NoTokenFile)), name, out SessionInfo state))
                {
                    continue;
                }
                WriteObject(new Session
                {
                    Environment = state.Environment,
                    Status = Pascal(state.Status),
                    StartUrl = state.StartUrl,
                    Region = state.Region,
                    ExpiresAt = LocalTime(state.ExpiresAt),
                    TimeLeft = state.SecondsLeft is long seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null,
                    Refreshable = state.Refreshable,
                });
            }
        }

        /// <summary>Environments this session has remembered settings, accounts or token expiry for.</summary>
        private IEnumerable<string> RememberedEnvironments()
        {
            var found = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (string suffix in RememberedSuffixes)
            {
                foreach (object item in InvokeCommand.InvokeScript("Get-Variable -Scope Global -Name ('*' + $args[0]) -ErrorAction Ignore", suffix))
                {
                    if (((item as PSObject)?.BaseObject ?? item) is PSVariable variable && variable.Name.Length > suffix.Length)
                    {
                        found.Add(variable.Name.Substring(0, variable.Name.Length - suffix.Length));
                    }
                }
            }
            return found;
        }
    }
}
