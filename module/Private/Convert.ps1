# Conversions between what users pass, what the library takes and what the original script kept.

function ConvertTo-SsoCredsDateTime {
    <#
    .SYNOPSIS
    A local DateTime from an RFC 3339 UTC string of the library (or $null).
    .DESCRIPTION
    PowerShell 7's ConvertFrom-Json already turns such strings into DateTime values; Windows PowerShell's
    leaves them strings. Both end here as a local DateTime, like the original's (Get-Date).AddSeconds().
    #>
    [CmdletBinding()]
    [OutputType([datetime])]
    param(
        [Parameter(ValueFromPipeline = $true)]
        [AllowNull()]
        [object] $Value
    )

    process {
        if ($null -eq $Value) { return $null }
        if ($Value -is [datetime]) {
            if ($Value.Kind -eq [System.DateTimeKind]::Unspecified) {
                $Value = [datetime]::SpecifyKind($Value, [System.DateTimeKind]::Utc)
            }
            return $Value.ToLocalTime()
        }
        if ($Value -is [System.DateTimeOffset]) {
            return $Value.LocalDateTime
        }
        $text = [string]$Value
        if (-not $text) { return $null }
        $parsed = [System.DateTimeOffset]::MinValue
        $styles = [System.Globalization.DateTimeStyles]::AssumeUniversal
        if ([System.DateTimeOffset]::TryParse($text, [System.Globalization.CultureInfo]::InvariantCulture, $styles, [ref]$parsed)) {
            return $parsed.LocalDateTime
        }
        $null
    }
}

function ConvertTo-SsoCredsEpochMilliseconds {
    <#
    .SYNOPSIS
    Epoch milliseconds of a DateTime (the original's CredsExpiration), 0 for $null.
    #>
    [CmdletBinding()]
    [OutputType([long])]
    param(
        [AllowNull()]
        [object] $DateTime
    )

    if ($null -eq $DateTime) { return [long]0 }
    [System.DateTimeOffset]::new(([datetime]$DateTime).ToUniversalTime()).ToUnixTimeMilliseconds()
}

function Get-SsoCredsMemberValue {
    <#
    .SYNOPSIS
    A key of a hashtable or a property of an object (case-insensitive), or $null.
    #>
    [CmdletBinding()]
    param(
        [AllowNull()]
        [object] $InputObject,

        [Parameter(Mandatory = $true)]
        [string] $Name
    )

    if ($null -eq $InputObject) { return $null }
    if ($InputObject -is [System.Collections.IDictionary]) {
        foreach ($key in $InputObject.Keys) {
            if ([string]::Equals([string]$key, $Name, [System.StringComparison]::OrdinalIgnoreCase)) {
                return $InputObject[$key]
            }
        }
        return $null
    }
    $property = $InputObject.PSObject.Properties[$Name]
    if ($null -ne $property) {
        return $property.Value
    }
    $null
}

function ConvertTo-SsoCredsAccount {
    <#
    .SYNOPSIS
    One account entry {Profile, AccountId, RoleName, AccountName} from a hashtable, a CSV row or any
    object (e.g. Get-AwsCliSsoAccount's).
    .DESCRIPTION
    RoleName defaults to DefaultRoleName. An AccountId given as a number (@{AccountId = 12345678901})
    gets its leading zeros back (12 digits). Missing values are empty strings; the caller checks them.
    An entry without Profile gets its name from the library's profile-name template.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [object] $InputObject,

        [AllowEmptyString()]
        [AllowNull()]
        [string] $DefaultRoleName
    )

    $profileName = Get-SsoCredsMemberValue -InputObject $InputObject -Name 'Profile'
    $accountId = Get-SsoCredsMemberValue -InputObject $InputObject -Name 'AccountId'
    $roleName = Get-SsoCredsMemberValue -InputObject $InputObject -Name 'RoleName'
    $accountName = Get-SsoCredsMemberValue -InputObject $InputObject -Name 'AccountName'

    if ($accountId -is [int] -or $accountId -is [long] -or $accountId -is [decimal] -or $accountId -is [uint64] -or $accountId -is [uint32]) {
        $accountId = ([long]$accountId).ToString('D12', [System.Globalization.CultureInfo]::InvariantCulture)
    }
    elseif ($accountId -is [double]) {
        $accountId = ([long]$accountId).ToString('D12', [System.Globalization.CultureInfo]::InvariantCulture)
    }

    # [string] casts drop ETS wrappers (e.g. Get-Content's PSPath), which Windows PowerShell's
    # ConvertTo-Json would otherwise serialize as objects.
    $profileText = if ($null -eq $profileName) { '' } else { ([string]$profileName).Trim() }
    $accountText = if ($null -eq $accountId) { '' } else { ([string]$accountId).Trim() }
    $roleText = if ($null -eq $roleName) { '' } else { ([string]$roleName).Trim() }
    $nameText = if ($null -eq $accountName) { '' } else { ([string]$accountName).Trim() }
    if (-not $roleText -and $DefaultRoleName) { $roleText = [string]$DefaultRoleName }

    [pscustomobject]@{
        Profile     = $profileText
        AccountId   = $accountText
        RoleName    = $roleText
        AccountName = $nameText
    }
}

function Format-SsoCredsTimeLeft {
    <#
    .SYNOPSIS
    The original's 'hh:mm:ss left on SSO Token' text, leading zeros and colons trimmed like it did.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [datetime] $ExpiresAt
    )

    $left = $ExpiresAt - (Microsoft.PowerShell.Utility\Get-Date)
    if ($left -lt [timespan]::Zero) { $left = [timespan]::Zero }
    $hours = [int][math]::Floor($left.TotalHours)
    ('{0:D2}:{1:D2}:{2:D2} left on SSO Token' -f $hours, $left.Minutes, $left.Seconds).TrimStart('0 :'.ToCharArray())
}
