#Requires -Version 5.1
# Pester 5 tests of the built module against the fake IAM Identity Center (run by ./build.ps1 -Task Test in
# a child process). Each test uses its own EnvironmentName: the SSO token lives in the native library for
# the life of the process, per environment.

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $ModuleName = 'Set-AwsCliSsoCredentials'
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $Fake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '8', '--roles', 'ReadOnly,Admin', '--forbid', "$(Get-FakeAccountId 5):ReadOnly")
    $SavedEndpoints = @{ Oidc = $env:AWS_ENDPOINT_URL_SSO_OIDC; Sso = $env:AWS_ENDPOINT_URL_SSO; File = $env:AWS_SHARED_CREDENTIALS_FILE }
    $env:AWS_ENDPOINT_URL_SSO_OIDC = $Fake.Url
    $env:AWS_ENDPOINT_URL_SSO = $Fake.Url
    # Never the user's real file, whatever a test forgets.
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $TestDrive 'default-credentials'

    $StartUrl = 'https://d-1234567890.awsapps.com/start/'
    $Region = 'us-east-1'
    $Common = @{ StartUrl = $StartUrl; Region = $Region; DefaultRoleName = 'ReadOnly' }

    function New-TestAccounts([int[]] $Index, [string] $Prefix) {
        foreach ($i in $Index) { @{ Profile = "$Prefix-$i"; AccountId = (Get-FakeAccountId $i) } }
    }
}

AfterAll {
    Stop-FakeIdentityCenter $Fake
    $env:AWS_ENDPOINT_URL_SSO_OIDC = $SavedEndpoints.Oidc
    $env:AWS_ENDPOINT_URL_SSO = $SavedEndpoints.Sso
    $env:AWS_SHARED_CREDENTIALS_FILE = $SavedEndpoints.File
    Remove-Module -Name Set-AwsCliSsoCredentials -Force -ErrorAction SilentlyContinue
}

