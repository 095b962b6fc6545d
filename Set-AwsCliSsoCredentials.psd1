@{
    # ModuleVersion is stamped by build.ps1 from [workspace.package] version in Cargo.toml; keep in sync.
    ModuleVersion        = '0.1.0'
    # A binary module: compiled cmdlets (module/src) over the native library in module/runtimes/<rid>/.
    RootModule           = 'module/SetAwsCliSsoCredentials.dll'
    GUID                 = 'd125f9bc-7663-4c8b-a715-3936f01248fd'
    Author               = 'Set-AwsCliSsoCredentials contributors'
    CompanyName          = 'Set-AwsCliSsoCredentials contributors'
    Copyright            = '(c) Set-AwsCliSsoCredentials contributors. Licensed under the Apache License 2.0.'
    Description          = 'One AWS IAM Identity Center (SSO) login, fresh credentials for many accounts and roles in ~/.aws/credentials. A drop-in replacement for the AWS Prescriptive Guidance script Set-AwsCliSsoCredentials.ps1, with a native engine: concurrent refresh, no AWS.Tools modules needed, -NonInteractive for profile scripts and schedulers.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    # Windows PowerShell: the netstandard2.0 cmdlet DLL needs .NET Framework 4.7.1 or later (netstandard built in,
    # RuntimeInformation.ProcessArchitecture for the runtimes/<rid>/ folder); Import-Module says so on an older one.
    DotNetFrameworkVersion = '4.7.1'

    # Explicit lists: wildcards make command discovery load the module.
    CmdletsToExport      = @(
        'Clear-AwsCliSsoSession'
        'Get-AwsCliSsoAccount'
        'Get-AwsCliSsoCredential'
        'Get-AwsCliSsoSession'
        'Set-AwsCliSsoCredentials'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    FormatsToProcess     = @('module/SetAwsCliSsoCredentials.format.ps1xml')

    PrivateData          = @{
        PSData = @{
            Tags         = @('AWS', 'SSO', 'IAMIdentityCenter', 'Credentials', 'AWSCLI', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://github.com/set-awsclissocredentials/set-awsclissocredentials/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/set-awsclissocredentials/set-awsclissocredentials'
            ReleaseNotes = 'https://github.com/set-awsclissocredentials/set-awsclissocredentials/releases'
        }
    }
}
