// Test driver for the module's P/Invoke layer under Mono (tests/python/test_interop_mono.py), the stand-in
// for .NET Framework (Windows PowerShell 5.1).
//
// Compiled with `mcs -r:module/SetAwsCliSsoCredentials.dll` and run with the module folder on MONO_PATH, so
// the code under test is the class SetAwsCliSsoCredentials.SsoCredsNative of the shipped, dotnet-built
// netstandard2.0 DLL itself (module/src/Native/SsoCredsNative.cs), not a copy compiled here. Mono binds the
// DLL's netstandard references through its netstandard.dll facade (Debian's mono-devel); the cmdlet classes
// and System.Management.Automation are never touched, so they need not load. The driver runs against the
// real library and a running fake IAM Identity Center (the endpoints come from AWS_ENDPOINT_URL_SSO_OIDC /
// AWS_ENDPOINT_URL_SSO), drives what the cmdlets drive (runs from run_start to finished, session_status,
// logout) and prints one line per step,
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

        Step("abi", "{\"abiVersion\":" + SsoCredsNative.AbiVersion() + "}");

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
        string session = "\"environment\":" + Quote(Environment_) + ",\"startUrl\":" + Quote(startUrl) + ",\"region\":\"us-east-1\"";
        string request = "{" + session + ",\"credentialsFile\":" + Quote(credentialsFile)
            + ",\"defaultRoleName\":" + Quote(roleName) + ",\"accounts\":[" + accounts + "]}";

        // -WhatIf before any login: every profile would be fetched, nothing is.
        Step("dry_run", Run(RunStart("refresh", request, false, true), null));

        // Set-AwsCliSsoCredentials in an interactive shell: the run asks for a device-code login, the
        // driver approves it at the fake (a plain GET of the URL), the run polls it, then fetches.
        List<string> events = new List<string>();
        Step("refresh", Run(RunStart("refresh", request, true, false), events));
        Step("refresh_events", "[" + string.Join(",", events.ToArray()) + "]");

        Step("refresh_again", Run(RunStart("refresh", request, false, false), null));

        // The login outlives the process: the AWS CLI v2 cache file under HOME (a temporary folder here).
        string cacheFile = TokenCachePath(Environment_);
        Step("token_cache", "{\"exists\":" + (File.Exists(cacheFile) ? "true" : "false") + "}");

        // Get-AwsCliSsoAccount, and -AllAccounts -WhatIf naming the discovered profiles from the template.
        Step("discover", Run(RunStart("discover", "{" + session + ",\"includeRole\":[\"ReadOnly\"]}", false, false), null));
        Step("discover_dry_run", Run(RunStart("refresh",
            "{\"environment\":" + Quote(Environment_) + ",\"credentialsFile\":" + Quote(credentialsFile)
            + ",\"discover\":true,\"includeAccount\":[\"100000000000\"],\"profileNameTemplate\":\"{AccountId}-{RoleName}\"}",
            false, true), null));

        // The variables the library reads follow this process's environment (on .NET Core on Unix the
        // library cannot see it otherwise): a dry run reports the credentials file the variable names.
        string fromVariable = credentialsFile + ".from-variable";
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", fromVariable);
        int sent = SsoCredsNative.SyncEnvironment();
        string viaVariable = Run(RunStart("refresh", "{\"environment\":" + Quote(Environment_)
            + ",\"defaultRoleName\":\"ReadOnly\",\"accounts\":[{\"profile\":\"via-variable\",\"accountId\":\"100000000000\"}]}",
            false, true), null);
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", null);
        Step("environment", "{\"sent\":" + sent + ",\"unchanged\":" + SsoCredsNative.SyncEnvironment()
            + ",\"file\":" + Quote(fromVariable) + ",\"refresh\":" + viaVariable + "}");

        // Bad input of every kind must come back as an error object, never a crash.
        Step("bad_null", SsoCredsNative.Call("run_start", null));
        Step("bad_json", SsoCredsNative.Call("run_start", "{not json"));
        Step("bad_unknown_field", SsoCredsNative.Call("session_status", "{\"environment\":\"x\",\"bogus\":1}"));
        Step("bad_missing_accounts", Run(RunStart("refresh", "{\"environment\":" + Quote(Environment_) + "}", false, false), null));
        Step("bad_run", SsoCredsNative.Call("run_next", "{\"runId\":987654321,\"waitMs\":0}"));
        Step("bad_answer", SsoCredsNative.Call("run_answer", "{\"runId\":987654322,\"confirmed\":[]}"));
        try
        {
            // The DLL declares only what the cmdlets call: the header's other functions are unknown here.
            SsoCredsNative.Call("login_start", "{}");
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

        CancelDuringLogin(startUrl, roleName);

        Step("logout", SsoCredsNative.Call("logout", "{\"environment\":" + Quote(Environment_) + "}"));
        Step("token_cache_after_logout", "{\"exists\":" + (File.Exists(cacheFile) ? "true" : "false") + "}");
        Step("refresh_after_logout", Run(RunStart("refresh",
            request.Substring(0, request.Length - 1) + ",\"force\":true}", false, false), null));
        return 0;
    }

    // Ctrl+C during the login wait: run_cancel from another thread ends a run_next blocked on the login
    // at once, with Cancelled; the pending login is forgotten, so a new run starts its own login at once.
    private static void CancelDuringLogin(string startUrl, string roleName)
    {
        string environment = "MonoCancel";
        string start = RunStart("refresh", "{\"environment\":" + Quote(environment) + ",\"startUrl\":" + Quote(startUrl)
            + ",\"region\":\"us-east-1\",\"defaultRoleName\":" + Quote(roleName)
            + ",\"accounts\":[{\"profile\":\"cancelled\",\"accountId\":\"100000000000\"}]}", true, false);
        string runId = Number(SsoCredsNative.Call("run_start", start), "runId");
        Step("cancel_login_needed", NextUntil(runId, "loginNeeded"));
        string blockedNext = null;
        long blockedMs = -1;
        Thread waiter = new Thread(delegate ()
        {
            System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();
            blockedNext = SsoCredsNative.Call("run_next", "{\"runId\":" + runId + ",\"waitMs\":20000}");
            blockedMs = watch.ElapsedMilliseconds;
        });
        waiter.Start();
        Thread.Sleep(500);
        Step("cancel", SsoCredsNative.Call("run_cancel", "{\"runId\":" + runId + "}"));
        bool joined = waiter.Join(15000);
        Step("cancel_next", "{\"returned\":" + (joined ? "true" : "false") + ",\"elapsedMs\":" + blockedMs
            + ",\"response\":" + (blockedNext ?? "null") + "}");
        Step("cancel_status", SsoCredsNative.Call("session_status", "{\"environment\":" + Quote(environment) + "}"));
        Step("cancel_again", SsoCredsNative.Call("run_cancel", "{\"runId\":" + runId + "}"));
        string restartId = Number(SsoCredsNative.Call("run_start", start), "runId");
        Step("cancel_restart", NextUntil(restartId, "loginNeeded"));
        SsoCredsNative.Call("run_cancel", "{\"runId\":" + restartId + "}");
        NextUntil(restartId, "finished");
    }

    private static string RunStart(string operation, string request, bool interactive, bool whatIf)
    {
        return "{\"operation\":" + Quote(operation) + ",\"request\":" + request + ",\"login\":{\"useDeviceCode\":true}"
            + ",\"interactive\":" + (interactive ? "true" : "false") + ",\"confirm\":false"
            + ",\"whatIf\":" + (whatIf ? "true" : "false") + ",\"frontEnd\":\"powershell\"}";
    }

    // Drives a run as the cmdlets do: events until `finished`, whose envelope it returns (or the error
    // envelope of a call that failed). A loginNeeded is approved at the fake; `events` collects them all.
    private static string Run(string start, List<string> events)
    {
        string started = SsoCredsNative.Call("run_start", start);
        string runId = Number(started, "runId");
        if (runId == null)
        {
            return started;
        }
        for (int i = 0; i < 1200; i++)
        {
            string next = SsoCredsNative.Call("run_next", "{\"runId\":" + runId + ",\"waitMs\":500}");
            string kind = Field(next, "event");
            if (kind == null || kind == "finished")
            {
                return next;
            }
            if (kind == "none")
            {
                continue;
            }
            if (events != null)
            {
                events.Add(next);
            }
            if (kind == "loginNeeded")
            {
                using (WebClient web = new WebClient())
                {
                    web.DownloadString(Field(next, "url")); // a plain GET approves the login at the fake
                }
            }
        }
        return null;
    }

    // The first event of that kind (or `finished`, or a failed call's envelope).
    private static string NextUntil(string runId, string kind)
    {
        for (int i = 0; i < 1200; i++)
        {
            string next = SsoCredsNative.Call("run_next", "{\"runId\":" + runId + ",\"waitMs\":500}");
            string found = Field(next, "event");
            if (found == null || found == kind || found == "finished")
            {
                return next;
            }
        }
        return null;
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
