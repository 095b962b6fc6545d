#Requires -Version 5.1
<#
.SYNOPSIS
Builds, tests, packages and demonstrates the Set-AwsCliSsoCredentials module: the one entry point.

.DESCRIPTION
Build    cargo build -p ssocreds-ffi (honours CARGO_TARGET_DIR, default <repo>/target) and copies the native
         library into module/runtimes/<rid>/; stamps ModuleVersion in Set-AwsCliSsoCredentials.psd1 from
         [workspace.package] version in Cargo.toml; builds the cmdlets (dotnet build
         module/src/SetAwsCliSsoCredentials.csproj -p:Version=<that version>, output in out/bin/<Configuration>/)
         and copies SetAwsCliSsoCredentials.dll (and .pdb) into module/. Needs cargo and the .NET SDK 8+.
         Afterwards `Import-Module ./Set-AwsCliSsoCredentials.psd1` loads what was built.
Test     runs Package first (its folder is passed to the tests as SSOCREDS_PACKAGE_PATH), builds the fake IAM
         Identity Center (cargo build -p fake-identity-center, passed as FAKE_IDC_BIN, and its stand-in
         browser beside it as FAKE_BROWSER_BIN) and runs Pester (version
         pinned in build.config.psd1) in a child process of the same PowerShell (pwsh or Windows PowerShell)
         with -NoProfile -NonInteractive: a native library cannot be unloaded from a session. Fails when a
         test fails. Results: out/TestResults/.
Analyze  runs PSScriptAnalyzer (pinned; installed from the PowerShell Gallery when missing) on the manifest,
         the module folder, build.ps1 and tests/.
Package  lays out out/Set-AwsCliSsoCredentials/<version>/ (or under -OutputPath): the manifest, module/ with the
         cmdlet DLL, its format and help files and every runtimes/<rid>/ built, LICENSE and README.md; no sources.
         With -RuntimesPath, the native libraries come from there instead, all seven of a release (win-x64,
         win-arm64, win-x86, linux-x64, linux-arm64, osx-x64, osx-arm64), each checked to be a library built for
         its own OS and processor. Checked with Test-ModuleManifest; ready for Publish-Module -Path.
Demo     builds, starts the bundled fake IAM Identity Center and, in a child PowerShell with a throwaway HOME and
         credentials file, imports the module, logs in (the fake approves by itself), writes a dozen profiles,
         shows them (never a secret), and runs again to show that nothing needs doing. Touches none of your
         files and no AWS account. With -ModulePath, runs against that installed or packaged module instead of
         building (FAKE_IDC_BIN names a prebuilt fake, else cargo builds it).

.PARAMETER Configuration
Debug (default) or Release: the cargo profile of the native library and the dotnet configuration of the cmdlets.

.PARAMETER RuntimesPath
A folder of prebuilt native libraries, <rid>/<file> for each of the seven runtimes of a release (what the release
workflow gathers from its build jobs). Build then builds the cmdlets only (no cargo), and Package takes the
libraries from there and refuses the folder when one is missing, misnamed or built for another platform.

.PARAMETER OutputPath
Where Package lays out Set-AwsCliSsoCredentials/<version>/ (default: out/ in the repository).

.PARAMETER ModulePath
Demo: the folder of an installed or packaged module (the one holding Set-AwsCliSsoCredentials.psd1) to run the
demo with, instead of building this clone.

.PARAMETER Task
One or more of Build, Test, Analyze, Package, Demo, run in that order (Test packages first, Demo builds first).
Several as an array (-Task Build, Test) or as one comma-separated string (pwsh -File ./build.ps1 -Task Build,Test).
Default: Build.

.EXAMPLE
./build.ps1

.EXAMPLE
./build.ps1 -Task Build, Test

.EXAMPLE
pwsh ./build.ps1 -Task Demo

.EXAMPLE
./build.ps1 -Configuration Release -Task Build, Package

.EXAMPLE
./build.ps1 -Configuration Release -Task Build, Package -RuntimesPath ./runtimes
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    # Validated below: `pwsh -File` passes "Build,Test" as one string, which a ValidateSet would refuse.
    [string[]] $Task = @('Build'),

    [string] $RuntimesPath,

    [string] $OutputPath,

    [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$RepoRoot = $PSScriptRoot
$ModuleName = 'Set-AwsCliSsoCredentials'
$AssemblyName = 'SetAwsCliSsoCredentials'
$ManifestPath = Join-Path $RepoRoot "$ModuleName.psd1"
$ModuleFolder = Join-Path $RepoRoot 'module'
$ProjectPath = Join-Path (Join-Path $ModuleFolder 'src') "$AssemblyName.csproj"
$OutFolder = Join-Path $RepoRoot 'out'
$ToolVersions = Import-PowerShellDataFile -Path (Join-Path $RepoRoot 'build.config.psd1')
$OnWindows = ($PSVersionTable.PSEdition -ne 'Core') -or $IsWindows
$OnMacOS = ($PSVersionTable.PSEdition -eq 'Core') -and $IsMacOS
$AllTasks = @('Build', 'Test', 'Analyze', 'Package', 'Demo')
$PackageRoot = $OutFolder
if ($OutputPath) { $PackageRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine((Get-Location).ProviderPath, $OutputPath)) }

# The runtimes a release ships: the library's file name, the command line's (run by -CredentialProcess
# profiles), and the binary format and processor both must be built for (read from its header by Get-LibraryPlatform, so that a cross-build that built for the host is caught).
$ReleaseRuntimes = [ordered]@{
    'win-x64'     = @{ File = 'ssocreds.dll'; Cli = 'ssocreds-cli.exe'; Format = 'PE'; Architecture = 'x64' }
    'win-arm64'   = @{ File = 'ssocreds.dll'; Cli = 'ssocreds-cli.exe'; Format = 'PE'; Architecture = 'arm64' }
    'win-x86'     = @{ File = 'ssocreds.dll'; Cli = 'ssocreds-cli.exe'; Format = 'PE'; Architecture = 'x86' }
    'linux-x64'   = @{ File = 'libssocreds.so'; Cli = 'ssocreds-cli'; Format = 'ELF'; Architecture = 'x64' }
    'linux-arm64' = @{ File = 'libssocreds.so'; Cli = 'ssocreds-cli'; Format = 'ELF'; Architecture = 'arm64' }
    'osx-x64'     = @{ File = 'libssocreds.dylib'; Cli = 'ssocreds-cli'; Format = 'Mach-O'; Architecture = 'x64' }
    'osx-arm64'   = @{ File = 'libssocreds.dylib'; Cli = 'ssocreds-cli'; Format = 'Mach-O'; Architecture = 'arm64' }
}

