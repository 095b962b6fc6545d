#Requires -Version 5.1
<#
.SYNOPSIS
Builds, tests and packages the Set-AwsCliSsoCredentials module: the one entry point.

.DESCRIPTION
Build    cargo build -p ssocreds-ffi (honours CARGO_TARGET_DIR, default <repo>/target), copies the library into
         module/runtimes/<rid>/, and stamps ModuleVersion in Set-AwsCliSsoCredentials.psd1 from
         [workspace.package] version in Cargo.toml.
Test     builds the fake IAM Identity Center (cargo build -p fake-identity-center, path passed to the tests as
         FAKE_IDC_BIN) and runs Pester (version pinned in build.config.psd1) against the built module in a
         child process of the same PowerShell (pwsh or Windows PowerShell) with -NoProfile -NonInteractive:
         a native library cannot be unloaded from a session. Results: out/TestResults/.
Analyze  runs PSScriptAnalyzer (pinned) on the module.
Package  lays out out/Set-AwsCliSsoCredentials/<version>/ (manifest, module files, every runtimes/<rid>/ built),
         ready for Publish-Module -Path.

.PARAMETER Configuration
Debug (default) or Release: the cargo profile of the native library.

.PARAMETER Task
One or more of Build, Test, Analyze, Package, run in that order. Default: Build.

.EXAMPLE
./build.ps1

.EXAMPLE
./build.ps1 -Task Build, Test

.EXAMPLE
./build.ps1 -Configuration Release -Task Build, Package
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    [ValidateSet('Build', 'Test', 'Analyze', 'Package')]
    [string[]] $Task = @('Build')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$RepoRoot = $PSScriptRoot
$ModuleName = 'Set-AwsCliSsoCredentials'
$ManifestPath = Join-Path $RepoRoot "$ModuleName.psd1"
$ModuleFolder = Join-Path $RepoRoot 'module'
$OutFolder = Join-Path $RepoRoot 'out'
$ToolVersions = Import-PowerShellDataFile -Path (Join-Path $RepoRoot 'build.config.psd1')
$OnWindows = ($PSVersionTable.PSEdition -ne 'Core') -or $IsWindows
$OnMacOS = ($PSVersionTable.PSEdition -eq 'Core') -and $IsMacOS

function Write-Step([string] $Message) {
    Write-Host "== $Message" -ForegroundColor Cyan
}

function Invoke-Native {
    # Runs a native command and fails the build on a non-zero exit code.
    param(
        [Parameter(Mandatory = $true)] [string] $FilePath,
        [string[]] $ArgumentList = @()
    )
    Write-Host "> $FilePath $($ArgumentList -join ' ')"
    # cargo reports progress on stderr; Windows PowerShell would turn redirected stderr lines into
    # errors, which 'Stop' makes fatal. The exit code is what decides.
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        & $FilePath @ArgumentList
    }
    finally {
        $ErrorActionPreference = $previous
    }
    if ($LASTEXITCODE -ne 0) {
        throw "$FilePath $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE."
    }
}

function Get-CargoVersion {
    $cargoToml = Get-Content -LiteralPath (Join-Path $RepoRoot 'Cargo.toml') -Raw
    $section = [regex]::Match($cargoToml, '(?ms)^\[workspace\.package\]\s*$(.*?)(?=^\[|\z)')
    if (-not $section.Success) { throw 'Cargo.toml has no [workspace.package] section.' }
    $version = [regex]::Match($section.Groups[1].Value, '(?m)^\s*version\s*=\s*"([^"]+)"')
    if (-not $version.Success) { throw 'Cargo.toml [workspace.package] has no version.' }
    $version.Groups[1].Value
}

function Get-TargetDirectory {
    if ($env:CARGO_TARGET_DIR) {
        if ([System.IO.Path]::IsPathRooted($env:CARGO_TARGET_DIR)) { return $env:CARGO_TARGET_DIR }
        return (Join-Path $RepoRoot $env:CARGO_TARGET_DIR)
    }
    Join-Path $RepoRoot 'target'
}

