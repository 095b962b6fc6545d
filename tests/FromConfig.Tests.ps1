#Requires -Version 5.1
# Set-AwsCliSsoCredentials -FromConfig (issue 13): the SSO profiles `aws configure sso` wrote to
# ~/.aws/config, refreshed into ~/.aws/credentials for tools that do not speak SSO. Two sso-sessions and
# a legacy profile in one config file, each with its own token; a session without a token fails for its
# profiles only; the config file is never written; the credentials file keeps everything it did not change.
#
# This process runs as `pwsh -NonInteractive`: calls that must log in pass -NonInteractive:$false. Every
# call passes -UseDeviceCode (Windows and macOS would choose the browser flow, which only a browser ends):
# the login is a device code on every OS, which the fake approves by itself.

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $Fake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '6', '--roles', 'ReadOnly,Admin', '--approve-after-polls', '2')
    Use-TestEndpoint $Fake
    # No browser can be opened: the login prints its URL and code, and the fake approves it.
    $SavedPath = Use-TestNoBrowser -EmptyFolder (Join-Path $TestDrive 'no-browser-bin')

    $LegacyUrl = 'https://d-3333333333.awsapps.com/start'
    $AwsFolder = Join-Path $env:HOME '.aws'
    $null = New-Item -ItemType Directory -Path $AwsFolder -Force
    $ConfigFile = Join-Path $AwsFolder 'config'
    $CredentialsFile = Join-Path $AwsFolder 'credentials'
    $Config = @"
# written by aws configure sso
[default]
region = eu-west-1
output = json

[sso-session corp]
sso_start_url = https://d-1111111111.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[sso-session lab]
sso_start_url = https://d-2222222222.awsapps.com/start
sso_region = eu-west-1

[profile corp-dev]
sso_session = corp
sso_account_id = $(Get-FakeAccountId 0)
sso_role_name = ReadOnly
region = eu-west-1

[profile corp-prod]
sso_session = corp
sso_account_id = $(Get-FakeAccountId 1)
sso_role_name = Admin

[profile lab]
sso_session = lab
sso_account_id = $(Get-FakeAccountId 2)
sso_role_name = ReadOnly

[profile legacy]
sso_start_url = $LegacyUrl
sso_region = us-east-1
sso_account_id = $(Get-FakeAccountId 3)
sso_role_name = ReadOnly

