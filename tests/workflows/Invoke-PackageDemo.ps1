#Requires -Version 5.1
<#
.SYNOPSIS
The release workflow's test of the one package on this machine: imports it, checks that this PowerShell loaded
the native library of its own runtime, then runs ./build.ps1 -Task Demo against it and the prebuilt fake.

.PARAMETER ModulesPath
A folder holding Set-AwsCliSsoCredentials/<version>/, as Install-Module lays it out.

.PARAMETER FakePath
The folder holding the fake IAM Identity Center binary of this OS (an artifact of the release workflow).

.PARAMETER ExpectedRuntime
The runtimes/<rid>/ folder this PowerShell must load from: win-x86 in 32-bit Windows PowerShell, for example.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $ModulesPath,
    [Parameter(Mandatory = $true)] [string] $FakePath,
    [Parameter(Mandatory = $true)] [string] $ExpectedRuntime
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$versions = @(Get-ChildItem -LiteralPath (Join-Path $ModulesPath 'Set-AwsCliSsoCredentials') -Directory)
if ($versions.Count -ne 1) {
    throw "Expected one version folder in $ModulesPath/Set-AwsCliSsoCredentials, found $($versions.Count)."
}
$module = $versions[0].FullName
$runtimes = @(Get-ChildItem -LiteralPath (Join-Path $module 'module/runtimes') -Directory | ForEach-Object { $_.Name })
Write-Host "Package $module; runtimes: $($runtimes -join ', ')"

$fake = @(Get-ChildItem -LiteralPath $FakePath -File | Where-Object { $_.Name -in 'fake-identity-center', 'fake-identity-center.exe' })
if ($fake.Count -ne 1) { throw "No fake-identity-center binary in $FakePath." }
if ($fake[0].Extension -ne '.exe') {
    # Artifacts keep no file modes.
    & chmod +x $fake[0].FullName
    if ($LASTEXITCODE -ne 0) { throw "chmod +x $($fake[0].FullName) failed." }
}

# This process's own choice of runtime; the demo runs in a child of the same PowerShell.
Import-Module -Name (Join-Path $module 'Set-AwsCliSsoCredentials.psd1')
$loaded = [System.IO.Path]::GetFullPath([SetAwsCliSsoCredentials.SsoCredsNative]::LoadedPath)
$expected = [System.IO.Path]::GetFullPath((Join-Path (Join-Path $module 'module/runtimes') $ExpectedRuntime))
$bits = 32
if ([Environment]::Is64BitProcess) { $bits = 64 }
Write-Host "PowerShell $($PSVersionTable.PSVersion) ($($PSVersionTable.PSEdition), $bits-bit) loaded $loaded"
if (-not $loaded.StartsWith($expected + [System.IO.Path]::DirectorySeparatorChar, [StringComparison]::OrdinalIgnoreCase)) {
    throw "PowerShell $($PSVersionTable.PSVersion) ($bits-bit) loaded $loaded, not the library in $expected."
}

$env:FAKE_IDC_BIN = $fake[0].FullName
& (Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'build.ps1') -Task Demo -ModulePath $module
