#Requires -Version 5.1
# Pester 5 tests of the built module against the fake IAM Identity Center (run by ./build.ps1 -Task Test in
# a child process). Each test uses its own EnvironmentName: the SSO token lives in the native library for
# the life of the process, per environment, and in ~/.aws/sso/cache/<sha1(EnvironmentName)>.json, where
# HOME/USERPROFILE point into TestDrive so that no test ever touches the real ~/.aws.
#
# This process runs as `pwsh -NonInteractive`, which the module treats as -NonInteractive: every call that
# must log in passes -NonInteractive:$false (@Interactive), and -UseDeviceCode, the device login on every
# OS (Windows and macOS would choose the browser flow). The "browser" is the stand-in fake-browser, which
# the module runs through BROWSER on every OS and which approves the login at the fake.

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $ModuleName = 'Set-AwsCliSsoCredentials'
    # Never the user's real ~/.aws (token cache, config, credentials), whatever a test forgets.
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $Interactive = @{ NonInteractive = $false; UseDeviceCode = $true }
    $Browser = New-TestBrowser -Folder (Join-Path $TestDrive 'browser')
    Use-TestBrowser $Browser
    # A safety net, not the approval: should no browser open, a login ends after ~30 s (and the
    # test fails on the browser visits it counts) instead of waiting forever.
    $FakeLoginArguments = @('--approve-after-polls', '30')

    $Fake = Start-FakeIdentityCenter -ArgumentList (@('--accounts', '8', '--roles', 'ReadOnly,Admin', '--forbid', "$(Get-FakeAccountId 5):ReadOnly") + $FakeLoginArguments)
    Use-TestEndpoint $Fake
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $TestDrive 'default-credentials'

    $StartUrl = 'https://d-1234567890.awsapps.com/start/'
    $Region = 'us-east-1'
    $Common = @{ StartUrl = $StartUrl; Region = $Region; DefaultRoleName = 'ReadOnly' }

    function New-TestAccounts([int[]] $Index, [string] $Prefix) {
        foreach ($i in $Index) { @{ Profile = "$Prefix-$i"; AccountId = (Get-FakeAccountId $i) } }
    }

    # Counters of the fake and visits of the stand-in browser start again from zero.
    function Reset-TestObservation($Target = $Fake) {
        Reset-FakeCounters $Target
        Clear-TestBrowserVisit $Browser
    }

    # Device logins since Reset-TestObservation: at the fake, and in the stand-in browser.
    function Assert-TestLoginCount([int] $Count, $Target = $Fake) {
        (Get-FakeCounters $Target).startDeviceAuthorization | Should -Be $Count -Because 'device authorizations started at the fake'
        @(Get-TestBrowserVisit $Browser).Count | Should -Be $Count -Because 'browser windows opened'
    }
}

AfterAll {
    Stop-FakeIdentityCenter $Fake
    Restore-TestEnvironment $SavedEnvironment
    Remove-Module -Name Set-AwsCliSsoCredentials -Force -ErrorAction SilentlyContinue
}

