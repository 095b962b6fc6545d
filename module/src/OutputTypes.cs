// The objects the cmdlets write; SetAwsCliSsoCredentials.format.ps1xml shows them as tables.

using System;

namespace SetAwsCliSsoCredentials
{
    /// <summary>One profile of a Set-AwsCliSsoCredentials run (-PassThru).</summary>
    public sealed class ProfileResult
    {
        public string Profile { get; set; }
        public string AccountId { get; set; }
        public string RoleName { get; set; }
        /// <summary>Refreshed, Current (still valid, not fetched), Failed, or Skipped (-Confirm said no).</summary>
        public string Status { get; set; }
        /// <summary>When the profile's credentials end, local time; null when unknown.</summary>
        public DateTime? Expiration { get; set; }
        /// <summary>With -FromConfig: the AWS config profile it was made from.</summary>
        public string ConfigProfile { get; set; }
        /// <summary>With -FromConfig: the sso-session of that profile, or its start URL for a legacy profile.</summary>
        public string SsoSession { get; set; }
    }

    /// <summary>The SSO token state of one environment (Get-AwsCliSsoSession).</summary>
    public sealed class Session
    {
        public string Environment { get; set; }
        /// <summary>LoggedIn, Expired, Pending or None.</summary>
        public string Status { get; set; }
        public string StartUrl { get; set; }
        public string Region { get; set; }
        public DateTime? ExpiresAt { get; set; }
        public TimeSpan? TimeLeft { get; set; }
        /// <summary>The token can be renewed without the user (refresh token and registration valid).</summary>
        public bool Refreshable { get; set; }
    }

    /// <summary>One account and role a login can reach (Get-AwsCliSsoAccount).</summary>
    public sealed class Account
    {
        public string AccountId { get; set; }
        public string AccountName { get; set; }
        public string EmailAddress { get; set; }
        public string RoleName { get; set; }
    }

    /// <summary>One role's keys (Get-AwsCliSsoCredential), written nowhere.</summary>
    public sealed class RoleCredential
    {
        public string AccountId { get; set; }
        public string RoleName { get; set; }
        public string AccessKeyId { get; set; }
        /// <summary>A SecureString, or with -AsPlainText a string (as Get-Secret of SecretManagement).</summary>
        public object SecretAccessKey { get; set; }
        /// <summary>A SecureString, or with -AsPlainText a string.</summary>
        public object SessionToken { get; set; }
        /// <summary>When the keys end, local time.</summary>
        public DateTime? Expiration { get; set; }
        /// <summary>The environment (or, for a config profile, its sso-session or start URL) whose token was used.</summary>
        public string EnvironmentName { get; set; }
        public string ConfigProfile { get; set; }
    }

    /// <summary>What Clear-AwsCliSsoSession did for one environment (-PassThru).</summary>
    public sealed class LogoutResult
    {
        public string Environment { get; set; }
        /// <summary>False when there was nothing to forget.</summary>
        public bool LoggedOut { get; set; }
    }
}
