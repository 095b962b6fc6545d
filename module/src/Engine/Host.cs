// Opening the user's browser for a login, with the commands the library names.

using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace SetAwsCliSsoCredentials.Engine
{
    internal static class Browser
    {
        /// <summary>
        /// Starts the library's browser commands (the loginNeeded event's browserCommands: BROWSER's, else
        /// the platform's launcher) in order until one starts. False when none did.
        /// </summary>
        public static bool TryOpen(BrowserCommand[] commands)
        {
            foreach (BrowserCommand command in commands ?? new BrowserCommand[0])
            {
                var arguments = new List<string>();
                foreach (string argument in command.Arguments ?? new string[0])
                {
                    arguments.Add(QuoteArgument(argument));
                }
                if (TryStart(Launcher(command.Program, string.Join(" ", arguments))))
                {
                    return true;
                }
            }
            return false;
        }

        private static ProcessStartInfo Launcher(string program, string arguments)
        {
            return new ProcessStartInfo(program, arguments)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
        }

        private static bool TryStart(ProcessStartInfo start)
        {
            try
            {
                Process process = Process.Start(start);
                // The launcher's output, and that of a browser it starts in its place (which inherits the
                // pipes), is drained until the pipes end; the Process is not disposed, since that would close
                // them under a running browser. One small object per login.
                process.OutputDataReceived += (sender, e) => { };
                process.ErrorDataReceived += (sender, e) => { };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                // Launchers hand over and exit at once; one still running has started something.
                return !process.WaitForExit(2000) || process.ExitCode == 0;
            }
            catch (Win32Exception)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        /// <summary>
        /// One argument as ProcessStartInfo.Arguments takes it (the Windows command-line rules, which .NET
        /// also parses on Linux and macOS): quoted when it holds a space or a quote, backslashes before a
        /// quote doubled.
        /// </summary>
        internal static string QuoteArgument(string argument)
        {
            if (argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '\t', '"' }) < 0)
            {
                return argument;
            }
            var quoted = new StringBuilder("\"");
            int backslashes = 0;
            foreach (char c in argument)
            {
                if (c == '\\')
                {
                    backslashes++;
                    continue;
                }
                quoted.Append('\\', c == '"' ? backslashes * 2 + 1 : backslashes);
                backslashes = 0;
                quoted.Append(c);
            }
            quoted.Append('\\', backslashes * 2);
            return quoted.Append('"').ToString();
        }
    }
}
