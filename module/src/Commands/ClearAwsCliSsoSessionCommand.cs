using System.Management.Automation;
using SetAwsCliSsoCredentials.Engine;

namespace SetAwsCliSsoCredentials.Commands
{
    /// <summary>Signs out of IAM Identity Center and forgets the SSO token of an environment.</summary>
    [Cmdlet(VerbsCommon.Clear, "AwsCliSsoSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(LogoutResult))]
    public sealed class ClearAwsCliSsoSessionCommand : SsoCredsCmdlet
    {
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Environment")]
        [ValidateNotNullOrEmpty]
        public string[] EnvironmentName { get; set; } = { "Default" };

        [Parameter]
        public SwitchParameter Forget { get; set; }

        [Parameter]
        public SwitchParameter NoTokenFile { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            foreach (string name in EnvironmentName)
            {
                if (!ShouldProcess(name, "Sign out of IAM Identity Center and forget the SSO token"))
                {
                    continue;
                }
                if (!TryCall(() => NativeEngine.Logout(name, NoTokenFileFor(name, NoTokenFile)), name, out LogoutAnswer answer))
                {
                    continue;
                }
                RemoveGlobal(TokenExpireVariable(name));
                if (Forget)
                {
                    RemoveGlobal(AccountsVariable(name));
                    RemoveGlobal(SettingsVariable(name));
                }
                if (PassThru)
                {
                    WriteObject(new LogoutResult { Environment = name, LoggedOut = answer.LoggedOut });
                }
            }
        }
    }
}
