// The JSON requests and answers of the C ABI (docs/c-api.md), as data contracts for
// DataContractJsonSerializer: part of .NET Framework and .NET alike, so the module ships no JSON
// library that could clash with the one PowerShell 7 has already loaded. Optional request fields are
// left out when unset (EmitDefaultValue = false); unknown answer fields are ignored, so a newer
// library's extra fields don't break an older DLL.

using System.Runtime.Serialization;

// Answer fields are set by the serializer, never by code.
#pragma warning disable CS0649

namespace SetAwsCliSsoCredentials.Engine
{
    /// <summary>{ok, result | error}: what every function of the library answers.</summary>
    [DataContract]
    internal sealed class Envelope<T>
    {
        [DataMember(Name = "ok")] public bool Ok;
        [DataMember(Name = "result")] public T Result;
        [DataMember(Name = "error")] public NativeError Error;
    }

    /// <summary>A failure of the library: a stable code (docs/c-api.md) and a message for people.</summary>
    [DataContract]
    internal sealed class NativeError
    {
        [DataMember(Name = "code")] public string Code;
        [DataMember(Name = "message")] public string Message;
    }

    [DataContract]
    internal sealed class EnvironmentRequest
    {
        [DataMember(Name = "environment", Order = 0)] public string Environment;
        [DataMember(Name = "noTokenFile", EmitDefaultValue = false, Order = 1)] public bool NoTokenFile;
    }

    [DataContract]
    internal sealed class LoginStartRequest
    {
        [DataMember(Name = "environment", Order = 0)] public string Environment;
        [DataMember(Name = "startUrl", Order = 1)] public string StartUrl;
        [DataMember(Name = "region", Order = 2)] public string Region;
        [DataMember(Name = "forceLogin", EmitDefaultValue = false, Order = 3)] public bool ForceLogin;
        [DataMember(Name = "noTokenFile", EmitDefaultValue = false, Order = 4)] public bool NoTokenFile;
        [DataMember(Name = "writeSsoSession", EmitDefaultValue = false, Order = 5)] public bool WriteSsoSession;
        /// <summary>Null: the library picks the flow; true: device code; false: authorization code (PKCE).</summary>
        [DataMember(Name = "useDeviceCode", EmitDefaultValue = false, Order = 6)] public bool? UseDeviceCode;
        [DataMember(Name = "noBrowser", EmitDefaultValue = false, Order = 7)] public bool NoBrowser;
        [DataMember(Name = "redirectPort", EmitDefaultValue = false, Order = 8)] public int? RedirectPort;
    }

    /// <summary>
    /// loggedIn {expiresAt}; pending {flow, ...}: for deviceCode {userCode, verificationUri,
    /// verificationUriComplete}, for authorizationCode {authorizationUrl, redirectUri}; or waiting {message}.
    /// </summary>
    [DataContract]
    internal sealed class LoginState
    {
        [DataMember(Name = "status")] public string Status;
        [DataMember(Name = "expiresAt")] public string ExpiresAt;
        /// <summary>authorizationCode or deviceCode.</summary>
        [DataMember(Name = "flow")] public string Flow;
        /// <summary>Why the device code was chosen by itself (no display, SSH, a container, -NoBrowser).</summary>
        [DataMember(Name = "flowReason")] public string FlowReason;
        [DataMember(Name = "userCode")] public string UserCode;
        [DataMember(Name = "verificationUri")] public string VerificationUri;
        [DataMember(Name = "verificationUriComplete")] public string VerificationUriComplete;
        [DataMember(Name = "authorizationUrl")] public string AuthorizationUrl;
        [DataMember(Name = "redirectUri")] public string RedirectUri;
        [DataMember(Name = "message")] public string Message;
    }

    [DataContract]
    internal sealed class LoginPollRequest
    {
        [DataMember(Name = "environment", Order = 0)] public string Environment;
        [DataMember(Name = "waitMs", Order = 1)] public int WaitMs;
    }

    [DataContract]
    internal sealed class AccountRequest
    {
        [DataMember(Name = "profile", EmitDefaultValue = false, Order = 0)] public string Profile;
        [DataMember(Name = "accountId", Order = 1)] public string AccountId;
        [DataMember(Name = "roleName", EmitDefaultValue = false, Order = 2)] public string RoleName;
        [DataMember(Name = "accountName", EmitDefaultValue = false, Order = 3)] public string AccountName;
    }

