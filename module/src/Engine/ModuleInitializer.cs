// Runs once when Import-Module loads the DLL: binds the native library of this platform by absolute
// path and checks that it comes from the same build as this DLL.

using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace SetAwsCliSsoCredentials.Engine
{
    /// <summary>Loads module/runtimes/&lt;rid&gt;/ssocreds at import; fails the import with a clear error otherwise.</summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer
    {
        public void OnImport()
        {
            NativeLibraryLocation.Load();
            NativeEngine.WarmUpInBackground();
        }
    }

    internal static class NativeLibraryLocation
    {
        /// <summary>The C ABI version with the run operation (ssocreds_run_*), which the cmdlets drive.</summary>
        private const int MinimumAbiVersion = 2;

        /// <summary>
        /// win-x64, win-x86, win-arm64, linux-x64, linux-arm64, osx-x64, osx-arm64: the folder under runtimes/
        /// for this process. The process's architecture, not the machine's: 32-bit Windows PowerShell on 64-bit
        /// Windows needs win-x86, an x64 PowerShell emulated on an arm64 machine needs the x64 library.
        /// </summary>
        public static string RuntimeIdentifier
        {
            get
            {
                string os = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win"
                    : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx"
                    : "linux";
                return os + "-" + ProcessArchitectureName();
            }
        }

        private static string ProcessArchitectureName()
        {
            // netstandard2.0 has RuntimeInformation.ProcessArchitecture, and every .NET that loads this DLL has it:
            // .NET Framework 4.7.1+ (the first with netstandard2.0 built in, which Windows PowerShell needs) in
            // mscorlib, from GetSystemInfo, i.e. X86 in a 32-bit process on 64-bit Windows.
            Architecture architecture = RuntimeInformation.ProcessArchitecture;
            // No library is built for the others (arm, and what newer .NET adds): the import names the folder it looked for.
            return architecture switch
            {
                Architecture.X64 => "x64",
                Architecture.X86 => "x86",
                Architecture.Arm64 => "arm64",
                _ => architecture.ToString().ToLowerInvariant(),
            };
        }

        public static string FileName =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "ssocreds.dll"
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "libssocreds.dylib"
            : "libssocreds.so";

        /// <summary>&lt;folder of this DLL&gt;/runtimes/&lt;rid&gt;/&lt;file&gt;.</summary>
        public static string ExpectedPath
        {
            get
            {
                string moduleFolder = Path.GetDirectoryName(typeof(NativeLibraryLocation).Assembly.Location);
                return Path.Combine(Path.Combine(Path.Combine(moduleFolder, "runtimes"), RuntimeIdentifier), FileName);
            }
        }

        /// <summary>The ssocreds-cli shipped beside the native library, which a credential_process line runs.</summary>
        public static string CommandLinePath => Path.Combine(Path.GetDirectoryName(ExpectedPath),
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "ssocreds-cli.exe" : "ssocreds-cli");

        /// <summary>This DLL's version, stamped by build.ps1 from Cargo.toml like the native library's.</summary>
        public static string ModuleVersion
        {
            get
            {
                var informational = typeof(NativeLibraryLocation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>();
                return informational?.InformationalVersion ?? typeof(NativeLibraryLocation).Assembly.GetName().Version.ToString(3);
            }
        }

        public static void Load()
        {
            string path = ExpectedPath;
            if (SsoCredsNative.LoadedPath == null && !File.Exists(path))
            {
                throw new FileNotFoundException(
                    "The native library of Set-AwsCliSsoCredentials for this platform (" + RuntimeIdentifier +
                    ") was not found: expected '" + path + "'. In a clone of the repository, ./build.ps1 builds it " +
                    "and copies it there; the module from the PowerShell Gallery ships win-x64, win-x86, win-arm64, linux-x64, " +
                    "linux-arm64, osx-x64 and osx-arm64.",
                    path);
            }
            // Idempotent: a native library cannot be unloaded, so Import-Module -Force keeps the first one.
            SsoCredsNative.Initialize(path);
            CheckAbiVersion();
            string nativeVersion = SsoCredsNative.Version();
            if (!string.Equals(nativeVersion, ModuleVersion, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    "Set-AwsCliSsoCredentials " + ModuleVersion + " found native library version " + nativeVersion +
                    " at '" + SsoCredsNative.LoadedPath + "': the two come from different builds. Run ./build.ps1 again " +
                    "(or reinstall the module); a PowerShell session that loaded the old library must be restarted.");
            }
        }
    
        /// <summary>The run operation needs ABI 2; a library without ssocreds_abi_version is ABI 1.</summary>
        private static void CheckAbiVersion()
        {
            int abi;
            try
            {
                abi = SsoCredsNative.AbiVersion();
            }
            catch (EntryPointNotFoundException)
            {
                abi = 1;
            }
            if (abi < MinimumAbiVersion)
            {
                throw new InvalidOperationException(
                    "Set-AwsCliSsoCredentials " + ModuleVersion + " needs version " + MinimumAbiVersion + " of the native library's " +
                    "C ABI (the run operation), and the library at '" + SsoCredsNative.LoadedPath + "' has version " + abi +
                    ". Run ./build.ps1 again (or reinstall the module); a PowerShell session that loaded the old library must be restarted.");
            }
        }
    }
}
