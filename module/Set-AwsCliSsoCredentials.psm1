# Root module of Set-AwsCliSsoCredentials.
#
# Loads the private and public functions, then binds the P/Invoke class (module/Interop/SsoCredsNative.cs)
# to the native library for this OS and process architecture (module/runtimes/<rid>/, filled by
# ./build.ps1). The class is compiled once per session: a second Import-Module, or Import-Module -Force,
# finds the type already loaded and reuses it (a native library cannot be unloaded from a process).

foreach ($folder in @('Private', 'Public')) {
    $folderPath = Microsoft.PowerShell.Management\Join-Path -Path $PSScriptRoot -ChildPath $folder
    if (Microsoft.PowerShell.Management\Test-Path -LiteralPath $folderPath) {
        $scripts = Microsoft.PowerShell.Management\Get-ChildItem -LiteralPath $folderPath -Filter '*.ps1' -File |
            Microsoft.PowerShell.Utility\Sort-Object -Property Name
        foreach ($script in $scripts) {
            . $script.FullName
        }
    }
}

Initialize-SsoCredsNative -ModuleRoot $PSScriptRoot

Export-ModuleMember -Function @(
    'Clear-AwsCliSsoSession'
    'Get-AwsCliSsoAccount'
    'Get-AwsCliSsoSession'
    'Set-AwsCliSsoCredentials'
)
