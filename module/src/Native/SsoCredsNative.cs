// P/Invoke declarations for the ssocreds C ABI (docs/c-api.md, rust/ffi/include/ssocreds.h).
//
// Part of the module's compiled DLL (netstandard2.0), loaded by Windows PowerShell 5.1 (.NET Framework)
// and PowerShell 7 (.NET): so
//   * .NET Framework has no Marshal.PtrToStringUTF8 and no UnmanagedType.LPUTF8Str, and
//     System.Runtime.InteropServices.NativeLibrary exists only on .NET Core 3+: it is reached by
//     reflection;
//   * the class has no dependency on PowerShell, so that the Mono check (tests/python/test_interop_mono.py,
//     the stand-in for .NET Framework) can drive it from the shipped DLL on its own.
// Signatures use only IntPtr and byte[] (UTF-8, NUL-terminated). A string returned by the library
// comes back as IntPtr, is copied into managed memory and is freed with ssocreds_string_free in a
// finally block, exactly once. (A `string` return type would make the CLR free Rust memory with
// CoTaskMemFree.)
// Only the functions the cmdlets call are declared (the run operation, session_status, logout and the
// plumbing); the header's others serve other hosts (C programs).
// tests/python/test_dllimport_matches_header.py checks every DllImport against the committed header.
// Binding the library at import is in SsoCredsNative.Loading.cs.

using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Serialization.Json;
using System.Text;

