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
    Set-AwsCliSsoCredentials ..., or Get-AwsCliSsoAccount | Set-AwsCliSsoCredentials ...), or found by
    -AllAccounts: every account and role the login can reach, filtered by -IncludeAccount, -ExcludeAccount
    and -IncludeRole. A profile without a given name (a discovered one, or an object with AccountName but
    no Profile) is named from -ProfileNameTemplate (default '{AccountName}.{RoleName}'); when two derived
    names collide, each gets '-<AccountId>' appended and a warning names the wanted and the actual name. Like the original, the list is remembered for the session in the global
    variable <EnvironmentName>SsoAwsAccounts, together with StartUrl, Region and DefaultRoleName, so a
    later call with only -EnvironmentName refreshes the same profiles.

    Profiles whose stored credentials are still valid for more than five minutes are left alone without a
    network call (use -Force to refresh them anyway). The others are fetched concurrently and written in one
    atomic, locked write; one failing account never stops the others. When a login is needed, a browser
    window opens at the IAM Identity Center device-authorization page ("A Browser window should open.
    Please login there and click ALLOW."); with -NoBrowser the URL and code are printed instead. If another
    process is logging in to the same environment at that moment, no second browser opens: the command
    prints that it waits, and continues once that login completes. The global
    <EnvironmentName>SSOTokenExpire tells when the SSO token ends.

    Where the SSO token lives: in the AWS CLI v2 cache file ~/.aws/sso/cache/<sha1(EnvironmentName)>.json
    (readable by the user only, mode 0600 on Linux and macOS), together with its refresh token and the
    client registration. So one interactive login serves every later PowerShell session, scheduled task and
    -NonInteractive run, and the module renews the SSO token by itself with the refresh token, for as long
    as IAM Identity Center allows (the session duration the administrator configured; 8 hours unless
    changed). After that, -NonInteractive fails fast with SsoCreds.LoginRequired whose message
    says when the session ended; run the command once without -NonInteractive to log in again.
    -NoTokenFile keeps the token in this process's memory only, as the original script did (every new
    PowerShell session logs in again). -ConfigureSsoSession also writes [sso-session <EnvironmentName>] to
    ~/.aws/config (or AWS_CONFIG_FILE), so that aws CLI v2 profiles with sso_session = <EnvironmentName>
    use the same login (aws sso login --sso-session <EnvironmentName> reads and writes the same cache file).

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
    Never starts a login. A stored SSO token (memory or the cache file) is used, and renewed with its
    refresh token when it is about to expire. If a profile needs new credentials and there is no usable
    token (never logged in, the IAM Identity Center session ended, or signed out), fails at once with the
    terminating error SsoCreds.LoginRequired, whose message comes from the native library and says when the
    session ended. For $PROFILE scripts and scheduled tasks.

    .PARAMETER NoBrowser
    Prints the verification URL and the user code instead of opening a browser (SSH sessions, WSL, headless
    machines): open the URL on any device, enter the code and click ALLOW.

    .PARAMETER PassThru
    Writes one object per profile: Profile, AccountId, RoleName, Status (Refreshed, Current or Failed) and
    Expiration (local time).

    .PARAMETER MaxConcurrency
    At most this many requests to IAM Identity Center at once (role credentials, and with -AllAccounts the
    account and role listing); 1 to 256, default 16.

    .PARAMETER NoTokenFile
    Keeps the SSO token in this process's memory only: nothing is read from or written to
    ~/.aws/sso/cache, as with the original script. Every new PowerShell session (and every scheduled run)
    must log in again. Remembered for the environment in this session.

    .PARAMETER ConfigureSsoSession
    Also writes the section [sso-session <EnvironmentName>] (sso_start_url, sso_region,
    sso_registration_scopes) to ~/.aws/config, or AWS_CONFIG_FILE, keeping everything else in the file, so
    aws CLI v2 shares this login. Reuses the stored token when there is one.

    .PARAMETER AllAccounts
    Also refreshes every account and role the login can reach (ListAccounts and ListAccountRoles of IAM
    Identity Center), filtered by -IncludeAccount, -ExcludeAccount and -IncludeRole, named by
    -ProfileNameTemplate. Accounts given with -Account keep their profile names. Listing needs a login,
    also with -WhatIf.

    .PARAMETER ProfileNameTemplate
    How profiles without a given name are named: {AccountName}, {AccountId} and {RoleName} are replaced;
    characters a credentials file does not allow (anything but letters, digits and -_.+@:) become '-'.
    Default '{AccountName}.{RoleName}'.

    .PARAMETER IncludeAccount
    With -AllAccounts: only accounts whose id or name matches one of these patterns (* and ?,
    case-insensitive).

    .PARAMETER ExcludeAccount
    With -AllAccounts: leaves out accounts whose id or name matches one of these patterns.

    .PARAMETER IncludeRole
    With -AllAccounts: only roles (permission sets) whose name matches one of these patterns.

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

    Log in once interactively with the same -EnvironmentName (Set-AwsCliSsoCredentials -EnvironmentName
    Contoso ..., without -NonInteractive). From then on each scheduled run uses the SSO token in
    ~/.aws/sso/cache and renews it with its refresh token, without a browser, for as long as IAM Identity
    Center allows (the session duration the administrator configured). Profiles still valid cost nothing.
    Once the session has ended, each run fails with the terminating error SsoCreds.LoginRequired ("... the
    SSO session ended at ..."), which makes pwsh -File exit with code 1, until you log in interactively
    again. See docs/powershell.md for full scheduler definitions.

    .EXAMPLE
    Set-AwsCliSsoCredentials -EnvironmentName Contoso -NoBrowser

    Over SSH or in WSL: prints "To sign in, open https://device.sso.us-west-2.amazonaws.com/ in a browser and
    enter the code ABCD-EFGH", and continues once the login is approved on any device.

    .EXAMPLE
    Set-AwsCliSsoCredentials -EnvironmentName Contoso -StartUrl https://d-12345abcde.awsapps.com/start/ -Region us-west-2 -AllAccounts -IncludeRole ReadOnly -ProfileNameTemplate '{AccountName}-{RoleName}'

    Writes one profile per account that has the role ReadOnly, named like 'prod-ReadOnly'. Run it again
    (or later with only -EnvironmentName) and new accounts are added; a name that two accounts would share
    gets '-<AccountId>' appended, with a warning.

    .EXAMPLE
    Get-AwsCliSsoAccount -EnvironmentName Contoso | Where-Object RoleName -eq ReadOnly | Set-AwsCliSsoCredentials -EnvironmentName Contoso -ProfileNameTemplate '{AccountName}'

    Picks accounts and roles from the list Get-AwsCliSsoAccount shows; each is named from the template.

    .EXAMPLE
    Set-AwsCliSsoCredentials -EnvironmentName Contoso -StartUrl https://d-12345abcde.awsapps.com/start/ -Region us-west-2 -DefaultRoleName ReadOnly -Account @{ Profile = 'dev'; AccountId = '111111111111' } -ConfigureSsoSession

    Also writes [sso-session Contoso] to ~/.aws/config; a profile there with sso_session = Contoso,
    sso_account_id and sso_role_name then works with aws CLI v2 on the same login.

    .EXAMPLE
    Set-AwsCliSsoCredentials -EnvironmentName Contoso -NoTokenFile

    Keeps the SSO token in memory only, like the original script: nothing under ~/.aws/sso/cache.

    .EXAMPLE
    Set-AwsCliSsoCredentials -EnvironmentName Contoso -Force -WhatIf

    Shows which profiles would be refreshed, without logging in or writing anything.

    .INPUTS
    System.Object. Objects or hashtables with Profile, AccountId and RoleName (e.g. from Import-Csv), or
    with AccountId, AccountName and RoleName (from Get-AwsCliSsoAccount).

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
        [int] $MaxConcurrency,

        [switch] $NoTokenFile,

        [switch] $ConfigureSsoSession,

        [switch] $AllAccounts,

        [ValidateNotNullOrEmpty()]
        [string] $ProfileNameTemplate,

        [ValidateNotNullOrEmpty()]
        [string[]] $IncludeAccount,

        [ValidateNotNullOrEmpty()]
        [string[]] $ExcludeAccount,

        [ValidateNotNullOrEmpty()]
        [string[]] $IncludeRole
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
        $loginAction = "Run Set-AwsCliSsoCredentials -EnvironmentName $EnvironmentName without -NonInteractive to log in."

        # Settings: what was passed, else what this session remembered for the environment.
        $remembered = Get-SsoCredsGlobal -Name $settingsVariable
        if ($remembered -is [System.Collections.IDictionary]) {
            if (-not $PSBoundParameters.ContainsKey('StartUrl') -and $remembered['StartUrl']) { $StartUrl = [string]$remembered['StartUrl'] }
            if (-not $PSBoundParameters.ContainsKey('Region') -and $remembered['Region']) { $Region = [string]$remembered['Region'] }
            if (-not $PSBoundParameters.ContainsKey('DefaultRoleName') -and $remembered['DefaultRoleName']) { $DefaultRoleName = [string]$remembered['DefaultRoleName'] }
            if (-not $PSBoundParameters.ContainsKey('CredentialsFile') -and $remembered['CredentialsFile']) { $CredentialsFile = [string]$remembered['CredentialsFile'] }
            if (-not $PSBoundParameters.ContainsKey('NoTokenFile') -and $remembered['NoTokenFile']) { $NoTokenFile = [switch]$true }
        }

        # Accounts: those passed, else (unless -AllAccounts is given) the list remembered for the environment
        # like the original, which brings the discovery settings of the run that made it.
        $sources = $collected
        if ($sources.Count -eq 0 -and -not $PSBoundParameters.ContainsKey('AllAccounts')) {
            $rememberedAccounts = Get-SsoCredsGlobal -Name $accountsVariable
            if ($null -ne $rememberedAccounts) { $sources = @($rememberedAccounts) }
            if ($remembered -is [System.Collections.IDictionary]) {
                if (-not $PSBoundParameters.ContainsKey('AllAccounts') -and $remembered['AllAccounts']) { $AllAccounts = [switch]$true }
                if (-not $PSBoundParameters.ContainsKey('ProfileNameTemplate') -and $remembered['ProfileNameTemplate']) { $ProfileNameTemplate = [string]$remembered['ProfileNameTemplate'] }
                if (-not $PSBoundParameters.ContainsKey('IncludeAccount') -and $remembered['IncludeAccount']) { $IncludeAccount = [string[]]$remembered['IncludeAccount'] }
                if (-not $PSBoundParameters.ContainsKey('ExcludeAccount') -and $remembered['ExcludeAccount']) { $ExcludeAccount = [string[]]$remembered['ExcludeAccount'] }
                if (-not $PSBoundParameters.ContainsKey('IncludeRole') -and $remembered['IncludeRole']) { $IncludeRole = [string[]]$remembered['IncludeRole'] }
            }
        }
        if (-not $AllAccounts -and ($IncludeAccount -or $ExcludeAccount -or $IncludeRole)) {
            $message = '-IncludeAccount, -ExcludeAccount and -IncludeRole filter the accounts that -AllAccounts discovers; add -AllAccounts.'
            $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecord -Code 'InvalidInput' -Message $message -TargetObject $EnvironmentName))
        }
        if (@($sources).Count -eq 0 -and -not $AllAccounts) {
            $message = "No accounts to refresh for environment '$EnvironmentName': pass -Account " +
                "(@{ Profile = 'dev'; AccountId = '111111111111'; RoleName = 'ReadOnly' }), pipe them in " +
                '(Import-Csv, Get-AwsCliSsoAccount), or use -AllAccounts.'
            $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecord -Code 'InvalidInput' -Message $message -TargetObject $EnvironmentName))
        }

        $accounts = [System.Collections.Generic.List[object]]::new()
        foreach ($source in $sources) {
            $entry = ConvertTo-SsoCredsAccount -InputObject $source -DefaultRoleName $DefaultRoleName
            if (-not $entry.AccountId -or (-not $entry.Profile -and -not $entry.AccountName)) {
                $message = 'Each account needs an AccountId and a Profile (or an AccountName, from which -ProfileNameTemplate ' +
                    "makes the profile name); this one has Profile '$($entry.Profile)', AccountName '$($entry.AccountName)' " +
                    "and AccountId '$($entry.AccountId)'."
                $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecord -Code 'InvalidInput' -Message $message -TargetObject $source))
            }
            if (-not $entry.RoleName) {
                $label = if ($entry.Profile) { $entry.Profile } else { $entry.AccountId }
                $message = "Account '$label' names no RoleName and -DefaultRoleName was not given."
                $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecord -Code 'InvalidInput' -Message $message -TargetObject $source))
            }
            $accounts.Add($entry)
        }

        $credentialsPath = $null
        if ($CredentialsFile) {
            # A provider path (TestDrive:, ~, relative) becomes the file-system path the library needs.
            $credentialsPath = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($CredentialsFile)
        }

        # A refresh request (docs/c-api.md). Entries without a profile name send their account name, and
        # the library names them from profileNameTemplate.
        $newRequest = {
            param([object[]] $Selected, [bool] $DryRun, [bool] $Discover)
            $list = [System.Collections.Generic.List[object]]::new()
            foreach ($a in $Selected) {
                $item = [ordered]@{}
                if ($a.Profile) {
                    $item.profile = [string]$a.Profile
                }
                elseif ($a.AccountName) {
                    $item.accountName = [string]$a.AccountName
                }
                $item.accountId = [string]$a.AccountId
                $item.roleName = [string]$a.RoleName
                $list.Add($item)
            }
            $request = [ordered]@{
                environment = $EnvironmentName
                accounts    = $list.ToArray()
            }
            if ($DefaultRoleName) { $request.defaultRoleName = $DefaultRoleName }
            if ($StartUrl) { $request.startUrl = $StartUrl }
            if ($credentialsPath) { $request.credentialsFile = $credentialsPath }
            if ($Force) { $request.force = $true }
            if ($MaxConcurrency) { $request.maxConcurrency = $MaxConcurrency }
            if ($DryRun) { $request.dryRun = $true }
            if ($NoTokenFile) { $request.noTokenFile = $true }
            if ($ProfileNameTemplate) { $request.profileNameTemplate = $ProfileNameTemplate }
            if ($Discover) {
                $request.discover = $true
                if ($IncludeAccount) { $request.includeAccount = [string[]]@($IncludeAccount) }
                if ($ExcludeAccount) { $request.excludeAccount = [string[]]@($ExcludeAccount) }
                if ($IncludeRole) { $request.includeRole = [string[]]@($IncludeRole) }
            }
            $request
        }
        $login = @{
            Cmdlet              = $PSCmdlet
            EnvironmentName     = $EnvironmentName
            StartUrl            = $StartUrl
            Region              = $Region
            NoBrowser           = $NoBrowser
            NoTokenFile         = $NoTokenFile
            ConfigureSsoSession = $ConfigureSsoSession
        }
        $isLoginError = { param($Envelope) (-not $Envelope.ok) -and ($Envelope.error.code -eq 'LoginRequired' -or $Envelope.error.code -eq 'LoginPending') }
        $newLoginRequired = {
            param([string] $Detail)
            $message = "Environment '$EnvironmentName' needs a login to IAM Identity Center, and -NonInteractive forbids starting one."
            if ($Detail) { $message += " ($Detail)" }
            New-SsoCredsErrorRecord -Code 'LoginRequired' -Message $message -TargetObject $EnvironmentName -RecommendedAction $loginAction
        }

        # 1. What needs fetching: a dry run reads the file only (no network call, nothing written). With
        #    -AllAccounts it also lists the accounts and roles, which needs a login.
        $tokenExpiresAt = $null
        $loggedInNow = $false
        $plan = Invoke-SsoCredsNative -Function 'refresh' -Request (& $newRequest ($accounts.ToArray()) $true ([bool]$AllAccounts))
        if ($AllAccounts -and (& $isLoginError $plan)) {
            if ($WhatIfPreference) {
                $null = $PSCmdlet.ShouldProcess($EnvironmentName, 'Log in to IAM Identity Center, list every account and role, and refresh their credentials')
                return
            }
            if ($NonInteractive) {
                $PSCmdlet.ThrowTerminatingError((& $newLoginRequired ([string]$plan.error.message)))
            }
            $tokenExpiresAt = Invoke-SsoCredsLogin @login
            $loggedInNow = $true
            $plan = Invoke-SsoCredsNative -Function 'refresh' -Request (& $newRequest ($accounts.ToArray()) $true $true)
        }
        if (-not $plan.ok) {
            $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $plan -TargetObject $EnvironmentName))
        }

        # Derived names that collided got '-<AccountId>' appended: say so, nothing is overwritten silently.
        foreach ($rename in @($plan.result.renamed)) {
            if ($null -eq $rename) { continue }
            Microsoft.PowerShell.Utility\Write-Warning ("The profile name '{0}' (account {1}, role {2}) collides with another profile; it is named '{3}' instead." -f
                $rename.wanted, $rename.accountId, $rename.roleName, $rename.profile)
        }
        # Accounts whose roles could not be listed: the others go on.
        foreach ($failure in @($plan.result.discoveryErrors)) {
            if ($null -eq $failure) { continue }
            $PSCmdlet.WriteError((New-SsoCredsErrorRecordFromEnvelope -Envelope ([pscustomobject]@{ ok = $false; error = $failure }) -TargetObject $EnvironmentName))
        }

        # 2. Every profile with its final name, and -WhatIf / -Confirm, one decision per profile that would
        #    be fetched. The fetch then names each profile explicitly, so discovery runs once.
        # Keyed by profile name, case-sensitive like the credentials file's section names.
        $resolved = [System.Collections.Generic.List[object]]::new()
        $reports = [System.Collections.Generic.Dictionary[string, object]]::new([System.StringComparer]::Ordinal)
        $selected = [System.Collections.Generic.List[object]]::new()
        foreach ($report in @($plan.result.profiles)) {
            if ($null -eq $report) { continue }
            $entry = [pscustomobject]@{
                Profile   = [string]$report.profile
                AccountId = [string]$report.accountId
                RoleName  = [string]$report.roleName
            }
            $resolved.Add($entry)
            if ($report.status -eq 'wouldRefresh') {
                $target = '{0} (account {1}, role {2})' -f $entry.Profile, $entry.AccountId, $entry.RoleName
                if ($PSCmdlet.ShouldProcess($target, 'Refresh AWS credentials')) {
                    $selected.Add($entry)
                }
            }
            else {
                $reports[$entry.Profile] = $report
            }
        }
        if ($WhatIfPreference) {
            return
        }

        # -ConfigureSsoSession: [sso-session <EnvironmentName>] for aws CLI v2, written by login_start (which
        # reuses or renews the stored token; only without one does it start a login).
        if ($ConfigureSsoSession -and -not $loggedInNow) {
            $canLogIn = -not $NonInteractive
            if ($NonInteractive) {
                $statusRequest = [ordered]@{ environment = $EnvironmentName }
                if ($NoTokenFile) { $statusRequest.noTokenFile = $true }
                $status = Invoke-SsoCredsNative -Function 'session_status' -Request $statusRequest
                $canLogIn = $status.ok -and ($status.result.status -eq 'loggedIn' -or [bool]$status.result.refreshable)
            }
            if ($canLogIn) {
                $tokenExpiresAt = Invoke-SsoCredsLogin @login -NonInteractive:$NonInteractive
            }
            else {
                Microsoft.PowerShell.Utility\Write-Warning "The [sso-session $EnvironmentName] section was not written: it needs a login, which -NonInteractive forbids."
            }
        }

        # 3. Fetch and write; log in first when the library says a login is needed. The library renews a
        #    token about to expire with its refresh token by itself, so a login is needed only when the
        #    IAM Identity Center session has ended (or there never was one).
        $pendingLoginRequired = @()
        $loginRequiredDetail = $null
        if ($selected.Count -gt 0) {
            $outcome = Invoke-SsoCredsRefreshOperation -Request (& $newRequest ($selected.ToArray()) $false $false)
            if (& $isLoginError $outcome) {
                if ($NonInteractive) {
                    $PSCmdlet.ThrowTerminatingError((& $newLoginRequired ([string]$outcome.error.message)))
                }
                $tokenExpiresAt = Invoke-SsoCredsLogin @login
                $loggedInNow = $true
                $outcome = Invoke-SsoCredsRefreshOperation -Request (& $newRequest ($selected.ToArray()) $false $false)
            }
            if (-not $outcome.ok) {
                $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $outcome -TargetObject $EnvironmentName))
            }
            if ($outcome.result.tokenExpiresAt) { $tokenExpiresAt = ConvertTo-SsoCredsDateTime -Value $outcome.result.tokenExpiresAt }
            foreach ($report in @($outcome.result.profiles)) {
                if ($null -ne $report) { $reports[[string]$report.profile] = $report }
            }

            # The service rejected the token part-way: retry those profiles once. The library renews the
            # rejected token with its refresh token when it can (also with -NonInteractive); otherwise an
            # interactive run logs in again.
            $rejected = @($selected | Microsoft.PowerShell.Core\Where-Object {
                    $reports.ContainsKey($_.Profile) -and $reports[$_.Profile].status -eq 'failed' -and
                    $reports[$_.Profile].error.code -eq 'LoginRequired'
                })
            if ($rejected.Count -gt 0) {
                if ($loggedInNow) {
                    $pendingLoginRequired = $rejected
                }
                else {
                    if (-not $NonInteractive) {
                        $tokenExpiresAt = Invoke-SsoCredsLogin @login
                    }
                    $retry = Invoke-SsoCredsRefreshOperation -Request (& $newRequest $rejected $false $false)
                    if ($NonInteractive -and (& $isLoginError $retry)) {
                        $pendingLoginRequired = $rejected
                        $loginRequiredDetail = [string]$retry.error.message
                    }
                    elseif (-not $retry.ok) {
                        $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $retry -TargetObject $EnvironmentName))
                    }
                    else {
                        if ($retry.result.tokenExpiresAt) { $tokenExpiresAt = ConvertTo-SsoCredsDateTime -Value $retry.result.tokenExpiresAt }
                        foreach ($report in @($retry.result.profiles)) {
                            if ($null -ne $report) { $reports[[string]$report.profile] = $report }
                        }
                        $pendingLoginRequired = @($rejected | Microsoft.PowerShell.Core\Where-Object {
                                $reports[$_.Profile].status -eq 'failed' -and $reports[$_.Profile].error.code -eq 'LoginRequired'
                            })
                        if ($pendingLoginRequired.Count -gt 0) {
                            $loginRequiredDetail = [string]$reports[$pendingLoginRequired[0].Profile].error.message
                        }
                    }
                }
            }
        }

        # 4. Report per profile, in the order given (discovered ones after); remember the list like the
        #    original did, with the final profile names.
        $rememberedList = [System.Collections.Generic.List[object]]::new()
        $registered = [System.Collections.Generic.List[string]]::new()
        foreach ($entry in $resolved) {
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
            StartUrl            = $StartUrl
            Region              = $Region
            DefaultRoleName     = $DefaultRoleName
            CredentialsFile     = $CredentialsFile
            NoTokenFile         = [bool]$NoTokenFile
            AllAccounts         = [bool]$AllAccounts
            ProfileNameTemplate = $ProfileNameTemplate
            IncludeAccount      = $IncludeAccount
            ExcludeAccount      = $ExcludeAccount
            IncludeRole         = $IncludeRole
        }

        # The token's end, for users whose prompts read <EnvironmentName>SSOTokenExpire.
        if ($null -eq $tokenExpiresAt) {
            $statusRequest = [ordered]@{ environment = $EnvironmentName }
            if ($NoTokenFile) { $statusRequest.noTokenFile = $true }
            $session = Invoke-SsoCredsNative -Function 'session_status' -Request $statusRequest
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
            $message = "The SSO token of environment '$EnvironmentName' was rejected by the service and could not be renewed; " +
                "these profiles were not refreshed: $names."
            if ($loginRequiredDetail) { $message += " ($loginRequiredDetail)" }
            $record = New-SsoCredsErrorRecord -Code 'LoginRequired' -Message $message -TargetObject $EnvironmentName -RecommendedAction $loginAction
            $PSCmdlet.ThrowTerminatingError($record)
        }
    }
}
