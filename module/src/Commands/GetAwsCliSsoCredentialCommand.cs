using System;
using System.Management.Automation;
using System.Security;
using SetAwsCliSsoCredentials.Engine;

namespace SetAwsCliSsoCredentials.Commands
{
    /// <summary>
    /// One role's keys from the shared SSO token, for the current session: as an object, or with
    /// -SetEnvironment as the AWS_* variables of this process (as `aws configure export-credentials
    /// --format powershell`). Nothing is written to disk but a renewed token.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "AwsCliSsoCredential", DefaultParameterSetName = RoleSet)]
    [OutputType(typeof(RoleCredential))]
    public sealed class GetAwsCliSsoCredentialCommand : LoginCmdlet
    {
        private const string RoleSet = "Role";
        private const string ProfileSet = "Profile";

        /// <summary>An SSO profile of the AWS config file (aws configure sso): its sso-session, account and role.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ProfileSet)]
        [ValidateNotNullOrEmpty]
        public string ProfileName { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = RoleSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string AccountId { get; set; }

        [Parameter(Position = 1, ParameterSetName = RoleSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string RoleName { get; set; }

        [Parameter(ParameterSetName = RoleSet)]
        [ValidateNotNullOrEmpty]
        public string EnvironmentName { get; set; } = "Default";

        [Parameter(ParameterSetName = RoleSet)]
        public string StartUrl { get; set; }

        [Parameter(ParameterSetName = RoleSet)]
        public string Region { get; set; }

        [Parameter(ParameterSetName = RoleSet)]
        public SwitchParameter NoTokenFile { get; set; }

        /// <summary>The secret key and session token as strings instead of SecureStrings.</summary>
        [Parameter]
        public SwitchParameter AsPlainText { get; set; }

        /// <summary>Set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION in this process instead.</summary>
        [Parameter]
        public SwitchParameter SetEnvironment { get; set; }

        /// <summary>With -SetEnvironment: also write the object.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            bool byProfile = ParameterSetName == ProfileSet;
            RefreshRequest request = byProfile ? new RefreshRequest() : SessionRequest(EnvironmentName, StartUrl, Region, NoTokenFile);
            var role = new CredentialsTarget
            {
                AccountId = byProfile ? null : AccountId,
                RoleName = byProfile ? null : RoleName ?? SettingFor(EnvironmentName, "DefaultRoleName", null),
                ConfigProfile = byProfile ? ProfileName : null,
            };
            RunEvent finished = Run(new RunStartRequest { Operation = "credentials", Request = request, Login = LoginOptions(), Credentials = role });
            WriteErrors(finished, byProfile ? ProfileName : AccountId);
            RunReport keys = finished.Report;
            if (keys?.AccessKeyId == null)
            {
                return;
            }
            if (SetEnvironment)
            {
                Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", keys.AccessKeyId);
                Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", keys.SecretAccessKey);
                Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", keys.SessionToken);
                Environment.SetEnvironmentVariable("AWS_CREDENTIAL_EXPIRATION", keys.Expiration);
            }
            if (!SetEnvironment || PassThru)
            {
                WriteObject(new RoleCredential
                {
                    AccountId = keys.AccountId,
                    RoleName = keys.RoleName,
                    AccessKeyId = keys.AccessKeyId,
                    SecretAccessKey = AsPlainText ? keys.SecretAccessKey : (object)Secure(keys.SecretAccessKey),
                    SessionToken = AsPlainText ? keys.SessionToken : (object)Secure(keys.SessionToken),
                    Expiration = LocalTime(keys.Expiration),
                    EnvironmentName = keys.Environment,
                    ConfigProfile = keys.ConfigProfile,
                });
            }
        }

        private static SecureString Secure(string text)
        {
            var secure = new SecureString();
            foreach (char c in text ?? string.Empty)
            {
                secure.AppendChar(c);
            }
            secure.MakeReadOnly();
            return secure;
        }
    }
}