    [DataContract]
    internal sealed class RefreshRequest
    {
        [DataMember(Name = "environment", EmitDefaultValue = false, Order = 0)] public string Environment;
        [DataMember(Name = "accounts", EmitDefaultValue = false, Order = 1)] public AccountRequest[] Accounts;
        [DataMember(Name = "defaultRoleName", EmitDefaultValue = false, Order = 2)] public string DefaultRoleName;
        [DataMember(Name = "startUrl", EmitDefaultValue = false, Order = 3)] public string StartUrl;
        [DataMember(Name = "credentialsFile", EmitDefaultValue = false, Order = 4)] public string CredentialsFile;
        [DataMember(Name = "force", EmitDefaultValue = false, Order = 5)] public bool Force;
        [DataMember(Name = "maxConcurrency", EmitDefaultValue = false, Order = 6)] public int MaxConcurrency;
        [DataMember(Name = "dryRun", EmitDefaultValue = false, Order = 7)] public bool DryRun;
        [DataMember(Name = "noTokenFile", EmitDefaultValue = false, Order = 8)] public bool NoTokenFile;
        [DataMember(Name = "discover", EmitDefaultValue = false, Order = 9)] public bool Discover;
        [DataMember(Name = "profileNameTemplate", EmitDefaultValue = false, Order = 10)] public string ProfileNameTemplate;
        [DataMember(Name = "includeAccount", EmitDefaultValue = false, Order = 11)] public string[] IncludeAccount;
        [DataMember(Name = "excludeAccount", EmitDefaultValue = false, Order = 12)] public string[] ExcludeAccount;
        [DataMember(Name = "includeRole", EmitDefaultValue = false, Order = 13)] public string[] IncludeRole;
        /// <summary>The profiles come from the AWS config file's SSO profiles, not from accounts.</summary>
        [DataMember(Name = "fromConfig", EmitDefaultValue = false, Order = 14)] public bool FromConfig;
        [DataMember(Name = "configProfile", EmitDefaultValue = false, Order = 15)] public string[] ConfigProfile;

        /// <summary>The same request for other accounts, as a dry run or not, with or without discovery.</summary>
        public RefreshRequest With(AccountRequest[] accounts, bool dryRun, bool discover)
        {
            var copy = (RefreshRequest)MemberwiseClone();
            copy.Accounts = accounts;
            copy.DryRun = dryRun;
            copy.Discover = discover;
            if (!discover)
            {
                copy.IncludeAccount = null;
                copy.ExcludeAccount = null;
                copy.IncludeRole = null;
            }
            return copy;
        }
    }

    [DataContract]
    internal sealed class ProfileReport
    {
        [DataMember(Name = "profile")] public string Profile;
        [DataMember(Name = "accountId")] public string AccountId;
        [DataMember(Name = "roleName")] public string RoleName;
        /// <summary>refreshed, current, failed or wouldRefresh.</summary>
        [DataMember(Name = "status")] public string Status;
        [DataMember(Name = "expiresAt")] public string ExpiresAt;
        [DataMember(Name = "error")] public NativeError Error;
        /// <summary>With fromConfig: the AWS config profile it was made from, and its session's key
        /// (ConfigSession.Environment: the sso-session name, or a legacy profile's start URL).</summary>
        [DataMember(Name = "configProfile")] public string ConfigProfile;
        [DataMember(Name = "environment")] public string Environment;
    }

    /// <summary>A profile of the AWS config file that fromConfig left alone, and why.</summary>
    [DataContract]
    internal sealed class SkippedProfile
    {
        [DataMember(Name = "profile")] public string Profile;
        [DataMember(Name = "reason")] public string Reason;
    }

    /// <summary>An IAM Identity Center session the AWS config file's SSO profiles use.</summary>
    [DataContract]
    internal sealed class ConfigSession
    {
        /// <summary>What login_start and session_status take: the sso-session name, or a legacy profile's start URL.</summary>
        [DataMember(Name = "environment")] public string Environment;
        /// <summary>Null for legacy profiles (sso_start_url without sso_session).</summary>
        [DataMember(Name = "ssoSession")] public string SsoSession;
        [DataMember(Name = "startUrl")] public string StartUrl;
        [DataMember(Name = "region")] public string Region;
        [DataMember(Name = "profiles")] public string[] Profiles;
        [DataMember(Name = "loginRequired")] public bool LoginRequired;
        [DataMember(Name = "expiresAt")] public string ExpiresAt;
    }

    [DataContract]
    internal sealed class ConfigSessions
    {
        [DataMember(Name = "configFile")] public string ConfigFile;
        [DataMember(Name = "sessions")] public ConfigSession[] Sessions;
        [DataMember(Name = "skipped")] public SkippedProfile[] Skipped;
    }

