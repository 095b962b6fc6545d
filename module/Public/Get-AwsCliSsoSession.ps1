function Get-AwsCliSsoSession {
    <#
    .SYNOPSIS
    Shows the IAM Identity Center (SSO) token state of each environment in this session.

    .DESCRIPTION
    Reports, per environment, whether this PowerShell session holds a valid SSO token (LoggedIn), one that
    has expired (Expired), a login that was started but not approved yet (Pending), or none (None), with the
    start URL, the Region, when the token ends, how long is left, and whether it can be renewed without
    you (Refreshable: its refresh token and client registration are still valid, so -NonInteractive and
    scheduled runs keep working after ExpiresAt). The state comes from this process's memory or the
    cache file ~/.aws/sso/cache/<sha1(EnvironmentName)>.json (shared with other PowerShell sessions,
    scheduled runs and aws CLI v2), with no network call. The token itself is never shown.

    Without -EnvironmentName, reports every environment this session has used (those with a remembered
    account list, settings or <EnvironmentName>SSOTokenExpire), or 'Default' when there is none.

    .PARAMETER EnvironmentName
    The environments to report, as given to Set-AwsCliSsoCredentials -EnvironmentName. Accepts pipeline input.

    .PARAMETER NoTokenFile
    Looks at this process's memory only, not at the cache file. Defaults to what Set-AwsCliSsoCredentials
    -NoTokenFile remembered for the environment.

    .EXAMPLE
    Get-AwsCliSsoSession

    Environment Status   StartUrl                                Region    ExpiresAt           TimeLeft Refreshable
    ----------- ------   --------                                ------    ---------           -------- -----------
    Contoso     LoggedIn https://d-12345abcde.awsapps.com/start/ us-west-2 23/11/2026 17:58:12 07:41:09        True

    .EXAMPLE
    if ((Get-AwsCliSsoSession -EnvironmentName Contoso).Status -ne 'LoggedIn') { Set-AwsCliSsoCredentials -EnvironmentName Contoso }

    Logs in again only when the session has no valid token.

    .EXAMPLE
    $s = Get-AwsCliSsoSession -EnvironmentName Contoso; if ($s.Status -ne 'LoggedIn' -and -not $s.Refreshable) { Write-Warning 'Scheduled AWS refreshes will fail until you log in again.' }

    Warns when the IAM Identity Center session has ended and no refresh token can renew it.

    .OUTPUTS
    SetAwsCliSsoCredentials.Session
    #>
    [CmdletBinding()]
    [OutputType('SetAwsCliSsoCredentials.Session')]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('Environment')]
        [ValidateNotNullOrEmpty()]
        [string[]] $EnvironmentName,

        [switch] $NoTokenFile
    )

    begin {
        $names = [System.Collections.Generic.List[string]]::new()
    }

    process {
        foreach ($name in $EnvironmentName) { $names.Add($name) }
    }

    end {
        if ($names.Count -eq 0) {
            foreach ($name in @(Get-SsoCredsRememberedEnvironment)) { $names.Add($name) }
        }
        if ($names.Count -eq 0) { $names.Add('Default') }

        foreach ($name in $names) {
            $request = [ordered]@{ environment = $name }
            $memoryOnly = [bool]$NoTokenFile
            if (-not $PSBoundParameters.ContainsKey('NoTokenFile')) {
                $memoryOnly = [bool](Get-SsoCredsRememberedSetting -EnvironmentName $name -Name 'NoTokenFile')
            }
            if ($memoryOnly) { $request.noTokenFile = $true }
            $answer = Invoke-SsoCredsNative -Function 'session_status' -Request $request
            if (-not $answer.ok) {
                $PSCmdlet.WriteError((New-SsoCredsErrorRecordFromEnvelope -Envelope $answer -TargetObject $name))
                continue
            }
            $result = $answer.result
            switch ([string]$result.status) {
                'loggedIn' { $status = 'LoggedIn' }
                'expired' { $status = 'Expired' }
                'pending' { $status = 'Pending' }
                'none' { $status = 'None' }
                default { $status = [string]$result.status }
            }
            $expiresAt = ConvertTo-SsoCredsDateTime -Value $result.expiresAt
            $timeLeft = $null
            if ($null -ne $result.secondsLeft) { $timeLeft = [timespan]::FromSeconds([double]$result.secondsLeft) }
            [pscustomobject]@{
                PSTypeName  = 'SetAwsCliSsoCredentials.Session'
                Environment = [string]$result.environment
                Status      = $status
                StartUrl    = [string]$result.startUrl
                Region      = [string]$result.region
                ExpiresAt   = $expiresAt
                TimeLeft    = $timeLeft
                Refreshable = [bool]$result.refreshable
            }
        }
    }
}
