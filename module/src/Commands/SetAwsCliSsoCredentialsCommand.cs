using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using SetAwsCliSsoCredentials.Engine;

namespace SetAwsCliSsoCredentials.Commands
{
    /// <summary>
    /// Logs in to IAM Identity Center once and writes fresh credentials for many accounts and roles to
    /// the AWS credentials file: the drop-in replacement for the AWS Prescriptive Guidance script.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "AwsCliSsoCredentials", SupportsShouldProcess = true, DefaultParameterSetName = AccountsSet)]
    [OutputType(typeof(ProfileResult))]
    public sealed partial class SetAwsCliSsoCredentialsCommand : LoginCmdlet
    {
        private const string AccountsSet = "Accounts";
        private const string FromConfigSet = "FromConfig";

        [Parameter(Position = 0, ParameterSetName = AccountsSet)]
        public string DefaultRoleName { get; set; }

        [Parameter(Position = 1, ParameterSetName = AccountsSet)]
        public string Region { get; set; }

        [Parameter(Position = 2, ParameterSetName = AccountsSet)]
        public string StartUrl { get; set; }

        [Parameter(Position = 3, ParameterSetName = AccountsSet)]
        [ValidateNotNullOrEmpty]
        public string EnvironmentName { get; set; } = "Default";

        [Parameter(ValueFromPipeline = true, ParameterSetName = AccountsSet)]
        [Alias("Accounts")]
        public object[] Account { get; set; }

        /// <summary>Refresh the SSO profiles of the AWS config file (aws configure sso) instead of accounts.</summary>
        [Parameter(Mandatory = true, ParameterSetName = FromConfigSet)]
        public SwitchParameter FromConfig { get; set; }