namespace SetAwsCliSsoCredentials
{
    public static partial class SsoCredsNative
    {
        private const string LibraryName = "ssocreds";

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern IntPtr ssocreds_version();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern IntPtr ssocreds_session_status(byte[] requestJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern IntPtr ssocreds_logout(byte[] requestJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern int ssocreds_abi_version();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern IntPtr ssocreds_run_start(byte[] requestJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern IntPtr ssocreds_run_next(byte[] requestJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern IntPtr ssocreds_run_answer(byte[] requestJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern IntPtr ssocreds_run_cancel(byte[] requestJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern void ssocreds_string_free(IntPtr s);

        // Windows only: loading the library by absolute path first makes the later DllImport of
        // "ssocreds" resolve to the module already in the process (matched by its base name).
        [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true, ExactSpelling = true)]
        private static extern IntPtr LoadLibraryW(string lpLibFileName);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern IntPtr ssocreds_set_environment(byte[] requestJson);

        // The variables the library reads (docs/c-api.md, docs/powershell.md).
        private static readonly string[] ForwardedVariables = new string[]
        {
            "HOME", "USERPROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            // What the library reads to tell whether a browser here can reach a loopback redirect.
            "DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY", "container", "KUBERNETES_SERVICE_HOST",
            // The browser commands the library names for a login.
            "BROWSER",
            // The proxy variables, which win over the system proxy the module adds (SetHostEntry).
            "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"
        };

        // What the module adds to the environment it tells the library: facts of the host that no
        // variable of this process holds (a PowerShell remoting session, the system proxy).
        private static readonly Dictionary<string, string> HostEntries = new Dictionary<string, string>();

        private static readonly object EnvironmentGate = new object();

        // Built once: constructing a serializer is the expensive part, and every call syncs the environment.
        private static readonly Lazy<DataContractJsonSerializer> VariablesSerializer = new Lazy<DataContractJsonSerializer>(() =>
            new DataContractJsonSerializer(typeof(Dictionary<string, string>), new DataContractJsonSerializerSettings { UseSimpleDictionaryFormat = true }));
        private static string lastEnvironmentSent;

        /// <summary>The library's version, e.g. "0.1.0" (a static string: not freed).</summary>
        public static string Version()
        {
            IntPtr p = ssocreds_version();
            return p == IntPtr.Zero ? null : FromUtf8(p);
        }

        /// <summary>The version of the library's C ABI (docs/c-api.md): 2 has the run operation.</summary>
        public static int AbiVersion() => ssocreds_abi_version();

        /// <summary>
        /// Calls one JSON-in/JSON-out function of the library by its name without the prefix, e.g.
        /// Call("run_start", "{...}"), and returns the JSON envelope it answered.
        /// </summary>
        public static string Call(string functionName, string requestJson)
        {
            byte[] request = requestJson == null ? null : ToUtf8(requestJson);
            SyncEnvironment();
            IntPtr response;
            switch (functionName)
            {
                case "session_status": response = ssocreds_session_status(request); break;
                case "logout": response = ssocreds_logout(request); break;
                case "run_start": response = ssocreds_run_start(request); break;
                case "run_next": response = ssocreds_run_next(request); break;
                case "run_answer": response = ssocreds_run_answer(request); break;
                case "run_cancel": response = ssocreds_run_cancel(request); break;
                default:
                    throw new ArgumentException("Unknown ssocreds function '" + functionName + "'.", "functionName");
            }
            return TakeString(response);
        }

        /// <summary>
        /// Tells the library what the variables it reads are, as this process sees them. .NET on Linux
        /// and macOS keeps a private copy of the environment, so `$env:HOME = ...` or
        /// `$env:AWS_ENDPOINT_URL_SSO = ...` in PowerShell would otherwise never reach the library
        /// (on Windows both share one environment block). The values go through
        /// ssocreds_set_environment, which the library keeps behind a lock: no setenv from here, which
        /// would race with the library's own threads. Sent only when something changed; returns 1 when
        /// sent, 0 when unchanged.
        /// </summary>
        public static int SyncEnvironment()
        {
            var variables = new Dictionary<string, string>();
            foreach (string name in ForwardedVariables)
            {
                variables[name] = Environment.GetEnvironmentVariable(name);
            }
            lock (EnvironmentGate)
            {
                foreach (var entry in HostEntries)
                {
                    variables[entry.Key] = entry.Value;
                }
                string request = "{\"variables\":" + ToJson(variables) + "}";
                if (string.Equals(request, lastEnvironmentSent, StringComparison.Ordinal))
                {
                    return 0;
                }
                string response = TakeString(ssocreds_set_environment(ToUtf8(request)));
                if (!response.StartsWith("{\"ok\":true", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException("ssocreds_set_environment failed: " + response);
                }
                lastEnvironmentSent = request;
                return 1;
            }
        }

        /// <summary>
        /// Sets (or with null, clears) an entry of the environment the library sees that is no variable
        /// of this process; sent with the variables at the next call.
        /// </summary>
        public static void SetHostEntry(string name, string value)
        {
            lock (EnvironmentGate)
            {
                HostEntries[name] = value;
            }
        }

        /// <summary>{"name": "value" or null, ...}.</summary>
        private static string ToJson(Dictionary<string, string> variables)
        {
            using (var stream = new MemoryStream())
            {
                VariablesSerializer.Value.WriteObject(stream, variables);
                return Encoding.UTF8.GetString(stream.ToArray());
            }
        }

        /// <summary>Copies a string the library returned and frees it, exactly once.</summary>
        private static string TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                // The contract says this never happens; answer like the library would.
                return "{\"ok\":false,\"error\":{\"code\":\"Panic\",\"message\":\"the library returned NULL\"}}";
            }
            try
            {
                return FromUtf8(p);
            }
            finally
            {
                ssocreds_string_free(p);
            }
        }

        /// <summary>UTF-8 bytes of a string with a terminating NUL.</summary>
        private static byte[] ToUtf8(string s)
        {
            int count = Encoding.UTF8.GetByteCount(s);
            byte[] bytes = new byte[count + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            bytes[count] = 0;
            return bytes;
        }

        /// <summary>Decodes a NUL-terminated UTF-8 string without PtrToStringUTF8 (absent on .NET Framework).</summary>
        private static string FromUtf8(IntPtr p)
        {
            int length = 0;
            while (Marshal.ReadByte(p, length) != 0)
            {
                length++;
            }
            if (length == 0)
            {
                return string.Empty;
            }
            byte[] bytes = new byte[length];
            Marshal.Copy(p, bytes, 0, length);
            return Encoding.UTF8.GetString(bytes);
        }
    }
}