function Get-RuntimeIdentifier {
    # The same choice the module makes at import (module/Private/Native.ps1).
    if ($OnWindows) { $os = 'win' } elseif ($OnMacOS) { $os = 'osx' } else { $os = 'linux' }
    $arch = $null
    $runtimeInformation = 'System.Runtime.InteropServices.RuntimeInformation' -as [type]
    if ($null -ne $runtimeInformation) {
        try { $arch = ([string]$runtimeInformation::ProcessArchitecture).ToLowerInvariant() } catch { $arch = $null }
    }
    if (-not $arch) {
        if ([Environment]::Is64BitProcess) {
            if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { $arch = 'arm64' } else { $arch = 'x64' }
        }
        else { $arch = 'x86' }
    }
    "$os-$arch"
}

function Get-LibraryFileName {
    if ($OnWindows) { return 'ssocreds.dll' }
    if ($OnMacOS) { return 'libssocreds.dylib' }
    'libssocreds.so'
}

function Get-ExecutableName([string] $Name) {
    if ($OnWindows) { return "$Name.exe" }
    $Name
}

function Get-CargoProfileArguments {
    if ($Configuration -eq 'Release') { return @('--release') }
    @()
}

function Get-CargoProfileFolder {
    if ($Configuration -eq 'Release') { return 'release' }
    'debug'
}

function Set-ManifestVersion([string] $Version) {
    $text = [System.IO.File]::ReadAllText($ManifestPath)
    $stamped = [regex]::Replace($text, "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$Version'")
    if ($stamped -ne $text) {
        [System.IO.File]::WriteAllText($ManifestPath, $stamped, [System.Text.UTF8Encoding]::new($false))
        Write-Host "ModuleVersion set to $Version in $ManifestPath"
    }
}

function Get-LockedArgument {
    if (Test-Path -LiteralPath (Join-Path $RepoRoot 'Cargo.lock')) { return @('--locked') }
    @()
}

function Invoke-BuildTask {
    Write-Step "Build ($Configuration)"
    $version = Get-CargoVersion
    Set-ManifestVersion -Version $version

    Invoke-Native -FilePath 'cargo' -ArgumentList (@('build', '-p', 'ssocreds-ffi') + (Get-LockedArgument) + (Get-CargoProfileArguments))
    $built = Join-Path (Join-Path (Get-TargetDirectory) (Get-CargoProfileFolder)) (Get-LibraryFileName)
    if (-not (Test-Path -LiteralPath $built)) { throw "cargo built no library at $built" }

    $rid = Get-RuntimeIdentifier
    $destination = Join-Path (Join-Path $ModuleFolder 'runtimes') $rid
    New-Item -ItemType Directory -Path $destination -Force | Out-Null
    try {
        Copy-Item -LiteralPath $built -Destination (Join-Path $destination (Get-LibraryFileName)) -Force
    }
    catch {
        throw "Copying the library to $destination failed: $($_.Exception.Message). A PowerShell session that imported the module still holds the old one: close it and build again."
    }
    Write-Host "Module ready: $ManifestPath (native library in module/runtimes/$rid/)"
}

