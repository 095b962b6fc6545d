#Requires -Version 5.1
# Credentials without the file (issue 20): -CredentialProcess writes profiles whose credential_process runs
# the ssocreds-cli shipped with the module, and Get-AwsCliSsoCredential gives one role's keys to this session.
# What a user checks: the lines in ~/.aws/config, that running them (as the SDKs do, and botocore itself when
# SSOCREDS_TEST_PYTHON names a Python with botocore, as tests/run-all.sh does) gives the keys the service
# issued, and that no key is left in any file.

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $TestHome = Join-Path $TestDrive 'home'
    $SavedEnvironment = Set-TestHome -Path $TestHome
    $KeyVariables = 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_PROFILE'
    $SavedKeys = @{}
    foreach ($name in $KeyVariables) { $SavedKeys[$name] = [Environment]::GetEnvironmentVariable($name); Set-TestVariable $name $null }
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop
    $Fake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '2', '--roles', 'ReadOnly', '--approve-after-polls', '1')
    Use-TestEndpoint $Fake

    $StartUrl = 'https://d-1234567890.awsapps.com/start/'
    $Region = 'us-east-1'
    $Environment = 'CP'
    $Dev = Get-FakeAccountId 0
    $Ops = Get-FakeAccountId 1
    $Rows = @(@{ Profile = 'cp-dev'; AccountId = $Dev; RoleName = 'ReadOnly' }, @{ Profile = 'cp-ops'; AccountId = $Ops; RoleName = 'ReadOnly' })
    $ConfigPath = Join-Path $TestHome '.aws/config'
    $CredentialsPath = Join-Path $TestHome '.aws/credentials'
    # Another tool's settings, a comment and CRLF line endings: every byte of them must stay.
    $OriginalConfig = "# my settings`r`n[default]`r`nregion = eu-west-1`r`n`r`n[profile other]`r`noutput = json`r`n"
    $null = New-Item -ItemType Directory -Path (Split-Path -Parent $ConfigPath) -Force
    [System.IO.File]::WriteAllText($ConfigPath, $OriginalConfig)

    # A login, and keys in the credentials file from the usual mode: what -CredentialProcess replaces.
    $null = Set-AwsCliSsoCredentials -EnvironmentName $Environment -StartUrl $StartUrl -Region $Region -Account $Rows -NoBrowser -NonInteractive:$false -InformationAction Ignore

    # The command of a credential_process line, run as the SDKs run it: the quoted program, then its arguments.
    function Invoke-CredentialProcessLine([string] $Line) {
        $Line -match '^credential_process = "([^"]+)" (.+)$' | Should -BeTrue -Because $Line
        $output = & $Matches[1] ($Matches[2] -split ' ') 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output | ForEach-Object { "$_" }) }
    }

    function Get-CredentialProcessLine([string] $Profile) {
        $lines = [System.IO.File]::ReadAllLines($ConfigPath)
        $at = [array]::IndexOf($lines, "[profile $Profile]")
        $at | Should -BeGreaterThan -1 -Because "[profile $Profile] is in the config file"
        @($lines[($at + 1)..($lines.Count - 1)] | Where-Object { $_ -like 'credential_process = *' })[0]
    }
}

AfterAll {
    Stop-FakeIdentityCenter $Fake
    foreach ($name in $KeyVariables) { Set-TestVariable $name $SavedKeys[$name] }
    Restore-TestEnvironment $SavedEnvironment
}

