function Set-AwsCliSsoCredentials {
    <#
    .SYNOPSIS
    Logs in to AWS IAM Identity Center once and writes fresh credentials for many accounts and roles to
    the AWS credentials file.

    .DESCRIPTION
    A drop-in replacement for the AWS Prescriptive Guidance script Set-AwsCliSsoCredentials.ps1, with the
    same parameters (DefaultRoleName, Region, StartUrl, EnvironmentName) and the same result: one named
    profile per account in ~/.aws/credentials (or AWS_SHARED_CREDENTIALS_FILE, or -CredentialsFile), with
    aws_access_key_id, aws_secret_access_key and aws_session_token, which the AWS CLI, the SDKs and the CDK
    read.

    The accounts are given with -Account (hashtables or objects with Profile, AccountId and an optional
    RoleName, which defaults to -DefaultRoleName), or through the pipeline (Import-Csv accounts.csv |
    Set-AwsCliSsoCredentials ...). Like the original, the list is remembered for the session in the global
    variable <EnvironmentName>SsoAwsAccounts, together with StartUrl, Region and DefaultRoleName, so a
    later call with only -EnvironmentName refreshes the same profiles.

    Profiles whose stored credentials are still valid for more than five minutes are left alone without a
    network call (use -Force to refresh them anyway). The others are fetched concurrently and written in one
    atomic, locked write; one failing account never stops the others. When a login is needed, a browser
    window opens at the IAM Identity Center device-authorization page ("A Browser window should open.
    Please login there and click ALLOW."); with -NoBrowser the URL and code are printed instead. The SSO
    token is kept in memory for the session only; the global <EnvironmentName>SSOTokenExpire tells when it
    ends.

    Each profile that fails is reported as a non-terminating error whose ErrorId names the reason
    (SsoCreds.Forbidden, SsoCreds.NotFound, SsoCreds.Throttled, SsoCreds.Network, ...) and whose target
    object is the profile name. A login that is needed but not allowed (-NonInteractive) is the terminating
    error SsoCreds.LoginRequired; bad input is the terminating error SsoCreds.InvalidInput.

    Endpoints can be redirected the standard AWS way, with AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO.

    .PARAMETER DefaultRoleName
    The IAM Identity Center permission set (role) used for accounts that name no RoleName.

    .PARAMETER Region
    The AWS Region where IAM Identity Center is deployed, e.g. us-east-1. Needed to log in; remembered for
    the session.

    .PARAMETER StartUrl
    The AWS access portal URL, e.g. https://d-1234567890.awsapps.com/start/. Needed to log in; remembered for
    the session.

    .PARAMETER EnvironmentName
    A short name that keeps several IAM Identity Center instances apart within one session (each has its own
    token, account list and globals <EnvironmentName>SsoAwsAccounts and <EnvironmentName>SSOTokenExpire).
    Defaults to 'Default'.

    .PARAMETER Account
    The accounts to keep fresh: hashtables or objects with Profile (the AWS CLI profile name), AccountId
    (12 digits) and optionally RoleName. Accepts pipeline input, e.g. the rows of Import-Csv with the
    columns Profile, AccountId, RoleName. When omitted, the list remembered for -EnvironmentName is used.

    .PARAMETER CredentialsFile
    The credentials file to write. Defaults to AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials.
    Everything else in the file (other profiles, comments, order) is kept.

    .PARAMETER Force
    Refreshes every profile, even those whose credentials are still valid.

    .PARAMETER NonInteractive
    Never starts a login. If a profile needs new credentials and the session has no valid SSO token, fails at
    once with the terminating error SsoCreds.LoginRequired. For $PROFILE scripts and scheduled tasks.

    .PARAMETER NoBrowser
    Prints the verification URL and the user code instead of opening a browser (SSH sessions, WSL, headless
    machines): open the URL on any device, enter the code and click ALLOW.

    .PARAMETER PassThru
    Writes one object per profile: Profile, AccountId, RoleName, Status (Refreshed, Current or Failed) and
    Expiration (local time).

    .PARAMETER MaxConcurrency
    At most this many role-credential requests at once (1 to 256, default 16).

    .EXAMPLE
    Set-AwsCliSsoCredentials -DefaultRoleName AWSReadOnlyAccess -Region us-west-2 -StartUrl https://d-12345abcde.awsapps.com/start/ -EnvironmentName Contoso -Account @{ Profile = 'dev'; AccountId = '111111111111' }, @{ Profile = 'prod'; AccountId = '222222222222'; RoleName = 'AWSAdministratorAccess' }

    Logs in (a browser window opens), then writes the profiles dev and prod to ~/.aws/credentials and prints
    "dev prod Profiles registered, 7:59:58 left on SSO Token".

    .EXAMPLE
    Set-AwsCliSsoCredentials -EnvironmentName Contoso

    Later in the same session: refreshes the same profiles with the remembered settings; profiles still valid
    are skipped and no login is needed while the token lasts.

    .EXAMPLE
    Import-Csv ./accounts.csv | Set-AwsCliSsoCredentials -EnvironmentName Contoso -StartUrl https://d-12345abcde.awsapps.com/start/ -Region us-west-2 -DefaultRoleName AWSReadOnlyAccess -PassThru

    Takes the accounts from a CSV file with the columns Profile, AccountId and RoleName (RoleName may be
    empty) and writes one result object per profile.

    .EXAMPLE
    # In $PROFILE: refresh what can be refreshed without a login, never open a browser at shell start.
    Import-Module Set-AwsCliSsoCredentials
    try {
        Set-AwsCliSsoCredentials -EnvironmentName Contoso -StartUrl https://d-12345abcde.awsapps.com/start/ -Region us-west-2 -DefaultRoleName AWSReadOnlyAccess -Account (Import-Csv ~/.aws/accounts.csv) -NonInteractive -ErrorAction Stop
    }
    catch [System.InvalidOperationException] {
        Write-Host 'AWS credentials need a login: run Set-AwsCliSsoCredentials -EnvironmentName Contoso'
    }

    With -NonInteractive the command fails fast with the error SsoCreds.LoginRequired instead of waiting for a
    browser login, so a shell never hangs at startup.

    .EXAMPLE
    # Scheduled (Task Scheduler on Windows, cron on Linux, launchd on macOS):
    #   Windows: schtasks /Create /SC MINUTE /MO 30 /TN RefreshAws /TR "pwsh -NoProfile -NonInteractive -File C:\scripts\refresh-aws.ps1"
    #   Linux:   */30 * * * * pwsh -NoProfile -NonInteractive -File /home/me/refresh-aws.ps1 >> /home/me/refresh-aws.log 2>&1
    #   macOS:   a LaunchAgent plist with ProgramArguments pwsh -NoProfile -NonInteractive -File /Users/me/refresh-aws.ps1 and StartInterval 1800
    # refresh-aws.ps1:
    Import-Module Set-AwsCliSsoCredentials
    Import-Csv ~/.aws/accounts.csv | Set-AwsCliSsoCredentials -EnvironmentName Contoso -StartUrl https://d-12345abcde.awsapps.com/start/ -Region us-west-2 -DefaultRoleName AWSReadOnlyAccess -NonInteractive

    A scheduled run never starts a login: profiles still valid cost nothing, and when the credentials have
    expired the run fails with SsoCreds.LoginRequired (exit code 1 of pwsh -File) until you log in again.
    See docs/powershell.md for full scheduler definitions.

    .EXAMPLE
    Set-AwsCliSsoCredentials -EnvironmentName Contoso -NoBrowser

    Over SSH or in WSL: prints "To sign in, open https://device.sso.us-west-2.amazonaws.com/ in a browser and
    enter the code ABCD-EFGH", and continues once the login is approved on any device.

    .EXAMPLE
    Set-AwsCliSsoCredentials -EnvironmentName Contoso -Force -WhatIf

    Shows which profiles would be refreshed, without logging in or writing anything.

    .INPUTS
    System.Object. Objects or hashtables with Profile, AccountId and RoleName (e.g. from Import-Csv).

    .OUTPUTS
    None by default. With -PassThru, one SetAwsCliSsoCredentials.ProfileResult per profile.

    .LINK
    https://github.com/set-awsclissocredentials/set-awsclissocredentials/blob/main/docs/powershell.md
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('SetAwsCliSsoCredentials.ProfileResult')]
    param(
        [Parameter(Position = 0)]
        [string] $DefaultRoleName,

        [Parameter(Position = 1)]
        [string] $Region,

        [Parameter(Position = 2)]
        [string] $StartUrl,

        [Parameter(Position = 3)]
        [ValidateNotNullOrEmpty()]
        [string] $EnvironmentName = 'Default',

        [Parameter(ValueFromPipeline = $true)]
        [Alias('Accounts')]
        [object[]] $Account,

        [ValidateNotNullOrEmpty()]
        [string] $CredentialsFile,

        [switch] $Force,

        [switch] $NonInteractive,

        [switch] $NoBrowser,

        [switch] $PassThru,

        [ValidateRange(1, 256)]
        [int] $MaxConcurrency
    )

    begin {
        $collected = [System.Collections.Generic.List[object]]::new()
    }

    process {
        foreach ($item in $Account) {
            if ($null -ne $item) { $collected.Add($item) }
        }
    }

    end {
        $accountsVariable = '{0}SsoAwsAccounts' -f $EnvironmentName
        $settingsVariable = '{0}SsoAwsSettings' -f $EnvironmentName
        $expireVariable = '{0}SSOTokenExpire' -f $EnvironmentName

        # Settings: what was passed, else what this session remembered for the environment.
        $remembered = Get-SsoCredsGlobal -Name $settingsVariable
        if ($remembered -is [System.Collections.IDictionary]) {
            if (-not $PSBoundParameters.ContainsKey('StartUrl') -and $remembered['StartUrl']) { $StartUrl = [string]$remembered['StartUrl'] }
            if (-not $PSBoundParameters.ContainsKey('Region') -and $remembered['Region']) { $Region = [string]$remembered['Region'] }
            if (-not $PSBoundParameters.ContainsKey('DefaultRoleName') -and $remembered['DefaultRoleName']) { $DefaultRoleName = [string]$remembered['DefaultRoleName'] }
            if (-not $PSBoundParameters.ContainsKey('CredentialsFile') -and $remembered['CredentialsFile']) { $CredentialsFile = [string]$remembered['CredentialsFile'] }
        }

        # Accounts: those passed, else the list remembered for the environment (like the original).
        $sources = $collected
        if ($sources.Count -eq 0) {
            $rememberedAccounts = Get-SsoCredsGlobal -Name $accountsVariable
            if ($null -ne $rememberedAccounts) { $sources = @($rememberedAccounts) }
        }
        if (@($sources).Count -eq 0) {
            $message = "No accounts to refresh for environment '$EnvironmentName': pass -Account " +
                "(@{ Profile = 'dev'; AccountId = '111111111111'; RoleName = 'ReadOnly' }) or pipe them in."
            $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecord -Code 'InvalidInput' -Message $message -TargetObject $EnvironmentName))
        }

        $accounts = [System.Collections.Generic.List[object]]::new()
        foreach ($source in $sources) {
            $entry = ConvertTo-SsoCredsAccount -InputObject $source -DefaultRoleName $DefaultRoleName
            if (-not $entry.Profile -or -not $entry.AccountId) {
                $message = 'Each account needs a Profile and an AccountId; this one has ' +
                    "Profile '$($entry.Profile)' and AccountId '$($entry.AccountId)'."
                $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecord -Code 'InvalidInput' -Message $message -TargetObject $source))
            }
            if (-not $entry.RoleName) {
                $message = "Account '$($entry.Profile)' names no RoleName and -DefaultRoleName was not given."
                $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecord -Code 'InvalidInput' -Message $message -TargetObject $source))
            }
            $accounts.Add($entry)
        }

        $credentialsPath = $null
        if ($CredentialsFile) {
            # A provider path (TestDrive:, ~, relative) becomes the file-system path the library needs.
            $credentialsPath = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($CredentialsFile)
        }

        $newRequest = {
            param([object[]] $Selected, [bool] $DryRun)
            $list = [System.Collections.Generic.List[object]]::new()
            foreach ($a in $Selected) {
                $list.Add([ordered]@{ profile = [string]$a.Profile; accountId = [string]$a.AccountId; roleName = [string]$a.RoleName })
            }
            $request = [ordered]@{
                environment = $EnvironmentName
                accounts    = $list.ToArray()
            }
            if ($DefaultRoleName) { $request.defaultRoleName = $DefaultRoleName }
            if ($credentialsPath) { $request.credentialsFile = $credentialsPath }
            if ($Force) { $request.force = $true }
            if ($MaxConcurrency) { $request.maxConcurrency = $MaxConcurrency }
            if ($DryRun) { $request.dryRun = $true }
            $request
        }

        # 1. What needs fetching: a dry run reads the file only (no network call, nothing written).
        $plan = Invoke-SsoCredsNative -Function 'refresh' -Request (& $newRequest ($accounts.ToArray()) $true)
        if (-not $plan.ok) {
            $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $plan -TargetObject $EnvironmentName))
        }

        # 2. -WhatIf / -Confirm, one decision per profile that would be fetched.
        # Keyed by profile name, case-sensitive like the credentials file's section names.
        $reports = [System.Collections.Generic.Dictionary[string, object]]::new([System.StringComparer]::Ordinal)
        $byProfile = [System.Collections.Generic.Dictionary[string, object]]::new([System.StringComparer]::Ordinal)
        foreach ($entry in $accounts) { $byProfile[$entry.Profile] = $entry }
        $selected = [System.Collections.Generic.List[object]]::new()
        foreach ($report in @($plan.result.profiles)) {
            $name = [string]$report.profile
            if (-not $byProfile.ContainsKey($name)) { continue }
            $entry = $byProfile[$name]
            if ($report.status -eq 'wouldRefresh') {
                $target = '{0} (account {1}, role {2})' -f $entry.Profile, $entry.AccountId, $entry.RoleName
                if ($PSCmdlet.ShouldProcess($target, 'Refresh AWS credentials')) {
                    $selected.Add($entry)
                }
            }
            else {
                $reports[$name] = $report
            }
        }
        if ($WhatIfPreference) {
            return
        }

        # 3. Fetch and write; log in first when the library says a login is needed.
        $tokenExpiresAt = $null
        $loggedInNow = $false
        $pendingLoginRequired = @()
        if ($selected.Count -gt 0) {
            $outcome = Invoke-SsoCredsRefreshOperation -Request (& $newRequest ($selected.ToArray()) $false)
            if (-not $outcome.ok -and ($outcome.error.code -eq 'LoginRequired' -or $outcome.error.code -eq 'LoginPending')) {
                if ($NonInteractive) {
                    $message = "Environment '$EnvironmentName' needs a login to IAM Identity Center, and -NonInteractive " +
                        "forbids starting one. ($($outcome.error.message))"
                    $record = New-SsoCredsErrorRecord -Code 'LoginRequired' -Message $message -TargetObject $EnvironmentName `
                        -RecommendedAction "Run Set-AwsCliSsoCredentials -EnvironmentName $EnvironmentName without -NonInteractive to log in."
                    $PSCmdlet.ThrowTerminatingError($record)
                }
                $tokenExpiresAt = Invoke-SsoCredsLogin -Cmdlet $PSCmdlet -EnvironmentName $EnvironmentName -StartUrl $StartUrl -Region $Region -NoBrowser:$NoBrowser
                $loggedInNow = $true
                $outcome = Invoke-SsoCredsRefreshOperation -Request (& $newRequest ($selected.ToArray()) $false)
            }
            if (-not $outcome.ok) {
                $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $outcome -TargetObject $EnvironmentName))
            }
            if ($outcome.result.tokenExpiresAt) { $tokenExpiresAt = ConvertTo-SsoCredsDateTime -Value $outcome.result.tokenExpiresAt }
            foreach ($report in @($outcome.result.profiles)) { $reports[[string]$report.profile] = $report }

            # The service rejected the token part-way: log in once more and retry those profiles.
            $rejected = @($selected | Microsoft.PowerShell.Core\Where-Object {
                    $reports.ContainsKey($_.Profile) -and $reports[$_.Profile].status -eq 'failed' -and
                    $reports[$_.Profile].error.code -eq 'LoginRequired'
                })
            if ($rejected.Count -gt 0) {
                if ($NonInteractive -or $loggedInNow) {
                    $pendingLoginRequired = $rejected
                }
                else {
                    $tokenExpiresAt = Invoke-SsoCredsLogin -Cmdlet $PSCmdlet -EnvironmentName $EnvironmentName -StartUrl $StartUrl -Region $Region -NoBrowser:$NoBrowser
                    $retry = Invoke-SsoCredsRefreshOperation -Request (& $newRequest $rejected $false)
                    if (-not $retry.ok) {
                        $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $retry -TargetObject $EnvironmentName))
                    }
                    if ($retry.result.tokenExpiresAt) { $tokenExpiresAt = ConvertTo-SsoCredsDateTime -Value $retry.result.tokenExpiresAt }
                    foreach ($report in @($retry.result.profiles)) { $reports[[string]$report.profile] = $report }
                    $pendingLoginRequired = @($rejected | Microsoft.PowerShell.Core\Where-Object {
                            $reports[$_.Profile].status -eq 'failed' -and $reports[$_.Profile].error.code -eq 'LoginRequired'
                        })
                }
            }
        }

        # 4. Report per profile, in the order given; remember the list like the original did.
        $rememberedList = [System.Collections.Generic.List[object]]::new()
        $registered = [System.Collections.Generic.List[string]]::new()
        foreach ($entry in $accounts) {
            $status = 'Skipped'
            $expiration = $null
            if ($reports.ContainsKey($entry.Profile)) {
                $report = $reports[$entry.Profile]
                switch ([string]$report.status) {
                    'refreshed' { $status = 'Refreshed' }
                    'current' { $status = 'Current' }
                    'failed' { $status = 'Failed' }
                    default { $status = [string]$report.status }
                }
                $expiration = ConvertTo-SsoCredsDateTime -Value $report.expiresAt
            }
            if ($status -eq 'Failed') {
                $isPendingLogin = $pendingLoginRequired | Microsoft.PowerShell.Core\Where-Object { $_.Profile -eq $entry.Profile }
                if (-not $isPendingLogin) {
                    $record = New-SsoCredsErrorRecordFromEnvelope -Envelope ([pscustomobject]@{ ok = $false; error = $report.error }) -TargetObject $entry.Profile
                    $PSCmdlet.WriteError($record)
                }
            }
            elseif ($status -eq 'Refreshed' -or $status -eq 'Current') {
                $registered.Add($entry.Profile)
            }
            $rememberedList.Add(@{
                    Profile         = $entry.Profile
                    AccountId       = $entry.AccountId
                    RoleName        = $entry.RoleName
                    CredsExpiration = (ConvertTo-SsoCredsEpochMilliseconds -DateTime $expiration)
                })
            if ($PassThru) {
                [pscustomobject]@{
                    PSTypeName = 'SetAwsCliSsoCredentials.ProfileResult'
                    Profile    = $entry.Profile
                    AccountId  = $entry.AccountId
                    RoleName   = $entry.RoleName
                    Status     = $status
                    Expiration = $expiration
                }
            }
        }

        Set-SsoCredsGlobal -Name $accountsVariable -Value $rememberedList.ToArray()
        Set-SsoCredsGlobal -Name $settingsVariable -Value @{
            StartUrl        = $StartUrl
            Region          = $Region
            DefaultRoleName = $DefaultRoleName
            CredentialsFile = $CredentialsFile
        }

        # The token's end, for users whose prompts read <EnvironmentName>SSOTokenExpire.
        if ($null -eq $tokenExpiresAt) {
            $session = Invoke-SsoCredsNative -Function 'session_status' -Request ([ordered]@{ environment = $EnvironmentName })
            if ($session.ok -and $session.result.status -eq 'loggedIn' -and $session.result.expiresAt) {
                $tokenExpiresAt = ConvertTo-SsoCredsDateTime -Value $session.result.expiresAt
            }
        }
        if ($null -ne $tokenExpiresAt) {
            Set-SsoCredsGlobal -Name $expireVariable -Value $tokenExpiresAt
            Microsoft.PowerShell.Utility\Write-Host ('{0} Profiles registered, {1}' -f ($registered -join ' '), (Format-SsoCredsTimeLeft -ExpiresAt $tokenExpiresAt))
        }
        else {
            Microsoft.PowerShell.Utility\Write-Host ('{0} Profiles registered, credentials still valid (no SSO token in this session)' -f ($registered -join ' '))
        }

        if ($pendingLoginRequired.Count -gt 0) {
            $names = ($pendingLoginRequired | Microsoft.PowerShell.Core\ForEach-Object { $_.Profile }) -join ', '
            $message = "The SSO token of environment '$EnvironmentName' was rejected by the service; these profiles were not refreshed: $names."
            $record = New-SsoCredsErrorRecord -Code 'LoginRequired' -Message $message -TargetObject $EnvironmentName `
                -RecommendedAction "Run Set-AwsCliSsoCredentials -EnvironmentName $EnvironmentName without -NonInteractive to log in."
            $PSCmdlet.ThrowTerminatingError($record)
        }
    }
}
