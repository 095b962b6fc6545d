using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using SetAwsCliSsoCredentials.Engine;

namespace SetAwsCliSsoCredentials.Commands
{
    public sealed partial class SetAwsCliSsoCredentialsCommand
    {
        /// <summary>
        /// -FromConfig: the SSO profiles of the AWS config file (aws configure sso), each sso-session (or
        /// legacy start URL) with its own token, written to the credentials file under the profiles' names.
        /// The library reads the config file, decides what is current and fetches; this class logs in to
        /// the sessions that need it (when a person can answer), asks -WhatIf/-Confirm, and reports.
        /// </summary>
        private sealed class FromConfigRun
        {
            private readonly SetAwsCliSsoCredentialsCommand cmdlet;
            private readonly RefreshRequest request;
            // Config profile name -> its session, and session key -> session, from config_sessions.
            private readonly Dictionary<string, ConfigSession> sessionOf = new Dictionary<string, ConfigSession>(StringComparer.Ordinal);
            private readonly Dictionary<string, ConfigSession> sessions = new Dictionary<string, ConfigSession>(StringComparer.Ordinal);
            // Sessions whose login was not made here (non-interactive) or failed: one error each, not one per profile.
            private readonly Dictionary<string, string> loginProblems = new Dictionary<string, string>(StringComparer.Ordinal);
            private DateTime? tokenExpiresAt;

            public FromConfigRun(SetAwsCliSsoCredentialsCommand cmdlet)
            {
                this.cmdlet = cmdlet;
                request = new RefreshRequest
                {
                    FromConfig = true,
                    ConfigProfile = cmdlet.ConfigProfile,
                    CredentialsFile = cmdlet.CredentialsFilePath,
                    Force = cmdlet.Force.IsPresent,
                    MaxConcurrency = cmdlet.MaxConcurrency,
                    ProfileNameTemplate = cmdlet.ProfileNameTemplate,
                };
            }

            public void Execute()
            {
                ConfigSessions config = cmdlet.CallOrThrow(() => NativeEngine.ConfigSessions(request), "FromConfig");
                NoteSkipped(config);
                foreach (ConfigSession session in config.Sessions ?? new ConfigSession[0])
                {
                    sessions[session.Environment] = session;
                    foreach (string profile in session.Profiles ?? new string[0])
                    {
                        sessionOf[profile] = session;
                    }
                }

                // 1. What needs fetching (no network call); -WhatIf / -Confirm decide per profile.
                RefreshReport plan = cmdlet.CallOrThrow(() => NativeEngine.Refresh(request.With(null, dryRun: true, discover: false)), "FromConfig");
                List<ProfileReport> toFetch = (plan.Profiles ?? new ProfileReport[0]).Where(p => p.Status == "wouldRefresh").ToList();
                var approved = new HashSet<string>(StringComparer.Ordinal);
                foreach (ProfileReport report in toFetch)
                {
                    string target = report.Profile + " (account " + report.AccountId + ", role " + report.RoleName + ")";
                    if (cmdlet.ShouldProcess(target, "Refresh AWS credentials"))
                    {
                        approved.Add(report.Profile);
                    }
                }
                List<ConfigSession> needLogin = SessionsNeedingLogin(config, toFetch.Where(p => approved.Contains(p.Profile)));
                if (cmdlet.WhatIfRequested)
                {
                    foreach (ConfigSession session in SessionsNeedingLogin(config, toFetch))
                    {
                        cmdlet.ShouldProcess(Describe(session), "Log in to IAM Identity Center");
                    }
                    return;
                }

                // 2. One login per session that has no usable token, when a person can answer it.
                LogIn(needLogin);

                // 3. Fetch and write, every session at once; then report per profile.
                RefreshReport outcome = plan;
                if (approved.Count > 0)
                {
                    RefreshRequest fetch = request.With(null, dryRun: false, discover: false);
                    if (approved.Count < toFetch.Count)
                    {
                        // -Confirm declined some: refresh only the approved ones (current profiles make no call anyway).
                        fetch.ConfigProfile = approved.Select(p => ConfigProfileOf(toFetch, p)).ToArray();
                    }
                    outcome = cmdlet.CallOrThrow(() => cmdlet.RunRefresh(fetch), "FromConfig");
                    foreach (EngineWarning warning in outcome.Warnings ?? new EngineWarning[0])
                    {
                        cmdlet.WriteWarning(warning.Message);
                    }
                    if (LocalTime(outcome.TokenExpiresAt) is DateTime expires)
                    {
                        tokenExpiresAt = expires;
                    }
                }
                Report(plan, outcome);
            }

            /// <summary>Profiles left alone because they are not SSO profiles: named in one note.</summary>
            private void NoteSkipped(ConfigSessions config)
            {
                SkippedProfile[] skipped = config.Skipped ?? new SkippedProfile[0];
                foreach (SkippedProfile profile in skipped)
                {
                    cmdlet.WriteVerbose("Config profile '" + profile.Profile + "' left alone: " + profile.Reason);
                }
                if (skipped.Length > 0)
                {
                    cmdlet.WriteHostLine("Left alone, not SSO profiles: " + string.Join(", ", skipped.Select(p => p.Profile)) + ".");
                }
            }