Describe 'Set-AwsCliSsoCredentials -CredentialProcess' {
    BeforeAll {
        # A profile of another tool in the credentials file, which must stay.
        [System.IO.File]::AppendAllText($CredentialsPath, "`n[other]`naws_access_key_id = AKIAOTHER`naws_secret_access_key = other-secret`n")
        $Results = @(Set-AwsCliSsoCredentials -EnvironmentName $Environment -CredentialProcess -Account $Rows -PassThru -NonInteractive -InformationAction Ignore)
    }

    It 'gives each profile a credential_process line that runs the module''s ssocreds-cli, and keeps the rest of ~/.aws/config byte for byte' {
        $Results.Profile | Should -Be @('cp-dev', 'cp-ops')
        $Results.Status | Should -Be @('Refreshed', 'Refreshed')
        $config = [System.IO.File]::ReadAllText($ConfigPath)
        $config.Substring(0, $OriginalConfig.Length) | Should -BeExactly $OriginalConfig
        $cli = Get-ChildItem -LiteralPath (Join-Path (Get-TestModuleFolder) 'module/runtimes') -Recurse -File -Filter 'ssocreds-cli*' | Select-Object -First 1
        $line = Get-CredentialProcessLine 'cp-dev'
        $line | Should -BeExactly ('credential_process = "{0}" credential-process --environment CP --start-url {1} --region {2} --account-id {3} --role-name ReadOnly' -f $cli.FullName, $StartUrl, $Region, $Dev)
    }

    It 'removes the profiles'' keys from the credentials file, so that no SDK prefers them, and leaves other profiles alone' {
        $credentials = Read-CredentialsFile -Path $CredentialsPath
        $credentials.Keys | Should -Not -Contain 'cp-dev' -Because 'a profile left without keys is left out whole'
        $credentials.Keys | Should -Not -Contain 'cp-ops'
        $credentials['other']['aws_access_key_id'] | Should -Be 'AKIAOTHER'
    }

    It 'writes lines that print, as the SDKs read it, the keys the service issued, and no key into any file' {
        $run = Invoke-CredentialProcessLine (Get-CredentialProcessLine 'cp-ops')
        $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
        $keys = $run.Output -join '' | ConvertFrom-Json
        $issued = Get-FakeIssuedCredentials -Fake $Fake -AccountId $Ops -RoleName 'ReadOnly'
        $keys.Version | Should -Be 1
        $keys.AccessKeyId | Should -BeExactly $issued.accessKeyId
        $keys.SecretAccessKey | Should -BeExactly $issued.secretAccessKey
        $keys.SessionToken | Should -BeExactly $issued.sessionToken
        [DateTimeOffset]::Parse($keys.Expiration) | Should -BeGreaterThan ([DateTimeOffset]::UtcNow)
        foreach ($file in Get-ChildItem -LiteralPath $TestHome -Recurse -File) {
            $content = [System.IO.File]::ReadAllText($file.FullName)
            foreach ($secret in $keys.AccessKeyId, $keys.SecretAccessKey, $keys.SessionToken) {
                $content.Contains($secret) | Should -BeFalse -Because "$($file.Name) must hold no key"
            }
        }
    }

    It 'is read by botocore (SSOCREDS_TEST_PYTHON), which gets the keys the service issued' {
        if (-not $env:SSOCREDS_TEST_PYTHON) {
            Set-ItResult -Skipped -Because 'SSOCREDS_TEST_PYTHON (a Python with botocore) is not set; tests/run-all.sh sets it'
            return
        }
        $script = 'import botocore.session; c = botocore.session.Session(profile="cp-dev").get_credentials().get_frozen_credentials(); print(c.access_key)'
        $accessKey = & $env:SSOCREDS_TEST_PYTHON -c $script 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$accessKey"
        "$accessKey".Trim() | Should -BeExactly (Get-FakeIssuedCredentials -Fake $Fake -AccountId $Dev -RoleName 'ReadOnly').accessKeyId
    }

    It 'is remembered for the environment: the next run with no parameters writes no key either' {
        $before = Get-FileBytesHash $CredentialsPath
        $null = Set-AwsCliSsoCredentials -EnvironmentName $Environment -NonInteractive -InformationAction Ignore
        Get-FileBytesHash $CredentialsPath | Should -Be $before
        (Get-Variable -Scope Global -Name "${Environment}SsoAwsSettings").Value['CredentialProcess'] | Should -BeTrue
    }
}