Describe 'Set-AwsCliSsoCredentials' {
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
            Reset-TestObservation
            Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName First -Account $Accounts -CredentialsFile $File -InformationVariable info -InformationAction SilentlyContinue

            Assert-TestLoginCount 1
            $lines = ConvertTo-TestMessage $info
            $lines | Should -Contain 'A Browser window should open. Please login there and click ALLOW.'
            # The code is printed whether or not a browser opened.
            $prompt = Get-TestLoginPrompt $lines
            $prompt.UserCode | Should -Not -BeNullOrEmpty
            $prompt.VerificationUriComplete | Should -BeLike "$($Fake.Url)/*"
            @($lines | Where-Object { $_ -match '^first-0 first-1 first-2 Profiles registered, \d+:\d\d:\d\d left on SSO Token$' }).Count | Should -Be 1 -Because ($lines -join "`n")
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
            $expire.Kind | Should -Be 'Local'
            $remembered = Get-Variable -Name FirstSsoAwsAccounts -Scope Global -ValueOnly
            @($remembered).Count | Should -Be 3
            @($remembered)[0] | Should -BeOfType [hashtable]
            @($remembered).Profile | Should -Be @('first-0', 'first-1', 'first-2')
            @($remembered)[1].RoleName | Should -Be 'Admin'
            @($remembered)[0].AccountId | Should -Be (Get-FakeAccountId 0)
            @($remembered)[0].CredsExpiration | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds())
        }

        It 'skips profiles that are still valid: no login, no call' {
            Reset-TestObservation
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName First -Account $Accounts -CredentialsFile $File -PassThru
            Assert-TestLoginCount 0
            Get-FakeCounterTotal $Fake | Should -Be 0
            $results.Status | Should -Be @('Current', 'Current', 'Current')
        }

        It 'refreshes every profile with -Force, reusing the token' {
            Reset-TestObservation
            $before = Read-CredentialsFile $File
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName First -Account $Accounts -CredentialsFile $File -Force -PassThru
            Assert-TestLoginCount 0
            $counters = Get-FakeCounters $Fake
            $counters.getRoleCredentials | Should -Be 3
            $counters.createToken | Should -Be 0
            $results.Status | Should -Be @('Refreshed', 'Refreshed', 'Refreshed')
            $results[0].GetType().FullName | Should -Be 'SetAwsCliSsoCredentials.ProfileResult'
            $results[0] | Should -BeOfType ([type]'SetAwsCliSsoCredentials.ProfileResult')
            $results[1].RoleName | Should -Be 'Admin'
            $results[1].AccountId | Should -Be (Get-FakeAccountId 1)
            $results[0].Expiration | Should -BeOfType [datetime]
            $results[0].Expiration | Should -BeGreaterThan (Get-Date)
            (Read-CredentialsFile $File)['first-0']['aws_session_token'] | Should -Not -Be $before['first-0']['aws_session_token']
        }

        It 'refreshes the remembered list when called with only the environment' {
            Reset-TestObservation
            $results = Set-AwsCliSsoCredentials -EnvironmentName First -CredentialsFile $File -Force -PassThru
            $results.Profile | Should -Be @('first-0', 'first-1', 'first-2')
            $results.Status | Should -Be @('Refreshed', 'Refreshed', 'Refreshed')
            (Get-FakeCounters $Fake).getRoleCredentials | Should -Be 3
        }

        It 'works with -NonInteractive while the session holds a token' {
            Reset-TestObservation
            { Set-AwsCliSsoCredentials -EnvironmentName First -CredentialsFile $File -Force -NonInteractive } | Should -Not -Throw
            Assert-TestLoginCount 0
            (Get-FakeCounters $Fake).getRoleCredentials | Should -Be 3
        }

        It 'shows -PassThru results as a table' {
            $results = Set-AwsCliSsoCredentials -EnvironmentName First -CredentialsFile $File -PassThru
            $lines = @(($results | Out-String -Width 300) -split '\r?\n' | Where-Object { $_.Trim() })
            $lines[0] | Should -Match '^\s*Profile\s+AccountId\s+RoleName\s+Status\s+Expiration\s*$'
            $lines[1] | Should -Match '^[\s-]+$'
            $lines[2] | Should -Match '^\s*first-0\s+\d{12}\s+ReadOnly\s+Current\s+'
        }
    }

    Context 'no session: -NonInteractive, or a non-interactive host' {
        It 'fails fast with LoginRequired and writes nothing' {
            $file = Join-Path $TestDrive 'nonint/credentials'
            Reset-TestObservation
            { Set-AwsCliSsoCredentials @Common -EnvironmentName NoSession -Account (New-TestAccounts 0, 1 'ni') -CredentialsFile $file -NonInteractive } |
                Should -Throw -ErrorId 'SsoCreds.LoginRequired,*' -ExceptionType ([type]'SetAwsCliSsoCredentials.LoginRequiredException')
            Assert-TestLoginCount 0
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'fails fast with LoginRequired without -NonInteractive too, because this host is non-interactive' {
            # build.ps1 runs Pester in `pwsh -NonInteractive`; a console whose input is redirected is the other case.
            $nonInteractiveHost = ([Environment]::GetCommandLineArgs() -contains '-NonInteractive') -or
                ($Host.Name -eq 'ConsoleHost' -and [Console]::IsInputRedirected)
            if (-not $nonInteractiveHost) {
                Set-ItResult -Skipped -Because 'this Pester host is interactive (run it through ./build.ps1 -Task Test, which starts pwsh -NonInteractive)'
                return
            }
            $file = Join-Path $TestDrive 'nonint-host/credentials'
            Reset-TestObservation
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $failure = $null
            try {
                Set-AwsCliSsoCredentials @Common -EnvironmentName NoSessionHost -Account (New-TestAccounts 0, 1 'nh') -CredentialsFile $file -ErrorAction Stop
            }
            catch {
                $failure = $_
            }
            $watch.Stop()
            $failure | Should -Not -BeNullOrEmpty -Because 'no login is possible without a person at the console'
            $failure.FullyQualifiedErrorId | Should -BeLike 'SsoCreds.LoginRequired,*'
            $failure.Exception.GetType().FullName | Should -Be 'SetAwsCliSsoCredentials.LoginRequiredException'
            $failure.TargetObject | Should -Be 'NoSessionHost'
            $failure.Exception.Message | Should -BeLike '*Set-AwsCliSsoCredentials*'
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
            Assert-TestLoginCount 0
            (Get-AwsCliSsoSession -EnvironmentName NoSessionHost).Status | Should -Be 'None'
            Test-Path -LiteralPath $file | Should -BeFalse

            { Get-AwsCliSsoAccount -StartUrl $StartUrl -Region $Region -EnvironmentName NoSessionHost } | Should -Throw -ErrorId 'SsoCreds.LoginRequired,*'
            Assert-TestLoginCount 0
        }

        It 'succeeds without a session when every profile is still valid (the $PROFILE case)' {
            $file = Join-Path $TestDrive 'profile/credentials'
            Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName ProfileLogin -Account (New-TestAccounts 0, 1 'pf') -CredentialsFile $file
            Reset-TestObservation
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName ProfileNoToken -Account (New-TestAccounts 0, 1 'pf') -CredentialsFile $file -NonInteractive -PassThru
            $results.Status | Should -Be @('Current', 'Current')
            Get-FakeCounterTotal $Fake | Should -Be 0
        }
    }

    Context 'a forbidden account' {
        It 'reports it as a non-terminating error and writes the others' {
            $file = Join-Path $TestDrive 'forbidden/credentials'
            $accounts = New-TestAccounts 3, 4, 5, 6, 7 'fb'
            $results = Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName Forbidden -Account $accounts -CredentialsFile $file -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue -InformationVariable info -InformationAction SilentlyContinue
            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'SsoCreds.Forbidden,*'
            $failures[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            $failures[0].TargetObject | Should -Be 'fb-5'
            $results.Status | Should -Be @('Refreshed', 'Refreshed', 'Failed', 'Refreshed', 'Refreshed')
            $written = Read-CredentialsFile $file
            foreach ($i in 3, 4, 6, 7) {
                $issued = Get-FakeIssuedCredentials $Fake -AccountId (Get-FakeAccountId $i) -RoleName ReadOnly
                $written["fb-$i"]['aws_access_key_id'] | Should -Be $issued.accessKeyId
                $written["fb-$i"]['aws_secret_access_key'] | Should -Be $issued.secretAccessKey
            }
            $written.Keys | Should -Not -Contain 'fb-5'
            # The summary names the profiles that were registered, not the failed one.
            @(ConvertTo-TestMessage $info | Where-Object { $_ -match '^fb-3 fb-4 fb-6 fb-7 Profiles registered, \d+:\d\d:\d\d left on SSO Token$' }).Count | Should -Be 1
        }

        It 'is a terminating error with -ErrorAction Stop' {
            $file = Join-Path $TestDrive 'forbidden2/credentials'
            $thrown = $null
            try { Set-AwsCliSsoCredentials @Common -EnvironmentName Forbidden -Account (New-TestAccounts 5 'fb2') -CredentialsFile $file -ErrorAction Stop }
            catch { $thrown = $_ }
            $thrown.FullyQualifiedErrorId | Should -BeLike 'SsoCreds.Forbidden,*'
            $thrown.TargetObject | Should -Be 'fb2-5'
        }
    }

    Context '-WhatIf' {
        It 'writes nothing, logs in to nothing, calls nothing' {
            $file = Join-Path $TestDrive 'whatif/credentials'
            Reset-TestObservation
            Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName WhatIf -Account (New-TestAccounts 0, 1 'wi') -CredentialsFile $file -WhatIf
            Test-Path -LiteralPath $file | Should -BeFalse
            Assert-TestLoginCount 0
            Get-FakeCounterTotal $Fake | Should -Be 0
            Get-Variable -Name WhatIfSsoAwsAccounts -Scope Global -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            (Get-AwsCliSsoSession -EnvironmentName WhatIf).Status | Should -Be 'None'
        }

        It 'leaves an existing file byte for byte as it was' {
            $file = Join-Path $TestDrive 'first/credentials'
            $before = Get-FileBytesHash $file
            Reset-TestObservation
            Set-AwsCliSsoCredentials -EnvironmentName First -CredentialsFile $file -Force -WhatIf
            Get-FileBytesHash $file | Should -Be $before
            Get-FakeCounterTotal $Fake | Should -Be 0
        }

        It 'with every profile still valid, sums nothing up: it registered nothing' {
            $file = Join-Path $TestDrive 'whatif-current/credentials'
            $accounts = New-TestAccounts 0 'wic'
            $null = Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName WhatIfCurrent -Account $accounts -CredentialsFile $file -InformationAction SilentlyContinue
            Set-AwsCliSsoCredentials @Common -EnvironmentName WhatIfCurrent -Account $accounts -CredentialsFile $file -WhatIf -InformationVariable info -InformationAction SilentlyContinue
            @($info).Count | Should -Be 0 -Because "-WhatIf changes nothing: $($info -join ' | ')"
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
            $results = Import-Csv -LiteralPath $csv | Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName Csv -CredentialsFile $file -PassThru
            $results.Profile | Should -Be @('csv-0', 'csv-1', 'csv-2')
            $results.RoleName | Should -Be @('ReadOnly', 'Admin', 'ReadOnly')
            $results.Status | Should -Be @('Refreshed', 'Refreshed', 'Refreshed')
            $written = Read-CredentialsFile $file
            foreach ($pair in @(@(0, 'ReadOnly'), @(1, 'Admin'), @(2, 'ReadOnly'))) {
                $issued = Get-FakeIssuedCredentials $Fake -AccountId (Get-FakeAccountId $pair[0]) -RoleName $pair[1]
                $written["csv-$($pair[0])"]['aws_access_key_id'] | Should -Be $issued.accessKeyId
                $written["csv-$($pair[0])"]['aws_session_token'] | Should -Be $issued.sessionToken
            }
        }

        It 'remembers the piped list per environment' {
            $remembered = Get-Variable -Name CsvSsoAwsAccounts -Scope Global -ValueOnly
            @($remembered).Profile | Should -Be @('csv-0', 'csv-1', 'csv-2')
            $again = Set-AwsCliSsoCredentials -EnvironmentName Csv -CredentialsFile (Join-Path $TestDrive 'csv/credentials') -PassThru
            $again.Profile | Should -Be @('csv-0', 'csv-1', 'csv-2')
            $again.Status | Should -Be @('Current', 'Current', 'Current')
            # Another environment keeps its own list.
            (Set-AwsCliSsoCredentials -EnvironmentName First -CredentialsFile (Join-Path $TestDrive 'first/credentials') -PassThru).Profile | Should -Be @('first-0', 'first-1', 'first-2')
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
            # A file of its own per case, so that one case that writes does not fail the next.
            $file = Join-Path $TestDrive "bad-$([guid]::NewGuid().ToString('n'))/credentials"
            Reset-TestObservation
            { Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName Bad -Account $Account -CredentialsFile $file } |
                Should -Throw -ErrorId 'SsoCreds.InvalidInput,*'
            Test-Path -LiteralPath $file | Should -BeFalse
            Get-FakeCounterTotal $Fake | Should -Be 0
        }

        It 'needs accounts the first time' {
            { Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName NeverSeen } | Should -Throw -ErrorId 'SsoCreds.InvalidInput,*'
        }

        It 'takes the filters only with -AllAccounts' {
            { Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName Bad -Account (New-TestAccounts 0 'bf') -IncludeRole ReadOnly } |
                Should -Throw -ErrorId 'SsoCreds.InvalidInput,*'
        }

        It 'needs StartUrl and Region to log in' {
            $file = Join-Path $TestDrive 'nourl/credentials'
            Reset-TestObservation
            { Set-AwsCliSsoCredentials @Interactive -EnvironmentName NoUrl -DefaultRoleName ReadOnly -Account (New-TestAccounts 0 'nu') -CredentialsFile $file } |
                Should -Throw -ErrorId 'SsoCreds.InvalidInput,*'
            Assert-TestLoginCount 0
            Test-Path -LiteralPath $file | Should -BeFalse
        }
    }

    Context 'a token the service stops accepting' {
        # The refresh token is still good: the library renews the rejected token, no second browser.
        It 'renews it with its refresh token and retries the rejected profiles' {
            $file = Join-Path $TestDrive 'expired/credentials'
            Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName Expired -Account (New-TestAccounts 0, 1 'ex') -CredentialsFile $file
            Reset-TestObservation
            $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/expire-tokens"
            $results = Set-AwsCliSsoCredentials -EnvironmentName Expired -CredentialsFile $file -Force -PassThru
            $results.Status | Should -Be @('Refreshed', 'Refreshed')
            $counters = Get-FakeCounters $Fake
            $counters.createTokenRefresh | Should -BeGreaterOrEqual 1
            Assert-TestLoginCount 0
        }

        It 'renews it with -NonInteractive too' {
            $file = Join-Path $TestDrive 'expired2/credentials'
            Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName Expired2 -Account (New-TestAccounts 0 'ex2') -CredentialsFile $file
            $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/expire-tokens"
            Reset-TestObservation
            $results = Set-AwsCliSsoCredentials -EnvironmentName Expired2 -CredentialsFile $file -Force -NonInteractive -PassThru
            $results.Status | Should -Be 'Refreshed'
            Assert-TestLoginCount 0
            (Get-FakeCounters $Fake).createTokenRefresh | Should -BeGreaterOrEqual 1
        }
    }

    Context '-NoBrowser' {
        BeforeAll {
            # The "user" reads the printed URL on another device: this fake approves by itself.
            $AutoFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '2', '--roles', 'ReadOnly', '--approve-after-polls', '2')
            Use-TestEndpoint $AutoFake
        }

        AfterAll {
            Stop-FakeIdentityCenter $AutoFake
            Use-TestEndpoint $Fake
        }

        It 'prints the URL and code and opens no browser' {
            $file = Join-Path $TestDrive 'nobrowser/credentials'
            Reset-TestObservation $AutoFake
            $results = Set-AwsCliSsoCredentials @Common -NonInteractive:$false -EnvironmentName NoBrowser -Account (New-TestAccounts 0 'nb') -CredentialsFile $file -NoBrowser -PassThru -InformationVariable info -InformationAction SilentlyContinue
            $results.Status | Should -Be 'Refreshed'
            $lines = ConvertTo-TestMessage $info
            $prompt = Get-TestLoginPrompt $lines
            $prompt.VerificationUri | Should -Be "$($AutoFake.Url)/device"
            $prompt.UserCode | Should -Not -BeNullOrEmpty
            $prompt.VerificationUriComplete | Should -Be "$($AutoFake.Url)/device?user_code=$($prompt.UserCode)"
            $lines | Should -Not -Contain 'A Browser window should open. Please login there and click ALLOW.'
            $lines | Should -Not -Contain 'No browser could be opened here; open the URL below on any device.'
            @(Get-TestBrowserVisit $Browser).Count | Should -Be 0
            (Get-FakeCounters $AutoFake).startDeviceAuthorization | Should -Be 1
            $issued = Get-FakeIssuedCredentials $AutoFake -AccountId (Get-FakeAccountId 0) -RoleName ReadOnly
            (Read-CredentialsFile $file)['nb-0']['aws_access_key_id'] | Should -Be $issued.accessKeyId
        }
    }
}

