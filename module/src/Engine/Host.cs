// Opening the user's browser for a login, as the BROWSER variable or the platform says.

using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SetAwsCliSsoCredentials.Engine
{
    internal static class Browser
    {
        /// <summary>
        /// Opens an http(s) URL in the user's browser: with the commands of the BROWSER environment
        /// variable when it is set, else the shell on Windows, `open` on macOS, `xdg-open` elsewhere.
        /// False when none could be started (no launcher, or it failed at once).
        /// </summary>
        public static bool TryOpen(string url)
        {
            if (!IsPlainHttpUrl(url))
            {
                return false;
            }
            string chosen = Environment.GetEnvironmentVariable("BROWSER");
            if (!string.IsNullOrWhiteSpace(chosen))
            {
                return TryBrowserVariable(chosen, url);
            }
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return TryStart(new ProcessStartInfo(url) { UseShellExecute = true });
            }
            string launcher = RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "open" : "xdg-open";
            return TryStart(Launcher(launcher, QuoteArgument(url)));
        }

        /// <summary>
        /// BROWSER as Python's webbrowser module (the AWS CLI's) reads it: commands separated by the path
        /// separator, tried in order until one starts; in each, %s stands for the URL, else the URL is
        /// appended as one more argument. Unlike Python, no other browser is tried after them: the user
        /// chose these (a headless machine, a browser other than the default one).
        /// </summary>
        internal static bool TryBrowserVariable(string commands, string url)
        {
            foreach (string command in commands.Split(System.IO.Path.PathSeparator))
            {
                List<string> words = SplitCommand(command);
                if (words.Count == 0)
                {
                    continue;
                }
                bool hasPlaceholder = false;
                var arguments = new List<string>();
                for (int i = 1; i < words.Count; i++)
                {
                    hasPlaceholder |= words[i].Contains("%s");
                    arguments.Add(QuoteArgument(words[i].Replace("%s", url)));
                }
                if (!hasPlaceholder)
                {
                    arguments.Add(QuoteArgument(url));
                }
                if (TryStart(Launcher(words[0], string.Join(" ", arguments))))
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
                if (process == null)
                {
                    // The shell handed the URL to a browser that was already running.
                    return true;
                }
                if (!start.RedirectStandardOutput)
                {
                    process.Dispose();
                    return true;
                }
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
        /// The words of one BROWSER command: split at spaces, except inside double or single quotes (a
        /// program path with spaces); a backslash is an ordinary character (Windows paths). A command
        /// that names an existing file as a whole is that one program, quoted or not.
        /// </summary>
        internal static List<string> SplitCommand(string command)
        {
            string trimmed = command.Trim();
            var words = new List<string>();
            if (trimmed.Length > 0 && System.IO.File.Exists(trimmed))
            {
                words.Add(trimmed);
                return words;
            }
            var word = new StringBuilder();
            bool inWord = false;
            char quote = '\0';
            foreach (char c in trimmed)
            {
                if (quote != '\0')
                {
                    if (c == quote)
                    {
                        quote = '\0';
                    }
                    else
                    {
                        word.Append(c);
                    }
                }
                else if (c == '"' || c == '\'')
                {
                    quote = c;
                    inWord = true;
                }
                else if (char.IsWhiteSpace(c))
                {
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }
                }
                else
                {
                    word.Append(c);
                    inWord = true;
                }
            }
            if (inWord)
            {
                words.Add(word.ToString());
            }
            return words;
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

        /// <summary>Only http(s) URLs without quotes or spaces are handed to a launcher.</summary>
        private static bool IsPlainHttpUrl(string url)
        {
            if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out Uri parsed))
            {
                return false;
            }
            if (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp)
            {
                return false;
            }
            foreach (char c in url)
            {
                if (c <= ' ' || c == '"' || c == '\'' || c == '`')
                {
                    return false;
                }
            }
            return true;
        }
    }
}
