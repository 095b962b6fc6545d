function Get-AwsCliSsoSession {
    <#
    .SYNOPSIS
    Shows the IAM Identity Center (SSO) token state of each environment in this session.

    .DESCRIPTION
    Reports, per environment, whether this PowerShell session holds a valid SSO token (LoggedIn), one that
    has expired (Expired), a login that was started but not approved yet (Pending), or none (None), with the
    start URL, the Region, when the token ends and how long is left. The token itself lives inside the
    module's native library and is never shown.

    Without -EnvironmentName, reports every environment this session has used (those with a remembered
    account list, settings or <EnvironmentName>SSOTokenExpire), or 'Default' when there is none.

    .PARAMETER EnvironmentName
    The environments to report, as given to Set-AwsCliSsoCredentials -EnvironmentName. Accepts pipeline input.

    .EXAMPLE
    Get-AwsCliSsoSession

    Environment Status   StartUrl                                  Region    ExpiresAt            TimeLeft
    ----------- ------   --------                                  ------    ---------            --------
    Contoso     LoggedIn https://d-12345abcde.awsapps.com/start/    us-west-2 23/11/2026 17:58:12  07:41:09

    .EXAMPLE
    if ((Get-AwsCliSsoSession -EnvironmentName Contoso).Status -ne 'LoggedIn') { Set-AwsCliSsoCredentials -EnvironmentName Contoso }

    Logs in again only when the session has no valid token.

    .OUTPUTS
    SetAwsCliSsoCredentials.Session
    #>
    [CmdletBinding()]
    [OutputType('SetAwsCliSsoCredentials.Session')]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('Environment')]
        [ValidateNotNullOrEmpty()]
        [string[]] $EnvironmentName
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
            $answer = Invoke-SsoCredsNative -Function 'session_status' -Request ([ordered]@{ environment = $name })
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
            }
        }
    }
}
