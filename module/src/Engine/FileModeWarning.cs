// TODO(run): the warning of a credentials file that other users can read, made here only because a refresh
// run's report drops its fetch's warnings (see SetAwsCliSsoCredentialsCommand.Warnings). Worded as
// rust/engine/src/refresh/report.rs words it; delete this file once the run keeps them.

using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;

namespace SetAwsCliSsoCredentials.Engine
{
    internal static class FileModeWarning
    {
        /// <summary>The warning for `path` when group or others may read it; none on Windows (no mode bits).</summary>
        public static string[] For(string path)
        {
            // File.GetUnixFileMode exists from .NET 7 (PowerShell 7.3); Windows PowerShell has no mode bits to read.
            MethodInfo getMode = typeof(File).GetMethod("GetUnixFileMode", new[] { typeof(string) });
            if (string.IsNullOrEmpty(path) || getMode == null || Path.DirectorySeparatorChar == '\\' || !File.Exists(path))
            {
                return new string[0];
            }
            int mode = Convert.ToInt32(getMode.Invoke(null, new object[] { path }), CultureInfo.InvariantCulture) & 0xFFF;
            if ((mode & 0x24) == 0)
            {
                return new string[0];
            }
            return new[]
            {
                "the credentials file " + path + " holds secrets and other users can read it (mode " +
                Convert.ToString(mode, 8).PadLeft(4, '0') + "); to keep them to yourself: chmod 600 " + ShellWord(path),
            };
        }

        private static string ShellWord(string text) =>
            text.Length > 0 && text.All(c => (c < 128 && char.IsLetterOrDigit(c)) || "/._-+@:,".IndexOf(c) >= 0)
                ? text
                : "'" + text.Replace("'", "'\\''") + "'";
    }
}
