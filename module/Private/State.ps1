# What the session remembers per environment, in global variables like the original script:
#   <EnvironmentName>SsoAwsAccounts   the account list: @{Profile; AccountId; RoleName; CredsExpiration}
#                                     (CredsExpiration in epoch milliseconds, as the original kept it)
#   <EnvironmentName>SSOTokenExpire   when the SSO token ends (local DateTime), read by users' prompts
#   <EnvironmentName>SsoAwsSettings   StartUrl, Region, DefaultRoleName, CredentialsFile, NoTokenFile and the
#                                     discovery settings (AllAccounts, ProfileNameTemplate, filters) of the last run
# They are globals (not module variables) so that they outlive Import-Module -Force, as the original's did.
# The SSO token itself stays inside the native library (and its cache file ~/.aws/sso/cache/<sha1>.json
# unless -NoTokenFile), never in a PowerShell variable.

function Get-SsoCredsGlobal {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Name
    )

    $variable = Microsoft.PowerShell.Utility\Get-Variable -Name $Name -Scope Global -ErrorAction Ignore
    if ($null -eq $variable) { return $null }
    # Return an array without unrolling it into the pipeline.
    , $variable.Value
}

function Set-SsoCredsGlobal {
    [CmdletBinding(SupportsShouldProcess = $false)]
    [System.Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Session bookkeeping only; the public command handles -WhatIf.')]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Name,

        [AllowNull()]
        [object] $Value
    )

    Microsoft.PowerShell.Utility\Set-Variable -Name $Name -Value $Value -Scope Global -Force -WhatIf:$false -Confirm:$false
}

function Get-SsoCredsRememberedEnvironment {
    <#
    .SYNOPSIS
    The names of the environments this session has remembered settings or token expiry for.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    $names = [System.Collections.Generic.SortedSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
    foreach ($suffix in @('SsoAwsSettings', 'SsoAwsAccounts', 'SSOTokenExpire')) {
        $variables = Microsoft.PowerShell.Utility\Get-Variable -Name ('*' + $suffix) -Scope Global -ErrorAction Ignore
        foreach ($variable in $variables) {
            $name = $variable.Name.Substring(0, $variable.Name.Length - $suffix.Length)
            if ($name) { $null = $names.Add($name) }
        }
    }
    $names
}

function Get-SsoCredsRememberedSetting {
    <#
    .SYNOPSIS
    One setting remembered for an environment in <EnvironmentName>SsoAwsSettings (or $null).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $EnvironmentName,

        [Parameter(Mandatory = $true)]
        [string] $Name
    )

    $settings = Get-SsoCredsGlobal -Name ('{0}SsoAwsSettings' -f $EnvironmentName)
    if ($settings -is [System.Collections.IDictionary] -and $settings.Contains($Name)) {
        # Return an array without unrolling it into the pipeline.
        return , $settings[$Name]
    }
    $null
}

function Update-SsoCredsRememberedSetting {
    <#
    .SYNOPSIS
    Sets some settings remembered for an environment, keeping the others.
    #>
    [CmdletBinding(SupportsShouldProcess = $false)]
    [System.Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Session bookkeeping only; the public command handles -WhatIf.')]
    param(
        [Parameter(Mandatory = $true)]
        [string] $EnvironmentName,

        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary] $Setting
    )

    $name = '{0}SsoAwsSettings' -f $EnvironmentName
    $settings = Get-SsoCredsGlobal -Name $name
    $merged = @{}
    if ($settings -is [System.Collections.IDictionary]) {
        foreach ($key in $settings.Keys) { $merged[$key] = $settings[$key] }
    }
    foreach ($key in $Setting.Keys) { $merged[$key] = $Setting[$key] }
    Set-SsoCredsGlobal -Name $name -Value $merged
}