Describe '-CredentialProcess from an installation that lost the execute bit (a Gallery zip keeps no Unix mode)' -Skip:($IsWindows -or $PSVersionTable.PSEdition -eq 'Desktop') {
    It 'makes the shipped ssocreds-cli executable again, and its lines run' {
        # A copy of the module, as Install-Module lays it out from the package: its ssocreds-cli 0644.
        $installed = Join-Path $TestDrive 'installed/Set-AwsCliSsoCredentials'
        $null = New-Item -ItemType Directory -Path $installed -Force
        $source = Get-TestModuleFolder
        Copy-Item -LiteralPath (Get-TestModuleManifest) -Destination $installed
        Copy-Item -LiteralPath (Join-Path $source 'module') -Destination $installed -Recurse -Exclude 'src'
        $cli = Get-ChildItem -LiteralPath (Join-Path $installed 'module/runtimes') -Recurse -File -Filter 'ssocreds-cli' | Select-Object -First 1
        & chmod 644 $cli.FullName
        $cli.Refresh()
        $cli.UnixFileMode.HasFlag([System.IO.UnixFileMode]::UserExecute) | Should -BeFalse

        $run = Invoke-TestChildProcess -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module $(ConvertTo-TestLiteral (Join-Path $installed 'Set-AwsCliSsoCredentials.psd1'))
Set-AwsCliSsoCredentials -EnvironmentName $Environment -CredentialProcess -Account @{ Profile = 'cp-installed'; AccountId = '$Dev'; RoleName = 'ReadOnly' } -InformationAction Ignore
"@
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $cli.Refresh()
        $cli.UnixFileMode.HasFlag([System.IO.UnixFileMode]::UserExecute) | Should -BeTrue
        $cli.UnixFileMode.HasFlag([System.IO.UnixFileMode]::OtherExecute) | Should -BeTrue -Because 'whoever may read it may run it'
        $line = Get-CredentialProcessLine 'cp-installed'
        $line | Should -BeLike ('credential_process = "{0}" *' -f $cli.FullName)
        $keys = (Invoke-CredentialProcessLine $line).Output -join '' | ConvertFrom-Json
        $keys.AccessKeyId | Should -BeExactly (Get-FakeIssuedCredentials -Fake $Fake -AccountId $Dev -RoleName 'ReadOnly').accessKeyId
    }
}

