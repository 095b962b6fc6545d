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
        [DataMember(Name = "error")] public RunError Error;
    }

    /// <summary>A failure: a stable code (docs/c-api.md), a message, and in a run what it is about and what to do.</summary>
    [DataContract]
    internal sealed class RunError
    {
        [DataMember(Name = "code")] public string Code;
        [DataMember(Name = "message")] public string Message;
        [DataMember(Name = "target")] public string Target;
        [DataMember(Name = "recommendedAction")] public string RecommendedAction;
    }

    [DataContract]
    internal sealed class EnvironmentRequest
    {
        [DataMember(Name = "environment", Order = 0)] public string Environment;
        [DataMember(Name = "noTokenFile", EmitDefaultValue = false, Order = 1)] public bool NoTokenFile;
    }

    [DataContract]
    internal sealed class AccountRequest
    {
        [DataMember(Name = "profile", EmitDefaultValue = false, Order = 0)] public string Profile;
        [DataMember(Name = "accountId", Order = 1)] public string AccountId;
        [DataMember(Name = "roleName", EmitDefaultValue = false, Order = 2)] public string RoleName;
        [DataMember(Name = "accountName", EmitDefaultValue = false, Order = 3)] public string AccountName;
    }

    /// <summary>The refresh request a run takes (also what discover reads: environment, startUrl, region, filters).</summary>
    [DataContract]
    internal sealed class RefreshRequest
    {
        [DataMember(Name = "environment", EmitDefaultValue = false, Order = 0)] public string Environment;
        [DataMember(Name = "accounts", EmitDefaultValue = false, Order = 1)] public AccountRequest[] Accounts;
        [DataMember(Name = "defaultRoleName", EmitDefaultValue = false, Order = 2)] public string DefaultRoleName;
        [DataMember(Name = "startUrl", EmitDefaultValue = false, Order = 3)] public string StartUrl;
        [DataMember(Name = "region", EmitDefaultValue = false, Order = 4)] public string Region;
        [DataMember(Name = "credentialsFile", EmitDefaultValue = false, Order = 5)] public string CredentialsFile;
        [DataMember(Name = "force", EmitDefaultValue = false, Order = 6)] public bool Force;
        [DataMember(Name = "maxConcurrency", EmitDefaultValue = false, Order = 7)] public int MaxConcurrency;
        [DataMember(Name = "noTokenFile", EmitDefaultValue = false, Order = 8)] public bool NoTokenFile;
        [DataMember(Name = "discover", EmitDefaultValue = false, Order = 9)] public bool Discover;
        [DataMember(Name = "profileNameTemplate", EmitDefaultValue = false, Order = 10)] public string ProfileNameTemplate;
        [DataMember(Name = "includeAccount", EmitDefaultValue = false, Order = 11)] public string[] IncludeAccount;
        [DataMember(Name = "excludeAccount", EmitDefaultValue = false, Order = 12)] public string[] ExcludeAccount;
        [DataMember(Name = "includeRole", EmitDefaultValue = false, Order = 13)] public string[] IncludeRole;
        [DataMember(Name = "fromConfig", EmitDefaultValue = false, Order = 14)] public bool FromConfig;
        [DataMember(Name = "configProfile", EmitDefaultValue = false, Order = 15)] public string[] ConfigProfile;
        [DataMember(Name = "credentialProcess", EmitDefaultValue = false, Order = 16)] public bool CredentialProcess;
        [DataMember(Name = "credentialProcessCommand", EmitDefaultValue = false, Order = 17)] public string CredentialProcessCommand;
    }

    /// <summary>The role of a credentials run: an account and a role of the request's environment, or an SSO profile of ~/.aws/config.</summary>
    [DataContract]
    internal sealed class CredentialsTarget
    {
        [DataMember(Name = "accountId", EmitDefaultValue = false, Order = 0)] public string AccountId;
        [DataMember(Name = "roleName", EmitDefaultValue = false, Order = 1)] public string RoleName;
        [DataMember(Name = "configProfile", EmitDefaultValue = false, Order = 2)] public string ConfigProfile;
    }

    /// <summary>How a run logs in when it must. UseDeviceCode null: the library picks the flow.</summary>
    [DataContract]
    internal sealed class RunLogin
    {
        [DataMember(Name = "noBrowser", EmitDefaultValue = false, Order = 0)] public bool NoBrowser;
        [DataMember(Name = "useDeviceCode", EmitDefaultValue = false, Order = 1)] public bool? UseDeviceCode;
        [DataMember(Name = "redirectPort", EmitDefaultValue = false, Order = 2)] public int? RedirectPort;
        [DataMember(Name = "writeSsoSession", EmitDefaultValue = false, Order = 3)] public bool WriteSsoSession;
    }

    [DataContract]
    internal sealed class RunStartRequest
    {
        /// <summary>refresh, discover or credentials.</summary>
        [DataMember(Name = "operation", Order = 0)] public string Operation;
        [DataMember(Name = "request", Order = 1)] public RefreshRequest Request;
        [DataMember(Name = "login", Order = 2)] public RunLogin Login;
        [DataMember(Name = "interactive", Order = 3)] public bool Interactive;
        [DataMember(Name = "host", EmitDefaultValue = false, Order = 4)] public RunHost Host;
        [DataMember(Name = "confirm", Order = 5)] public bool Confirm;
        [DataMember(Name = "whatIf", Order = 6)] public bool WhatIf;
        [DataMember(Name = "credentials", EmitDefaultValue = false, Order = 7)] public CredentialsTarget Credentials;
    }

    /// <summary>What the library cannot see of the host, to tell whether a person can answer a login.</summary>
    [DataContract]
    internal sealed class RunHost
    {
        [DataMember(Name = "name", Order = 0)] public string Name;
        [DataMember(Name = "userInteractive", Order = 1)] public bool UserInteractive;
    }

    /// <summary>{runId} alone: run_start's answer, and what run_next and run_cancel take (with waitMs, confirmed).</summary>
    [DataContract]
    internal sealed class RunCall
    {
        [DataMember(Name = "runId", Order = 0)] public long RunId;
        [DataMember(Name = "waitMs", EmitDefaultValue = false, Order = 1)] public int WaitMs;
        [DataMember(Name = "confirmed", EmitDefaultValue = false, Order = 2)] public string[] Confirmed;
    }

    /// <summary>One command of a loginNeeded event's browserCommands: what Browser.TryOpen starts.</summary>
    [DataContract]
    internal sealed class BrowserCommand
    {
        [DataMember(Name = "program")] public string Program;
        [DataMember(Name = "arguments")] public string[] Arguments;
    }

    /// <summary>One event of a run (docs/c-api.md, "The run operation"): the fields of every kind, by `event`.</summary>
    [DataContract]
    internal sealed class RunEvent
    {
        [DataMember(Name = "event")] public string Event;
        // loginNeeded, loginWaiting, loggedIn
        [DataMember(Name = "session")] public string Session;
        [DataMember(Name = "url")] public string Url;
        [DataMember(Name = "openBrowser")] public bool OpenBrowser;
        [DataMember(Name = "browserCommands")] public BrowserCommand[] BrowserCommands;
        [DataMember(Name = "ifOpened")] public string[] IfOpened;
        [DataMember(Name = "ifNotOpened")] public string[] IfNotOpened;
        [DataMember(Name = "expiresAt")] public string ExpiresAt;
        [DataMember(Name = "message")] public string Message;
        // confirm
        [DataMember(Name = "profiles")] public ConfirmItem[] Profiles;
        [DataMember(Name = "logins")] public ConfirmItem[] Logins;
        // progress
        [DataMember(Name = "activity")] public string Activity;
        [DataMember(Name = "completed")] public int Completed;
        [DataMember(Name = "total")] public int Total;
        // message
        [DataMember(Name = "level")] public string Level;
        [DataMember(Name = "code")] public string Code;
        [DataMember(Name = "text")] public string Text;
        // finished
        [DataMember(Name = "report")] public RunReport Report;
        [DataMember(Name = "errors")] public RunError[] Errors;
        [DataMember(Name = "error")] public RunError Error;
    }

    /// <summary>A profile (Profile set) or a login (Session set) to confirm: ShouldProcess(Target, Action).</summary>
    [DataContract]
    internal sealed class ConfirmItem
    {
        [DataMember(Name = "profile")] public string Profile;
        [DataMember(Name = "session")] public string Session;
        [DataMember(Name = "target")] public string Target;
        [DataMember(Name = "action")] public string Action;
    }

    /// <summary>A run's report: the refresh report, the discover result (accounts), or one role's keys.</summary>
    [DataContract]
    internal sealed class RunReport
    {
        [DataMember(Name = "accessKeyId")] public string AccessKeyId;
        [DataMember(Name = "secretAccessKey")] public string SecretAccessKey;
        [DataMember(Name = "sessionToken")] public string SessionToken;
        [DataMember(Name = "expiration")] public string Expiration;
        [DataMember(Name = "accountId")] public string AccountId;
        [DataMember(Name = "roleName")] public string RoleName;
        [DataMember(Name = "environment")] public string Environment;
        [DataMember(Name = "configProfile")] public string ConfigProfile;
        [DataMember(Name = "tokenExpiresAt")] public string TokenExpiresAt;
        [DataMember(Name = "credentialsFile")] public string CredentialsFile;
        [DataMember(Name = "profiles")] public ProfileReport[] Profiles;
        [DataMember(Name = "accounts")] public DiscoveredAccount[] Accounts;
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
        /// <summary>With fromConfig: the AWS config profile it was made from, and its session (sso-session or start URL).</summary>
        [DataMember(Name = "configProfile")] public string ConfigProfile;
        [DataMember(Name = "environment")] public string Environment;
    }

    [DataContract]
    internal sealed class DiscoveredAccount
    {
        [DataMember(Name = "accountId")] public string AccountId;
        [DataMember(Name = "accountName")] public string AccountName;
        [DataMember(Name = "emailAddress")] public string EmailAddress;
        [DataMember(Name = "roles")] public string[] Roles;
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
        [DataMember(Name = "loggedOut")] public bool LoggedOut;
    }
}