        /// <summary>With -FromConfig: only the config profiles matching these patterns (* and ?).</summary>
        [Parameter(ParameterSetName = FromConfigSet)]
        [ValidateNotNullOrEmpty]
        public string[] ConfigProfile { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CredentialsFile { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        [Parameter(ParameterSetName = AccountsSet)]
        public SwitchParameter NoTokenFile { get; set; }

        /// <summary>No keys in any file: each profile gets a credential_process line in ~/.aws/config that runs the shipped ssocreds-cli.</summary>
        [Parameter]
        public SwitchParameter CredentialProcess { get; set; }

        [Parameter(ParameterSetName = AccountsSet)]
        public SwitchParameter ConfigureSsoSession { get; set; }

        [Parameter(ParameterSetName = AccountsSet)]
        public SwitchParameter AllAccounts { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ProfileNameTemplate { get; set; }

        [Parameter(ParameterSetName = AccountsSet)]
        [ValidateNotNullOrEmpty]
        public string[] IncludeAccount { get; set; }

        [Parameter(ParameterSetName = AccountsSet)]
        [ValidateNotNullOrEmpty]
        public string[] ExcludeAccount { get; set; }

        [Parameter(ParameterSetName = AccountsSet)]
        [ValidateNotNullOrEmpty]
        public string[] IncludeRole { get; set; }

        private readonly List<object> piped = new List<object>();

        protected override void ProcessRecord()
        {
            if (Account == null)
            {
                return;
            }
            foreach (object item in Account)
            {
                if (item != null)
                {
                    piped.Add(item);
                }
            }
        }

        protected override void EndProcessing()
        {
            RefreshRequest request = FromConfig.IsPresent ? FromConfigRequest() : AccountsRequest();
            request.CredentialProcessCommand = request.CredentialProcess ? ShippedCommandLine() : null;
            RunLogin login = LoginOptions();
            login.WriteSsoSession = ConfigureSsoSession.IsPresent;
            RunEvent finished = Run(new RunStartRequest { Operation = "refresh", Request = request, Login = login, Confirm = true });
            // -WhatIf shows what would be done and changes nothing, not even the globals.
            if (finished.Report != null && !WhatIfRequested)
            {
                Report(request, finished);
            }
            WriteErrors(finished, FromConfig.IsPresent ? "FromConfig" : request.Environment);
        }

        /// <summary>
        /// The parameters, else what this session remembered for the environment: its settings and, unless
        /// accounts are passed or -AllAccounts is given, its account list (or one preset by the user) with the
        /// discovery settings of the run that made it, like the original.
        /// </summary>
        private RefreshRequest AccountsRequest()
        {
            string environment = EnvironmentName;
            bool useRemembered = piped.Count == 0 && !IsBound("AllAccounts");
            List<object> sources = useRemembered ? RememberedAccounts(environment) : piped;
            RefreshRequest request = SessionRequest(environment, StartUrl, Region, NoTokenFile);
            request.Accounts = sources.Select(AccountInput.ToRequest).ToArray();
            request.DefaultRoleName = SettingFor(environment, "DefaultRoleName", DefaultRoleName);
            request.CredentialsFile = CredentialsFilePath;
            request.Force = Force.IsPresent;
            request.MaxConcurrency = MaxConcurrency;
            request.CredentialProcess = IsBound("CredentialProcess") ? CredentialProcess.IsPresent : LanguagePrimitives.IsTrue(RememberedSetting(environment, "CredentialProcess"));
            request.Discover = AllAccounts.IsPresent || (useRemembered && LanguagePrimitives.IsTrue(RememberedSetting(environment, "AllAccounts")));
            request.ProfileNameTemplate = ProfileNameTemplate ?? (useRemembered ? RememberedSetting(environment, "ProfileNameTemplate") as string : null);
            request.IncludeAccount = Filter("IncludeAccount", useRemembered);
            request.ExcludeAccount = Filter("ExcludeAccount", useRemembered);
            request.IncludeRole = Filter("IncludeRole", useRemembered);
            return request;
        }

        private RefreshRequest FromConfigRequest() => new RefreshRequest
        {
            FromConfig = true,
            ConfigProfile = ConfigProfile,
            CredentialsFile = CredentialsFilePath,
            Force = Force.IsPresent,
            MaxConcurrency = MaxConcurrency,
            ProfileNameTemplate = ProfileNameTemplate,
            CredentialProcess = CredentialProcess.IsPresent,
        };

        /// <summary>The ssocreds-cli a credential_process line runs: part of this installation, or the build is incomplete.</summary>
        private string ShippedCommandLine()
        {
            string path = NativeLibraryLocation.CommandLinePath;
            if (!System.IO.File.Exists(path))
            {
                ThrowTerminatingError(Errors.Record("NotFound", "-CredentialProcess writes profiles that run ssocreds-cli, which this installation of the " +
                    "module lacks: expected '" + path + "'. In a clone of the repository, ./build.ps1 builds it and copies it there.", path));
            }
            return path;
        }

        /// <summary>The credentials file as the library takes it: -CredentialsFile as a file-system path (TestDrive:,
        /// ~, relative), or null for AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. Resolved per call.</summary>
        private string CredentialsFilePath => CredentialsFile == null ? null
            : SessionState.Path.GetUnresolvedProviderPathFromPSPath(CredentialsFile);

        private List<object> RememberedAccounts(string environment)
        {
            object list = Unwrap(GetGlobal(AccountsVariable(environment)));
            if (list is IEnumerable items && !(list is string) && !(list is IDictionary))
            {
                return items.Cast<object>().Where(o => o != null).ToList();
            }
            return list == null ? new List<object>() : new List<object> { list };
        }

        /// <summary>A discovery setting: passed, else remembered when the remembered list is used.</summary>
        private string[] Filter(string name, bool useRemembered)
        {
            string[] given = MyInvocation.BoundParameters.TryGetValue(name, out object value) ? (string[])value : null;
            object remembered = given == null && useRemembered ? RememberedSetting(EnvironmentName, name) : null;
            return remembered == null ? given : LanguagePrimitives.ConvertTo<string[]>(remembered);
        }

        /// <summary>The token's end is remembered with the report (not for -FromConfig's sessions, nor by -WhatIf).</summary>
        protected override void OnLoggedIn(string environment, DateTime? expiresAt)
        {
        }

        /// <summary>-PassThru's objects and the globals the original kept (warnings came as the run's messages).</summary>
        private void Report(RefreshRequest request, RunEvent finished)
        {
            ProfileReport[] profiles = finished.Report.Profiles ?? new ProfileReport[0];
            foreach (ProfileReport profile in profiles.Where(p => PassThru))
            {
                WriteObject(new ProfileResult
                {
                    Profile = profile.Profile,
                    AccountId = profile.AccountId,
                    RoleName = profile.RoleName,
                    Status = profile.Status == "wouldRefresh" ? "Skipped" : Pascal(profile.Status),
                    Expiration = LocalTime(profile.ExpiresAt),
                    ConfigProfile = profile.ConfigProfile,
                    SsoSession = request.FromConfig ? profile.Environment : null,
                });
            }
            if (!request.FromConfig)
            {
                Remember(request, profiles);
                if (finished.Error == null && LocalTime(finished.Report.TokenExpiresAt) is DateTime expires)
                {
                    SetGlobal(TokenExpireVariable(request.Environment), expires);
                }
            }
        }

        private void Remember(RefreshRequest request, ProfileReport[] profiles)
        {
            SetGlobal(AccountsVariable(request.Environment), profiles.Select(p => (object)new Hashtable
            {
                { "Profile", p.Profile },
                { "AccountId", p.AccountId },
                { "RoleName", p.RoleName },
                { "CredsExpiration", EpochMilliseconds(LocalTime(p.ExpiresAt)) },
            }).ToArray());
            SetGlobal(SettingsVariable(request.Environment), new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                { "StartUrl", request.StartUrl },
                { "Region", request.Region },
                { "DefaultRoleName", request.DefaultRoleName },
                { "NoTokenFile", request.NoTokenFile },
                { "CredentialProcess", request.CredentialProcess },
                { "AllAccounts", request.Discover },
                { "ProfileNameTemplate", request.ProfileNameTemplate },
                { "IncludeAccount", request.IncludeAccount },
                { "ExcludeAccount", request.ExcludeAccount },
                { "IncludeRole", request.IncludeRole },
            });
        }

        /// <summary>Epoch milliseconds (the original's CredsExpiration), 0 when unknown.</summary>
        private static long EpochMilliseconds(DateTime? time) =>
            time is DateTime t ? (long)(t.ToUniversalTime() - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalMilliseconds : 0;
    }
}