Describe 'Set-AwsCliSsoCredentials' {
    BeforeAll {
        # The "browser": a plain GET of verificationUriComplete approves the login at the fake.
        Mock Start-Process -ModuleName $ModuleName { Invoke-RestMethod -Uri $FilePath | Out-Null }
        Mock Write-Host -ModuleName $ModuleName { return }
    }

    Context 'first login and refresh' {
        BeforeAll {
            $File = Join-Path $TestDrive 'first/credentials'
            $Accounts = @(
                @{ Profile = 'first-0'; AccountId = (Get-FakeAccountId 0) }
                @{ Profile = 'first-1'; AccountId = (Get-FakeAccountId 1); RoleName = 'Admin' }
                @{ Profile = 'first-2'; AccountId = (Get-FakeAccountId 2) }
            )
        }

        It 'logs in once through the browser and writes what the fake issued' {
            Reset-FakeCounters $Fake
            Set-AwsCliSsoCredentials @Common -EnvironmentName First -Account $Accounts -CredentialsFile $File

            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 1 -Scope It
            Should -Invoke Write-Host -ModuleName $ModuleName -Scope It -ParameterFilter { "$Object" -eq 'A Browser window should open. Please login there and click ALLOW.' }
            Should -Invoke Write-Host -ModuleName $ModuleName -Scope It -ParameterFilter { "$Object" -like 'first-0 first-1 first-2 Profiles registered, *left on SSO Token' }
            $written = Read-CredentialsFile $File
            foreach ($account in $Accounts) {
                $role = if ($account.RoleName) { $account.RoleName } else { 'ReadOnly' }
                $issued = Get-FakeIssuedCredentials $Fake -AccountId $account.AccountId -RoleName $role
                $written[$account.Profile]['aws_access_key_id'] | Should -Be $issued.accessKeyId
                $written[$account.Profile]['aws_secret_access_key'] | Should -Be $issued.secretAccessKey
                $written[$account.Profile]['aws_session_token'] | Should -Be $issued.sessionToken
            }
            (Get-FakeCounters $Fake).getRoleCredentials | Should -Be 3
        }

        It 'sets the globals the original script set' {
            $expire = Get-Variable -Name FirstSSOTokenExpire -Scope Global -ValueOnly
            $expire | Should -BeOfType [datetime]
            $expire | Should -BeGreaterThan (Get-Date)
            $remembered = Get-Variable -Name FirstSsoAwsAccounts -Scope Global -ValueOnly
            @($remembered).Count | Should -Be 3
            @($remembered)[1].RoleName | Should -Be 'Admin'
            @($remembered)[0].CredsExpiration | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds())
        }

        It 'skips profiles that are still valid: no login, no call' {
            Reset-FakeCounters $Fake
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName First -Account $Accounts -CredentialsFile $File -PassThru
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
            (Get-FakeCounters $Fake).getRoleCredentials | Should -Be 0
            $results.Status | Should -Be @('Current', 'Current', 'Current')
        }

        It 'refreshes every profile with -Force, reusing the token' {
            Reset-FakeCounters $Fake
            $before = Read-CredentialsFile $File
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName First -Account $Accounts -CredentialsFile $File -Force -PassThru
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
            $counters = Get-FakeCounters $Fake
            $counters.getRoleCredentials | Should -Be 3
            $counters.createToken | Should -Be 0
            $results.Status | Should -Be @('Refreshed', 'Refreshed', 'Refreshed')
            $results[0].PSObject.TypeNames | Should -Contain 'SetAwsCliSsoCredentials.ProfileResult'
            $results[1].RoleName | Should -Be 'Admin'
            $results[0].Expiration | Should -BeOfType [datetime]
            (Read-CredentialsFile $File)['first-0']['aws_session_token'] | Should -Not -Be $before['first-0']['aws_session_token']
        }

        It 'refreshes the remembered list when called with only the environment' {
            Reset-FakeCounters $Fake
            $results = Set-AwsCliSsoCredentials -EnvironmentName First -Force -PassThru
            $results.Profile | Should -Be @('first-0', 'first-1', 'first-2')
            $results.Status | Should -Be @('Refreshed', 'Refreshed', 'Refreshed')
            (Get-FakeCounters $Fake).getRoleCredentials | Should -Be 3
        }

        It 'works with -NonInteractive while the session holds a token' {
            { Set-AwsCliSsoCredentials -EnvironmentName First -Force -NonInteractive } | Should -Not -Throw
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
        }
    }

    Context '-NonInteractive without a session' {
        It 'fails fast with LoginRequired and writes nothing' {
            $file = Join-Path $TestDrive 'nonint/credentials'
            { Set-AwsCliSsoCredentials @Common -EnvironmentName NoSession -Account (New-TestAccounts 0, 1 'ni') -CredentialsFile $file -NonInteractive } |
                Should -Throw -ErrorId 'SsoCreds.LoginRequired'
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'succeeds without a session when every profile is still valid (the $PROFILE case)' {
            $file = Join-Path $TestDrive 'profile/credentials'
            Set-AwsCliSsoCredentials @Common -EnvironmentName ProfileLogin -Account (New-TestAccounts 0, 1 'pf') -CredentialsFile $file
            Reset-FakeCounters $Fake
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName ProfileNoToken -Account (New-TestAccounts 0, 1 'pf') -CredentialsFile $file -NonInteractive -PassThru
            $results.Status | Should -Be @('Current', 'Current')
            (Get-FakeCounters $Fake).getRoleCredentials | Should -Be 0
        }
    }

    Context 'a forbidden account' {
        It 'reports it as a non-terminating error and writes the others' {
            $file = Join-Path $TestDrive 'forbidden/credentials'
            $accounts = New-TestAccounts 4, 5, 6 'fb'
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName Forbidden -Account $accounts -CredentialsFile $file -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue
            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'SsoCreds.Forbidden*'
            $failures[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            $failures[0].TargetObject | Should -Be 'fb-5'
            $results.Status | Should -Be @('Refreshed', 'Failed', 'Refreshed')
            $written = Read-CredentialsFile $file
            $written.Keys | Should -Contain 'fb-4'
            $written.Keys | Should -Contain 'fb-6'
            $written.Keys | Should -Not -Contain 'fb-5'
        }

        It 'is a terminating error with -ErrorAction Stop' {
            $file = Join-Path $TestDrive 'forbidden2/credentials'
            { Set-AwsCliSsoCredentials @Common -EnvironmentName Forbidden -Account (New-TestAccounts 5 'fb2') -CredentialsFile $file -ErrorAction Stop } |
                Should -Throw -ErrorId 'SsoCreds.Forbidden'
        }
    }

    Context '-WhatIf' {
        It 'writes nothing, logs in to nothing, calls nothing' {
            $file = Join-Path $TestDrive 'whatif/credentials'
            Reset-FakeCounters $Fake
            Set-AwsCliSsoCredentials @Common -EnvironmentName WhatIf -Account (New-TestAccounts 0, 1 'wi') -CredentialsFile $file -WhatIf
            Test-Path -LiteralPath $file | Should -BeFalse
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
            $counters = Get-FakeCounters $Fake
            $counters.getRoleCredentials | Should -Be 0
            $counters.startDeviceAuthorization | Should -Be 0
            Get-Variable -Name WhatIfSsoAwsAccounts -Scope Global -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
    }

    Context 'pipeline input' {
        It 'takes the accounts from Import-Csv, RoleName defaulting to DefaultRoleName' {
            $csv = Join-Path $TestDrive 'accounts.csv'
            @(
                'Profile,AccountId,RoleName'
                "csv-0,$(Get-FakeAccountId 0),"
                "csv-1,$(Get-FakeAccountId 1),Admin"
                "csv-2,$(Get-FakeAccountId 2),ReadOnly"
            ) | Set-Content -LiteralPath $csv -Encoding ASCII
            $file = Join-Path $TestDrive 'csv/credentials'
            $results = Import-Csv -LiteralPath $csv | Set-AwsCliSsoCredentials @Common -EnvironmentName Csv -CredentialsFile $file -PassThru
            $results.Profile | Should -Be @('csv-0', 'csv-1', 'csv-2')
            $results.RoleName | Should -Be @('ReadOnly', 'Admin', 'ReadOnly')
            $results.Status | Should -Be @('Refreshed', 'Refreshed', 'Refreshed')
            $issued = Get-FakeIssuedCredentials $Fake -AccountId (Get-FakeAccountId 1) -RoleName Admin
            (Read-CredentialsFile $file)['csv-1']['aws_access_key_id'] | Should -Be $issued.accessKeyId
        }

        It 'remembers the piped list per environment' {
            $remembered = @(Get-Variable -Name CsvSsoAwsAccounts -Scope Global -ValueOnly)
            $remembered.Profile | Should -Be @('csv-0', 'csv-1', 'csv-2')
            $again = Set-AwsCliSsoCredentials -EnvironmentName Csv -PassThru
            $again.Profile | Should -Be @('csv-0', 'csv-1', 'csv-2')
            $again.Status | Should -Be @('Current', 'Current', 'Current')
            # Another environment keeps its own list.
            (Set-AwsCliSsoCredentials -EnvironmentName First -PassThru).Profile | Should -Be @('first-0', 'first-1', 'first-2')
        }
    }

    Context 'bad input' {
        It 'is a terminating InvalidInput error: <Name>' -ForEach @(
            @{ Name = 'no AccountId'; Account = @{ Profile = 'x' } }
            @{ Name = 'no Profile'; Account = @{ AccountId = '100000000000' } }
            @{ Name = 'an account id of 3 digits'; Account = @{ Profile = 'x'; AccountId = '123' } }
            @{ Name = 'a profile name with ['; Account = @{ Profile = 'a[b'; AccountId = '100000000000' } }
        ) {
            $file = Join-Path $TestDrive 'bad/credentials'
            { Set-AwsCliSsoCredentials @Common -EnvironmentName Bad -Account $Account -CredentialsFile $file } |
                Should -Throw -ErrorId 'SsoCreds.InvalidInput'
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'needs accounts the first time' {
            { Set-AwsCliSsoCredentials @Common -EnvironmentName NeverSeen } | Should -Throw -ErrorId 'SsoCreds.InvalidInput'
        }

        It 'needs StartUrl and Region to log in' {
            $file = Join-Path $TestDrive 'nourl/credentials'
            { Set-AwsCliSsoCredentials -EnvironmentName NoUrl -DefaultRoleName ReadOnly -Account (New-TestAccounts 0 'nu') -CredentialsFile $file } |
                Should -Throw -ErrorId 'SsoCreds.InvalidInput'
        }
    }

    Context 'a token the service stops accepting' {
        It 'logs in again once and retries the rejected profiles' {
            $file = Join-Path $TestDrive 'expired/credentials'
            Set-AwsCliSsoCredentials @Common -EnvironmentName Expired -Account (New-TestAccounts 0, 1 'ex') -CredentialsFile $file
            $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/expire-tokens"
            $results = Set-AwsCliSsoCredentials -EnvironmentName Expired -Force -PassThru
            $results.Status | Should -Be @('Refreshed', 'Refreshed')
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 2 -Scope It
        }

        It 'is LoginRequired with -NonInteractive' {
            $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/expire-tokens"
            { Set-AwsCliSsoCredentials -EnvironmentName Expired -Force -NonInteractive } | Should -Throw -ErrorId 'SsoCreds.LoginRequired'
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
        }
    }

    Context '-NoBrowser' {
        It 'prints the URL and code instead of opening a browser' {
            # The "user" reads the printed URL and approves it.
            Mock Write-Host -ModuleName $ModuleName -ParameterFilter { "$Object" -like 'or open *' } {
                $url = ("$Object" -replace '^or open ', '') -replace '\. Then click ALLOW\.$', ''
                Invoke-RestMethod -Uri $url | Out-Null
            }
            $file = Join-Path $TestDrive 'nobrowser/credentials'
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName NoBrowser -Account (New-TestAccounts 0 'nb') -CredentialsFile $file -NoBrowser -PassThru
            $results.Status | Should -Be 'Refreshed'
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
            Should -Invoke Write-Host -ModuleName $ModuleName -Scope It -ParameterFilter { "$Object" -like 'To sign in, open * and enter the code *' }
        }
    }
}

Describe 'Get-AwsCliSsoSession and Clear-AwsCliSsoSession' {
    BeforeAll {
        Mock Start-Process -ModuleName $ModuleName { Invoke-RestMethod -Uri $FilePath | Out-Null }
        Mock Write-Host -ModuleName $ModuleName { return }
        $file = Join-Path $TestDrive 'session/credentials'
        Set-AwsCliSsoCredentials @Common -EnvironmentName Session -Account (New-TestAccounts 0 'se') -CredentialsFile $file
    }

    It 'reports a logged-in environment' {
        $session = Get-AwsCliSsoSession -EnvironmentName Session
        $session.Environment | Should -Be 'Session'
        $session.Status | Should -Be 'LoggedIn'
        $session.StartUrl | Should -Be $StartUrl
        $session.Region | Should -Be $Region
        $session.ExpiresAt | Should -BeGreaterThan (Get-Date)
        $session.TimeLeft | Should -BeGreaterThan ([timespan]::Zero)
    }

    It 'reports None for an unknown environment' {
        (Get-AwsCliSsoSession -EnvironmentName Unknown).Status | Should -Be 'None'
    }

    It 'lists the environments of the session by default' {
        (Get-AwsCliSsoSession).Environment | Should -Contain 'Session'
    }

    It 'does nothing with -WhatIf' {
        Clear-AwsCliSsoSession -EnvironmentName Session -WhatIf
        (Get-AwsCliSsoSession -EnvironmentName Session).Status | Should -Be 'LoggedIn'
    }

    It 'signs out and forgets the token' {
        $result = Clear-AwsCliSsoSession -EnvironmentName Session -PassThru -Confirm:$false
        $result.LoggedOut | Should -BeTrue
        (Get-AwsCliSsoSession -EnvironmentName Session).Status | Should -Be 'None'
        Get-Variable -Name SessionSSOTokenExpire -Scope Global -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        { Set-AwsCliSsoCredentials -EnvironmentName Session -Force -NonInteractive } | Should -Throw -ErrorId 'SsoCreds.LoginRequired'
    }
}

Describe 'importing the module' {
    It 'can be imported twice, and again with -Force' {
        { Import-Module (Get-TestModuleManifest) -ErrorAction Stop } | Should -Not -Throw
        { Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop } | Should -Not -Throw
        (Get-Command -Module Set-AwsCliSsoCredentials).Name | Sort-Object | Should -Be @('Clear-AwsCliSsoSession', 'Get-AwsCliSsoSession', 'Set-AwsCliSsoCredentials')
        [SetAwsCliSsoCredentials.SsoCredsNative]::Version() | Should -Be (Import-PowerShellDataFile (Get-TestModuleManifest)).ModuleVersion
    }

    It 'still works after Import-Module -Force' {
        (Get-AwsCliSsoSession -EnvironmentName Unknown).Status | Should -Be 'None'
    }

    It 'keeps the remembered lists across Import-Module -Force' {
        @(Get-Variable -Name FirstSsoAwsAccounts -Scope Global -ValueOnly).Count | Should -Be 3
    }
}
