// ErrorRecords with stable ErrorIds, SsoCreds.<Code>, from the library's stable error codes.

using System;
using System.IO;
using System.Management.Automation;

namespace SetAwsCliSsoCredentials
{
    /// <summary>An error of Set-AwsCliSsoCredentials; Code is the library's stable code (docs/c-api.md).</summary>
    public class SsoCredsException : InvalidOperationException
    {
        public SsoCredsException(string code, string message) : base(message)
        {
            Code = code;
        }

        public string Code { get; }
    }

    /// <summary>
    /// A login to IAM Identity Center is needed and was not allowed (-NonInteractive, or a non-interactive
    /// host), or the SSO session has ended. Catch this type to handle only that case.
    /// </summary>
    public sealed class LoginRequiredException : SsoCredsException
    {
        public LoginRequiredException(string message) : base("LoginRequired", message)
        {
        }
    }
}

namespace SetAwsCliSsoCredentials.Engine
{
    internal static class Errors
    {
        public static ErrorRecord Record(string code, string message, object target, string recommendedAction = null)
        {
            var record = new ErrorRecord(ExceptionFor(code, message), "SsoCreds." + code, CategoryOf(code), target);
            if (recommendedAction != null)
            {
                record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommendedAction };
            }
            return record;
        }

        /// <summary>An error of a run (or a per-profile one), on its own target unless it names none.</summary>
        public static ErrorRecord Record(RunError error, object target) =>
            Record(CodeOf(error), MessageOf(error), string.IsNullOrEmpty(error?.Target) ? target : error.Target, error?.RecommendedAction);

        public static ErrorRecord Record(NativeCallException error, object target) =>
            Record(error.Code, error.Message, target);

        private static string CodeOf(RunError error) =>
            string.IsNullOrEmpty(error?.Code) ? "Panic" : error.Code;

        private static string MessageOf(RunError error) =>
            string.IsNullOrEmpty(error?.Message) ? "The native library reported the error " + CodeOf(error) + "." : error.Message;

        private static Exception ExceptionFor(string code, string message) => code switch
        {
            "InvalidInput" => new ArgumentException(message),
            "Io" => new IOException(message),
            "Cancelled" => new OperationCanceledException(message),
            "LoginRequired" => new LoginRequiredException(message),
            _ => new SsoCredsException(code, message),
        };

        private static ErrorCategory CategoryOf(string code) => code switch
        {
            "InvalidInput" => ErrorCategory.InvalidArgument,
            "InsecureEndpoint" => ErrorCategory.SecurityError,
            "LoginRequired" or "LoginPending" => ErrorCategory.AuthenticationError,
            "DeviceCodeExpired" or "LoginTimedOut" => ErrorCategory.OperationTimeout,
            "AccessDenied" or "Forbidden" => ErrorCategory.PermissionDenied,
            "NotFound" or "NativeLibraryNotFound" => ErrorCategory.ObjectNotFound,
            "Throttled" => ErrorCategory.LimitsExceeded,
            "ServiceError" => ErrorCategory.InvalidResult,
            "Network" => ErrorCategory.ConnectionError,
            "Io" => ErrorCategory.WriteError,
            "Cancelled" => ErrorCategory.OperationStopped,
            _ => ErrorCategory.NotSpecified,
        };
    }
}
