function Get-AwsCliSsoAccount {
    <#
    .SYNOPSIS
    Lists every AWS account and role (permission set) an IAM Identity Center login can reach.

    .DESCRIPTION
    Asks IAM Identity Center for every account the login can reach (ListAccounts) and every role in each
    (ListAccountRoles), following pagination, concurrently, and writes one object per account and role:
    AccountId, AccountName, EmailAddress and RoleName, sorted by account id, then role name. No credentials
    are fetched and nothing is written.

    Logs in like Set-AwsCliSsoCredentials when there is no usable SSO token: the stored one (this process's
    memory, or ~/.aws/sso/cache unless -NoTokenFile) is reused and renewed with its refresh token; otherwise a
    browser window opens (-NoBrowser prints the URL and code; -NonInteractive fails with
    SsoCreds.LoginRequired instead). StartUrl and Region are needed only to log in, and are remembered for
    the environment in this session.

    The objects pipe into Set-AwsCliSsoCredentials, which names each profile from its -ProfileNameTemplate
    (default '{AccountName}.{RoleName}').

    An account whose roles could not be listed is reported as a non-terminating error (ErrorId
    SsoCreds.<Code>, target the account id); the others are still written.

    .PARAMETER EnvironmentName
    The IAM Identity Center environment, as given to Set-AwsCliSsoCredentials -EnvironmentName. Defaults
    to 'Default'.

    .PARAMETER StartUrl
    The AWS access portal URL, e.g. https://d-1234567890.awsapps.com/start/. Needed to log in.

    .PARAMETER Region
    The AWS Region where IAM Identity Center is deployed. Needed to log in.

    .PARAMETER IncludeAccount
    Only accounts whose id or name matches one of these patterns (* and ?, case-insensitive).

    .PARAMETER ExcludeAccount
    Leaves out accounts whose id or name matches one of these patterns.

    .PARAMETER IncludeRole
    Only roles whose name matches one of these patterns. Accounts left with no role are left out.

    .PARAMETER NonInteractive
    Never starts a login: without a usable SSO token, fails at once with SsoCreds.LoginRequired.

    .PARAMETER NoBrowser
    Prints the verification URL and the user code instead of opening a browser.

    .PARAMETER NoTokenFile
    Keeps the SSO token in this process's memory only (nothing read from or written to ~/.aws/sso/cache).

    .PARAMETER MaxConcurrency
    At most this many listing requests at once (1 to 256, default 16).

    .EXAMPLE
    Get-AwsCliSsoAccount -EnvironmentName Contoso -StartUrl https://d-12345abcde.awsapps.com/start/ -Region us-west-2

    AccountId    AccountName EmailAddress         RoleName
    ---------    ----------- ------------         --------
    111111111111 dev         aws-dev@example.com  AWSAdministratorAccess
    111111111111 dev         aws-dev@example.com  ReadOnly
    222222222222 prod        aws-prod@example.com ReadOnly

    .EXAMPLE
    Get-AwsCliSsoAccount -EnvironmentName Contoso | Where-Object RoleName -eq ReadOnly | Set-AwsCliSsoCredentials -EnvironmentName Contoso -ProfileNameTemplate '{AccountName}-{RoleName}'

    Writes a profile for every account where the login may use ReadOnly, named like 'prod-ReadOnly'.

    .EXAMPLE
    Get-AwsCliSsoAccount -EnvironmentName Contoso -ExcludeAccount '*sandbox*' -IncludeRole 'AWS*' | Export-Csv accounts.csv

    Saves a filtered list, e.g. to review it or to edit the profile names into a Profile column.

    .OUTPUTS
    SetAwsCliSsoCredentials.Account

    .LINK
    Set-AwsCliSsoCredentials
    #>
    [CmdletBinding()]
    [OutputType('SetAwsCliSsoCredentials.Account')]
    param(
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $EnvironmentName = 'Default',

        [string] $StartUrl,

        [string] $Region,

        [ValidateNotNullOrEmpty()]
        [string[]] $IncludeAccount,

        [ValidateNotNullOrEmpty()]
        [string[]] $ExcludeAccount,

        [ValidateNotNullOrEmpty()]
        [string[]] $IncludeRole,

        [switch] $NonInteractive,

        [switch] $NoBrowser,

        [switch] $NoTokenFile,

        [ValidateRange(1, 256)]
        [int] $MaxConcurrency
    )

    if (-not $PSBoundParameters.ContainsKey('StartUrl')) { $StartUrl = [string](Get-SsoCredsRememberedSetting -EnvironmentName $EnvironmentName -Name 'StartUrl') }
    if (-not $PSBoundParameters.ContainsKey('Region')) { $Region = [string](Get-SsoCredsRememberedSetting -EnvironmentName $EnvironmentName -Name 'Region') }
    if (-not $PSBoundParameters.ContainsKey('NoTokenFile') -and (Get-SsoCredsRememberedSetting -EnvironmentName $EnvironmentName -Name 'NoTokenFile')) {
        $NoTokenFile = [switch]$true
    }

    $request = [ordered]@{ environment = $EnvironmentName }
    if ($StartUrl) { $request.startUrl = $StartUrl }
    if ($NoTokenFile) { $request.noTokenFile = $true }
    if ($MaxConcurrency) { $request.maxConcurrency = $MaxConcurrency }
    if ($IncludeAccount) { $request.includeAccount = [string[]]@($IncludeAccount) }
    if ($ExcludeAccount) { $request.excludeAccount = [string[]]@($ExcludeAccount) }
    if ($IncludeRole) { $request.includeRole = [string[]]@($IncludeRole) }

    $answer = Invoke-SsoCredsNative -Function 'discover' -Request $request
    if (-not $answer.ok -and ($answer.error.code -eq 'LoginRequired' -or $answer.error.code -eq 'LoginPending')) {
        if ($NonInteractive) {
            $message = "Environment '$EnvironmentName' needs a login to IAM Identity Center, and -NonInteractive " +
                "forbids starting one. ($($answer.error.message))"
            $record = New-SsoCredsErrorRecord -Code 'LoginRequired' -Message $message -TargetObject $EnvironmentName `
                -RecommendedAction "Run Get-AwsCliSsoAccount -EnvironmentName $EnvironmentName without -NonInteractive to log in."
            $PSCmdlet.ThrowTerminatingError($record)
        }
        $expiresAt = Invoke-SsoCredsLogin -Cmdlet $PSCmdlet -EnvironmentName $EnvironmentName -StartUrl $StartUrl -Region $Region `
            -NoBrowser:$NoBrowser -NoTokenFile:$NoTokenFile
        if ($null -ne $expiresAt) {
            Set-SsoCredsGlobal -Name ('{0}SSOTokenExpire' -f $EnvironmentName) -Value $expiresAt
        }
        $answer = Invoke-SsoCredsNative -Function 'discover' -Request $request
    }
    if (-not $answer.ok) {
        $PSCmdlet.ThrowTerminatingError((New-SsoCredsErrorRecordFromEnvelope -Envelope $answer -TargetObject $EnvironmentName))
    }

    # Remember where this environment logs in, for Set-AwsCliSsoCredentials -EnvironmentName alone.
    $remember = @{}
    if ($StartUrl) { $remember.StartUrl = $StartUrl }
    if ($Region) { $remember.Region = $Region }
    if ($PSBoundParameters.ContainsKey('NoTokenFile')) { $remember.NoTokenFile = [bool]$NoTokenFile }
    if ($remember.Count -gt 0) {
        Update-SsoCredsRememberedSetting -EnvironmentName $EnvironmentName -Setting $remember
    }

    foreach ($account in @($answer.result.accounts)) {
        if ($null -eq $account) { continue }
        if ($null -ne $account.error) {
            $record = New-SsoCredsErrorRecordFromEnvelope -Envelope ([pscustomobject]@{ ok = $false; error = $account.error }) -TargetObject ([string]$account.accountId)
            $PSCmdlet.WriteError($record)
        }
        foreach ($role in @($account.roles)) {
            if ($null -eq $role) { continue }
            [pscustomobject]@{
                PSTypeName   = 'SetAwsCliSsoCredentials.Account'
                AccountId    = [string]$account.accountId
                AccountName  = [string]$account.accountName
                EmailAddress = [string]$account.emailAddress
                RoleName     = [string]$role
            }
        }
    }
}
