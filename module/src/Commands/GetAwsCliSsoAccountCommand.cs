using System;
using System.Collections;
using System.Management.Automation;
using SetAwsCliSsoCredentials.Engine;

namespace SetAwsCliSsoCredentials.Commands
{
    /// <summary>Lists every AWS account and role (permission set) an IAM Identity Center login can reach.</summary>
    [Cmdlet(VerbsCommon.Get, "AwsCliSsoAccount")]
    [OutputType(typeof(Account))]
    public sealed class GetAwsCliSsoAccountCommand : SsoCredsCmdlet
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
        public SwitchParameter NonInteractive { get; set; }

        [Parameter]
        public SwitchParameter NoBrowser { get; set; }

        [Parameter]
        public SwitchParameter UseDeviceCode { get; set; }

        [Parameter]
        [ValidateRange(1, 65535)]
        public int RedirectPort { get; set; }

        [Parameter]
        public SwitchParameter NoTokenFile { get; set; }

        [Parameter]
        [ValidateRange(1, 256)]
        public int MaxConcurrency { get; set; }

        protected override void EndProcessing()
        {
            string environment = EnvironmentName;
            var bound = MyInvocation.BoundParameters;
            string startUrl = bound.ContainsKey("StartUrl") ? StartUrl : RememberedSetting(environment, "StartUrl") as string;
            string region = bound.ContainsKey("Region") ? Region : RememberedSetting(environment, "Region") as string;
            bool noTokenFile = NoTokenFileFor(environment, NoTokenFile);

            var request = new DiscoverRequest
            {
                Environment = environment,
                StartUrl = string.IsNullOrEmpty(startUrl) ? null : startUrl,
                NoTokenFile = noTokenFile,
                MaxConcurrency = MaxConcurrency,
                IncludeAccount = IncludeAccount,
                ExcludeAccount = ExcludeAccount,
                IncludeRole = IncludeRole,
            };
            DiscoverResult answer;
            try
            {
                answer = NativeEngine.Discover(request);
            }
            catch (NativeCallException e) when (e.IsLoginNeeded)
            {
                string reason = NonInteractiveReason(NonInteractive);
                if (reason != null)
                {
                    ThrowTerminating("LoginRequired",
                        "Environment '" + environment + "' needs a login to IAM Identity Center, and " + reason + ", so none was started. " +
                        "Log in once from an interactive PowerShell with Get-AwsCliSsoAccount -EnvironmentName " + environment +
                        " (with -StartUrl and -Region the first time). (" + e.Message + ")",
                        environment,
                        "Run Get-AwsCliSsoAccount -EnvironmentName " + environment + " in an interactive PowerShell (without -NonInteractive) to log in.");
                }
                DateTime? expiresAt = LogIn(environment, startUrl, region,
                    LoginOptionsFrom(NoBrowser, UseDeviceCode, RedirectPort, noTokenFile, writeSsoSession: false));
                if (expiresAt != null)
                {
                    SetGlobal(TokenExpireVariable(environment), expiresAt.Value);
                }
                answer = CallOrThrow(() => NativeEngine.Discover(request), environment);
            }
            catch (NativeCallException e)
            {
                ThrowTerminatingError(Errors.Record(e, environment));
                throw;
            }

            var remember = new Hashtable();
            if (!string.IsNullOrEmpty(startUrl)) remember["StartUrl"] = startUrl;
            if (!string.IsNullOrEmpty(region)) remember["Region"] = region;
            if (bound.ContainsKey("NoTokenFile")) remember["NoTokenFile"] = NoTokenFile.IsPresent;
            if (remember.Count > 0)
            {
                RememberSettings(environment, remember);
            }

            foreach (DiscoveredAccount account in answer.Accounts ?? new DiscoveredAccount[0])
            {
                if (account.Error != null)
                {
                    WriteError(Errors.Record(account.Error, account.AccountId));
                }
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
    }
}
