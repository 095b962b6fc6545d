# The device login: ssocreds_login_start, then ssocreds_login_poll in short waits.

function Invoke-SsoCredsLogin {
    <#
    .SYNOPSIS
    Logs the environment in (or reuses its cached token) and returns when the token ends (local DateTime).
    .DESCRIPTION
    Opens the verification URL in the browser (or prints it with -NoBrowser), then polls with waits of
    500 ms so that Ctrl+C stops it promptly. Failures are terminating errors of the calling command.
    #>
    [CmdletBinding()]
    [OutputType([datetime])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet] $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string] $EnvironmentName,

        [AllowEmptyString()]
        [AllowNull()]
        [string] $StartUrl,

        [AllowEmptyString()]
        [AllowNull()]
        [string] $Region,

        [switch] $NoBrowser,

        [switch] $ForceLogin
    )

    if (-not $StartUrl -or -not $Region) {
        $missing = @()
        if (-not $StartUrl) { $missing += '-StartUrl' }
        if (-not $Region) { $missing += '-Region' }
        $message = "Logging in to environment '$EnvironmentName' needs $($missing -join ' and '), " +
            'and this session has not remembered them from an earlier run.'
        $Cmdlet.ThrowTerminatingError((New-SsoCredsErrorRecord -Code 'InvalidInput' -Message $message -TargetObject $EnvironmentName))
    }

    $request = [ordered]@{
        environment = $EnvironmentName
        startUrl    = $StartUrl
        region      = $Region
    }
    if ($ForceLogin) { $request.forceLogin = $true }
    $started = Invoke-SsoCredsNative -Function 'login_start' -Request $request
    if (-not $started.ok) {
        $Cmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $started -TargetObject $EnvironmentName))
    }
    $result = $started.result
    if ($result.status -eq 'loggedIn') {
        Microsoft.PowerShell.Utility\Write-Verbose "Environment '$EnvironmentName': reusing the SSO token of this session."
        return (ConvertTo-SsoCredsDateTime -Value $result.expiresAt)
    }

    $url = [string]$result.verificationUriComplete
    $showCode = [bool]$NoBrowser
    if (-not $NoBrowser) {
        Microsoft.PowerShell.Utility\Write-Host 'A Browser window should open. Please login there and click ALLOW.' -NoNewline
        try {
            # Module-qualified like every other call; Pester 5's `Mock Start-Process -ModuleName ...` still
            # intercepts it, because it defines the alias 'Microsoft.PowerShell.Management\Start-Process'
            # next to 'Start-Process' (Create-MockHook in Pester's src/functions/Mock.ps1).
            Microsoft.PowerShell.Management\Start-Process -FilePath $url -ErrorAction Stop
        }
        catch {
            # No browser here (SSH, WSL without a browser, a container): show the code instead.
            Microsoft.PowerShell.Utility\Write-Host ''
            Microsoft.PowerShell.Utility\Write-Warning "The browser could not be started: $($_.Exception.Message)"
            $showCode = $true
        }
    }
    if ($showCode) {
        Microsoft.PowerShell.Utility\Write-Host ("To sign in, open {0} in a browser and enter the code {1}," -f $result.verificationUri, $result.userCode)
        Microsoft.PowerShell.Utility\Write-Host ("or open {0}. Then click ALLOW." -f $url)
    }

    while ($true) {
        $polled = Invoke-SsoCredsNative -Function 'login_poll' -Request ([ordered]@{ environment = $EnvironmentName; waitMs = 500 })
        if (-not $polled.ok) {
            if (-not $showCode) { Microsoft.PowerShell.Utility\Write-Host '' }
            $Cmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $polled -TargetObject $EnvironmentName))
        }
        if ($polled.result.status -eq 'loggedIn') {
            if (-not $showCode) { Microsoft.PowerShell.Utility\Write-Host '' }
            return (ConvertTo-SsoCredsDateTime -Value $polled.result.expiresAt)
        }
    }
}
