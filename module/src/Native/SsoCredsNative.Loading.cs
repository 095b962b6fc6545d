// Binding the DllImports of SsoCredsNative.cs to the library at an absolute path, once per process: a
// resolver on .NET Core 3+, LoadLibraryW on .NET Framework (Windows PowerShell 5.1), probing under Mono.
// No dependency on PowerShell, like the rest of the class (the Mono check drives it).

using System;
using System.Reflection;
using System.Runtime.InteropServices;

namespace SetAwsCliSsoCredentials
{
    public static partial class SsoCredsNative
    {
        private static readonly object Gate = new object();
        private static string loadedPath;
        private static IntPtr libraryHandle = IntPtr.Zero;
        private static string loadMethod;

        /// <summary>The absolute path the library was loaded from, or null before Initialize.</summary>
        public static string LoadedPath
        {
            get { return loadedPath; }
        }

        /// <summary>How the library was bound: "NativeLibrary", "LoadLibraryW" or "Probing".</summary>
        public static string LoadMethod
        {
            get { return loadMethod; }
        }

        /// <summary>
        /// Binds the DllImports above to the library at an absolute path. Idempotent: a native library
        /// cannot be unloaded, so a second call (Import-Module -Force) keeps the first library.
        /// </summary>
        public static void Initialize(string libraryPath)
        {
            if (libraryPath == null)
            {
                throw new ArgumentNullException("libraryPath");
            }
            lock (Gate)
            {
                if (loadedPath != null)
                {
                    return;
                }
                if (!System.IO.File.Exists(libraryPath))
                {
                    throw new System.IO.FileNotFoundException("The ssocreds native library was not found.", libraryPath);
                }

                // .NET Core 3+ (PowerShell 7): a resolver for this assembly's DllImports.
                Type nativeLibrary = Type.GetType("System.Runtime.InteropServices.NativeLibrary", false);
                Type resolverType = Type.GetType("System.Runtime.InteropServices.DllImportResolver", false);
                if (nativeLibrary != null && resolverType != null)
                {
                    MethodInfo load = nativeLibrary.GetMethod("Load", new Type[] { typeof(string) });
                    MethodInfo setResolver = nativeLibrary.GetMethod(
                        "SetDllImportResolver", new Type[] { typeof(Assembly), resolverType });
                    if (load != null && setResolver != null)
                    {
                        IntPtr handle = (IntPtr)InvokeUnwrapped(load, new object[] { libraryPath });
                        MethodInfo resolve = typeof(SsoCredsNative).GetMethod(
                            "Resolve", BindingFlags.NonPublic | BindingFlags.Static);
                        Delegate resolver = Delegate.CreateDelegate(resolverType, resolve);
                        libraryHandle = handle;
                        try
                        {
                            InvokeUnwrapped(setResolver, new object[] { typeof(SsoCredsNative).Assembly, resolver });
                        }
                        catch (InvalidOperationException)
                        {
                            // A resolver is already set for this assembly: only possible if this class
                            // shares an assembly with other code; probing below still applies.
                        }
                        loadMethod = "NativeLibrary";
                        loadedPath = libraryPath;
                        return;
                    }
                }

                // .NET Framework on Windows (Windows PowerShell 5.1).
                if (Environment.OSVersion.Platform == PlatformID.Win32NT)
                {
                    IntPtr handle = LoadLibraryW(libraryPath);
                    if (handle == IntPtr.Zero)
                    {
                        int error = Marshal.GetLastWin32Error();
                        throw new DllNotFoundException(
                            "LoadLibraryW failed for '" + libraryPath + "' (Win32 error " + error + ").");
                    }
                    libraryHandle = handle;
                    loadMethod = "LoadLibraryW";
                    loadedPath = libraryPath;
                    return;
                }

                // Mono on Linux/macOS: DllImport probing (LD_LIBRARY_PATH, DYLD_LIBRARY_PATH, a dllmap, or
                // the assembly's folder) finds the library; used by the interop tests only.
                loadMethod = "Probing";
                loadedPath = libraryPath;
            }
        }

        // Matches System.Runtime.InteropServices.DllImportResolver:
        // IntPtr (string libraryName, Assembly assembly, DllImportSearchPath? searchPath).
        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName == LibraryName)
            {
                return libraryHandle;
            }
            return IntPtr.Zero;
        }

        private static object InvokeUnwrapped(MethodInfo method, object[] arguments)
        {
            try
            {
                return method.Invoke(null, arguments);
            }
            catch (TargetInvocationException e)
            {
                if (e.InnerException != null)
                {
                    throw e.InnerException;
                }
                throw;
            }
        }
    }
}