            private List<ConfigSession> SessionsNeedingLogin(ConfigSessions config, IEnumerable<ProfileReport> profiles)
            {
                var wanted = new HashSet<string>(profiles.Select(p => p.ConfigProfile ?? p.Profile), StringComparer.Ordinal);
                return (config.Sessions ?? new ConfigSession[0])
                    .Where(s => s.LoginRequired && (s.Profiles ?? new string[0]).Any(wanted.Contains))
                    .ToList();
            }

            private void LogIn(List<ConfigSession> sessions)
            {
                string reason = cmdlet.NonInteractiveReason(cmdlet.NonInteractive);
                LoginOptions options = cmdlet.LoginOptions(noTokenFile: false, writeSsoSession: false);
                foreach (ConfigSession session in sessions)
                {
                    if (reason != null)
                    {
                        loginProblems[session.Environment] = "needs a login to IAM Identity Center, and " + reason + ", so none was started";
                        continue;
                    }
                    cmdlet.WriteHostLine("Logging in to " + Describe(session) + " for " + string.Join(", ", session.Profiles) + ".");
                    try
                    {
                        tokenExpiresAt = Earliest(tokenExpiresAt, cmdlet.LogInOrFail(session.Environment, session.StartUrl, session.Region, options));
                    }
                    catch (NativeCallException e)
                    {
                        // One session's failed login never stops the others.
                        loginProblems[session.Environment] = "could not log in: " + e.Message;
                    }
                }
            }

            private void Report(RefreshReport plan, RefreshReport outcome)
            {
                var final = new Dictionary<string, ProfileReport>(StringComparer.Ordinal);
                foreach (ProfileReport report in outcome.Profiles ?? new ProfileReport[0])
                {
                    final[report.Profile] = report;
                }
                var registered = new List<string>();
                var notLoggedIn = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                foreach (ProfileReport planned in plan.Profiles ?? new ProfileReport[0])
                {
                    ProfileReport report = final.TryGetValue(planned.Profile, out ProfileReport done) ? done : planned;
                    string status = StatusName(report.Status);
                    ConfigSession session = SessionOf(report);
                    if (status == "Refreshed")
                    {
                        cmdlet.WriteHostLine("Registering Profile " + report.Profile);
                    }
                    if (status == "Refreshed" || status == "Current")
                    {
                        registered.Add(report.Profile);
                    }
                    if (status == "Failed")
                    {
                        if (report.Error?.Code == "LoginRequired" && session != null)
                        {
                            if (!notLoggedIn.TryGetValue(session.Environment, out List<string> profiles))
                            {
                                notLoggedIn[session.Environment] = profiles = new List<string>();
                            }
                            profiles.Add(report.Profile);
                        }
                        else
                        {
                            cmdlet.WriteError(Errors.Record(report.Error, report.Profile));
                        }
                    }
                    if (cmdlet.PassThru)
                    {
                        cmdlet.WriteObject(new ProfileResult
                        {
                            Profile = report.Profile,
                            AccountId = report.AccountId,
                            RoleName = report.RoleName,
                            Status = status,
                            Expiration = LocalTime(report.ExpiresAt),
                            ConfigProfile = report.ConfigProfile ?? planned.ConfigProfile,
                            SsoSession = session?.SsoSession ?? session?.StartUrl,
                        });
                    }
                }
                foreach (KeyValuePair<string, List<string>> entry in notLoggedIn)
                {
                    WriteLoginError(sessions[entry.Key], entry.Value);
                }
                if (registered.Count > 0)
                {
                    string profiles = string.Join(" ", registered);
                    cmdlet.WriteHostLine(tokenExpiresAt is DateTime expires
                        ? profiles + " Profiles registered, " + TimeLeft(expires)
                        : profiles + " Profiles registered");
                }
            }

            /// <summary>One error per session whose profiles could not be refreshed for want of a login.</summary>
            private void WriteLoginError(ConfigSession session, List<string> profiles)
            {
                string problem = loginProblems.TryGetValue(session.Environment, out string known) ? known : "needs a login to IAM Identity Center";
                string cli = session.SsoSession != null
                    ? "aws sso login --sso-session " + session.SsoSession
                    : "aws sso login --profile " + profiles[0];
                string message = Describe(session) + " " + problem + "; not refreshed: " + string.Join(", ", profiles) + ".";
                cmdlet.WriteError(Errors.Record("LoginRequired", message, session.SsoSession ?? session.StartUrl,
                    "Run Set-AwsCliSsoCredentials -FromConfig in an interactive PowerShell (without -NonInteractive), or " + cli + "."));
            }

            private ConfigSession SessionOf(ProfileReport report)
            {
                if (report.Environment != null && sessions.TryGetValue(report.Environment, out ConfigSession byKey))
                {
                    return byKey;
                }
                return sessionOf.TryGetValue(report.ConfigProfile ?? report.Profile, out ConfigSession session) ? session : null;
            }

            private static string ConfigProfileOf(List<ProfileReport> reports, string profile) =>
                reports.First(r => r.Profile == profile).ConfigProfile ?? profile;

            private static string Describe(ConfigSession session) =>
                session.SsoSession != null ? "sso-session '" + session.SsoSession + "'" : "start URL " + session.StartUrl;

            private static DateTime? Earliest(DateTime? a, DateTime? b) =>
                a == null ? b : b == null ? a : (a < b ? a : b);
        }
    }
}