Describe 'Get-AwsCliSsoSession and Clear-AwsCliSsoSession' {
    BeforeAll {
        $file = Join-Path $TestDrive 'session/credentials'
        Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName Session -Account (New-TestAccounts 0 'se') -CredentialsFile $file
    }

    It 'reports a logged-in environment' {
        $session = Get-AwsCliSsoSession -EnvironmentName Session
        $session.GetType().FullName | Should -Be 'SetAwsCliSsoCredentials.Session'
        $session.Environment | Should -Be 'Session'
        $session.Status | Should -Be 'LoggedIn'
        $session.StartUrl | Should -Be $StartUrl
        $session.Region | Should -Be $Region
        $session.ExpiresAt | Should -BeGreaterThan (Get-Date)
        $session.TimeLeft | Should -BeGreaterThan ([timespan]::Zero)
        $session.Refreshable | Should -BeTrue
    }

    It 'shows as a table' {
        $lines = @((Get-AwsCliSsoSession -EnvironmentName Session | Out-String -Width 300) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^\s*Environment\s+Status\s+StartUrl\s+Region\s+ExpiresAt\s+TimeLeft\s+Refreshable\s*$'
        $lines[1] | Should -Match '^[\s-]+$'
        $lines[2] | Should -Match '^\s*Session\s+LoggedIn\s+'
        $lines.Count | Should -Be 3
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
        Test-Path -LiteralPath (Get-TestTokenCachePath 'Session') | Should -BeTrue
    }

    It 'signs out, forgets the token and deletes its cache file' {
        Test-Path -LiteralPath (Get-TestTokenCachePath 'Session') | Should -BeTrue
        Reset-TestObservation
        $result = Clear-AwsCliSsoSession -EnvironmentName Session -PassThru -Confirm:$false
        $result.GetType().FullName | Should -Be 'SetAwsCliSsoCredentials.LogoutResult'
        $result.Environment | Should -Be 'Session'
        $result.LoggedOut | Should -BeTrue
        (Get-FakeCounters $Fake).logout | Should -Be 1
        Test-Path -LiteralPath (Get-TestTokenCachePath 'Session') | Should -BeFalse
        (Get-AwsCliSsoSession -EnvironmentName Session).Refreshable | Should -BeFalse
        (Get-AwsCliSsoSession -EnvironmentName Session).Status | Should -Be 'None'
        Get-Variable -Name SessionSSOTokenExpire -Scope Global -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        { Set-AwsCliSsoCredentials -EnvironmentName Session -CredentialsFile (Join-Path $TestDrive 'session/credentials') -Force -NonInteractive } | Should -Throw -ErrorId 'SsoCreds.LoginRequired,*'
    }
}

Describe 'importing the module' {
    BeforeAll {
        $RememberedFile = Join-Path $TestDrive 'remembered/credentials'
        Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName Remembered -Account (New-TestAccounts 0, 1, 2 'rm') -CredentialsFile $RememberedFile
    }

    It 'can be imported twice, and again with -Force' {
        { Import-Module (Get-TestModuleManifest) -ErrorAction Stop } | Should -Not -Throw
        { Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop } | Should -Not -Throw
        (Get-Command -Module Set-AwsCliSsoCredentials).Name | Sort-Object | Should -Be @('Clear-AwsCliSsoSession', 'Get-AwsCliSsoAccount', 'Get-AwsCliSsoCredential', 'Get-AwsCliSsoSession', 'Set-AwsCliSsoCredentials')
        [SetAwsCliSsoCredentials.SsoCredsNative]::Version() | Should -Be (Import-PowerShellDataFile (Get-TestModuleManifest)).ModuleVersion
    }

    It 'still works after Import-Module -Force' {
        (Get-AwsCliSsoSession -EnvironmentName Unknown).Status | Should -Be 'None'
        (Get-AwsCliSsoSession -EnvironmentName Remembered).Status | Should -Be 'LoggedIn'
    }

    It 'keeps the remembered lists across Import-Module -Force' {
        # (Get-Variable -ValueOnly writes the array as one object: assign it before counting.)
        $remembered = Get-Variable -Name RememberedSsoAwsAccounts -Scope Global -ValueOnly
        @($remembered).Count | Should -Be 3
        Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop
        $remembered = Get-Variable -Name RememberedSsoAwsAccounts -Scope Global -ValueOnly
        @($remembered).Count | Should -Be 3
        Reset-TestObservation
        $results = Set-AwsCliSsoCredentials -EnvironmentName Remembered -CredentialsFile $RememberedFile -PassThru
        $results.Profile | Should -Be @('rm-0', 'rm-1', 'rm-2')
        $results.Status | Should -Be @('Current', 'Current', 'Current')
        Get-FakeCounterTotal $Fake | Should -Be 0
    }
}

Describe 'sessions that outlive the shell' {
    BeforeAll {
        # A fake of its own: the last tests make it refuse every client registration.
        $SessionFake = Start-FakeIdentityCenter -ArgumentList (@('--accounts', '3', '--roles', 'ReadOnly') + $FakeLoginArguments)
        Use-TestEndpoint $SessionFake
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
        Use-TestEndpoint $Fake
    }

    It 'keeps the login in the AWS CLI v2 cache file, readable by the user only' {
        Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName Persist -Account @{ Profile = 'persist-0'; AccountId = (Get-FakeAccountId 0) } -CredentialsFile $PersistFile
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
        Reset-TestObservation $SessionFake
        $child = Invoke-TestChildPowerShell (New-ChildScript 'Persist' 'persist-child')
        $child.ExitCode | Should -Be 0 -Because $child.Output
        $child.Output | Should -BeLike '*STATUS=Refreshed*'
        $counters = Get-FakeCounters $SessionFake
        $counters.startDeviceAuthorization | Should -Be 0
        $counters.registerClient | Should -Be 0
        $counters.getRoleCredentials | Should -Be 1
        $issued = Get-FakeIssuedCredentials $SessionFake -AccountId (Get-FakeAccountId 1) -RoleName ReadOnly
        (Read-CredentialsFile $PersistFile)['persist-child']['aws_access_key_id'] | Should -Be $issued.accessKeyId
    }

    It 'shows the shared login as LoggedIn and Refreshable' {
        $session = Get-AwsCliSsoSession -EnvironmentName Persist
        $session.Status | Should -Be 'LoggedIn'
        $session.Refreshable | Should -BeTrue
    }

    It '-ConfigureSsoSession writes [sso-session Persist] for aws CLI v2, reusing the login' {
        Reset-TestObservation $SessionFake
        Set-AwsCliSsoCredentials -EnvironmentName Persist -CredentialsFile $PersistFile -ConfigureSsoSession
        Assert-TestLoginCount 0 $SessionFake
        $config = Get-Content -LiteralPath $ConfigFile -Raw
        $config | Should -Match ([regex]::Escape('[sso-session Persist]'))
        $config | Should -Match ('sso_start_url\s*=\s*' + [regex]::Escape($StartUrl.TrimEnd('/')))
        $config | Should -Match ('sso_region\s*=\s*' + [regex]::Escape($Region))
        $config | Should -Match 'sso_registration_scopes\s*=\s*sso:account:access'
    }

    It '-ConfigureSsoSession on a first login writes the section too' {
        $file = Join-Path $TestDrive 'shared/credentials'
        Reset-TestObservation $SessionFake
        Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName CliShared -Account (New-TestAccounts 2 'cs') -CredentialsFile $file -ConfigureSsoSession
        Assert-TestLoginCount 1 $SessionFake
        Get-Content -LiteralPath $ConfigFile -Raw | Should -Match ([regex]::Escape('[sso-session CliShared]'))
    }

    It '-NoTokenFile keeps the token in memory only: no cache file, a new process must log in' {
        $file = Join-Path $TestDrive 'memory/credentials'
        Reset-TestObservation $SessionFake
        Set-AwsCliSsoCredentials @Common @Interactive -EnvironmentName MemoryOnly -Account (New-TestAccounts 0 'mem') -CredentialsFile $file -NoTokenFile
        Assert-TestLoginCount 1 $SessionFake
        Test-Path -LiteralPath (Get-TestTokenCachePath 'MemoryOnly') | Should -BeFalse
        (Get-AwsCliSsoSession -EnvironmentName MemoryOnly).Status | Should -Be 'LoggedIn'
        Set-AwsCliSsoCredentials -EnvironmentName MemoryOnly -CredentialsFile $file -Force -NonInteractive
        Test-Path -LiteralPath (Get-TestTokenCachePath 'MemoryOnly') | Should -BeFalse

        $child = Invoke-TestChildPowerShell (New-ChildScript 'MemoryOnly' 'mem-child')
        $child.ExitCode | Should -Be 3 -Because $child.Output
        $child.Output | Should -BeLike '*ERRORID=SsoCreds.LoginRequired,*'
    }

    It 'fails fast with LoginRequired once the session has ended, saying why, in a new process and here' {
        # Access tokens gone and the client registration refused: the refresh token can no longer help.
        $null = Invoke-RestMethod -Method Post -Uri "$($SessionFake.Url)/__fake/expire-tokens"
        $null = Invoke-RestMethod -Method Post -Uri "$($SessionFake.Url)/__fake/expire-registrations"
        Reset-TestObservation $SessionFake
        $child = Invoke-TestChildPowerShell (New-ChildScript 'Persist' 'persist-child' '-Force')
        $child.ExitCode | Should -Be 3 -Because $child.Output
        $child.Output | Should -BeLike '*ERRORID=SsoCreds.LoginRequired,*'
        $child.Output | Should -BeLike '*MESSAGE=*registration*'

        $thrown = $null
        try {
            Set-AwsCliSsoCredentials -EnvironmentName Persist -CredentialsFile $PersistFile -Force -NonInteractive -InformationVariable info -InformationAction SilentlyContinue
        }
        catch {
            $thrown = $_
        }
        $thrown.FullyQualifiedErrorId | Should -BeLike 'SsoCreds.LoginRequired,*'
        $thrown.TargetObject | Should -Be 'Persist'
        Assert-TestLoginCount 0 $SessionFake
        # No summary claiming a token with hours left, on a call that failed for want of one.
        @(ConvertTo-TestMessage $info | Where-Object { $_ -like '*left on SSO Token*' }) | Should -BeNullOrEmpty
    }

    It 'logs in again interactively after that, and the next scheduled run works again' {
        Reset-TestObservation $SessionFake
        $results = Set-AwsCliSsoCredentials @Interactive -EnvironmentName Persist -CredentialsFile $PersistFile -Force -PassThru
        $results.Profile | Should -Be 'persist-0'
        $results.Status | Should -Be 'Refreshed'
        # One login for the user (one browser window); the fake may count two device authorizations,
        # the first refused because the client registration had expired.
        (Get-FakeCounters $SessionFake).startDeviceAuthorization | Should -BeGreaterOrEqual 1
        (Get-FakeCounters $SessionFake).registerClient | Should -Be 1
        @(Get-TestBrowserVisit $Browser).Count | Should -Be 1
        $child = Invoke-TestChildPowerShell (New-ChildScript 'Persist' 'persist-child' '-Force')
        $child.ExitCode | Should -Be 0 -Because $child.Output
    }
}

Describe 'discovery: -AllAccounts and Get-AwsCliSsoAccount' {
    BeforeAll {
        # 25 accounts: ListAccounts answers in pages of 20, so discovery must follow the pagination.
        $DiscoveryFake = Start-FakeIdentityCenter -ArgumentList (@('--accounts', '25', '--roles', 'ReadOnly,Admin') + $FakeLoginArguments)
        Use-TestEndpoint $DiscoveryFake
        $Login = @{ StartUrl = $StartUrl; Region = $Region }
    }

    AfterAll {
        Stop-FakeIdentityCenter $DiscoveryFake
        Use-TestEndpoint $Fake
    }

    It 'with -WhatIf and no login, logs in to nothing and writes nothing' {
        $file = Join-Path $TestDrive 'all-whatif/credentials'
        Reset-TestObservation $DiscoveryFake
        Set-AwsCliSsoCredentials @Login @Interactive -EnvironmentName AllWhatIf -AllAccounts -CredentialsFile $file -WhatIf
        Assert-TestLoginCount 0 $DiscoveryFake
        Get-FakeCounterTotal $DiscoveryFake | Should -Be 0
        Test-Path -LiteralPath $file | Should -BeFalse
    }

    It 'with -NonInteractive and no login, fails fast with LoginRequired' {
        Reset-TestObservation $DiscoveryFake
        { Set-AwsCliSsoCredentials @Login -EnvironmentName AllNoLogin -AllAccounts -NonInteractive } | Should -Throw -ErrorId 'SsoCreds.LoginRequired,*'
        { Get-AwsCliSsoAccount @Login -EnvironmentName AllNoLogin -NonInteractive } | Should -Throw -ErrorId 'SsoCreds.LoginRequired,*'
        Assert-TestLoginCount 0 $DiscoveryFake
    }

    It '-AllAccounts refreshes every account and role, across pages' {
        $file = Join-Path $TestDrive 'all/credentials'
        Reset-TestObservation $DiscoveryFake
        $results = Set-AwsCliSsoCredentials @Login @Interactive -EnvironmentName All -AllAccounts -CredentialsFile $file -PassThru
        Assert-TestLoginCount 1 $DiscoveryFake
        @($results).Count | Should -Be 50
        @($results | Where-Object Status -ne 'Refreshed').Count | Should -Be 0
        $results[0].GetType().FullName | Should -Be 'SetAwsCliSsoCredentials.ProfileResult'
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
        Reset-TestObservation $DiscoveryFake
        $again = Set-AwsCliSsoCredentials -EnvironmentName All -CredentialsFile (Join-Path $TestDrive 'all/credentials') -PassThru
        @($again).Count | Should -Be 50
        @($again | Where-Object Status -ne 'Current').Count | Should -Be 0
        (Get-FakeCounters $DiscoveryFake).getRoleCredentials | Should -Be 0
    }

    It 'filters with -IncludeRole and -ExcludeAccount and names from -ProfileNameTemplate' {
        $file = Join-Path $TestDrive 'filtered/credentials'
        $results = Set-AwsCliSsoCredentials @Login @Interactive -EnvironmentName Filtered -AllAccounts -IncludeRole ReadOnly -ExcludeAccount 'ACCOUNT-000*' -ProfileNameTemplate '{AccountName}-{RoleName}' -CredentialsFile $file -PassThru
        @($results).Count | Should -Be 16
        $results.RoleName | Sort-Object -Unique | Should -Be 'ReadOnly'
        $results.Profile | Should -Contain 'account-0010-ReadOnly'
        $results.Profile | Should -Not -Contain 'account-0009-ReadOnly'
        (Read-CredentialsFile $file).Keys.Count | Should -Be 16
    }

    It 'filters with -IncludeAccount by id or by name' {
        $file = Join-Path $TestDrive 'included/credentials'
        $results = Set-AwsCliSsoCredentials @Login @Interactive -EnvironmentName Included -AllAccounts -IncludeAccount (Get-FakeAccountId 3), 'account-0006' -ProfileNameTemplate '{AccountId}.{RoleName}' -CredentialsFile $file -PassThru
        $results.Profile | Sort-Object | Should -Be @(
            "$(Get-FakeAccountId 3).Admin", "$(Get-FakeAccountId 3).ReadOnly", "$(Get-FakeAccountId 5).Admin", "$(Get-FakeAccountId 5).ReadOnly")
    }

    It 'Get-AwsCliSsoAccount writes one object per account and role, sorted' {
        $list = @(Get-AwsCliSsoAccount -EnvironmentName All)
        $list.Count | Should -Be 50
        $list[0].GetType().FullName | Should -Be 'SetAwsCliSsoCredentials.Account'
        $list[0].AccountId | Should -Be (Get-FakeAccountId 0)
        $list[0].AccountName | Should -Be 'account-0001'
        $list[0].EmailAddress | Should -Be 'account-0001@example.com'
        @($list[0].RoleName, $list[1].RoleName) | Should -Be @('Admin', 'ReadOnly')
        $list[49].AccountId | Should -Be (Get-FakeAccountId 24)
    }

    It 'Get-AwsCliSsoAccount shows as a table' {
        $lines = @((Get-AwsCliSsoAccount -EnvironmentName All -IncludeAccount 'account-0001' | Out-String -Width 300) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^\s*AccountId\s+AccountName\s+EmailAddress\s+RoleName\s*$'
        $lines[1] | Should -Match '^[\s-]+$'
        $lines[2] | Should -Match "^\s*$(Get-FakeAccountId 0)\s+account-0001\s+account-0001@example.com\s+Admin\s*$"
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
            Set-AwsCliSsoCredentials @Login @Interactive -EnvironmentName Piped -ProfileNameTemplate '{AccountName}-{RoleName}' -CredentialsFile $file -PassThru
        $results.Profile | Should -Be @('account-0002-ReadOnly', 'account-0003-ReadOnly')
        $results.Status | Should -Be @('Refreshed', 'Refreshed')
        # account-0003 is the fake's account index 2.
        $issued = Get-FakeIssuedCredentials $DiscoveryFake -AccountId (Get-FakeAccountId 2) -RoleName ReadOnly
        $written = Read-CredentialsFile $file
        $written['account-0003-ReadOnly']['aws_access_key_id'] | Should -Be $issued.accessKeyId
        $written['account-0003-ReadOnly']['aws_secret_access_key'] | Should -Be $issued.secretAccessKey
        $written.Keys.Count | Should -Be 2
    }

    Context 'two accounts with the same name' {
        BeforeAll {
            $config = Join-Path $TestDrive 'dup-fake.json'
            '{"accounts":[{"accountId":"111111111111","accountName":"dup","roles":["ReadOnly"]},{"accountId":"222222222222","accountName":"dup","roles":["ReadOnly"]}]}' |
                Set-Content -LiteralPath $config -Encoding ASCII
            $DupFake = Start-FakeIdentityCenter -ArgumentList (@('--config', $config) + $FakeLoginArguments)
            Use-TestEndpoint $DupFake
        }

        AfterAll {
            Stop-FakeIdentityCenter $DupFake
            Use-TestEndpoint $DiscoveryFake
        }

        It 'warns, naming the wanted and the actual profile name, and overwrites nothing' {
            $file = Join-Path $TestDrive 'dup/credentials'
            $results = Set-AwsCliSsoCredentials @Login @Interactive -EnvironmentName Dup -AllAccounts -CredentialsFile $file -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
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

Describe 'format data' {
    It 'gives <_> a table view' -ForEach @('SetAwsCliSsoCredentials.ProfileResult', 'SetAwsCliSsoCredentials.Session', 'SetAwsCliSsoCredentials.Account', 'SetAwsCliSsoCredentials.LogoutResult') {
        $data = Get-FormatData -TypeName $_
        $data | Should -Not -BeNullOrEmpty
        @($data.FormatViewDefinition | Where-Object { $_.Control -is [System.Management.Automation.TableControl] }).Count | Should -BeGreaterThan 0
    }
}
