# Finding, loading and calling the native ssocreds library (C ABI: docs/c-api.md).

function Get-SsoCredsRuntimeIdentifier {
    <#
    .SYNOPSIS
    The runtime identifier (win-x64, linux-arm64, osx-arm64, ...) of this OS and process architecture.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    # Windows PowerShell 5.1 runs only on Windows and has no $IsWindows/$IsLinux/$IsMacOS.
    if ($PSVersionTable.PSEdition -ne 'Core') {
        $os = 'win'
    }
    elseif ($IsWindows) {
        $os = 'win'
    }
    elseif ($IsMacOS) {
        $os = 'osx'
    }
    else {
        $os = 'linux'
    }

    $arch = $null
    # RuntimeInformation is in .NET Core and in .NET Framework 4.7.1+; older 5.1 hosts fall back below.
    $runtimeInformation = 'System.Runtime.InteropServices.RuntimeInformation' -as [type]
    if ($null -ne $runtimeInformation) {
        try {
            $arch = ([string]$runtimeInformation::ProcessArchitecture).ToLowerInvariant()
        }
        catch {
            $arch = $null
        }
    }
    if (-not $arch) {
        if ([Environment]::Is64BitProcess) {
            # PROCESSOR_ARCHITECTURE is the architecture of this process (AMD64 under x64 emulation).
            if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { $arch = 'arm64' } else { $arch = 'x64' }
        }
        else {
            $arch = 'x86'
        }
    }
    '{0}-{1}' -f $os, $arch
}

function Get-SsoCredsNativeLibraryPath {
    <#
    .SYNOPSIS
    The absolute path where the native library for this platform must be: module/runtimes/<rid>/<file>.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [string] $ModuleRoot,

        [string] $RuntimeIdentifier = (Get-SsoCredsRuntimeIdentifier)
    )

    if ($RuntimeIdentifier.StartsWith('win-')) {
        $fileName = 'ssocreds.dll'
    }
    elseif ($RuntimeIdentifier.StartsWith('osx-')) {
        $fileName = 'libssocreds.dylib'
    }
    else {
        $fileName = 'libssocreds.so'
    }
    $runtimes = Microsoft.PowerShell.Management\Join-Path -Path $ModuleRoot -ChildPath 'runtimes'
    $folder = Microsoft.PowerShell.Management\Join-Path -Path $runtimes -ChildPath $RuntimeIdentifier
    Microsoft.PowerShell.Management\Join-Path -Path $folder -ChildPath $fileName
}

function Initialize-SsoCredsNative {
    <#
    .SYNOPSIS
    Compiles the P/Invoke class once per session and binds it to the library by absolute path.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $ModuleRoot
    )

    $rid = Get-SsoCredsRuntimeIdentifier
    $libraryPath = Get-SsoCredsNativeLibraryPath -ModuleRoot $ModuleRoot -RuntimeIdentifier $rid
    if (-not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $libraryPath -PathType Leaf)) {
        $message = "The native library of Set-AwsCliSsoCredentials for this platform ($rid) was not found: " +
            "expected '$libraryPath'. In a clone of the repository, ./build.ps1 builds it " +
            "(cargo build -p ssocreds-ffi) and copies it there; the module from the PowerShell Gallery ships it."
        $exception = [System.IO.FileNotFoundException]::new($message, $libraryPath)
        $record = [System.Management.Automation.ErrorRecord]::new(
            $exception, 'SsoCreds.NativeLibraryNotFound',
            [System.Management.Automation.ErrorCategory]::ObjectNotFound, $libraryPath)
        throw $record
    }

    # Add-Type only once per session: a type cannot be redefined, and Import-Module -Force must work.
    if ($null -eq ('SetAwsCliSsoCredentials.SsoCredsNative' -as [type])) {
        $sourcePath = Microsoft.PowerShell.Management\Join-Path -Path $ModuleRoot -ChildPath 'Interop/SsoCredsNative.cs'
        $source = [System.IO.File]::ReadAllText($sourcePath, [System.Text.Encoding]::UTF8)
        # The file is warning-free (tests/python/test_interop_mono.py compiles it with -warnaserror);
        # -IgnoreWarnings keeps a newer compiler's new warning from failing the import.
        Microsoft.PowerShell.Utility\Add-Type -TypeDefinition $source -Language CSharp -IgnoreWarnings
    }
    # Idempotent: the first library loaded in this process stays (it cannot be unloaded).
    [SetAwsCliSsoCredentials.SsoCredsNative]::Initialize($libraryPath)
    $script:SsoCredsLibraryPath = $libraryPath
}

function Invoke-SsoCredsNative {
    <#
    .SYNOPSIS
    Calls one JSON-in/JSON-out function of the library; returns the envelope {ok, result | error}.
    #>
    [CmdletBinding()]
    param(
        # login_start, login_poll, refresh, refresh_start, refresh_poll, refresh_cancel, discover, session_status, logout
        [Parameter(Mandatory = $true)]
        [string] $Function,

        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary] $Request
    )

    $json = Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $Request -Depth 10 -Compress
    $response = [SetAwsCliSsoCredentials.SsoCredsNative]::Call($Function, $json)
    $envelope = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject $response
    if ($null -eq $envelope -or $null -eq $envelope.ok) {
        return [pscustomobject]@{
            ok    = $false
            error = [pscustomobject]@{ code = 'Panic'; message = "The library answered something that is not an envelope: $response" }
        }
    }
    $envelope
}
