#Requires -Version 5.1
# Pester 5 tests of the built module against the fake IAM Identity Center (run by ./build.ps1 -Task Test in
# a child process). Each test uses its own EnvironmentName: the SSO token lives in the native library for
# the life of the process, per environment, and in ~/.aws/sso/cache/<sha1(EnvironmentName)>.json, where
# HOME/USERPROFILE point into TestDrive so that no test ever touches the real ~/.aws.

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $ModuleName = 'Set-AwsCliSsoCredentials'
    # Never the user's real ~/.aws (token cache, config, credentials), whatever a test forgets.
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $Fake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '8', '--roles', 'ReadOnly,Admin', '--forbid', "$(Get-FakeAccountId 5):ReadOnly")
    $env:AWS_ENDPOINT_URL_SSO_OIDC = $Fake.Url
    $env:AWS_ENDPOINT_URL_SSO = $Fake.Url
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
    Restore-TestEnvironment $SavedEnvironment
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
            @{ Name = 'neither Profile nor AccountName'; Account = @{ AccountId = '100000000000' } }
            @{ Name = 'no AccountId, only AccountName'; Account = @{ AccountName = 'dev' } }
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

        It 'takes the filters only with -AllAccounts' {
            { Set-AwsCliSsoCredentials @Common -EnvironmentName Bad -Account (New-TestAccounts 0 'bf') -IncludeRole ReadOnly } |
                Should -Throw -ErrorId 'SsoCreds.InvalidInput'
        }

        It 'needs StartUrl and Region to log in' {
            $file = Join-Path $TestDrive 'nourl/credentials'
            { Set-AwsCliSsoCredentials -EnvironmentName NoUrl -DefaultRoleName ReadOnly -Account (New-TestAccounts 0 'nu') -CredentialsFile $file } |
                Should -Throw -ErrorId 'SsoCreds.InvalidInput'
        }
    }

    Context 'a token the service stops accepting' {
        # The refresh token is still good: the library renews the rejected token, no second browser.
        It 'renews it with its refresh token and retries the rejected profiles' {
            $file = Join-Path $TestDrive 'expired/credentials'
            Set-AwsCliSsoCredentials @Common -EnvironmentName Expired -Account (New-TestAccounts 0, 1 'ex') -CredentialsFile $file
            Reset-FakeCounters $Fake
            $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/expire-tokens"
            $results = Set-AwsCliSsoCredentials -EnvironmentName Expired -Force -PassThru
            $results.Status | Should -Be @('Refreshed', 'Refreshed')
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 1 -Scope It
            $counters = Get-FakeCounters $Fake
            $counters.createTokenRefresh | Should -BeGreaterOrEqual 1
            $counters.startDeviceAuthorization | Should -Be 0
        }

        It 'renews it with -NonInteractive too' {
            $file = Join-Path $TestDrive 'expired2/credentials'
            Set-AwsCliSsoCredentials @Common -EnvironmentName Expired2 -Account (New-TestAccounts 0 'ex2') -CredentialsFile $file
            $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/expire-tokens"
            $results = Set-AwsCliSsoCredentials -EnvironmentName Expired2 -Force -NonInteractive -PassThru
            $results.Status | Should -Be 'Refreshed'
            Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 1 -Scope It
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
        $session.Refreshable | Should -BeTrue
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

    It 'signs out, forgets the token and deletes its cache file' {
        Test-Path -LiteralPath (Get-TestTokenCachePath 'Session') | Should -BeTrue
        $result = Clear-AwsCliSsoSession -EnvironmentName Session -PassThru -Confirm:$false
        $result.LoggedOut | Should -BeTrue
        Test-Path -LiteralPath (Get-TestTokenCachePath 'Session') | Should -BeFalse
        (Get-AwsCliSsoSession -EnvironmentName Session).Refreshable | Should -BeFalse
        (Get-AwsCliSsoSession -EnvironmentName Session).Status | Should -Be 'None'
        Get-Variable -Name SessionSSOTokenExpire -Scope Global -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        { Set-AwsCliSsoCredentials -EnvironmentName Session -Force -NonInteractive } | Should -Throw -ErrorId 'SsoCreds.LoginRequired'
    }
}

Describe 'importing the module' {
    It 'can be imported twice, and again with -Force' {
        { Import-Module (Get-TestModuleManifest) -ErrorAction Stop } | Should -Not -Throw
        { Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop } | Should -Not -Throw
        (Get-Command -Module Set-AwsCliSsoCredentials).Name | Sort-Object | Should -Be @('Clear-AwsCliSsoSession', 'Get-AwsCliSsoAccount', 'Get-AwsCliSsoSession', 'Set-AwsCliSsoCredentials')
        [SetAwsCliSsoCredentials.SsoCredsNative]::Version() | Should -Be (Import-PowerShellDataFile (Get-TestModuleManifest)).ModuleVersion
    }

    It 'still works after Import-Module -Force' {
        (Get-AwsCliSsoSession -EnvironmentName Unknown).Status | Should -Be 'None'
    }

    It 'keeps the remembered lists across Import-Module -Force' {
        @(Get-Variable -Name FirstSsoAwsAccounts -Scope Global -ValueOnly).Count | Should -Be 3
    }
}

Describe 'sessions that outlive the shell' {
    BeforeAll {
        Mock Start-Process -ModuleName $ModuleName { Invoke-RestMethod -Uri $FilePath | Out-Null }
        Mock Write-Host -ModuleName $ModuleName { return }
        # A fake of its own: the last tests make it refuse every client registration.
        $SessionFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '3', '--roles', 'ReadOnly')
        $env:AWS_ENDPOINT_URL_SSO_OIDC = $SessionFake.Url
        $env:AWS_ENDPOINT_URL_SSO = $SessionFake.Url
        $PersistFile = Join-Path $TestDrive 'persist/credentials'
        $ConfigFile = Join-Path (Join-Path $env:HOME '.aws') 'config'

        # What a scheduled task runs: a new process, the built module, -NonInteractive.
        function New-ChildScript([string] $EnvironmentName, [string] $ProfileName, [string] $Extra = '') {
            @"
`$ErrorActionPreference = 'Stop'
try {
    Import-Module $(ConvertTo-TestLiteral (Get-TestModuleManifest))
    `$results = Set-AwsCliSsoCredentials -EnvironmentName $(ConvertTo-TestLiteral $EnvironmentName) -StartUrl $(ConvertTo-TestLiteral $StartUrl) -Region $(ConvertTo-TestLiteral $Region) -DefaultRoleName ReadOnly -Account @{ Profile = $(ConvertTo-TestLiteral $ProfileName); AccountId = '$(Get-FakeAccountId 1)' } -CredentialsFile $(ConvertTo-TestLiteral $PersistFile) -NonInteractive -PassThru $Extra
    'STATUS=' + (@(`$results | ForEach-Object { `$_.Status }) -join ',')
    exit 0
}
catch {
    'ERRORID=' + `$_.FullyQualifiedErrorId
    'MESSAGE=' + `$_.Exception.Message
    exit 3
}
"@
        }
    }

    AfterAll {
        Stop-FakeIdentityCenter $SessionFake
        $env:AWS_ENDPOINT_URL_SSO_OIDC = $Fake.Url
        $env:AWS_ENDPOINT_URL_SSO = $Fake.Url
    }

    It 'keeps the login in the AWS CLI v2 cache file, readable by the user only' {
        Set-AwsCliSsoCredentials @Common -EnvironmentName Persist -Account @{ Profile = 'persist-0'; AccountId = (Get-FakeAccountId 0) } -CredentialsFile $PersistFile
        $cache = Get-TestTokenCachePath 'Persist'
        Test-Path -LiteralPath $cache | Should -BeTrue
        $cached = Get-Content -LiteralPath $cache -Raw | ConvertFrom-Json
        $cached.startUrl.TrimEnd('/') | Should -Be $StartUrl.TrimEnd('/')
        $cached.region | Should -Be $Region
        $cached.accessToken | Should -Not -BeNullOrEmpty
        $cached.refreshToken | Should -Not -BeNullOrEmpty
        $item = Get-Item -LiteralPath $cache
        if ($PSVersionTable.PSEdition -eq 'Core' -and -not $IsWindows -and $null -ne $item.PSObject.Properties['UnixMode']) {
            $item.UnixMode | Should -Be '-rw-------'
        }
    }

    It 'lets a new process reuse the login without a browser (a scheduled run)' {
        Reset-FakeCounters $SessionFake
        $child = Invoke-TestChildPowerShell (New-ChildScript 'Persist' 'persist-child')
        $child.ExitCode | Should -Be 0 -Because $child.Output
        $child.Output | Should -BeLike '*STATUS=Refreshed*'
        $counters = Get-FakeCounters $SessionFake
        $counters.startDeviceAuthorization | Should -Be 0
        $counters.registerClient | Should -Be 0
        $counters.getRoleCredentials | Should -Be 1
        (Read-CredentialsFile $PersistFile).Keys | Should -Contain 'persist-child'
    }

    It 'shows the shared login as LoggedIn and Refreshable' {
        $session = Get-AwsCliSsoSession -EnvironmentName Persist
        $session.Status | Should -Be 'LoggedIn'
        $session.Refreshable | Should -BeTrue
    }

    It '-ConfigureSsoSession writes [sso-session <EnvironmentName>] for aws CLI v2, reusing the login' {
        Set-AwsCliSsoCredentials -EnvironmentName Persist -ConfigureSsoSession
        Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
        $config = Get-Content -LiteralPath $ConfigFile -Raw
        $config | Should -Match ([regex]::Escape('[sso-session Persist]'))
        $config | Should -Match ('sso_start_url\s*=\s*' + [regex]::Escape($StartUrl.TrimEnd('/')))
        $config | Should -Match ('sso_region\s*=\s*' + [regex]::Escape($Region))
        $config | Should -Match 'sso_registration_scopes\s*=\s*sso:account:access'
    }

    It '-ConfigureSsoSession on a first login writes the section too' {
        $file = Join-Path $TestDrive 'shared/credentials'
        Set-AwsCliSsoCredentials @Common -EnvironmentName CliShared -Account (New-TestAccounts 2 'cs') -CredentialsFile $file -ConfigureSsoSession
        Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 1 -Scope It
        Get-Content -LiteralPath $ConfigFile -Raw | Should -Match ([regex]::Escape('[sso-session CliShared]'))
    }

    It '-NoTokenFile keeps the token in memory only: no cache file, a new process must log in' {
        $file = Join-Path $TestDrive 'memory/credentials'
        Set-AwsCliSsoCredentials @Common -EnvironmentName MemoryOnly -Account (New-TestAccounts 0 'mem') -CredentialsFile $file -NoTokenFile
        Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 1 -Scope It
        Test-Path -LiteralPath (Get-TestTokenCachePath 'MemoryOnly') | Should -BeFalse
        (Get-AwsCliSsoSession -EnvironmentName MemoryOnly).Status | Should -Be 'LoggedIn'
        Set-AwsCliSsoCredentials -EnvironmentName MemoryOnly -Force -NonInteractive
        Test-Path -LiteralPath (Get-TestTokenCachePath 'MemoryOnly') | Should -BeFalse

        $child = Invoke-TestChildPowerShell (New-ChildScript 'MemoryOnly' 'mem-child')
        $child.ExitCode | Should -Be 3 -Because $child.Output
        $child.Output | Should -BeLike '*ERRORID=SsoCreds.LoginRequired*'
    }

    It 'fails fast with LoginRequired once the session has ended, saying why, in a new process and here' {
        # Access tokens gone and the client registration refused: the refresh token can no longer help.
        $null = Invoke-RestMethod -Method Post -Uri "$($SessionFake.Url)/__fake/expire-tokens"
        $null = Invoke-RestMethod -Method Post -Uri "$($SessionFake.Url)/__fake/expire-registrations"
        Reset-FakeCounters $SessionFake
        $child = Invoke-TestChildPowerShell (New-ChildScript 'Persist' 'persist-child' '-Force')
        $child.ExitCode | Should -Be 3 -Because $child.Output
        $child.Output | Should -BeLike '*ERRORID=SsoCreds.LoginRequired*'
        $child.Output | Should -BeLike '*MESSAGE=*registration*'

        { Set-AwsCliSsoCredentials -EnvironmentName Persist -Force -NonInteractive } | Should -Throw -ErrorId 'SsoCreds.LoginRequired'
        Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
        (Get-FakeCounters $SessionFake).startDeviceAuthorization | Should -Be 0
    }

    It 'logs in again interactively after that, and the next scheduled run works again' {
        $results = Set-AwsCliSsoCredentials -EnvironmentName Persist -Force -PassThru
        $results.Status | Should -Be 'Refreshed'
        Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 1 -Scope It
        $child = Invoke-TestChildPowerShell (New-ChildScript 'Persist' 'persist-child' '-Force')
        $child.ExitCode | Should -Be 0 -Because $child.Output
    }
}