function Invoke-TestTask {
    Write-Step 'Test (Pester in a child process)'
    $fake = $env:FAKE_IDC_BIN
    if (-not $fake -or -not (Test-Path -LiteralPath $fake)) {
        Invoke-Native -FilePath 'cargo' -ArgumentList (@('build', '-p', 'fake-identity-center') + (Get-LockedArgument))
        $fake = Join-Path (Join-Path (Get-TargetDirectory) 'debug') (Get-ExecutableName 'fake-identity-center')
    }
    if (-not (Test-Path -LiteralPath $fake)) { throw "The fake IAM Identity Center was not built: $fake" }
    $env:FAKE_IDC_BIN = (Resolve-Path -LiteralPath $fake).ProviderPath
    $env:SSOCREDS_MODULE_MANIFEST = $ManifestPath

    $resultsFolder = Join-Path $OutFolder 'TestResults'
    New-Item -ItemType Directory -Path $resultsFolder -Force | Out-Null
    $edition = $PSVersionTable.PSEdition
    $resultsFile = Join-Path $resultsFolder "pester-$edition-$(Get-RuntimeIdentifier).xml"

    # The same PowerShell that runs this build: pwsh tests PowerShell 7, powershell.exe tests 5.1.
    $shell = (Get-Process -Id $PID).Path
    $runner = Join-Path (Join-Path $RepoRoot 'tests') 'pester/Invoke-PesterChild.ps1'
    Invoke-Native -FilePath $shell -ArgumentList @(
        '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $runner,
        '-PesterVersion', $ToolVersions.Pester,
        '-TestPath', (Join-Path $RepoRoot 'tests'),
        '-ResultsPath', $resultsFile
    )
}

function Invoke-AnalyzeTask {
    Write-Step 'Analyze (PSScriptAnalyzer)'
    $version = $ToolVersions.PSScriptAnalyzer
    if (-not (Get-Module -ListAvailable -Name PSScriptAnalyzer | Where-Object { $_.Version -eq [version]$version })) {
        Install-Module -Name PSScriptAnalyzer -RequiredVersion $version -Scope CurrentUser -Force -Repository PSGallery
    }
    Import-Module -Name PSScriptAnalyzer -RequiredVersion $version
    $findings = @(Invoke-ScriptAnalyzer -Path $ModuleFolder -Recurse -Severity @('Error', 'Warning') -ExcludeRule @('PSAvoidUsingWriteHost', 'PSUseSingularNouns'))
    $findings | Format-Table -AutoSize | Out-String | Write-Host
    if ($findings.Count -gt 0) { throw "PSScriptAnalyzer reported $($findings.Count) finding(s)." }
}

function Invoke-PackageTask {
    Write-Step 'Package'
    $version = Get-CargoVersion
    $runtimes = Join-Path $ModuleFolder 'runtimes'
    $built = @()
    if (Test-Path -LiteralPath $runtimes) { $built = @(Get-ChildItem -LiteralPath $runtimes -Directory) }
    if ($built.Count -eq 0) { throw 'module/runtimes/ is empty: run ./build.ps1 -Task Build first.' }
    if ($built.Count -lt 6) {
        Write-Warning "Packaging only the runtimes built here ($($built.Name -join ', ')); a release gathers win-x64, win-arm64, linux-x64, linux-arm64, osx-x64 and osx-arm64 into module/runtimes/ first."
    }

    $destination = Join-Path (Join-Path $OutFolder $ModuleName) $version
    if (Test-Path -LiteralPath $destination) { Remove-Item -LiteralPath $destination -Recurse -Force }
    New-Item -ItemType Directory -Path $destination -Force | Out-Null
    Copy-Item -LiteralPath $ManifestPath -Destination $destination
    $moduleDestination = Join-Path $destination 'module'
    New-Item -ItemType Directory -Path $moduleDestination -Force | Out-Null
    foreach ($item in @('Set-AwsCliSsoCredentials.psm1', 'Public', 'Private', 'Interop', 'runtimes')) {
        Copy-Item -LiteralPath (Join-Path $ModuleFolder $item) -Destination $moduleDestination -Recurse -Force
    }
    foreach ($extra in @('LICENSE', 'README.md')) {
        $path = Join-Path $RepoRoot $extra
        if (Test-Path -LiteralPath $path) { Copy-Item -LiteralPath $path -Destination $destination }
    }
    $manifest = Test-ModuleManifest -Path (Join-Path $destination "$ModuleName.psd1")
    Write-Host "Packaged $($manifest.Name) $($manifest.Version) in $destination (Publish-Module -Path '$destination')"
}

foreach ($name in @('Build', 'Test', 'Analyze', 'Package')) {
    if ($Task -contains $name) {
        & "Invoke-$($name)Task"
    }
}
