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
    public sealed partial class SetAwsCliSsoCredentialsCommand : SsoCredsCmdlet
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
        public SwitchParameter NonInteractive { get; set; }

        [Parameter]
        public SwitchParameter NoBrowser { get; set; }

        [Parameter]
        public SwitchParameter UseDeviceCode { get; set; }

        [Parameter]
        [ValidateRange(1, 65535)]
        public int RedirectPort { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        [Parameter]
        [ValidateRange(1, 256)]
        public int MaxConcurrency { get; set; }

        [Parameter(ParameterSetName = AccountsSet)]
        public SwitchParameter NoTokenFile { get; set; }

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
            if (FromConfig.IsPresent)
            {
                new FromConfigRun(this).Execute();
                return;
            }
            new RefreshRun(this).Execute();
        }

        /// <summary>The credentials file as the library takes it: -CredentialsFile as a file-system path, or null
        /// for AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. Resolved per call, never remembered.</summary>
        private string CredentialsFilePath => CredentialsFile == null ? null
            : SessionState.Path.GetUnresolvedProviderPathFromPSPath(CredentialsFile);

        private static string StatusName(string status)
        {
            switch (status)
            {
                case "refreshed": return "Refreshed";
                case "current": return "Current";
                case "failed": return "Failed";
                case "wouldRefresh": return "Skipped";
                default: return status;
            }
        }

        /// <summary>The original's 'hh:mm:ss left on SSO Token', leading zeros and colons trimmed like it did.</summary>
        private static string TimeLeft(DateTime expiresAt)
        {
            TimeSpan left = expiresAt - DateTime.Now;
            if (left < TimeSpan.Zero)
            {
                left = TimeSpan.Zero;
            }
            string text = string.Format(CultureInfo.InvariantCulture, "{0:D2}:{1:D2}:{2:D2} left on SSO Token",
                (int)Math.Floor(left.TotalHours), left.Minutes, left.Seconds);
            return text.TrimStart('0', ' ', ':');
        }

        private LoginOptions LoginOptions(bool noTokenFile, bool writeSsoSession) =>
            LoginOptionsFrom(NoBrowser, UseDeviceCode, RedirectPort, noTokenFile, writeSsoSession);

        private bool IsBound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

        private bool WhatIfRequested =>
            (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object value) && LanguagePrimitives.IsTrue(value)) ||
            (!IsBound("WhatIf") && LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference")));

        /// <summary>One invocation's work, from the parameters and what the session remembered.</summary>
        private sealed class RefreshRun
        {
            private readonly SetAwsCliSsoCredentialsCommand cmdlet;
            private readonly string environment;
            private readonly string loginAction;
            private RefreshRequest request;
            private List<object> sources;
            private string startUrl;
            private string region;
            private string defaultRoleName;
            private bool noTokenFile;
            private bool allAccounts;
            private DateTime? tokenExpiresAt;
            private bool loggedInNow;
            private readonly HashSet<string> warned = new HashSet<string>(StringComparer.Ordinal);

            public RefreshRun(SetAwsCliSsoCredentialsCommand cmdlet)
            {
                this.cmdlet = cmdlet;
                environment = cmdlet.EnvironmentName;
                loginAction = "Run Set-AwsCliSsoCredentials -EnvironmentName " + environment +
                    " in an interactive PowerShell (without -NonInteractive) to log in.";
            }

            public void Execute()
            {
                ResolveSettings();
                ResolveAccounts();
                request = BuildRequest();

                // 1. What needs fetching: a dry run reads the file only (no network call, nothing written);
                //    with -AllAccounts it also lists the accounts and roles, which needs a login.
                RefreshReport plan = Plan();
                if (plan == null)
                {
                    return;
                }
                ReportDiscovery(plan);

                // 2. Every profile with its final name; -WhatIf / -Confirm decide per profile to fetch.
                var resolved = new List<ProfileReport>();
                var reports = new Dictionary<string, ProfileReport>(StringComparer.Ordinal);
                var selected = new List<AccountRequest>();
                foreach (ProfileReport report in plan.Profiles ?? new ProfileReport[0])
                {
                    resolved.Add(report);
                    if (report.Status == "wouldRefresh")
                    {
                        string target = report.Profile + " (account " + report.AccountId + ", role " + report.RoleName + ")";
                        if (cmdlet.ShouldProcess(target, "Refresh AWS credentials"))
                        {
                            selected.Add(new AccountRequest { Profile = report.Profile, AccountId = report.AccountId, RoleName = report.RoleName });
                        }
                    }
                    else
                    {
                        reports[report.Profile] = report;
                    }
                }
                if (cmdlet.WhatIfRequested)
                {
                    return;
                }

                if (cmdlet.ConfigureSsoSession && !loggedInNow)
                {
                    WriteSsoSessionSection();
                }

                // 3. Fetch and write; log in first when the library says a login is needed.
                var stillNeedLogin = new List<AccountRequest>();
                string loginDetail = null;
                if (selected.Count > 0)
                {
                    Fetch(selected, reports, stillNeedLogin, ref loginDetail);
                }

                // 4. Report per profile, remember the list like the original did.
                Report(resolved, reports, stillNeedLogin);
                if (stillNeedLogin.Count > 0)
                {
                    string message = "The SSO token of environment '" + environment + "' was rejected by the service and could not be renewed; " +
                        "these profiles were not refreshed: " + string.Join(", ", stillNeedLogin.Select(a => a.Profile)) + ".";
                    if (!string.IsNullOrEmpty(loginDetail))
                    {
                        message += " (" + loginDetail + ")";
                    }
                    cmdlet.ThrowTerminating("LoginRequired", message, environment, loginAction);
                }
            }

            /// <summary>What was passed, else what this session remembered for the environment.</summary>
            private void ResolveSettings()
            {
                IDictionary remembered = cmdlet.RememberedSettings(environment);
                startUrl = Pick("StartUrl", cmdlet.StartUrl, remembered);
                region = Pick("Region", cmdlet.Region, remembered);
                defaultRoleName = Pick("DefaultRoleName", cmdlet.DefaultRoleName, remembered);
                noTokenFile = cmdlet.NoTokenFileFor(environment, cmdlet.NoTokenFile);
                allAccounts = cmdlet.AllAccounts.IsPresent;
            }

            private string Pick(string name, string given, IDictionary remembered)
            {
                if (cmdlet.IsBound(name) || remembered == null || !remembered.Contains(name))
                {
                    return given;
                }
                string value = Unwrap(remembered[name]) as string;
                return string.IsNullOrEmpty(value) ? given : value;
            }

            /// <summary>
            /// The accounts passed or piped; else (unless -AllAccounts is given) the list remembered for the
            /// environment, or preset by the user, like the original; it brings the discovery settings of the
            /// run that made it.
            /// </summary>
            private void ResolveAccounts()
            {
                sources = cmdlet.piped;
                if (sources.Count == 0 && !cmdlet.IsBound("AllAccounts"))
                {
                    object rememberedList = Unwrap(cmdlet.GetGlobal(AccountsVariable(environment)));
                    if (rememberedList is IEnumerable list && !(rememberedList is string) && !(rememberedList is IDictionary))
                    {
                        sources = list.Cast<object>().Where(o => o != null).ToList();
                    }
                    else if (rememberedList != null)
                    {
                        sources = new List<object> { rememberedList };
                    }
                    IDictionary settings = cmdlet.RememberedSettings(environment);
                    if (settings != null)
                    {
                        allAccounts = allAccounts || LanguagePrimitives.IsTrue(Unwrap(settings["AllAccounts"]));
                    }
                }
                bool filtered = Filter("IncludeAccount") != null || Filter("ExcludeAccount") != null || Filter("IncludeRole") != null;
                if (!allAccounts && filtered)
                {
                    cmdlet.ThrowTerminating("InvalidInput",
                        "-IncludeAccount, -ExcludeAccount and -IncludeRole filter the accounts that -AllAccounts discovers; add -AllAccounts.",
                        environment);
                }
                if (sources.Count == 0 && !allAccounts)
                {
                    cmdlet.ThrowTerminating("InvalidInput",
                        "No accounts to refresh for environment '" + environment + "': pass -Account " +
                        "(@{ Profile = 'dev'; AccountId = '111111111111'; RoleName = 'ReadOnly' }), pipe them in " +
                        "(Import-Csv, Get-AwsCliSsoAccount), or use -AllAccounts.",
                        environment);
                }
            }

            /// <summary>A discovery setting: passed, else remembered when the remembered list is used.</summary>
            private string[] Filter(string name)
            {
                string[] given = cmdlet.MyInvocation.BoundParameters.TryGetValue(name, out object value) ? (string[])value : null;
                if (given != null || cmdlet.piped.Count > 0 || cmdlet.IsBound("AllAccounts"))
                {
                    return given;
                }
                object remembered = cmdlet.RememberedSetting(environment, name);
                return remembered == null ? null : LanguagePrimitives.ConvertTo<string[]>(remembered);
            }

            private RefreshRequest BuildRequest()
            {
                string template = cmdlet.ProfileNameTemplate;
                if (template == null && cmdlet.piped.Count == 0 && !cmdlet.IsBound("AllAccounts"))
                {
                    template = cmdlet.RememberedSetting(environment, "ProfileNameTemplate") as string;
                }
                AccountRequest[] accounts = sources.Select(AccountInput.ToRequest).ToArray();
                for (int i = 0; i < accounts.Length; i++)
                {
                    // A row without a name is most likely a misspelt column: never invent a profile for it.
                    if (accounts[i].Profile == null && accounts[i].AccountName == null)
                    {
                        cmdlet.ThrowTerminating("InvalidInput",
                            "Account " + (i + 1) + " (AccountId '" + accounts[i].AccountId + "') has no Profile, the name of the " +
                            "profile to write, and no AccountName to make one from with -ProfileNameTemplate.",
                            sources[i]);
                    }
                }
                return new RefreshRequest
                {
                    Environment = environment,
                    Accounts = accounts,
                    DefaultRoleName = NullIfEmpty(defaultRoleName),
                    StartUrl = NullIfEmpty(startUrl),
                    // A provider path (TestDrive:, ~, relative) becomes a file-system path.
                    CredentialsFile = cmdlet.CredentialsFilePath,
                    Force = cmdlet.Force.IsPresent,
                    MaxConcurrency = cmdlet.MaxConcurrency,
                    NoTokenFile = noTokenFile,
                    ProfileNameTemplate = template,
                    IncludeAccount = Filter("IncludeAccount"),
                    ExcludeAccount = Filter("ExcludeAccount"),
                    IncludeRole = Filter("IncludeRole"),
                };
            }

            private RefreshReport Plan()
            {
                RefreshRequest dryRun = request.With(request.Accounts, dryRun: true, discover: allAccounts);
                try
                {
                    return NativeEngine.Refresh(dryRun);
                }
                catch (NativeCallException e) when (allAccounts && e.IsLoginNeeded)
                {
                    if (cmdlet.WhatIfRequested)
                    {
                        cmdlet.ShouldProcess(environment, "Log in to IAM Identity Center, list every account and role, and refresh their credentials");
                        return null;
                    }
                    ThrowIfNonInteractive(e.Message);
                    tokenExpiresAt = LogIn();
                    return cmdlet.CallOrThrow(() => NativeEngine.Refresh(dryRun), environment);
                }
                catch (NativeCallException e)
                {
                    cmdlet.ThrowTerminatingError(Errors.Record(e, environment));
                    throw;
                }
            }

            private void ReportDiscovery(RefreshReport plan)
            {
                // Derived names that collided got '-<AccountId>' appended: say so, nothing is overwritten silently.
                foreach (RenamedProfile rename in plan.Renamed ?? new RenamedProfile[0])
                {
                    cmdlet.WriteWarning(string.Format(CultureInfo.InvariantCulture,
                        "The profile name '{0}' (account {1}, role {2}) collides with another profile; it is named '{3}' instead.",
                        rename.Wanted, rename.AccountId, rename.RoleName, rename.Profile));
                }
                // Accounts whose roles could not be listed: the others go on.
                foreach (NativeError failure in plan.DiscoveryErrors ?? new NativeError[0])
                {
                    cmdlet.WriteError(Errors.Record(failure, environment));
                }
            }

            /// <summary>-ConfigureSsoSession: [sso-session &lt;Env&gt;] for aws CLI v2, written by login_start.</summary>
            private void WriteSsoSessionSection()
            {
                if (cmdlet.NonInteractiveReason(cmdlet.NonInteractive) != null)
                {
                    SessionInfo status = cmdlet.CallOrThrow(() => NativeEngine.SessionStatus(environment, noTokenFile), environment);
                    if (status.Status != "loggedIn" && !status.Refreshable)
                    {
                        cmdlet.WriteWarning("The [sso-session " + environment + "] section was not written: it needs a login, which a non-interactive run does not start.");
                        return;
                    }
                }
                tokenExpiresAt = LogIn();
            }

            private void Fetch(List<AccountRequest> selected, Dictionary<string, ProfileReport> reports, List<AccountRequest> stillNeedLogin, ref string loginDetail)
            {
                RefreshReport outcome = RefreshOrLogIn(selected.ToArray());
                Merge(outcome, reports);

                // The service rejected the token part-way: retry those profiles once. The library renews a
                // rejected token with its refresh token when it can; otherwise an interactive run logs in again.
                List<AccountRequest> rejected = selected.Where(a => NeedsLogin(reports, a.Profile)).ToList();
                if (rejected.Count == 0)
                {
                    return;
                }
                if (loggedInNow)
                {
                    stillNeedLogin.AddRange(rejected);
                    return;
                }
                bool interactive = cmdlet.NonInteractiveReason(cmdlet.NonInteractive) == null;
                if (interactive)
                {
                    tokenExpiresAt = LogIn();
                }
                try
                {
                    Merge(cmdlet.RunRefresh(request.With(rejected.ToArray(), dryRun: false, discover: false)), reports);
                }
                catch (NativeCallException e) when (!interactive && e.IsLoginNeeded)
                {
                    stillNeedLogin.AddRange(rejected);
                    loginDetail = e.Message;
                    return;
                }
                catch (NativeCallException e)
                {
                    cmdlet.ThrowTerminatingError(Errors.Record(e, environment));
                }
                stillNeedLogin.AddRange(rejected.Where(a => NeedsLogin(reports, a.Profile)));
                if (stillNeedLogin.Count > 0)
                {
                    loginDetail = reports[stillNeedLogin[0].Profile].Error?.Message;
                }
            }

            private RefreshReport RefreshOrLogIn(AccountRequest[] selected)
            {
                RefreshRequest fetch = request.With(selected, dryRun: false, discover: false);
                try
                {
                    return cmdlet.RunRefresh(fetch);
                }
                catch (NativeCallException e) when (e.IsLoginNeeded)
                {
                    ThrowIfNonInteractive(e.Message);
                    tokenExpiresAt = LogIn();
                    try
                    {
                        return cmdlet.RunRefresh(fetch);
                    }
                    catch (NativeCallException again)
                    {
                        cmdlet.ThrowTerminatingError(Errors.Record(again, environment));
                        throw;
                    }
                }
                catch (NativeCallException e)
                {
                    cmdlet.ThrowTerminatingError(Errors.Record(e, environment));
                    throw;
                }
            }

            private void Merge(RefreshReport outcome, Dictionary<string, ProfileReport> reports)
            {
                if (LocalTime(outcome.TokenExpiresAt) is DateTime expires)
                {
                    tokenExpiresAt = expires;
                }
                foreach (ProfileReport report in outcome.Profiles ?? new ProfileReport[0])
                {
                    reports[report.Profile] = report;
                }
                // Once per run, as ssh warns: a retried refresh writes to the same file again.
                foreach (EngineWarning warning in (outcome.Warnings ?? new EngineWarning[0]).Where(w => warned.Add(w.Message)))
                {
                    cmdlet.WriteWarning(warning.Message);
                }
            }

            private static bool NeedsLogin(Dictionary<string, ProfileReport> reports, string profile) =>
                reports.TryGetValue(profile, out ProfileReport report) && report.Status == "failed" && report.Error?.Code == "LoginRequired";

            private DateTime? LogIn()
            {
                loggedInNow = true;
                return cmdlet.LogIn(environment, startUrl, region, cmdlet.LoginOptions(noTokenFile, cmdlet.ConfigureSsoSession.IsPresent));
            }

            /// <summary>A login is needed: fail at once with LoginRequired when no person can answer it.</summary>
            private void ThrowIfNonInteractive(string detail)
            {
                string reason = cmdlet.NonInteractiveReason(cmdlet.NonInteractive);
                if (reason == null)
                {
                    return;
                }
                string message = "Environment '" + environment + "' needs a login to IAM Identity Center, and " + reason +
                    ", so none was started. Log in once from an interactive PowerShell with Set-AwsCliSsoCredentials -EnvironmentName " +
                    environment + " (with -StartUrl and -Region the first time); later runs reuse that login.";
                if (!string.IsNullOrEmpty(detail))
                {
                    message += " (" + detail + ")";
                }
                cmdlet.ThrowTerminating("LoginRequired", message, environment, loginAction);
            }

            private void Report(List<ProfileReport> resolved, Dictionary<string, ProfileReport> reports, List<AccountRequest> stillNeedLogin)
            {
                var pendingLogin = new HashSet<string>(stillNeedLogin.Select(a => a.Profile), StringComparer.Ordinal);
                var rememberedList = new List<object>(resolved.Count);
                var registered = new List<string>();
                foreach (ProfileReport entry in resolved)
                {
                    string status = "Skipped";
                    DateTime? expiration = null;
                    if (reports.TryGetValue(entry.Profile, out ProfileReport report))
                    {
                        status = StatusName(report.Status);
                        expiration = LocalTime(report.ExpiresAt);
                        if (status == "Failed" && !pendingLogin.Contains(entry.Profile))
                        {
                            cmdlet.WriteError(Errors.Record(report.Error, entry.Profile));
                        }
                    }
                    if (status == "Refreshed")
                    {
                        // The original's line for each profile it fetched.
                        cmdlet.WriteHostLine("Registering Profile " + entry.Profile);
                    }
                    if (status == "Refreshed" || status == "Current")
                    {
                        registered.Add(entry.Profile);
                    }
                    rememberedList.Add(new Hashtable
                    {
                        { "Profile", entry.Profile },
                        { "AccountId", entry.AccountId },
                        { "RoleName", entry.RoleName },
                        { "CredsExpiration", EpochMilliseconds(expiration) },
                    });
                    if (cmdlet.PassThru)
                    {
                        cmdlet.WriteObject(new ProfileResult
                        {
                            Profile = entry.Profile,
                            AccountId = entry.AccountId,
                            RoleName = entry.RoleName,
                            Status = status,
                            Expiration = expiration,
                        });
                    }
                }
                Remember(rememberedList);
                if (stillNeedLogin.Count == 0)
                {
                    // Otherwise the LoginRequired error that follows is the summary: the token was rejected.
                    WriteSummary(registered);
                }
            }

            private void Remember(List<object> rememberedList)
            {
                cmdlet.SetGlobal(AccountsVariable(environment), rememberedList.ToArray());
                cmdlet.SetGlobal(SettingsVariable(environment), new Hashtable(StringComparer.OrdinalIgnoreCase)
                {
                    { "StartUrl", startUrl },
                    { "Region", region },
                    { "DefaultRoleName", defaultRoleName },
                    { "NoTokenFile", noTokenFile },
                    { "AllAccounts", allAccounts },
                    { "ProfileNameTemplate", request.ProfileNameTemplate },
                    { "IncludeAccount", request.IncludeAccount },
                    { "ExcludeAccount", request.ExcludeAccount },
                    { "IncludeRole", request.IncludeRole },
                });
            }

            private void WriteSummary(List<string> registered)
            {
                // The token's end, for users whose prompts read <EnvironmentName>SSOTokenExpire.
                if (tokenExpiresAt == null)
                {
                    try
                    {
                        SessionInfo session = NativeEngine.SessionStatus(environment, noTokenFile);
                        if (session.Status == "loggedIn")
                        {
                            tokenExpiresAt = LocalTime(session.ExpiresAt);
                        }
                    }
                    catch (NativeCallException e)
                    {
                        cmdlet.WriteVerbose("The SSO token's state could not be read: " + e.Message);
                    }
                }
                string profiles = string.Join(" ", registered);
                if (tokenExpiresAt is DateTime expires)
                {
                    cmdlet.SetGlobal(TokenExpireVariable(environment), expires);
                    cmdlet.WriteHostLine(profiles + " Profiles registered, " + TimeLeft(expires));
                }
                else
                {
                    cmdlet.WriteHostLine(profiles + " Profiles registered, credentials still valid (no SSO token in this session)");
                }
            }

            /// <summary>Epoch milliseconds (the original's CredsExpiration), 0 when unknown.</summary>
            private static long EpochMilliseconds(DateTime? time) =>
                time is DateTime t ? (long)(t.ToUniversalTime() - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalMilliseconds : 0;

            private static string NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
        }
    }
}
