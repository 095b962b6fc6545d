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
            RefreshRequest request = SessionRequest(EnvironmentName, StartUrl, Region, NoTokenFile);
            request.MaxConcurrency = MaxConcurrency;
            request.IncludeAccount = IncludeAccount;
            request.ExcludeAccount = ExcludeAccount;
            request.IncludeRole = IncludeRole;
            RunEvent finished = Run(new RunStartRequest { Operation = "discover", Request = request, Login = LoginOptions() });
            if (finished.Error == null)
            {
                Remember(request);
            }
            WriteErrors(finished, request.Environment);
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

        /// <summary>The session's settings that worked, for the next command of this environment.</summary>
        private void Remember(RefreshRequest request)
        {
            var remember = new Hashtable();
            if (request.StartUrl != null) remember["StartUrl"] = request.StartUrl;
            if (request.Region != null) remember["Region"] = request.Region;
            if (IsBound("NoTokenFile")) remember["NoTokenFile"] = NoTokenFile.IsPresent;
            if (remember.Count > 0)
            {
                RememberSettings(request.Environment, remember);
            }
        }
    }
}