[profile keys]
region = us-east-1
"@
    [System.IO.File]::WriteAllText($ConfigFile, $Config.Replace("`r`n", "`n"))
    $ConfigHash = Get-FileBytesHash $ConfigFile
    $ConfigWritten = (Get-Item -LiteralPath $ConfigFile).LastWriteTimeUtc

    # What the user already had in the credentials file: a comment, static keys, another tool's profile.
    $Existing = "# my keys, keep this comment`n[static]`naws_access_key_id = AKIASTATIC`naws_secret_access_key = keep-me`n`n[other-tool]`nregion = us-west-2`n"
    [System.IO.File]::WriteAllText($CredentialsFile, $Existing)

    function Invoke-TestFromConfig {
        # Set-AwsCliSsoCredentials -FromConfig with the given parameters; returns @{ Results; Lines; Errors }.
        param([hashtable] $Parameters = @{})
        $results = Set-AwsCliSsoCredentials -FromConfig -UseDeviceCode -PassThru @Parameters `
            -InformationVariable info -InformationAction SilentlyContinue -ErrorVariable failures -ErrorAction SilentlyContinue
        [pscustomobject]@{ Results = @($results); Lines = @(ConvertTo-TestMessage $info); Errors = @($failures) }
    }
}

AfterAll {
    Stop-FakeIdentityCenter $Fake
    $env:PATH = $SavedPath
    Restore-TestEnvironment $SavedEnvironment
}

Describe 'Set-AwsCliSsoCredentials -FromConfig' {
    It 'fails each session that has no token, once, without a network call, when no login may be started' {
        Reset-FakeCounters $Fake
        $run = Invoke-TestFromConfig @{ NonInteractive = $true }
        $run.Errors.Count | Should -Be 3 -Because 'one error per session: corp, lab and the legacy start URL'
        foreach ($failure in $run.Errors) {
            $failure.FullyQualifiedErrorId | Should -BeLike 'SsoCreds.LoginRequired,*'
        }
        $messages = ($run.Errors | ForEach-Object { "$_" }) -join "`n"
        $messages | Should -BeLike "*sso-session 'corp'*corp-dev, corp-prod*"
        $messages | Should -BeLike "*sso-session 'lab'*"
        $messages | Should -BeLike "*$LegacyUrl*legacy*"
        ($run.Results | Where-Object Status -EQ 'Failed').Count | Should -Be 4
        Get-FakeCounterTotal $Fake | Should -Be 0
        [System.IO.File]::ReadAllText($CredentialsFile) | Should -BeExactly $Existing
        $run.Lines | Should -Contain 'Left alone, not SSO profiles: default, keys.'
    }

    It 'logs in once per session it is asked for, and writes each profile under its own name' {
        Reset-FakeCounters $Fake
        $run = Invoke-TestFromConfig @{ NonInteractive = $false; ConfigProfile = 'corp-*', 'legacy' }
        $run.Errors.Count | Should -Be 0 -Because (($run.Errors | ForEach-Object { "$_" }) -join "`n")
        ($run.Results | Sort-Object Profile | ForEach-Object { "$($_.Profile):$($_.Status)" }) -join ' ' |
            Should -Be 'corp-dev:Refreshed corp-prod:Refreshed legacy:Refreshed'
        ($run.Results | Where-Object Profile -EQ 'corp-dev').SsoSession | Should -Be 'corp'
        ($run.Results | Where-Object Profile -EQ 'legacy').SsoSession | Should -Be $LegacyUrl
        (Get-FakeCounters $Fake).startDeviceAuthorization | Should -Be 2 -Because 'one login for corp, one for the legacy start URL'

        # The AWS CLI's cache keys: the sso-session name, the legacy profile's start URL.
        Test-Path -LiteralPath (Get-TestTokenCachePath -EnvironmentName 'corp') | Should -BeTrue
        Test-Path -LiteralPath (Get-TestTokenCachePath -EnvironmentName $LegacyUrl) | Should -BeTrue
        Test-Path -LiteralPath (Get-TestTokenCachePath -EnvironmentName 'lab') | Should -BeFalse

        $written = Read-CredentialsFile $CredentialsFile
        foreach ($case in @(@('corp-dev', 0, 'ReadOnly'), @('corp-prod', 1, 'Admin'), @('legacy', 3, 'ReadOnly'))) {
            $issued = Get-FakeIssuedCredentials $Fake -AccountId (Get-FakeAccountId $case[1]) -RoleName $case[2]
            $written[$case[0]]['aws_session_token'] | Should -Be $issued.sessionToken -Because $case[0]
        }
        $written.Keys | Should -Not -Contain 'lab'
        $written.Keys | Should -Not -Contain 'keys'
        $written.Keys | Should -Not -Contain 'default'
        # Everything that was there before is there, byte for byte, at the start of the file.
        [System.IO.File]::ReadAllText($CredentialsFile).StartsWith($Existing) | Should -BeTrue
    }

    It 'refreshes the sessions that have a token and fails only the profiles of the one without, under -NonInteractive' {
        $before = [System.IO.File]::ReadAllText($CredentialsFile)
        Reset-FakeCounters $Fake
        $run = Invoke-TestFromConfig @{ NonInteractive = $true; Force = $true }
        $run.Errors.Count | Should -Be 1
        "$($run.Errors[0])" | Should -BeLike "*sso-session 'lab'*not refreshed: lab*"
        $run.Errors[0].ErrorDetails.RecommendedAction | Should -BeLike '*aws sso login --sso-session lab*'
        ($run.Results | Where-Object Status -EQ 'Refreshed').Profile | Sort-Object | Should -Be @('corp-dev', 'corp-prod', 'legacy')
        ($run.Results | Where-Object Profile -EQ 'lab').Status | Should -Be 'Failed'
        (Get-FakeCounters $Fake).getRoleCredentials | Should -Be 3
        (Get-FakeCounters $Fake).startDeviceAuthorization | Should -Be 0
        [System.IO.File]::ReadAllText($CredentialsFile) | Should -Not -BeExactly $before
    }

    It 'logs in to the remaining session when a person can answer, and leaves the current profiles alone' {
        Reset-FakeCounters $Fake
        $run = Invoke-TestFromConfig @{ NonInteractive = $false }
        $run.Errors.Count | Should -Be 0 -Because (($run.Errors | ForEach-Object { "$_" }) -join "`n")
        ($run.Results | Where-Object Profile -EQ 'lab').Status | Should -Be 'Refreshed'
        ($run.Results | Where-Object Status -EQ 'Current').Profile | Sort-Object | Should -Be @('corp-dev', 'corp-prod', 'legacy')
        $counters = Get-FakeCounters $Fake
        $counters.startDeviceAuthorization | Should -Be 1
        $counters.getRoleCredentials | Should -Be 1
        $run.Lines | Should -Contain "Logging in to sso-session 'lab' for lab."
    }

    It 'makes no call at all, and changes no byte, when there is nothing to do' {
        $before = Get-FileBytesHash $CredentialsFile
        Reset-FakeCounters $Fake
        $run = Invoke-TestFromConfig @{ NonInteractive = $true }
        $run.Errors.Count | Should -Be 0
        ($run.Results | Where-Object Status -NE 'Current') | Should -BeNullOrEmpty
        Get-FakeCounterTotal $Fake | Should -Be 0
        Get-FileBytesHash $CredentialsFile | Should -Be $before
    }

    It 'writes only what it refreshes: the other profiles and comments stay byte for byte' {
        $before = [System.IO.File]::ReadAllLines($CredentialsFile)
        $run = Invoke-TestFromConfig @{ NonInteractive = $true; ConfigProfile = 'lab'; Force = $true }
        $run.Results.Status | Should -Be 'Refreshed'
        $after = [System.IO.File]::ReadAllLines($CredentialsFile)
        $after.Count | Should -Be $before.Count
        $labStart = [array]::IndexOf($before, '[lab]')
        $labStart | Should -BeGreaterThan 0
        $labEnd = $labStart + 1
        while ($labEnd -lt $before.Count -and $before[$labEnd] -notmatch '^\[') { $labEnd++ }
        $changed = 0
        for ($i = 0; $i -lt $before.Count; $i++) {
            if ($i -gt $labStart -and $i -lt $labEnd) {
                if ($after[$i] -cne $before[$i]) { $changed++ }
            }
            else {
                $after[$i] | Should -BeExactly $before[$i] -Because "line $($i + 1) is outside [lab]"
            }
        }
        $changed | Should -BeGreaterThan 0 -Because 'the keys of [lab] were replaced'

    }

    It 'names the profiles with -ProfileNameTemplate and {ProfileName}' {
        $run = Invoke-TestFromConfig @{ NonInteractive = $true; ConfigProfile = 'corp-dev'; ProfileNameTemplate = 'tf-{ProfileName}' }
        $run.Results.Profile | Should -Be 'tf-corp-dev'
        $run.Results.ConfigProfile | Should -Be 'corp-dev'
        (Read-CredentialsFile $CredentialsFile).Keys | Should -Contain 'tf-corp-dev'
    }

    It 'says what it would do with -WhatIf, and does nothing' {
        $before = Get-FileBytesHash $CredentialsFile
        Reset-FakeCounters $Fake
        Set-AwsCliSsoCredentials -FromConfig -Force -WhatIf -NonInteractive -InformationAction SilentlyContinue
        Get-FakeCounterTotal $Fake | Should -Be 0
        Get-FileBytesHash $CredentialsFile | Should -Be $before
    }

    It 'refuses a -ConfigProfile pattern that matches no SSO profile, naming it' {
        { Set-AwsCliSsoCredentials -FromConfig -ConfigProfile 'nope-*' -NonInteractive -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*nope-`**'
    }

    It 'does not mix with the account parameters' {
        { Set-AwsCliSsoCredentials -FromConfig -AllAccounts } | Should -Throw -ErrorId 'AmbiguousParameterSet,SetAwsCliSsoCredentials.Commands.SetAwsCliSsoCredentialsCommand'
    }

    It 'never wrote the AWS config file' {
        Get-FileBytesHash $ConfigFile | Should -Be $ConfigHash
        (Get-Item -LiteralPath $ConfigFile).LastWriteTimeUtc | Should -Be $ConfigWritten
    }
}
