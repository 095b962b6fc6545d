function Clear-AwsCliSsoSession {
    <#
    .SYNOPSIS
    Signs out of IAM Identity Center and forgets the SSO token of an environment.

    .DESCRIPTION
    Signs the environment's SSO token out at the service (best effort) and forgets it and any login in
    progress, and deletes its cache file ~/.aws/sso/cache/<sha1(EnvironmentName)>.json (so other
    PowerShell sessions, scheduled runs and aws CLI v2 sessions sharing it are signed out too), so the next
    Set-AwsCliSsoCredentials that needs new credentials logs in again. Removes the
    global <EnvironmentName>SSOTokenExpire. With -Forget, also forgets the account list and settings
    remembered for the environment (<EnvironmentName>SsoAwsAccounts, <EnvironmentName>SsoAwsSettings).

    Credentials already written to the credentials file stay valid until they expire; this command does not
    edit the file.

    .PARAMETER EnvironmentName
    The environments to sign out, as given to Set-AwsCliSsoCredentials -EnvironmentName. Defaults to
    'Default'. Accepts pipeline input (e.g. from Get-AwsCliSsoSession).

    .PARAMETER Forget
    Also forgets the remembered account list and settings of the environment.

    .PARAMETER NoTokenFile
    Forgets the token in this process's memory only and leaves the cache file alone. Defaults to what
    Set-AwsCliSsoCredentials -NoTokenFile remembered for the environment.

    .PARAMETER PassThru
    Writes one object per environment: Environment and LoggedOut (False when there was nothing to forget).

    .EXAMPLE
    Clear-AwsCliSsoSession -EnvironmentName Contoso

    Signs out; the next Set-AwsCliSsoCredentials -EnvironmentName Contoso that needs credentials opens the
    browser again.

    .EXAMPLE
    Get-AwsCliSsoSession | Clear-AwsCliSsoSession -Forget -WhatIf

    Shows which environments would be signed out, without doing it.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('SetAwsCliSsoCredentials.LogoutResult')]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('Environment')]
        [ValidateNotNullOrEmpty()]
        [string[]] $EnvironmentName = @('Default'),

        [switch] $Forget,

        [switch] $NoTokenFile,

        [switch] $PassThru
    )

    process {
        foreach ($name in $EnvironmentName) {
            if (-not $PSCmdlet.ShouldProcess($name, 'Sign out of IAM Identity Center and forget the SSO token')) {
                continue
            }
            $request = [ordered]@{ environment = $name }
            $memoryOnly = [bool]$NoTokenFile
            if (-not $PSBoundParameters.ContainsKey('NoTokenFile')) {
                $memoryOnly = [bool](Get-SsoCredsRememberedSetting -EnvironmentName $name -Name 'NoTokenFile')
            }
            if ($memoryOnly) { $request.noTokenFile = $true }
            $answer = Invoke-SsoCredsNative -Function 'logout' -Request $request
            if (-not $answer.ok) {
                $PSCmdlet.WriteError((New-SsoCredsErrorRecordFromEnvelope -Envelope $answer -TargetObject $name))
                continue
            }
            $variables = @('{0}SSOTokenExpire' -f $name)
            if ($Forget) {
                $variables += @(('{0}SsoAwsAccounts' -f $name), ('{0}SsoAwsSettings' -f $name))
            }
            foreach ($variable in $variables) {
                Microsoft.PowerShell.Utility\Remove-Variable -Name $variable -Scope Global -ErrorAction Ignore -WhatIf:$false -Confirm:$false
            }
            if ($PassThru) {
                [pscustomobject]@{
                    PSTypeName  = 'SetAwsCliSsoCredentials.LogoutResult'
                    Environment = $name
                    LoggedOut   = [bool]$answer.result.loggedOut
                }
            }
        }
    }
}
