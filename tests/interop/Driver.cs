// Test driver for the module's P/Invoke layer under Mono (tests/python/test_interop_mono.py), the stand-in
// for .NET Framework (Windows PowerShell 5.1).
//
// Compiled with `mcs -r:module/SetAwsCliSsoCredentials.dll` and run with the module folder on MONO_PATH, so
// the code under test is the class SetAwsCliSsoCredentials.SsoCredsNative of the shipped, dotnet-built
// netstandard2.0 DLL itself (module/src/Native/SsoCredsNative.cs), not a copy compiled here. Mono binds the
// DLL's netstandard references through its netstandard.dll facade (Debian's mono-devel); the cmdlet classes
// and System.Management.Automation are never touched, so they need not load. The driver runs against the
// real library and a running fake IAM Identity Center (the endpoints come from AWS_ENDPOINT_URL_SSO_OIDC /
// AWS_ENDPOINT_URL_SSO), goes through the whole flow the cmdlets go through and prints one line per step,
// `STEP <name> <json>`, which the Python test parses and checks. It needs no JSON library (Mono's
// System.Runtime.Serialization is not installed by mono-runtime): the few fields it needs are read with a
// regular expression. Plain C# 5, like the rest of the code Mono compiles here.
//
// usage: mono driver.exe LIBRARY_PATH CREDENTIALS_FILE START_URL ROLE_NAME PROFILE=ACCOUNT [PROFILE=ACCOUNT ...]

using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Reflection;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using SetAwsCliSsoCredentials;

public static class Driver
{
    private const string Environment_ = "MonoInterop";