Describe 'Get-AwsCliSsoCredential' {
    It 'returns the keys the service issued, the secret key and session token as SecureStrings' {
        $keys = Get-AwsCliSsoCredential -AccountId $Dev -RoleName ReadOnly -EnvironmentName $Environment -NonInteractive
        $issued = Get-FakeIssuedCredentials -Fake $Fake -AccountId $Dev -RoleName 'ReadOnly'
        $keys | Should -BeOfType ([SetAwsCliSsoCredentials.RoleCredential])
        $keys.AccessKeyId | Should -BeExactly $issued.accessKeyId
        $keys.SecretAccessKey | Should -BeOfType ([securestring])
        $keys.SessionToken | Should -BeOfType ([securestring])
        [System.Net.NetworkCredential]::new('', $keys.SecretAccessKey).Password | Should -BeExactly $issued.secretAccessKey
        ($keys.AccountId, $keys.RoleName, $keys.EnvironmentName) | Should -Be @($Dev, 'ReadOnly', $Environment)
        $keys.Expiration | Should -BeGreaterThan (Get-Date)
    }

    It 'returns them as text with -AsPlainText' {
        $keys = Get-AwsCliSsoCredential $Ops ReadOnly -EnvironmentName $Environment -AsPlainText -NonInteractive
        $issued = Get-FakeIssuedCredentials -Fake $Fake -AccountId $Ops -RoleName 'ReadOnly'
        ($keys.SecretAccessKey, $keys.SessionToken) | Should -BeExactly @($issued.secretAccessKey, $issued.sessionToken)
    }

    It 'sets the four AWS_* variables with -SetEnvironment, as aws configure export-credentials does, and writes no object unless -PassThru' {
        try {
            $output = @(Get-AwsCliSsoCredential -AccountId $Dev -RoleName ReadOnly -EnvironmentName $Environment -SetEnvironment -NonInteractive)
            $output.Count | Should -Be 0
            $issued = Get-FakeIssuedCredentials -Fake $Fake -AccountId $Dev -RoleName 'ReadOnly'
            ($env:AWS_ACCESS_KEY_ID, $env:AWS_SECRET_ACCESS_KEY, $env:AWS_SESSION_TOKEN) | Should -BeExactly @($issued.accessKeyId, $issued.secretAccessKey, $issued.sessionToken)
            [DateTimeOffset]::Parse($env:AWS_CREDENTIAL_EXPIRATION) | Should -BeGreaterThan ([DateTimeOffset]::UtcNow)
            # A program started from here sees them.
            (& (Get-Process -Id $PID).Path -NoProfile -NonInteractive -Command '$env:AWS_ACCESS_KEY_ID') | Should -BeExactly $issued.accessKeyId

            @(Get-AwsCliSsoCredential -AccountId $Dev -RoleName ReadOnly -EnvironmentName $Environment -SetEnvironment -PassThru -NonInteractive).Count | Should -Be 1
        }
        finally {
            foreach ($name in $KeyVariables) { Set-TestVariable $name $null }
        }
    }

    It 'gets the keys of an SSO profile of ~/.aws/config by -ProfileName' {
        $profileConfig = "[sso-session CP]`nsso_start_url = $StartUrl`nsso_region = $Region`n`n[profile sso-ops]`nsso_session = CP`nsso_account_id = $Ops`nsso_role_name = ReadOnly`n"
        $saved = [System.IO.File]::ReadAllBytes($ConfigPath)
        try {
            [System.IO.File]::AppendAllText($ConfigPath, "`r`n" + $profileConfig)
            $keys = Get-AwsCliSsoCredential -ProfileName sso-ops -NonInteractive
            $keys.AccessKeyId | Should -BeExactly (Get-FakeIssuedCredentials -Fake $Fake -AccountId $Ops -RoleName 'ReadOnly').accessKeyId
            ($keys.ConfigProfile, $keys.AccountId) | Should -Be @('sso-ops', $Ops)
        }
        finally {
            [System.IO.File]::WriteAllBytes($ConfigPath, $saved)
        }
    }

    It 'gets the keys of a profile -CredentialProcess wrote by -ProfileName, as of an SSO profile' {
        $keys = Get-AwsCliSsoCredential -ProfileName cp-ops -NonInteractive
        $keys.AccessKeyId | Should -BeExactly (Get-FakeIssuedCredentials -Fake $Fake -AccountId $Ops -RoleName 'ReadOnly').accessKeyId
        ($keys.AccountId, $keys.RoleName, $keys.EnvironmentName) | Should -Be @($Ops, 'ReadOnly', $Environment)
    }

    It 'without a token and with -NonInteractive, fails at once with LoginRequiredException naming the command that logs in, and calls nothing' {
        Reset-FakeCounters -Fake $Fake
        $failure = $null
        try { Get-AwsCliSsoCredential -AccountId $Dev -RoleName ReadOnly -EnvironmentName NeverLoggedIn -NonInteractive -ErrorAction Stop }
        catch { $failure = $_ }
        $failure | Should -Not -BeNullOrEmpty
        $failure.Exception | Should -BeOfType ([SetAwsCliSsoCredentials.LoginRequiredException])
        $failure.FullyQualifiedErrorId | Should -BeLike 'SsoCreds.LoginRequired,*'
        "$failure" | Should -BeLike "*environment 'NeverLoggedIn'*account $Dev, role ReadOnly*Get-AwsCliSsoCredential -EnvironmentName NeverLoggedIn*"
        Get-FakeCounterTotal -Fake $Fake | Should -Be 0
    }
}