    [DataContract]
    internal sealed class RenamedProfile
    {
        [DataMember(Name = "wanted")] public string Wanted;
        [DataMember(Name = "profile")] public string Profile;
        [DataMember(Name = "accountId")] public string AccountId;
        [DataMember(Name = "roleName")] public string RoleName;
    }

    [DataContract]
    internal sealed class RefreshReport
    {
        [DataMember(Name = "tokenExpiresAt")] public string TokenExpiresAt;
        [DataMember(Name = "credentialsFile")] public string CredentialsFile;
        [DataMember(Name = "profiles")] public ProfileReport[] Profiles;
        [DataMember(Name = "renamed")] public RenamedProfile[] Renamed;
        [DataMember(Name = "discoveryErrors")] public NativeError[] DiscoveryErrors;
        [DataMember(Name = "skipped")] public SkippedProfile[] Skipped;
        [DataMember(Name = "warnings")] public EngineWarning[] Warnings;
    }

    /// <summary>What a run did that the user should know of (secrets in a file others can read); Code is stable.</summary>
    [DataContract]
    internal sealed class EngineWarning
    {
        [DataMember(Name = "code")] public string Code;
        [DataMember(Name = "message")] public string Message;
    }

    [DataContract]
    internal sealed class RefreshStarted
    {
        [DataMember(Name = "operationId")] public long OperationId;
        [DataMember(Name = "total")] public int Total;
    }

    [DataContract]
    internal sealed class OperationRequest
    {
        [DataMember(Name = "operationId", Order = 0)] public long OperationId;
        [DataMember(Name = "waitMs", EmitDefaultValue = false, Order = 1)] public int WaitMs;
    }

    /// <summary>running {completed, total} or done {completed, total, result}.</summary>
    [DataContract]
    internal sealed class RefreshProgress
    {
        [DataMember(Name = "status")] public string Status;
        [DataMember(Name = "completed")] public int Completed;
        [DataMember(Name = "total")] public int Total;
        [DataMember(Name = "result")] public RefreshReport Result;
    }

    [DataContract]
    internal sealed class DiscoverRequest
    {
        [DataMember(Name = "environment", Order = 0)] public string Environment;
        [DataMember(Name = "startUrl", EmitDefaultValue = false, Order = 1)] public string StartUrl;
        [DataMember(Name = "noTokenFile", EmitDefaultValue = false, Order = 2)] public bool NoTokenFile;
        [DataMember(Name = "maxConcurrency", EmitDefaultValue = false, Order = 3)] public int MaxConcurrency;
        [DataMember(Name = "includeAccount", EmitDefaultValue = false, Order = 4)] public string[] IncludeAccount;
        [DataMember(Name = "excludeAccount", EmitDefaultValue = false, Order = 5)] public string[] ExcludeAccount;
        [DataMember(Name = "includeRole", EmitDefaultValue = false, Order = 6)] public string[] IncludeRole;
    }

    [DataContract]
    internal sealed class DiscoveredAccount
    {
        [DataMember(Name = "accountId")] public string AccountId;
        [DataMember(Name = "accountName")] public string AccountName;
        [DataMember(Name = "emailAddress")] public string EmailAddress;
        [DataMember(Name = "roles")] public string[] Roles;
        [DataMember(Name = "error")] public NativeError Error;
    }

    [DataContract]
    internal sealed class DiscoverResult
    {
        [DataMember(Name = "accounts")] public DiscoveredAccount[] Accounts;
    }

    [DataContract]
    internal sealed class SessionInfo
    {
        [DataMember(Name = "environment")] public string Environment;
        /// <summary>loggedIn, expired, pending or none.</summary>
        [DataMember(Name = "status")] public string Status;
        [DataMember(Name = "startUrl")] public string StartUrl;
        [DataMember(Name = "region")] public string Region;
        [DataMember(Name = "expiresAt")] public string ExpiresAt;
        [DataMember(Name = "secondsLeft")] public long? SecondsLeft;
        [DataMember(Name = "refreshable")] public bool Refreshable;
    }

    [DataContract]
    internal sealed class LogoutAnswer
    {
        [DataMember(Name = "environment")] public string Environment;
        [DataMember(Name = "loggedOut")] public bool LoggedOut;
    }

    [DataContract]
    internal sealed class LoginCancelAnswer
    {
        [DataMember(Name = "environment")] public string Environment;
        [DataMember(Name = "cancelled")] public bool Cancelled;
    }
}