    public static int Main(string[] args)
    {
        if (args.Length < 5)
        {
            Console.Error.WriteLine("usage: driver.exe LIBRARY_PATH CREDENTIALS_FILE START_URL ROLE_NAME PROFILE=ACCOUNT...");
            return 2;
        }
        // Non-ASCII must survive the console too: the Python side decodes stdout as UTF-8.
        Console.OutputEncoding = new UTF8Encoding(false);
        string library = args[0];
        string credentialsFile = args[1];
        string startUrl = args[2];
        string roleName = args[3];

        Step("assembly", DescribeAssembly(typeof(SsoCredsNative).Assembly));
        SsoCredsNative.Initialize(library);
        SsoCredsNative.Initialize(library); // idempotent, like Import-Module -Force
        Step("version", "{\"version\":" + Quote(SsoCredsNative.Version()) + ",\"loadMethod\":" + Quote(SsoCredsNative.LoadMethod) + "}");

        string started = SsoCredsNative.Call("ssocreds_login_start",
            "{\"environment\":" + Quote(Environment_) + ",\"startUrl\":" + Quote(startUrl) + ",\"region\":\"us-east-1\",\"useDeviceCode\":true}");
        Step("login_start", started);
        if (Field(started, "status") == "pending")
        {
            string url = Field(started, "verificationUriComplete");
            using (WebClient web = new WebClient())
            {
                web.DownloadString(url); // a plain GET approves the login at the fake
            }
            string polled = null;
            for (int attempt = 0; attempt < 120; attempt++)
            {
                polled = SsoCredsNative.Call("login_poll", "{\"environment\":" + Quote(Environment_) + ",\"waitMs\":500}");
                if (Field(polled, "status") != "pending")
                {
                    break;
                }
            }
            Step("login_poll", polled);
        }

        StringBuilder accounts = new StringBuilder();
        for (int i = 4; i < args.Length; i++)
        {
            int eq = args[i].LastIndexOf('=');
            if (accounts.Length > 0)
            {
                accounts.Append(',');
            }
            accounts.Append("{\"profile\":").Append(Quote(args[i].Substring(0, eq)))
                .Append(",\"accountId\":").Append(Quote(args[i].Substring(eq + 1))).Append('}');
        }
        string request = "{\"environment\":" + Quote(Environment_) + ",\"credentialsFile\":" + Quote(credentialsFile)
            + ",\"defaultRoleName\":" + Quote(roleName) + ",\"accounts\":[" + accounts + "]}";

        string dryRun = SsoCredsNative.Call("refresh", request.Substring(0, request.Length - 1) + ",\"dryRun\":true}");
        Step("dry_run", dryRun);

        string start = SsoCredsNative.Call("refresh_start", request);
        Step("refresh_start", start);
        string operationId = Number(start, "operationId");
        if (operationId == null)
        {
            return 1;
        }
        string done = null;
        int polls = 0;
        for (; polls < 600; polls++)
        {
            string poll = SsoCredsNative.Call("refresh_poll", "{\"operationId\":" + operationId + ",\"waitMs\":200}");
            if (Field(poll, "status") != "running")
            {
                done = poll;
                break;
            }
        }
        Step("refresh_poll", done);

        string again = SsoCredsNative.Call("ssocreds_refresh", request);
        Step("refresh_again", again);

        // The login outlives the process: the AWS CLI v2 cache file under HOME (a temporary folder here).
        string cacheFile = TokenCachePath(Environment_);
        Step("token_cache", "{\"exists\":" + (File.Exists(cacheFile) ? "true" : "false") + "}");

        // Discovery: every account and role, filtered, and a dry run that names discovered profiles.
        Step("discover", SsoCredsNative.Call("ssocreds_discover",
            "{\"environment\":" + Quote(Environment_) + ",\"startUrl\":" + Quote(startUrl) + ",\"includeRole\":[\"ReadOnly\"]}"));
        Step("discover_dry_run", SsoCredsNative.Call("refresh",
            "{\"environment\":" + Quote(Environment_) + ",\"credentialsFile\":" + Quote(credentialsFile)
            + ",\"accounts\":[],\"discover\":true,\"dryRun\":true,\"includeAccount\":[\"100000000000\"]"
            + ",\"profileNameTemplate\":\"{AccountId}-{RoleName}\"}"));

        // The variables the library reads follow this process's environment (on .NET Core on Unix the
        // library cannot see it otherwise): a dry run reports the credentials file the variable names.
        string fromVariable = credentialsFile + ".from-variable";
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", fromVariable);
        int sent = SsoCredsNative.SyncEnvironment();
        string viaVariable = SsoCredsNative.Call("refresh",
            "{\"environment\":" + Quote(Environment_) + ",\"defaultRoleName\":\"ReadOnly\",\"dryRun\":true,\"accounts\":["
            + "{\"profile\":\"via-variable\",\"accountId\":\"100000000000\"}]}");
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", null);
        Step("environment", "{\"sent\":" + sent + ",\"unchanged\":" + SsoCredsNative.SyncEnvironment()
            + ",\"file\":" + Quote(fromVariable) + ",\"refresh\":" + viaVariable + "}");

        // Bad input of every kind must come back as an error object, never a crash.
        Step("bad_null", SsoCredsNative.Call("refresh", null));
        Step("bad_json", SsoCredsNative.Call("refresh", "{not json"));
        Step("bad_unknown_field", SsoCredsNative.Call("session_status", "{\"environment\":\"x\",\"bogus\":1}"));
        Step("bad_missing_accounts", SsoCredsNative.Call("refresh", "{\"environment\":" + Quote(Environment_) + "}"));
        Step("bad_operation", SsoCredsNative.Call("refresh_poll", "{\"operationId\":987654321,\"waitMs\":0}"));
        Step("bad_cancel", SsoCredsNative.Call("refresh_cancel", "{\"operationId\":987654322}"));
        try
        {
            SsoCredsNative.Call("no_such_function", "{}");
            Step("bad_function", "{\"thrown\":false}");
        }
        catch (ArgumentException)
        {
            Step("bad_function", "{\"thrown\":true}");
        }

        // Non-ASCII both ways: the environment name comes back in the answer.
        Step("unicode_status", SsoCredsNative.Call("session_status", "{\"environment\":\"umlaut-\u00fc-\u6771\u4eac\"}"));
        Step("status", SsoCredsNative.Call("session_status", "{\"environment\":" + Quote(Environment_) + "}"));

        // Many calls: each returned string is freed exactly once (a double free would abort the
        // process, a missing free shows as growth under valgrind; this at least runs the path hard).
        for (int i = 0; i < 2000; i++)
        {
            SsoCredsNative.Call("session_status", "{\"environment\":\"loop\"}");
        }
        // Concurrent callers from several threads.
        int failures = 0;
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(delegate ()
            {
                for (int i = 0; i < 250; i++)
                {
                    string s = SsoCredsNative.Call("session_status", "{\"environment\":\"thread\"}");
                    if (s.IndexOf("\"ok\":true", StringComparison.Ordinal) < 0)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        Step("loop", "{\"calls\":3000,\"failures\":" + failures + "}");

        // Ctrl+C during the login wait: login_cancel from another thread ends a blocked login_poll at once and
        // forgets the pending login; a second cancel has nothing to do.
        string cancelEnvironment = "MonoCancel";
        string cancelRequest = "{\"environment\":" + Quote(cancelEnvironment) + "}";
        string cancelStart = "{\"environment\":" + Quote(cancelEnvironment) + ",\"startUrl\":" + Quote(startUrl)
            + ",\"region\":\"us-east-1\",\"useDeviceCode\":true}";
        Step("cancel_start", SsoCredsNative.Call("login_start", cancelStart));
        string blockedPoll = null;
        long blockedMs = -1;
        Thread poller = new Thread(delegate ()
        {
            System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();
            blockedPoll = SsoCredsNative.Call("login_poll", "{\"environment\":" + Quote(cancelEnvironment) + ",\"waitMs\":20000}");
            blockedMs = watch.ElapsedMilliseconds;
        });
        poller.Start();
        Thread.Sleep(500);
        Step("cancel", SsoCredsNative.Call("login_cancel", cancelRequest));
        bool joined = poller.Join(15000);
        Step("cancel_poll", "{\"returned\":" + (joined ? "true" : "false") + ",\"elapsedMs\":" + blockedMs
            + ",\"response\":" + (blockedPoll ?? "null") + "}");
        Step("cancel_status", SsoCredsNative.Call("session_status", cancelRequest));
        Step("cancel_again", SsoCredsNative.Call("login_cancel", cancelRequest));
        // The login lock was released: a new login starts its own device authorization at once.
        Step("cancel_restart", SsoCredsNative.Call("login_start", cancelStart));
        SsoCredsNative.Call("login_cancel", cancelRequest);

        Step("logout", SsoCredsNative.Call("logout", "{\"environment\":" + Quote(Environment_) + "}"));
        Step("token_cache_after_logout", "{\"exists\":" + (File.Exists(cacheFile) ? "true" : "false") + "}");
        Step("refresh_after_logout", SsoCredsNative.Call("refresh",
            request.Substring(0, request.Length - 1) + ",\"force\":true}"));
        return 0;
    }

    // The DLL under test: where it was loaded from, its version, target framework and references.
    private static string DescribeAssembly(Assembly assembly)
    {
        AssemblyName name = assembly.GetName();
        TargetFrameworkAttribute framework = (TargetFrameworkAttribute)Attribute.GetCustomAttribute(
            assembly, typeof(TargetFrameworkAttribute));
        AssemblyInformationalVersionAttribute informational = (AssemblyInformationalVersionAttribute)Attribute.GetCustomAttribute(
            assembly, typeof(AssemblyInformationalVersionAttribute));
        StringBuilder references = new StringBuilder();
        foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
        {
            if (references.Length > 0)
            {
                references.Append(',');
            }
            references.Append(Quote(reference.Name));
        }
        return "{\"name\":" + Quote(name.Name) + ",\"location\":" + Quote(assembly.Location)
            + ",\"version\":" + Quote(name.Version.ToString())
            + ",\"informationalVersion\":" + Quote(informational == null ? null : informational.InformationalVersion)
            + ",\"targetFramework\":" + Quote(framework == null ? null : framework.FrameworkName)
            + ",\"references\":[" + references + "]}";
    }

    private static string TokenCachePath(string environment)
    {
        byte[] hash;
        using (SHA1 sha1 = SHA1.Create())
        {
            hash = sha1.ComputeHash(Encoding.UTF8.GetBytes(environment));
        }
        StringBuilder hex = new StringBuilder();
        foreach (byte b in hash)
        {
            hex.Append(b.ToString("x2"));
        }
        string home = Environment.GetEnvironmentVariable("HOME");
        return Path.Combine(Path.Combine(Path.Combine(Path.Combine(home, ".aws"), "sso"), "cache"), hex + ".json");
    }

    private static void Step(string name, string json)
    {
        Console.WriteLine("STEP " + name + " " + (json ?? "null"));
    }

    private static string Field(string json, string name)
    {
        Match m = Regex.Match(json, "\"" + Regex.Escape(name) + "\":\"((?:[^\"\\\\]|\\\\.)*)\"");
        return m.Success ? Regex.Unescape(m.Groups[1].Value) : null;
    }

    private static string Number(string json, string name)
    {
        Match m = Regex.Match(json, "\"" + Regex.Escape(name) + "\":([0-9]+)");
        return m.Success ? m.Groups[1].Value : null;
    }

    private static string Quote(string s)
    {
        if (s == null)
        {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        b.Append("\\u").Append(((int)c).ToString("x4"));
                    }
                    else
                    {
                        b.Append(c);
                    }
                    break;
            }
        }
        return b.Append('"').ToString();
    }
}