function Write-Step([string] $Message) {
    Write-Host "== $Message" -ForegroundColor Cyan
}

function Get-RequestedTask {
    # -Task Build, Test (an array) and -Task Build,Test (one string, as `pwsh -File` passes it) both work.
    $names = New-Object System.Collections.Generic.List[string]
    foreach ($item in $Task) {
        foreach ($part in ([string]$item -split ',')) {
            $name = $part.Trim()
            if (-not $name) { continue }
            $known = @($AllTasks | Where-Object { $_ -eq $name })
            if ($known.Count -eq 0) {
                throw "Unknown task '$name'. Valid tasks: $($AllTasks -join ', ') (several: -Task Build,Test)."
            }
            $names.Add($known[0])
        }
    }
    if ($names.Count -eq 0) { throw "No task given. Valid tasks: $($AllTasks -join ', ')." }
    , $names.ToArray()
}

$script:CompletedTasks = @{}
function Invoke-Task([string] $Name) {
    # Each task runs at most once, also when another task needs it first.
    if ($script:CompletedTasks.ContainsKey($Name)) { return }
    & "Invoke-$($Name)Task"
    $script:CompletedTasks[$Name] = $true
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

function Use-Environment {
    # Runs $ScriptBlock with environment variables set (a $null value removes one), then restores them.
    param(
        [Parameter(Mandatory = $true)] [hashtable] $Variables,
        [Parameter(Mandatory = $true)] [scriptblock] $ScriptBlock
    )
    $saved = @{}
    foreach ($name in $Variables.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $Variables[$name])
    }
    try {
        & $ScriptBlock
    }
    finally {
        foreach ($name in $saved.Keys) {
            [Environment]::SetEnvironmentVariable($name, $saved[$name])
        }
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

function Get-NumericVersion([string] $Version) {
    # 1.2.3-beta.1+abc -> 1.2.3: what ModuleVersion and the assembly version hold.
    [version]($Version -replace '[-+].*$', '')
}

function Get-TargetDirectory {
    if ($env:CARGO_TARGET_DIR) {
        if ([System.IO.Path]::IsPathRooted($env:CARGO_TARGET_DIR)) { return $env:CARGO_TARGET_DIR }
        return (Join-Path $RepoRoot $env:CARGO_TARGET_DIR)
    }
    Join-Path $RepoRoot 'target'
}

function Get-RuntimeIdentifier {
    # The same choice the module makes at import (module/src/Engine/ModuleInitializer.cs).
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

function Get-LockedArgument {
    if (Test-Path -LiteralPath (Join-Path $RepoRoot 'Cargo.lock')) { return @('--locked') }
    @()
}

function Get-PackagePath {
    Join-Path (Join-Path $PackageRoot $ModuleName) (Get-CargoVersion)
}

function Write-ManifestVersion([string] $Version) {
    $text = [System.IO.File]::ReadAllText($ManifestPath)
    $stamped = [regex]::Replace($text, "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$Version'")
    if ($stamped -ne $text) {
        [System.IO.File]::WriteAllText($ManifestPath, $stamped, (New-Object System.Text.UTF8Encoding($false)))
        Write-Host "ModuleVersion set to $Version in $ManifestPath"
    }
}

function Test-SameFile([string] $Path, [string] $OtherPath) {
    if (-not (Test-Path -LiteralPath $OtherPath)) { return $false }
    if ((Get-Item -LiteralPath $Path).Length -ne (Get-Item -LiteralPath $OtherPath).Length) { return $false }
    (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash -eq (Get-FileHash -LiteralPath $OtherPath -Algorithm SHA256).Hash
}

function Copy-BuildOutput {
    # Copies a built file into the module unless the module already has the same bytes (so that an
    # unchanged build succeeds on Windows even while a PowerShell session holds the file).
    param(
        [Parameter(Mandatory = $true)] [string] $Path,
        [Parameter(Mandatory = $true)] [string] $Destination
    )
    if (Test-SameFile -Path $Path -OtherPath $Destination) { return }
    try {
        Copy-Item -LiteralPath $Path -Destination $Destination -Force
    }
    catch {
        throw "Copying $Path to $Destination failed: $($_.Exception.Message). A PowerShell session that imported the module still holds the old $(Split-Path -Leaf $Destination): close it and build again."
    }
}

function Get-DotNetCommand {
    # The .NET SDK that builds module/src; a clear message when there is none.
    $minimum = [int]$ToolVersions.DotNetSdkMajor
    $hint = "install the .NET SDK $minimum or later (https://dotnet.microsoft.com/download), then run ./build.ps1 again: it builds the cmdlets in module/src"
    $dotnet = @(Get-Command -Name 'dotnet' -CommandType Application -ErrorAction SilentlyContinue)
    if ($dotnet.Count -eq 0) { throw "dotnet was not found on PATH: $hint." }
    $path = $dotnet[0].Source
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $sdks = @(& $path --list-sdks 2>$null | ForEach-Object { [string]$_ })
    }
    finally {
        $ErrorActionPreference = $previous
    }
    $majors = @($sdks | ForEach-Object { if ($_ -match '^(\d+)\.') { [int]$Matches[1] } })
    if ($majors.Count -eq 0) { throw "dotnet ($path) has no SDK, only a runtime: $hint." }
    if (($majors | Measure-Object -Maximum).Maximum -lt $minimum) {
        throw "dotnet ($path) has only the SDKs $($sdks -join '; '): $hint."
    }
    $path
}

function Invoke-BuildTask {
    Write-Step "Build ($Configuration)"
    $version = Get-CargoVersion
    Write-ManifestVersion -Version $version
    if (-not (Test-Path -LiteralPath $ProjectPath)) { throw "The cmdlet project is missing: $ProjectPath" }
    # Before cargo, so that a machine without the SDK learns it at once.
    $dotnet = Get-DotNetCommand

    $rid = Get-RuntimeIdentifier
    if ($RuntimesPath) {
        # A release: the native libraries were built on their own machines; Package takes them from there.
        Write-Host "Native libraries: prebuilt, in $RuntimesPath (no cargo build)"
    }
    else {
        # The library, and ssocreds-cli beside it: the command a -CredentialProcess profile runs.
        Invoke-Native -FilePath 'cargo' -ArgumentList (@('build', '-p', 'ssocreds-ffi', '-p', 'ssocreds-cli') + (Get-LockedArgument) + (Get-CargoProfileArguments))
        $destination = Join-Path (Join-Path $ModuleFolder 'runtimes') $rid
        New-Item -ItemType Directory -Path $destination -Force | Out-Null
        foreach ($file in @((Get-LibraryFileName), (Get-ExecutableName 'ssocreds-cli'))) {
            $built = Join-Path (Join-Path (Get-TargetDirectory) (Get-CargoProfileFolder)) $file
            if (-not (Test-Path -LiteralPath $built)) { throw "cargo built no $file at $built" }
            Copy-BuildOutput -Path $built -Destination (Join-Path $destination $file)
        }
    }

    # The cmdlets carry the same version as the native library: the module checks it at import.
    $binFolder = Join-Path (Join-Path $OutFolder 'bin') $Configuration
    # No build servers left behind (-nodeReuse:false, UseSharedCompilation=false): they would outlive the
    # build and keep the output pipes of whatever started it open.
    Invoke-Native -FilePath $dotnet -ArgumentList @(
        'build', $ProjectPath, '--nologo', '-c', $Configuration, "-p:Version=$version", '-o', $binFolder,
        '-nodeReuse:false', '-p:UseSharedCompilation=false'
    )
    $assembly = Join-Path $binFolder "$AssemblyName.dll"
    if (-not (Test-Path -LiteralPath $assembly)) { throw "dotnet build produced no $assembly" }
    Copy-BuildOutput -Path $assembly -Destination (Join-Path $ModuleFolder "$AssemblyName.dll")
    $symbols = Join-Path $binFolder "$AssemblyName.pdb"
    if (Test-Path -LiteralPath $symbols) {
        Copy-BuildOutput -Path $symbols -Destination (Join-Path $ModuleFolder "$AssemblyName.pdb")
    }
    # PowerShell looks for a compiled module's help beside the manifest (<culture>/<dll>-Help.xml), not
    # beside the DLL: the help kept in module/<culture>/ goes next to the manifest, like the DLL a build output.
    foreach ($culture in @(Get-ChildItem -LiteralPath $ModuleFolder -Directory | Where-Object { $_.Name -match '^[a-z]{2}(-[A-Za-z]{2,4})?$' })) {
        $helpDestination = Join-Path $RepoRoot $culture.Name
        New-Item -ItemType Directory -Path $helpDestination -Force | Out-Null
        foreach ($file in @(Get-ChildItem -LiteralPath $culture.FullName -File)) {
            Copy-BuildOutput -Path $file.FullName -Destination (Join-Path $helpDestination $file.Name)
        }
    }
    $native = "native library in module/runtimes/$rid/"
    if ($RuntimesPath) { $native = "native libraries prebuilt in $RuntimesPath, for Package" }
    Write-Host "Module ready: $ManifestPath (module/$AssemblyName.dll $version, $native)"
}

function Get-FakeIdentityCenter {
    # The fake IAM Identity Center binary: FAKE_IDC_BIN when it names one, else built here.
    $fake = $env:FAKE_IDC_BIN
    if (-not $fake -or -not (Test-Path -LiteralPath $fake)) {
        # To the host: this function's output is the path alone.
        Invoke-Native -FilePath 'cargo' -ArgumentList (@('build', '-p', 'fake-identity-center') + (Get-LockedArgument)) | Out-Host
        $fake = Join-Path (Join-Path (Get-TargetDirectory) 'debug') (Get-ExecutableName 'fake-identity-center')
    }
    if (-not (Test-Path -LiteralPath $fake)) { throw "The fake IAM Identity Center was not built: $fake" }
    (Resolve-Path -LiteralPath $fake).ProviderPath
}

function Get-FakeBrowser {
    # The tests' stand-in browser (fake-browser, of the fake's crate): FAKE_BROWSER_BIN when it names one,
    # else the one beside the fake, else built here.
    param([Parameter(Mandatory = $true)] [string] $Fake)
    $browser = $env:FAKE_BROWSER_BIN
    if (-not $browser -or -not (Test-Path -LiteralPath $browser)) {
        $browser = Join-Path (Split-Path -Parent $Fake) (Get-ExecutableName 'fake-browser')
    }
    if (-not (Test-Path -LiteralPath $browser)) {
        Invoke-Native -FilePath 'cargo' -ArgumentList (@('build', '-p', 'fake-identity-center', '--bin', 'fake-browser') + (Get-LockedArgument)) | Out-Host
        $browser = Join-Path (Join-Path (Get-TargetDirectory) 'debug') (Get-ExecutableName 'fake-browser')
    }
    if (-not (Test-Path -LiteralPath $browser)) { throw "The stand-in browser was not built: $browser" }
    (Resolve-Path -LiteralPath $browser).ProviderPath
}

function Invoke-TestTask {
    # Pester imports the packaged module from another directory too.
    Invoke-Task 'Package'
    Write-Step 'Test (Pester in a child process)'
    $fake = Get-FakeIdentityCenter
    $browser = Get-FakeBrowser -Fake $fake
    # The CLI for tests/Conformance.Tests.ps1: SSOCREDS_CLI_BIN when it names one, else built here.
    $cli = $env:SSOCREDS_CLI_BIN
    if (-not $cli -or -not (Test-Path -LiteralPath $cli)) {
        Invoke-Native -FilePath 'cargo' -ArgumentList (@('build', '-p', 'ssocreds-cli') + (Get-LockedArgument)) | Out-Host
        $cli = Join-Path (Join-Path (Get-TargetDirectory) 'debug') (Get-ExecutableName 'ssocreds-cli')
    }
    $resultsFolder = Join-Path $OutFolder 'TestResults'
    New-Item -ItemType Directory -Path $resultsFolder -Force | Out-Null
    $edition = $PSVersionTable.PSEdition
    $resultsFile = Join-Path $resultsFolder "pester-$edition-$(Get-RuntimeIdentifier).xml"

    # The same PowerShell that runs this build: pwsh tests PowerShell 7, powershell.exe tests 5.1.
    $shell = (Get-Process -Id $PID).Path
    $runner = Join-Path (Join-Path $RepoRoot 'tests') 'pester/Invoke-PesterChild.ps1'
    $variables = @{
        FAKE_IDC_BIN             = $fake
        FAKE_BROWSER_BIN         = $browser
        SSOCREDS_CLI_BIN         = $cli
        SSOCREDS_MODULE_MANIFEST = $ManifestPath
        SSOCREDS_PACKAGE_PATH    = (Get-PackagePath)
    }
    Use-Environment -Variables $variables -ScriptBlock {
        # Run.Exit: the child's exit code is the number of failed tests, so a failure fails the build.
        Invoke-Native -FilePath $shell -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $runner,
            '-PesterVersion', $ToolVersions.Pester,
            '-TestPath', (Join-Path $RepoRoot 'tests'),
            '-ResultsPath', $resultsFile
        )
    }
}

function Invoke-AnalyzeTask {
    Write-Step 'Analyze (PSScriptAnalyzer)'
    $version = $ToolVersions.PSScriptAnalyzer
    if (-not (Get-Module -ListAvailable -Name PSScriptAnalyzer | Where-Object { $_.Version -eq [version]$version })) {
        if ($PSVersionTable.PSEdition -ne 'Core') {
            # Windows PowerShell: the Gallery needs TLS 1.2 and PowerShellGet needs the NuGet provider.
            [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
            $null = Install-PackageProvider -Name NuGet -MinimumVersion 2.8.5.201 -Force -Scope CurrentUser
        }
        Install-Module -Name PSScriptAnalyzer -RequiredVersion $version -Scope CurrentUser -Force -Repository PSGallery
    }
    Import-Module -Name PSScriptAnalyzer -RequiredVersion $version

    # The module is compiled now: its folder holds no script, only data and format files; every PowerShell
    # file of the repository is analyzed, file by file (none found is not an error).
    $excluded = @('PSAvoidUsingWriteHost', 'PSUseSingularNouns')
    # Pester files: variables set in BeforeAll and used in It, $global: variables the module's contract
    # names, helpers with state-changing verbs, and unused mock parameters are how Pester tests are written.
    $excludedInTests = $excluded + @(
        'PSUseDeclaredVarsMoreThanAssignments', 'PSAvoidGlobalVars', 'PSUseShouldProcessForStateChangingFunctions',
        'PSReviewUnusedParameter', 'PSAvoidUsingConvertToSecureStringWithPlainText'
    )
    $testsFolder = Join-Path $RepoRoot 'tests'
    $files = @(
        @(Get-Item -LiteralPath $ManifestPath, (Join-Path $RepoRoot 'build.ps1'), (Join-Path $RepoRoot 'build.config.psd1'))
        @(Get-ChildItem -LiteralPath $ModuleFolder -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1' |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' })
        @(Get-ChildItem -LiteralPath $testsFolder -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1')
    )
    $findings = New-Object System.Collections.Generic.List[object]
    foreach ($file in $files) {
        $rules = $excluded
        if ($file.FullName.StartsWith($testsFolder, [StringComparison]::OrdinalIgnoreCase)) { $rules = $excludedInTests }
        foreach ($finding in @(Invoke-ScriptAnalyzer -Path $file.FullName -Severity @('Error', 'Warning') -ExcludeRule $rules)) {
            $findings.Add($finding)
        }
    }
    Write-Host "Analyzed $($files.Count) file(s)."
    if ($findings.Count -gt 0) {
        $columns = @('ScriptName', 'Line', 'RuleName', 'Message')
        $findings | Format-Table -AutoSize -Wrap -Property $columns | Out-String -Width 200 | Write-Host
        throw "PSScriptAnalyzer reported $($findings.Count) finding(s)."
    }
}

function Get-LibraryPlatform([string] $Path) {
    # The binary format, processor and kind of a native library, read from its header as the OS loader reads
    # it: Format PE, ELF or Mach-O (64-bit), Architecture x64, x86 or arm64, Library when it is a DLL or
    # shared object (not an executable). 'unknown' for anything else.
    $bytes = New-Object byte[] 4096
    $stream = [System.IO.File]::OpenRead($Path)
    try { $count = $stream.Read($bytes, 0, $bytes.Length) } finally { $stream.Dispose() }
    $platform = @{ Format = 'unknown'; Architecture = 'unknown'; Library = $false }
    if ($count -ge 64 -and $bytes[0] -eq 0x4D -and $bytes[1] -eq 0x5A) {
        # MZ stub; e_lfanew points at "PE\0\0", then the COFF header: Machine, ..., Characteristics.
        $header = [BitConverter]::ToInt32($bytes, 0x3C)
        if ($header -gt 0 -and $header + 24 -le $count -and [BitConverter]::ToInt32($bytes, $header) -eq 0x00004550) {
            $machines = @{ 0x8664 = 'x64'; 0x014C = 'x86'; 0xAA64 = 'arm64' }
            $platform.Format = 'PE'
            $platform.Architecture = $machines[[int][BitConverter]::ToUInt16($bytes, $header + 4)]
            $platform.Library = ([BitConverter]::ToUInt16($bytes, $header + 22) -band 0x2000) -ne 0
        }
    }
    elseif ($count -ge 20 -and $bytes[0] -eq 0x7F -and $bytes[1] -eq 0x45 -and $bytes[2] -eq 0x4C -and $bytes[3] -eq 0x46) {
        # ELF: e_type at 16 (3 = shared object), e_machine at 18.
        $machines = @{ 62 = 'x64'; 3 = 'x86'; 183 = 'arm64' }
        $platform.Format = 'ELF'
        $platform.Architecture = $machines[[int][BitConverter]::ToUInt16($bytes, 18)]
        $platform.Library = [BitConverter]::ToUInt16($bytes, 16) -eq 3
    }
    elseif ($count -ge 16 -and [BitConverter]::ToInt32($bytes, 0) -eq 0xFEEDFACF) {
        # 64-bit Mach-O: cputype at 4, filetype at 12 (6 = dynamic library).
        $machines = @{ 0x01000007 = 'x64'; 0x0100000C = 'arm64' }
        $platform.Format = 'Mach-O'
        $platform.Architecture = $machines[[BitConverter]::ToInt32($bytes, 4)]
        $platform.Library = [BitConverter]::ToInt32($bytes, 12) -eq 6
    }
    if (-not $platform.Architecture) { $platform.Architecture = 'unknown' }
    $platform
}

function Get-PeImportName([string] $Path) {
    # The DLL names in a PE file's import table: what Windows loads with it.
    $bytes = [System.IO.File]::ReadAllBytes($Path)
    $coff = [BitConverter]::ToInt32($bytes, 0x3C) + 4
    $sectionCount = [BitConverter]::ToUInt16($bytes, $coff + 2)
    $optionalSize = [BitConverter]::ToUInt16($bytes, $coff + 16)
    $optional = $coff + 20
    if ($optionalSize -lt 2) { return @() }
    # The data directories follow the optional header's fixed part: 96 bytes in PE32, 112 in PE32+.
    $directories = $optional + 96
    if ([BitConverter]::ToUInt16($bytes, $optional) -eq 0x20B) { $directories = $optional + 112 }
    if ($directories + 16 -gt $optional + $optionalSize) { return @() }
    $sections = @(for ($i = 0; $i -lt $sectionCount; $i++) {
            $at = $optional + $optionalSize + 40 * $i
            @{ Address = [BitConverter]::ToUInt32($bytes, $at + 12); Size = [Math]::Max([BitConverter]::ToUInt32($bytes, $at + 8), [BitConverter]::ToUInt32($bytes, $at + 16)); Offset = [BitConverter]::ToUInt32($bytes, $at + 20) }
        })
    $toOffset = {
        param([long] $Rva)
        foreach ($section in $sections) {
            if ($Rva -ge $section.Address -and $Rva -lt $section.Address + $section.Size) { return $Rva - $section.Address + $section.Offset }
        }
        -1
    }
    $descriptor = & $toOffset ([BitConverter]::ToUInt32($bytes, $directories + 8))
    $names = New-Object System.Collections.Generic.List[string]
    # Import descriptors, 20 bytes each, until one with no name: the DLL's name at +12 (an RVA).
    while ($descriptor -ge 0 -and $descriptor + 20 -le $bytes.Length) {
        $name = & $toOffset ([BitConverter]::ToUInt32($bytes, $descriptor + 12))
        if ($name -lt 0) { break }
        $end = [Array]::IndexOf($bytes, [byte]0, [int]$name)
        if ($end -lt 0) { break }
        $names.Add([System.Text.Encoding]::ASCII.GetString($bytes, [int]$name, [int]($end - $name)))
        $descriptor += 20
    }
    $names.ToArray()
}

function Get-ReleaseRuntimeFile([string] $Path) {
    # The seven libraries of a release, $Path/<rid>/<file>, and their ssocreds-cli beside them, as an ordered
    # rid -> paths table. Each must be there and be built for its own OS and processor; one error names every
    # runtime at fault.
    if (-not (Test-Path -LiteralPath $Path -PathType Container)) { throw "The runtimes folder $Path does not exist." }
    $root = (Resolve-Path -LiteralPath $Path).ProviderPath
    $problems = New-Object System.Collections.Generic.List[string]
    $libraries = [ordered]@{}
    foreach ($rid in $ReleaseRuntimes.Keys) {
        $expected = $ReleaseRuntimes[$rid]
        $file = Join-Path (Join-Path $root $rid) $expected.File
        if (-not (Test-Path -LiteralPath $file -PathType Leaf)) {
            $problems.Add("$rid is missing (expected $file)")
            continue
        }
        $found = Get-LibraryPlatform -Path $file
        if ($found.Format -ne $expected.Format -or $found.Architecture -ne $expected.Architecture -or -not $found.Library) {
            $kind = 'not a library'
            if ($found.Library) { $kind = 'a library' }
            $problems.Add("$rid/$($expected.File) is $($found.Format) $($found.Architecture), $kind; expected a $($expected.Format) $($expected.Architecture) library")
        }
        elseif ($found.Format -eq 'PE') {
            # .cargo/config.toml links the C runtime statically (+crt-static), so that no Visual C++
            # Redistributable is needed; a RUSTFLAGS variable in the build replaces those flags.
            $runtimeDlls = @(Get-PeImportName -Path $file | Where-Object { $_ -match '^(vcruntime|msvcp|ucrtbase|api-ms-win-crt-)' })
            if ($runtimeDlls.Count -gt 0) {
                $problems.Add("$rid/$($expected.File) needs the C runtime DLLs $($runtimeDlls -join ', '): build it with .cargo/config.toml's +crt-static (no RUSTFLAGS in the environment)")
            }
        }
        $cli = Join-Path (Join-Path $root $rid) $expected.Cli
        if (-not (Test-Path -LiteralPath $cli -PathType Leaf)) {
            $problems.Add("$rid has no $($expected.Cli) (expected $cli)")
            continue
        }
        $cliPlatform = Get-LibraryPlatform -Path $cli
        if ($cliPlatform.Format -ne $expected.Format -or $cliPlatform.Architecture -ne $expected.Architecture) {
            $problems.Add("$rid/$($expected.Cli) is $($cliPlatform.Format) $($cliPlatform.Architecture); expected $($expected.Format) $($expected.Architecture)")
        }
        $libraries[$rid] = @($file, $cli)
    }
    foreach ($folder in @(Get-ChildItem -LiteralPath $root -Directory | Where-Object { -not $ReleaseRuntimes.Contains($_.Name) })) {
        $problems.Add("$($folder.Name) is not a runtime the module loads")
    }
    if ($problems.Count -gt 0) {
        throw "The runtimes folder $root is not a release's $($ReleaseRuntimes.Count) runtimes ($($ReleaseRuntimes.Keys -join ', ')): $($problems -join '; ')."
    }
    $libraries
}

function Invoke-PackageTask {
    Write-Step 'Package'
    $version = Get-CargoVersion
    $manifestData = Import-PowerShellDataFile -Path $ManifestPath
    $rootModule = [string]$manifestData['RootModule']
    if (-not $rootModule.EndsWith('.dll', [StringComparison]::OrdinalIgnoreCase)) {
        throw "RootModule in $ManifestPath is '$rootModule', not the cmdlet DLL."
    }
    $assembly = Join-Path $RepoRoot $rootModule
    if (-not (Test-Path -LiteralPath $assembly)) { throw "$rootModule is not built: run ./build.ps1 -Task Build first." }
    # A DLL left from an older build would fail the version check at import.
    $assemblyVersion = [System.Reflection.AssemblyName]::GetAssemblyName((Resolve-Path -LiteralPath $assembly).ProviderPath).Version
    $expected = Get-NumericVersion $version
    if ($assemblyVersion.Major -ne $expected.Major -or $assemblyVersion.Minor -ne $expected.Minor -or $assemblyVersion.Build -ne $expected.Build) {
        throw "$rootModule is version $assemblyVersion but Cargo.toml says $($version): run ./build.ps1 -Task Build first."
    }
    $runtimes = Join-Path $ModuleFolder 'runtimes'
    if ($RuntimesPath) {
        $releaseLibraries = Get-ReleaseRuntimeFile -Path $RuntimesPath
    }
    else {
        $built = @()
        if (Test-Path -LiteralPath $runtimes) { $built = @(Get-ChildItem -LiteralPath $runtimes -Directory) }
        if ($built.Count -eq 0) { throw 'module/runtimes/ is empty: run ./build.ps1 -Task Build first.' }
        if ($built.Count -lt $ReleaseRuntimes.Count) {
            Write-Warning "Packaging only the runtimes built here ($(($built | ForEach-Object { $_.Name }) -join ', ')); a release passes all $($ReleaseRuntimes.Count) with -RuntimesPath ($($ReleaseRuntimes.Keys -join ', '))."
        }
    }

    $destination = Get-PackagePath
    try {
        if (Test-Path -LiteralPath $destination) { Remove-Item -LiteralPath $destination -Recurse -Force }
    }
    catch {
        throw "Removing the previous package $destination failed: $($_.Exception.Message). A PowerShell session that imported it still holds its files: close it and package again."
    }
    New-Item -ItemType Directory -Path $destination -Force | Out-Null
    Copy-Item -LiteralPath $ManifestPath -Destination $destination

    # The files the manifest names (the DLL, its format data), the help, every runtime built.
    $named = @($rootModule) + @($manifestData['FormatsToProcess']) + @($manifestData['TypesToProcess']) |
        Where-Object { $_ }
    foreach ($relative in $named) {
        $source = Join-Path $RepoRoot $relative
        if (-not (Test-Path -LiteralPath $source)) { throw "$relative, named in $ModuleName.psd1, does not exist." }
        $target = Join-Path $destination $relative
        New-Item -ItemType Directory -Path (Split-Path -Parent $target) -Force | Out-Null
        Copy-Item -LiteralPath $source -Destination $target
    }
    $moduleDestination = Join-Path $destination 'module'
    if ($RuntimesPath) {
        foreach ($rid in $releaseLibraries.Keys) {
            $ridDestination = Join-Path (Join-Path $moduleDestination 'runtimes') $rid
            New-Item -ItemType Directory -Path $ridDestination -Force | Out-Null
            Copy-Item -LiteralPath $releaseLibraries[$rid] -Destination $ridDestination
            if (-not $OnWindows) {
                # The command a credential_process line runs must stay executable (a zip keeps no mode).
                & chmod +x (Join-Path $ridDestination $ReleaseRuntimes[$rid].Cli)
            }
        }
    }
    else {
        Copy-Item -LiteralPath $runtimes -Destination $moduleDestination -Recurse -Force
    }
    # Help: culture folders (en-US/...) holding MAML or about_ topics, beside the manifest (where Build put
    # them and where PowerShell looks).
    $helpCount = 0
    foreach ($pair in @(, @($RepoRoot, $destination))) {
        $helpFolders = @(Get-ChildItem -LiteralPath $pair[0] -Directory | Where-Object {
                @(Get-ChildItem -LiteralPath $_.FullName -File -Filter '*-Help.xml').Count -gt 0 -or
                @(Get-ChildItem -LiteralPath $_.FullName -File -Filter 'about_*.help.txt').Count -gt 0
            })
        foreach ($folder in $helpFolders) {
            Copy-Item -LiteralPath $folder.FullName -Destination $pair[1] -Recurse -Force
            $helpCount++
        }
    }
    if ($helpCount -eq 0) { Write-Warning 'No help (en-US/*-Help.xml) to package.' }
    foreach ($extra in @('LICENSE', 'README.md')) {
        $path = Join-Path $RepoRoot $extra
        if (Test-Path -LiteralPath $path) { Copy-Item -LiteralPath $path -Destination $destination }
        else { Write-Warning "$extra is missing: the package goes without it." }
    }

    # What Install-Module gives a user: compiled code only.
    $sources = @(Get-ChildItem -LiteralPath $destination -Recurse -File -Include '*.ps1', '*.psm1', '*.cs', '*.csproj')
    if ($sources.Count -gt 0) { throw "The package holds sources: $(($sources | ForEach-Object { $_.FullName }) -join ', ')" }
    $manifest = Test-ModuleManifest -Path (Join-Path $destination "$ModuleName.psd1")
    if ($manifest.Version -ne $expected) { throw "The packaged manifest says $($manifest.Version), Cargo.toml $version." }
    Write-Host "Packaged $($manifest.Name) $($manifest.Version) in $destination (Publish-Module -Path '$destination')"
}

function Open-FakeIdentityCenter([string[]] $ArgumentList) {
    # Starts the fake on a free port and returns its process and URL. It stops when its standard input
    # closes (--exit-on-stdin-eof): Close-FakeIdentityCenter, or this process ending in any way.
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = Get-FakeIdentityCenter
    $info.Arguments = (@('--port', '0', '--exit-on-stdin-eof') + $ArgumentList) -join ' '
    $info.UseShellExecute = $false
    $info.CreateNoWindow = $true
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $errors = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait(30000) -or -not $line.Result) {
        $fake = [pscustomobject]@{ Process = $process; Url = $null }
        Close-FakeIdentityCenter $fake
        $detail = ''
        if ($errors.Wait(1000)) { $detail = $errors.Result.Trim() }
        if ($process.HasExited) { $detail = "exit code $($process.ExitCode). $detail" }
        throw "The fake IAM Identity Center ($($info.FileName)) did not start: $detail"
    }
    [pscustomobject]@{ Process = $process; Url = ([string](ConvertFrom-Json -InputObject $line.Result).url).TrimEnd('/') }
}

function Close-FakeIdentityCenter($Fake) {
    if ($null -eq $Fake) { return }
    try { $Fake.Process.StandardInput.Close() } catch { Write-Verbose "stdin of the fake: $($_.Exception.Message)" }
    if (-not $Fake.Process.WaitForExit(5000)) {
        try { $Fake.Process.Kill() } catch { Write-Verbose "stopping the fake: $($_.Exception.Message)" }
    }
}

# Runs in the child PowerShell of the Demo task; ASCII and Windows PowerShell 5.1 syntax.
$DemoScript = @'
param(
    [Parameter(Mandatory = $true)] [string] $Manifest,
    [Parameter(Mandatory = $true)] [string] $FakeUrl
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$StartUrl = 'https://d-1234567890.awsapps.com/start/'
$CredentialsFile = $env:AWS_SHARED_CREDENTIALS_FILE

function Get-FakeCounter {
    # The fake's call counters; requests: every request it answered.
    Invoke-RestMethod -Uri "$FakeUrl/__fake/counters"
}

function Get-CredentialsProfile {
    # The profiles as the AWS CLI reads them from the credentials file; secrets are never shown.
    $profiles = [ordered]@{}
    $keys = $null
    foreach ($line in [System.IO.File]::ReadAllLines($CredentialsFile)) {
        $text = $line.Trim()
        if ($text -match '^\[(.+)\]$') {
            $keys = @{}
            $profiles[$Matches[1].Trim()] = $keys
        }
        elseif ($null -ne $keys -and $text -match '^([A-Za-z_]+)\s*=\s*(.*)$') {
            $keys[$Matches[1]] = $Matches[2]
        }
    }
    foreach ($name in $profiles.Keys) {
        $keys = $profiles[$name]
        $secrets = @('aws_access_key_id', 'aws_secret_access_key', 'aws_session_token' | Where-Object { $keys[$_] })
        $credentials = 'MISSING'
        if ($secrets.Count -eq 3) { $credentials = 'key, secret, token (hidden)' }
        [pscustomobject]@{
            Profile     = $name
            AccountId   = $keys['aws_account_id']
            Role        = $keys['aws_sso_role_name']
            Expiration  = $keys['aws_credential_expiration']
            Credentials = $credentials
        }
    }
}

Import-Module -Name $Manifest
$module = Get-Module -Name 'Set-AwsCliSsoCredentials'
Write-Host "Imported $($module.Name) $($module.Version) into PowerShell $($PSVersionTable.PSVersion) ($($PSVersionTable.PSEdition))"
Write-Host "Credentials file: $CredentialsFile (a throwaway one)"

$names = @('shared-services', 'network', 'security-audit', 'log-archive', 'billing-dev', 'billing-test',
    'billing-prod', 'orders-dev', 'orders-test', 'orders-prod', 'data-lake', 'sandbox')
$accounts = @(for ($i = 0; $i -lt $names.Count; $i++) {
        @{ Profile = $names[$i]; AccountId = [string](100000000000 + $i) }
    })

Write-Host ''
Write-Host '1. Log in and refresh 12 profiles:' -ForegroundColor Cyan
Write-Host "   Set-AwsCliSsoCredentials -DefaultRoleName ReadOnly -Region us-east-1 -StartUrl $StartUrl ``"
Write-Host '       -EnvironmentName Demo -Account $accounts -NoBrowser -NonInteractive:$false'
Write-Host '   (the fake approves the device login by itself at its first poll: nobody has to open the URL)'
$watch = [System.Diagnostics.Stopwatch]::StartNew()
Set-AwsCliSsoCredentials -DefaultRoleName ReadOnly -Region us-east-1 -StartUrl $StartUrl -EnvironmentName Demo `
    -Account $accounts -NoBrowser -NonInteractive:$false
$watch.Stop()
$first = Get-FakeCounter
Write-Host ("   took {0:N1} s, login wait included; the fake answered {1} GetRoleCredentials calls" -f $watch.Elapsed.TotalSeconds, $first.getRoleCredentials)

Write-Host ''
Write-Host "2. What the AWS CLI now finds in the credentials file:" -ForegroundColor Cyan
$written = @(Get-CredentialsProfile)
$written | Format-Table -AutoSize | Out-String -Width 160 | Write-Host
$writtenNames = @($written | ForEach-Object { $_.Profile })
$missing = @($names | Where-Object { $writtenNames -notcontains $_ })
$incomplete = @($written | Where-Object { $_.Credentials -eq 'MISSING' })
if ($missing.Count -gt 0 -or $incomplete.Count -gt 0) {
    throw "The demo expected 12 complete profiles; missing: $($missing -join ', '); incomplete: $(($incomplete | ForEach-Object { $_.Profile }) -join ', ')"
}

Write-Host '3. The same call again, as in $PROFILE or a scheduled job: everything is still current.' -ForegroundColor Cyan
Write-Host '   Set-AwsCliSsoCredentials -EnvironmentName Demo -PassThru'
$watch = [System.Diagnostics.Stopwatch]::StartNew()
$results = @(Set-AwsCliSsoCredentials -EnvironmentName Demo -PassThru)
$watch.Stop()
$second = Get-FakeCounter
$statuses = @($results | Group-Object -Property Status | ForEach-Object { "$($_.Count) $($_.Name)" })
Write-Host ("   {0} in {1:N0} ms; requests to IAM Identity Center: {2} (no login, no credentials fetched)" -f ($statuses -join ', '),
    $watch.Elapsed.TotalMilliseconds, ($second.Requests - $first.Requests))
if ($second.Requests -ne $first.Requests -or @($results | Where-Object { $_.Status -ne 'Current' }).Count -gt 0) {
    throw "The second call should have found every profile current and made no request ($($second.Requests - $first.Requests) made)."
}

Write-Host ''
Write-Host '4. Profiles that aws configure sso wrote to ~/.aws/config, refreshed for tools that do not speak SSO:' -ForegroundColor Cyan
$configFile = $env:AWS_CONFIG_FILE
$null = New-Item -ItemType Directory -Path (Split-Path -Parent $configFile) -Force
$config = @(
    '[sso-session Demo]', "sso_start_url = $StartUrl", 'sso_region = us-east-1', ''
    '[profile tf-network]', 'sso_session = Demo', 'sso_account_id = 100000000001', 'sso_role_name = ReadOnly', ''
    '[profile tf-data-lake]', 'sso_session = Demo', 'sso_account_id = 100000000010', 'sso_role_name = ReadOnly', ''
    '[profile plain]', 'region = eu-west-1'
) -join "`n"
[System.IO.File]::WriteAllText($configFile, $config + "`n")
Write-Host '   Set-AwsCliSsoCredentials -FromConfig   # [sso-session Demo] shares the login of step 1 (the same cache entry)'
Set-AwsCliSsoCredentials -FromConfig
$afterConfig = Get-FakeCounter
Write-Host ("   logins started: {0} (the token of step 1 was reused)" -f ($afterConfig.startDeviceAuthorization - $second.startDeviceAuthorization))
if (@(Get-CredentialsProfile | Where-Object { $_.Profile -like 'tf-*' -and $_.Credentials -ne 'MISSING' }).Count -ne 2) {
    throw 'The demo expected the profiles tf-network and tf-data-lake in the credentials file.'
}

Write-Host ''
Write-Host 'Done. In your own shell: Import-Module ./Set-AwsCliSsoCredentials.psd1, then Get-Help Set-AwsCliSsoCredentials -Examples.'
'@

function Invoke-DemoTask {
    Write-Step 'Demo: the module against the bundled fake IAM Identity Center (no AWS account; your AWS settings and files are not used)'
    $manifest = $ManifestPath
    if ($ModulePath) {
        # A module built elsewhere (the release package): nothing to build here.
        $manifest = Join-Path $ModulePath "$ModuleName.psd1"
        if (-not (Test-Path -LiteralPath $manifest -PathType Leaf)) { throw "-ModulePath $ModulePath holds no $ModuleName.psd1." }
        $manifest = (Resolve-Path -LiteralPath $manifest).ProviderPath
    }
    else {
        Invoke-Task 'Build'
    }
    $work = Join-Path ([System.IO.Path]::GetTempPath()) ('ssocreds-demo-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $fake = $null
    try {
        $homeFolder = Join-Path $work 'home'
        New-Item -ItemType Directory -Path $homeFolder -Force | Out-Null
        $demoScriptPath = Join-Path $work 'demo.ps1'
        [System.IO.File]::WriteAllText($demoScriptPath, $DemoScript, (New-Object System.Text.UTF8Encoding($false)))

        $fake = Open-FakeIdentityCenter -ArgumentList @('--accounts', '36', '--approve-after-polls', '1')
        Write-Host "Fake IAM Identity Center at $($fake.Url) (36 accounts; approves each device login by itself); HOME=$homeFolder"

        $variables = @{
            HOME                                = $homeFolder
            USERPROFILE                         = $homeFolder
            AWS_SHARED_CREDENTIALS_FILE         = (Join-Path $work 'credentials')
            AWS_CONFIG_FILE                     = (Join-Path (Join-Path $homeFolder '.aws') 'config')
            AWS_ENDPOINT_URL_SSO_OIDC           = $fake.Url
            AWS_ENDPOINT_URL_SSO                = $fake.Url
            AWS_ENDPOINT_URL                    = $null
            AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = $null
            AWS_PROFILE                         = $null
        }
        # A child PowerShell: the native library cannot be unloaded from this one. Not -NonInteractive, and
        # the console is its own (Start-Process -NoNewWindow), as when a person runs the command.
        $shell = (Get-Process -Id $PID).Path
        $arguments = @('-NoProfile', '-NoLogo', '-ExecutionPolicy', 'Bypass', '-File', $demoScriptPath,
            '-Manifest', $manifest, '-FakeUrl', $fake.Url) | ForEach-Object { '"' + $_ + '"' }
        $child = Use-Environment -Variables $variables -ScriptBlock {
            Start-Process -FilePath $shell -ArgumentList $arguments -NoNewWindow -Wait -PassThru
        }
        if ($child.ExitCode -ne 0) { throw "The demo failed (the child PowerShell exited with $($child.ExitCode))." }
    }
    finally {
        Close-FakeIdentityCenter $fake
        if (Test-Path -LiteralPath $work) {
            try { Remove-Item -LiteralPath $work -Recurse -Force }
            catch { Write-Warning "Could not remove the demo's temporary folder $($work): $($_.Exception.Message)" }
        }
    }
}

$requested = Get-RequestedTask
foreach ($name in $AllTasks) {
    if ($requested -contains $name) {
        Invoke-Task $name
    }
}
