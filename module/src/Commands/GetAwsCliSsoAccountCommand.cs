using System;
using System.Collections;
using System.Management.Automation;
using SetAwsCliSsoCredentials.Engine;

namespace SetAwsCliSsoCredentials.Commands
{
    /// <summary>Lists every AWS account and role (permission set) an IAM Identity Center login can reach.</summary>
    [Cmdlet(VerbsCommon.Get, "AwsCliSsoAccount")]
    [OutputType(typeof(Account))]
    public sealed class GetAwsCliSsoAccountCommand : LoginCmdlet
    {
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string EnvironmentName { get; set; } = "Default";

        [Parameter]
        public string StartUrl { get; set; }

        [Parameter]
        public string Region { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] IncludeAccount { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] ExcludeAccount { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] IncludeRole { get; set; }

        [Parameter]
        public SwitchParameter NoTokenFile { get; set; }

        protected override void EndProcessing()
        {
            string environment = EnvironmentName;
            string startUrl = SettingFor(environment, "StartUrl", StartUrl);
            string region = SettingFor(environment, "Region", Region);
            var request = new RefreshRequest
            {
                Environment = environment,
                StartUrl = startUrl,
                Region = region,
                NoTokenFile = NoTokenFileFor(environment, NoTokenFile),
                MaxConcurrency = MaxConcurrency,
                IncludeAccount = IncludeAccount,
                ExcludeAccount = ExcludeAccount,
                IncludeRole = IncludeRole,
            };
            RunEvent finished = Run(new RunStartRequest { Operation = "discover", Request = request, Login = LoginOptions() });
            if (finished.Error == null)
            {
                Remember(environment, startUrl, region);
            }
            WriteErrors(finished, environment);
            foreach (DiscoveredAccount account in finished.Report?.Accounts ?? new DiscoveredAccount[0])
            {
                foreach (string role in account.Roles ?? new string[0])
                {
                    WriteObject(new Account
                    {
                        AccountId = account.AccountId,
                        AccountName = account.AccountName,
                        EmailAddress = account.EmailAddress,
                        RoleName = role,
                    });
                }
            }
        }

        private void Remember(string environment, string startUrl, string region)
        {
            var remember = new Hashtable();
            if (!string.IsNullOrEmpty(startUrl)) remember["StartUrl"] = startUrl;
            if (!string.IsNullOrEmpty(region)) remember["Region"] = region;
            if (IsBound("NoTokenFile")) remember["NoTokenFile"] = NoTokenFile.IsPresent;
            if (remember.Count > 0)
            {
                RememberSettings(environment, remember);
            }
        }
    }
}
