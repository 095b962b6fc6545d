<#
.SYNOPSIS
Runs the Pester tests; started by ./build.ps1 -Task Test in a child process (-NoProfile -NonInteractive),
because the module's native library cannot be unloaded from the session that imported it.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string] $PesterVersion,

    [Parameter(Mandatory = $true)]
    [string] $TestPath,

    [Parameter(Mandatory = $true)]
    [string] $ResultsPath
)

$ErrorActionPreference = 'Stop'

$installed = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -eq [version]$PesterVersion }
if (-not $installed) {
    if ($PSVersionTable.PSEdition -ne 'Core') {
        # Windows PowerShell: the Gallery needs TLS 1.2 and PowerShellGet needs the NuGet provider.
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
        $null = Install-PackageProvider -Name NuGet -MinimumVersion 2.8.5.201 -Force -Scope CurrentUser
    }
    # Windows PowerShell ships Pester 3.4, signed by another publisher: -SkipPublisherCheck is needed.
    Install-Module -Name Pester -RequiredVersion $PesterVersion -Scope CurrentUser -Force -SkipPublisherCheck -Repository PSGallery
}
Import-Module -Name Pester -RequiredVersion $PesterVersion

$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestPath
$configuration.Run.Exit = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $ResultsPath
Invoke-Pester -Configuration $configuration
