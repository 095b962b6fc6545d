# The device login: ssocreds_login_start, then ssocreds_login_poll in short waits.

function Invoke-SsoCredsLogin {
    <#
    .SYNOPSIS
    Logs the environment in (or reuses its cached token) and returns when the token ends (local DateTime).
    .DESCRIPTION
    Opens the verification URL in the browser (or prints it with -NoBrowser), then polls with waits of
    500 ms so that Ctrl+C stops it promptly. When another process is already running the device login of
    this session (status 'waiting'), prints the library's message, opens no browser and polls until that
    login's token arrives. With -NonInteractive, a login that would need the user (pending or waiting) is
    the terminating error SsoCreds.LoginRequired instead. Failures are terminating errors of the calling
    command.
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

        [switch] $ForceLogin,

        # Keep the token in this process's memory only (no ~/.aws/sso/cache file).
        [switch] $NoTokenFile,

        # Also write [sso-session <EnvironmentName>] to the AWS config file.
        [switch] $ConfigureSsoSession,

        # Reuse or renew a token only; never wait for the user.
        [switch] $NonInteractive
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
    if ($NoTokenFile) { $request.noTokenFile = $true }
    if ($ConfigureSsoSession) { $request.writeSsoSession = $true }
    $started = Invoke-SsoCredsNative -Function 'login_start' -Request $request
    if (-not $started.ok) {
        $Cmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $started -TargetObject $EnvironmentName))
    }
    $result = $started.result
    if ($result.status -eq 'loggedIn') {
        Microsoft.PowerShell.Utility\Write-Verbose "Environment '$EnvironmentName': reusing the stored SSO token (renewed if it was about to expire)."
        return (ConvertTo-SsoCredsDateTime -Value $result.expiresAt)
    }
    if ($NonInteractive) {
        $message = "Environment '$EnvironmentName' needs a login to IAM Identity Center, and -NonInteractive forbids starting one."
        $record = New-SsoCredsErrorRecord -Code 'LoginRequired' -Message $message -TargetObject $EnvironmentName `
            -RecommendedAction "Run Set-AwsCliSsoCredentials -EnvironmentName $EnvironmentName without -NonInteractive to log in."
        $Cmdlet.ThrowTerminatingError($record)
    }

    # 'waiting': another process (a scheduled run, another shell) is logging in to this session; its
    # token arrives through the cache file, so no browser opens here.
    $waiting = [string]$result.status -eq 'waiting'
    $url = [string]$result.verificationUriComplete
    $showCode = [bool]$NoBrowser
    if ($waiting) {
        $text = [string]$result.message
        if (-not $text) { $text = "Another process is already logging in to environment '$EnvironmentName'; waiting for it to finish." }
        Microsoft.PowerShell.Utility\Write-Host $text
        $showCode = $true
    }
    elseif (-not $NoBrowser) {
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
    if ($showCode -and -not $waiting) {
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