Describe 'discovery: -AllAccounts and Get-AwsCliSsoAccount' {
    BeforeAll {
        Mock Start-Process -ModuleName $ModuleName { Invoke-RestMethod -Uri $FilePath | Out-Null }
        Mock Write-Host -ModuleName $ModuleName { return }
        # 25 accounts: ListAccounts answers in pages of 20, so discovery must follow the pagination.
        $DiscoveryFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '25', '--roles', 'ReadOnly,Admin')
        $env:AWS_ENDPOINT_URL_SSO_OIDC = $DiscoveryFake.Url
        $env:AWS_ENDPOINT_URL_SSO = $DiscoveryFake.Url
        $Login = @{ StartUrl = $StartUrl; Region = $Region }
    }

    AfterAll {
        Stop-FakeIdentityCenter $DiscoveryFake
        $env:AWS_ENDPOINT_URL_SSO_OIDC = $Fake.Url
        $env:AWS_ENDPOINT_URL_SSO = $Fake.Url
    }

    It 'with -WhatIf and no login, logs in to nothing and writes nothing' {
        $file = Join-Path $TestDrive 'all-whatif/credentials'
        Reset-FakeCounters $DiscoveryFake
        Set-AwsCliSsoCredentials @Login -EnvironmentName AllWhatIf -AllAccounts -CredentialsFile $file -WhatIf
        Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
        (Get-FakeCounters $DiscoveryFake).startDeviceAuthorization | Should -Be 0
        Test-Path -LiteralPath $file | Should -BeFalse
    }

    It 'with -NonInteractive and no login, fails fast with LoginRequired' {
        { Set-AwsCliSsoCredentials @Login -EnvironmentName AllNoLogin -AllAccounts -NonInteractive } | Should -Throw -ErrorId 'SsoCreds.LoginRequired'
        { Get-AwsCliSsoAccount @Login -EnvironmentName AllNoLogin -NonInteractive } | Should -Throw -ErrorId 'SsoCreds.LoginRequired'
        Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 0 -Scope It
    }

    It '-AllAccounts refreshes every account and role, across pages' {
        $file = Join-Path $TestDrive 'all/credentials'
        Reset-FakeCounters $DiscoveryFake
        $results = Set-AwsCliSsoCredentials @Login -EnvironmentName All -AllAccounts -CredentialsFile $file -PassThru
        Should -Invoke Start-Process -ModuleName $ModuleName -Exactly 1 -Scope It
        @($results).Count | Should -Be 50
        @($results | Where-Object Status -ne 'Refreshed').Count | Should -Be 0
        $results[0].PSObject.TypeNames | Should -Contain 'SetAwsCliSsoCredentials.ProfileResult'
        $written = Read-CredentialsFile $file
        $written.Keys.Count | Should -Be 50
        $written.Keys | Should -Contain 'account-0001.ReadOnly'
        $written.Keys | Should -Contain 'account-0025.Admin'
        $issued = Get-FakeIssuedCredentials $DiscoveryFake -AccountId (Get-FakeAccountId 24) -RoleName Admin
        $written['account-0025.Admin']['aws_access_key_id'] | Should -Be $issued.accessKeyId
        $counters = Get-FakeCounters $DiscoveryFake
        $counters.listAccounts | Should -BeGreaterOrEqual 2
        $counters.getRoleCredentials | Should -Be 50
    }

    It 'remembers the discovery: a later call with only the environment finds everything current' {
        Reset-FakeCounters $DiscoveryFake
        $again = Set-AwsCliSsoCredentials -EnvironmentName All -PassThru
        @($again).Count | Should -Be 50
        @($again | Where-Object Status -ne 'Current').Count | Should -Be 0
        (Get-FakeCounters $DiscoveryFake).getRoleCredentials | Should -Be 0
    }

    It 'filters with -IncludeRole and -ExcludeAccount and names from -ProfileNameTemplate' {
        $file = Join-Path $TestDrive 'filtered/credentials'
        $results = Set-AwsCliSsoCredentials @Login -EnvironmentName Filtered -AllAccounts -IncludeRole ReadOnly -ExcludeAccount 'ACCOUNT-000*' -ProfileNameTemplate '{AccountName}-{RoleName}' -CredentialsFile $file -PassThru
        @($results).Count | Should -Be 16
        $results.RoleName | Sort-Object -Unique | Should -Be 'ReadOnly'
        $results.Profile | Should -Contain 'account-0010-ReadOnly'
        $results.Profile | Should -Not -Contain 'account-0009-ReadOnly'
        (Read-CredentialsFile $file).Keys.Count | Should -Be 16
    }

    It 'filters with -IncludeAccount by id or by name' {
        $file = Join-Path $TestDrive 'included/credentials'
        $results = Set-AwsCliSsoCredentials @Login -EnvironmentName Included -AllAccounts -IncludeAccount (Get-FakeAccountId 3), 'account-0006' -ProfileNameTemplate '{AccountId}.{RoleName}' -CredentialsFile $file -PassThru
        $results.Profile | Sort-Object | Should -Be @(
            "$(Get-FakeAccountId 3).Admin", "$(Get-FakeAccountId 3).ReadOnly", "$(Get-FakeAccountId 5).Admin", "$(Get-FakeAccountId 5).ReadOnly")
    }

    It 'Get-AwsCliSsoAccount writes one object per account and role, sorted' {
        $list = @(Get-AwsCliSsoAccount -EnvironmentName All)
        $list.Count | Should -Be 50
        $list[0].PSObject.TypeNames | Should -Contain 'SetAwsCliSsoCredentials.Account'
        $list[0].AccountId | Should -Be (Get-FakeAccountId 0)
        $list[0].AccountName | Should -Be 'account-0001'
        $list[0].EmailAddress | Should -Be 'account-0001@example.com'
        @($list[0].RoleName, $list[1].RoleName) | Should -Be @('Admin', 'ReadOnly')
        $list[49].AccountId | Should -Be (Get-FakeAccountId 24)
    }

    It 'Get-AwsCliSsoAccount filters' {
        $list = @(Get-AwsCliSsoAccount -EnvironmentName All -IncludeAccount 'account-001?' -IncludeRole Admin)
        $list.Count | Should -Be 10
        $list.RoleName | Sort-Object -Unique | Should -Be 'Admin'
    }

    It 'pipes into Set-AwsCliSsoCredentials, which names the profiles from the template' {
        $file = Join-Path $TestDrive 'piped/credentials'
        $results = Get-AwsCliSsoAccount -EnvironmentName All -IncludeAccount 'account-0002', 'account-0003' |
            Where-Object RoleName -EQ ReadOnly |
            Set-AwsCliSsoCredentials @Login -EnvironmentName Piped -ProfileNameTemplate '{AccountName}-{RoleName}' -CredentialsFile $file -PassThru
        $results.Profile | Should -Be @('account-0002-ReadOnly', 'account-0003-ReadOnly')
        $results.Status | Should -Be @('Refreshed', 'Refreshed')
        # account-0003 is the fake's account index 2.
        $issued = Get-FakeIssuedCredentials $DiscoveryFake -AccountId (Get-FakeAccountId 2) -RoleName ReadOnly
        (Read-CredentialsFile $file)['account-0003-ReadOnly']['aws_access_key_id'] | Should -Be $issued.accessKeyId
    }

    Context 'two accounts with the same name' {
        BeforeAll {
            $config = Join-Path $TestDrive 'dup-fake.json'
            '{"accounts":[{"accountId":"111111111111","accountName":"dup","roles":["ReadOnly"]},{"accountId":"222222222222","accountName":"dup","roles":["ReadOnly"]}]}' |
                Set-Content -LiteralPath $config -Encoding ASCII
            $DupFake = Start-FakeIdentityCenter -ArgumentList @('--config', $config)
            $env:AWS_ENDPOINT_URL_SSO_OIDC = $DupFake.Url
            $env:AWS_ENDPOINT_URL_SSO = $DupFake.Url
        }

        AfterAll {
            Stop-FakeIdentityCenter $DupFake
            $env:AWS_ENDPOINT_URL_SSO_OIDC = $DiscoveryFake.Url
            $env:AWS_ENDPOINT_URL_SSO = $DiscoveryFake.Url
        }

        It 'warns, naming the wanted and the actual profile name, and overwrites nothing' {
            $file = Join-Path $TestDrive 'dup/credentials'
            $results = Set-AwsCliSsoCredentials @Login -EnvironmentName Dup -AllAccounts -CredentialsFile $file -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
            $results.Profile | Sort-Object | Should -Be @('dup.ReadOnly-111111111111', 'dup.ReadOnly-222222222222')
            $results.Status | Should -Be @('Refreshed', 'Refreshed')
            @($warnings).Count | Should -Be 2
            "$($warnings[0])" | Should -BeLike "*'dup.ReadOnly'*'dup.ReadOnly-*'*"
            ($warnings | ForEach-Object { "$_" }) -join "`n" | Should -BeLike "*'dup.ReadOnly-222222222222'*"
            $written = Read-CredentialsFile $file
            $written.Keys | Should -Not -Contain 'dup.ReadOnly'
            $written.Keys.Count | Should -Be 2
        }
    }
}
