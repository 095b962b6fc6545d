#Requires -Version 5.1
# The scenarios of issue 11, as a user of the original script meets them: the drop-in call on a machine
# without a browser, the second call that costs nothing, a preset <Env>SsoAwsAccounts, one forbidden
# account among many, hostile input, environment variables changed in the session, a browser that opens,
# and PowerShell run the way a scheduler runs it. Against the fake IAM Identity Center; HOME in TestDrive.
#
# This process runs as `pwsh -NonInteractive`, which the module treats as -NonInteractive, so calls that
# must log in pass -NonInteractive:$false. Environment names are unique to this file (the native library's
# state is per process, shared with the other test files).

BeforeDiscovery {
    # A machine with no browser is a Linux one without a desktop: on Windows and macOS the module's
    # automatic choice is the browser flow, which only a browser can end (and the shell always has one
    # to hand a URL to on Windows).
    $NoDesktopPossible = ($PSVersionTable.PSEdition -eq 'Core') -and $IsLinux
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    $SavedPath = $env:PATH
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $StartUrl = 'https://d-1234567890.awsapps.com/start/'
    $Region = 'us-east-1'
    $Common = @{ StartUrl = $StartUrl; Region = $Region; DefaultRoleName = 'ReadOnly' }
    $BrowserLine = 'A Browser window should open. Please login there and click ALLOW.'
    $NoBrowserLine = 'No browser could be opened here; open the URL below on any device.'
    $SummaryPattern = '^{0} Profiles registered, \d+:\d\d:\d\d left on SSO Token$'

    # Logins approved by the fake itself after two polls: "the user" approves on another device.
    $AutoFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '12', '--roles', 'ReadOnly,Admin', '--approve-after-polls', '2', '--forbid', "$(Get-FakeAccountId 7):ReadOnly")
    Use-TestEndpoint $AutoFake


    function Assert-TestWrittenAsIssued([string] $File, $Target, [hashtable] $Expected) {
        # $Expected: profile name -> @(accountId, roleName)
        $written = Read-CredentialsFile $File
        foreach ($profileName in $Expected.Keys) {
            $written.Keys | Should -Contain $profileName
            $issued = Get-FakeIssuedCredentials $Target -AccountId $Expected[$profileName][0] -RoleName $Expected[$profileName][1]
            $written[$profileName]['aws_access_key_id'] | Should -Be $issued.accessKeyId -Because "profile $profileName"
            $written[$profileName]['aws_secret_access_key'] | Should -Be $issued.secretAccessKey -Because "profile $profileName"
            $written[$profileName]['aws_session_token'] | Should -Be $issued.sessionToken -Because "profile $profileName"
        }
    }
}

AfterAll {
    Stop-FakeIdentityCenter $AutoFake
    $env:PATH = $SavedPath
    Restore-TestEnvironment $SavedEnvironment
    foreach ($name in 'DropIn', 'Preset', 'Many', 'EnvVar', 'SecondFake', 'BrowserOpens', 'BrowserList', 'BrowserNone') {
        foreach ($suffix in 'SsoAwsAccounts', 'SsoAwsSettings', 'SSOTokenExpire') {
            Remove-Variable -Name "$name$suffix" -Scope Global -ErrorAction SilentlyContinue
        }
    }
}

# Skipped where the drop-in call (no -UseDeviceCode) cannot meet "no browser": see $NoDesktopPossible.
Describe 'the drop-in call, on a machine with no browser' -Skip:(-not $NoDesktopPossible) {
    BeforeAll {
        Use-TestEndpoint $AutoFake
        $null = Use-TestNoBrowser -EmptyFolder (Join-Path $TestDrive 'no-browser-bin')
        $DefaultFile = Join-Path (Join-Path $env:HOME '.aws') 'credentials'
        $DropInAccounts = @(
            @{ Profile = 'dropin-dev'; AccountId = (Get-FakeAccountId 0) }
            @{ Profile = 'dropin-prod'; AccountId = (Get-FakeAccountId 1); RoleName = 'Admin' }
        )
    }

    AfterAll {
        $env:PATH = $SavedPath
    }

    It 'takes the four parameters by position, prints the URL, the code and one plain line, and writes ~/.aws/credentials' {
        Reset-FakeCounters $AutoFake
        Set-AwsCliSsoCredentials ReadOnly us-east-1 $StartUrl DropIn -Account $DropInAccounts -NonInteractive:$false `
            -InformationVariable info -InformationAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable failures
        $lines = ConvertTo-TestMessage $info

        $lines | Should -Contain $NoBrowserLine
        $lines | Should -Not -Contain $BrowserLine
        $prompt = Get-TestLoginPrompt $lines
        $prompt.VerificationUri | Should -Be "$($AutoFake.Url)/device"
        $prompt.UserCode | Should -Not -BeNullOrEmpty
        $prompt.VerificationUriComplete | Should -Be "$($AutoFake.Url)/device?user_code=$($prompt.UserCode)"
        $codeLine = [array]::IndexOf([string[]]$lines, ($lines | Where-Object { $_ -like 'To sign in, open *' } | Select-Object -First 1))
        [array]::IndexOf([string[]]$lines, $NoBrowserLine) | Should -BeLessThan $codeLine -Because 'the line comes before the URL it points to'
        # One plain line: no .NET exception text, no warning, no error.
        ($lines -join "`n") | Should -Not -BeLike '*error occurred*'
        ($lines -join "`n") | Should -Not -BeLike '*No such file*'
        ($lines -join "`n") | Should -Not -BeLike '*Exception*'
        @($warnings).Count | Should -Be 0 -Because (($warnings | ForEach-Object { "$_" }) -join "`n")
        @($failures).Count | Should -Be 0
        @($lines | Where-Object { $_ -match ($SummaryPattern -f 'dropin-dev dropin-prod') }).Count | Should -Be 1 -Because ($lines -join "`n")

        Assert-TestWrittenAsIssued $DefaultFile $AutoFake @{ 'dropin-dev' = @((Get-FakeAccountId 0), 'ReadOnly'); 'dropin-prod' = @((Get-FakeAccountId 1), 'Admin') }
        $counters = Get-FakeCounters $AutoFake
        $counters.startDeviceAuthorization | Should -Be 1
        $counters.getRoleCredentials | Should -Be 2

        $session = Get-AwsCliSsoSession -EnvironmentName DropIn
        $session.Status | Should -Be 'LoggedIn'
        $session.StartUrl | Should -Be $StartUrl
        $session.Region | Should -Be 'us-east-1'
        (Get-Variable -Name DropInSSOTokenExpire -Scope Global -ValueOnly) | Should -BeGreaterThan (Get-Date)
        $remembered = Get-Variable -Name DropInSsoAwsAccounts -Scope Global -ValueOnly
        @($remembered).Profile | Should -Be @('dropin-dev', 'dropin-prod')
        @($remembered).RoleName | Should -Be @('ReadOnly', 'Admin')
    }

    It 'a second call with only -EnvironmentName makes no network call and writes nothing' {
        $before = Get-FileBytesHash $DefaultFile
        Reset-FakeCounters $AutoFake
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $results = Set-AwsCliSsoCredentials -EnvironmentName DropIn -PassThru -InformationVariable info -InformationAction SilentlyContinue
        $watch.Stop()
        Get-FakeCounterTotal $AutoFake | Should -Be 0
        $results.Status | Should -Be @('Current', 'Current')
        Get-FileBytesHash $DefaultFile | Should -Be $before
        $lines = ConvertTo-TestMessage $info
        @($lines | Where-Object { $_ -match ($SummaryPattern -f 'dropin-dev dropin-prod') }).Count | Should -Be 1 -Because ($lines -join "`n")
        (Get-TestLoginPrompt $lines).UserCode | Should -BeNullOrEmpty
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
    }

    It 'with -Force and only -EnvironmentName, refreshes with the remembered settings and the stored token' {
        Reset-FakeCounters $AutoFake
        $results = Set-AwsCliSsoCredentials -EnvironmentName DropIn -Force -PassThru
        $results.Status | Should -Be @('Refreshed', 'Refreshed')
        $results.RoleName | Should -Be @('ReadOnly', 'Admin')
        $counters = Get-FakeCounters $AutoFake
        $counters.startDeviceAuthorization | Should -Be 0
        $counters.getRoleCredentials | Should -Be 2
        Assert-TestWrittenAsIssued $DefaultFile $AutoFake @{ 'dropin-dev' = @((Get-FakeAccountId 0), 'ReadOnly'); 'dropin-prod' = @((Get-FakeAccountId 1), 'Admin') }
    }
}

Describe 'a preset <Env>SsoAwsAccounts, as users of the original set it' {
    BeforeAll {
        Use-TestEndpoint $AutoFake
        $PresetFile = Join-Path $TestDrive 'preset/credentials'
        $global:PresetSsoAwsAccounts = @(
            @{ Profile = 'preset-dev'; AccountId = (Get-FakeAccountId 2); RoleName = 'ReadOnly' }
            @{ Profile = 'preset-ops'; AccountId = (Get-FakeAccountId 3); RoleName = 'Admin' }
            @{ Profile = 'preset-norole'; AccountId = (Get-FakeAccountId 4) }
        )
    }

    It 'is the list refreshed when no -Account and no pipeline input is given' {
        Reset-FakeCounters $AutoFake
        $results = Set-AwsCliSsoCredentials @Common -EnvironmentName Preset -CredentialsFile $PresetFile -NoBrowser -NonInteractive:$false -PassThru
        $results.Profile | Should -Be @('preset-dev', 'preset-ops', 'preset-norole')
        $results.RoleName | Should -Be @('ReadOnly', 'Admin', 'ReadOnly')
        $results.Status | Should -Be @('Refreshed', 'Refreshed', 'Refreshed')
        Assert-TestWrittenAsIssued $PresetFile $AutoFake @{
            'preset-dev'    = @((Get-FakeAccountId 2), 'ReadOnly')
            'preset-ops'    = @((Get-FakeAccountId 3), 'Admin')
            'preset-norole' = @((Get-FakeAccountId 4), 'ReadOnly')
        }
        (Get-FakeCounters $AutoFake).getRoleCredentials | Should -Be 3
    }

    It 'is kept up to date with CredsExpiration, as the original did' {
        $remembered = @(Get-Variable -Name PresetSsoAwsAccounts -Scope Global -ValueOnly)
        if ($remembered.Count -eq 1 -and $remembered[0] -is [array]) { $remembered = @($remembered[0]) }
        $remembered.Count | Should -Be 3
        $remembered.Profile | Should -Be @('preset-dev', 'preset-ops', 'preset-norole')
        foreach ($entry in $remembered) {
            $entry.CredsExpiration | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds())
        }
    }
}

Describe 'one forbidden account among many' {
    BeforeAll {
        Use-TestEndpoint $AutoFake
        $ManyFile = Join-Path $TestDrive 'many/credentials'
    }

    It 'writes every other profile and reports one non-terminating error whose target is the profile' {
        $accounts = foreach ($i in 0..11) { @{ Profile = "many-$i"; AccountId = (Get-FakeAccountId $i) } }
        Reset-FakeCounters $AutoFake
        $results = Set-AwsCliSsoCredentials @Common -EnvironmentName Many -Account $accounts -CredentialsFile $ManyFile -NoBrowser -NonInteractive:$false -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue
        @($failures).Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'SsoCreds.Forbidden,*'
        $failures[0].TargetObject | Should -Be 'many-7'
        $failures[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        @($results).Count | Should -Be 12
        ($results | Where-Object Status -EQ 'Failed').Profile | Should -Be 'many-7'
        @($results | Where-Object Status -EQ 'Refreshed').Count | Should -Be 11
        $expected = @{}
        foreach ($i in 0..11) { if ($i -ne 7) { $expected["many-$i"] = @((Get-FakeAccountId $i), 'ReadOnly') } }
        Assert-TestWrittenAsIssued $ManyFile $AutoFake $expected
        (Read-CredentialsFile $ManyFile).Keys | Should -Not -Contain 'many-7'
        (Get-FakeCounters $AutoFake).getRoleCredentials | Should -Be 12
    }
}

Describe 'hostile input' {
    BeforeAll {
        Use-TestEndpoint $AutoFake
        $HostileFile = Join-Path $TestDrive 'hostile/credentials'
        $null = New-Item -ItemType Directory -Path (Split-Path $HostileFile) -Force
        $original = "# kept by hand`n[keep]`naws_access_key_id = AKIAKEEP`naws_secret_access_key = keep-secret`n`n[other]`nregion = eu-west-1`n"
        [System.IO.File]::WriteAllText($HostileFile, $original, [System.Text.UTF8Encoding]::new($false))
        $HostileHash = Get-FileBytesHash $HostileFile
        $Big = 'x' * 10240
        $BigDigits = '1' * 10240
        $Good = @{ Profile = 'hostile-good'; AccountId = (Get-FakeAccountId 0) }
    }

    It 'refuses <Name>: InvalidInput, no call, the file untouched' -ForEach @(
        @{ Name = "a profile name with ']'"; Account = @{ Profile = 'evil]name'; AccountId = '100000000000' } }
        @{ Name = "a profile name that opens a section"; Account = @{ Profile = "evil`n[default]"; AccountId = '100000000000' } }
        @{ Name = 'a profile name with a newline and a key'; Account = @{ Profile = "evil`naws_access_key_id = AKIAEVIL"; AccountId = '100000000000' } }
        @{ Name = "a profile name with '='"; Account = @{ Profile = 'a=b'; AccountId = '100000000000' } }
        @{ Name = 'a profile name of 10 KB'; Account = @{ Profile = 'BIG'; AccountId = '100000000000' } }
        @{ Name = 'an account id of 11 digits'; Account = @{ Profile = 'short'; AccountId = '10000000000' } }
        @{ Name = 'an account id of 13 digits'; Account = @{ Profile = 'long'; AccountId = '1000000000000' } }
        @{ Name = 'an account id with a letter'; Account = @{ Profile = 'letter'; AccountId = '10000000000a' } }
        @{ Name = 'an account id of 10 KB of digits'; Account = @{ Profile = 'bigid'; AccountId = 'BIGDIGITS' } }
        @{ Name = 'a role name of 10 KB'; Account = @{ Profile = 'bigrole'; AccountId = '100000000000'; RoleName = 'BIG' } }
        @{ Name = 'a role name with a newline'; Account = @{ Profile = 'nlrole'; AccountId = '100000000000'; RoleName = "ReadOnly`n[x]" } }
    ) {
        $hostile = @{}
        foreach ($key in $Account.Keys) {
            $value = $Account[$key]
            if ($value -eq 'BIG') { $value = $Big }
            if ($value -eq 'BIGDIGITS') { $value = $BigDigits }
            $hostile[$key] = $value
        }
        Reset-FakeCounters $AutoFake
        # A good account beside the bad one: the whole call is refused, nothing is half done.
        { Set-AwsCliSsoCredentials @Common -EnvironmentName Hostile -Account $Good, $hostile -CredentialsFile $HostileFile -NoBrowser -NonInteractive:$false } |
            Should -Throw -ErrorId 'SsoCreds.InvalidInput,*'
        Get-FileBytesHash $HostileFile | Should -Be $HostileHash
        Get-FakeCounterTotal $AutoFake | Should -Be 0
        Get-Variable -Name HostileSsoAwsAccounts -Scope Global -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses a 10 KB <Name>: InvalidInput, no call, the file untouched' -ForEach @(
        @{ Name = 'StartUrl'; Parameter = 'StartUrl'; Value = 'https://d-1234567890.awsapps.com/start/' }
        @{ Name = 'Region'; Parameter = 'Region'; Value = 'us-east-' }
        @{ Name = 'DefaultRoleName'; Parameter = 'DefaultRoleName'; Value = 'ReadOnly' }
    ) {
        $parameters = @{} + $Common
        $parameters[$Parameter] = $Value + $Big
        Reset-FakeCounters $AutoFake
        { Set-AwsCliSsoCredentials @parameters -EnvironmentName HostileSetting -Account @{ Profile = 'hs'; AccountId = (Get-FakeAccountId 0) } -CredentialsFile $HostileFile -NoBrowser -NonInteractive:$false } |
            Should -Throw -ErrorId 'SsoCreds.InvalidInput,*'
        Get-FileBytesHash $HostileFile | Should -Be $HostileHash
        Get-FakeCounterTotal $AutoFake | Should -Be 0
    }
}

Describe 'environment variables changed in the session' {
    BeforeAll {
        Use-TestEndpoint $AutoFake
        $FileA = Join-Path $TestDrive 'envvar/a-credentials'
        $FileB = Join-Path $TestDrive 'envvar/b-credentials'
        $FileC = Join-Path $TestDrive 'envvar/c-credentials'
        $EnvVarAccounts = @(
            @{ Profile = 'env-0'; AccountId = (Get-FakeAccountId 0) }
            @{ Profile = 'env-1'; AccountId = (Get-FakeAccountId 1) }
        )
        $Expected = @{ 'env-0' = @((Get-FakeAccountId 0), 'ReadOnly'); 'env-1' = @((Get-FakeAccountId 1), 'ReadOnly') }
    }

    AfterAll {
        $env:AWS_SHARED_CREDENTIALS_FILE = $null
    }

    It 'AWS_SHARED_CREDENTIALS_FILE: each call writes to the file it names at that moment' {
        $env:AWS_SHARED_CREDENTIALS_FILE = $FileA
        Set-AwsCliSsoCredentials @Common -EnvironmentName EnvVar -Account $EnvVarAccounts -NoBrowser -NonInteractive:$false
        Assert-TestWrittenAsIssued $FileA $AutoFake $Expected
        $hashA = Get-FileBytesHash $FileA

        $env:AWS_SHARED_CREDENTIALS_FILE = $FileB
        Reset-FakeCounters $AutoFake
        $results = Set-AwsCliSsoCredentials -EnvironmentName EnvVar -PassThru
        # B has no profile yet: both are fetched and written there; A is left alone.
        $results.Status | Should -Be @('Refreshed', 'Refreshed')
        (Get-FakeCounters $AutoFake).getRoleCredentials | Should -Be 2
        Assert-TestWrittenAsIssued $FileB $AutoFake $Expected
        Get-FileBytesHash $FileA | Should -Be $hashA
    }

    It '-CredentialsFile is used for that call only, not remembered' {
        $env:AWS_SHARED_CREDENTIALS_FILE = $FileB
        Set-AwsCliSsoCredentials -EnvironmentName EnvVar -CredentialsFile $FileC -Force
        Assert-TestWrittenAsIssued $FileC $AutoFake $Expected
        $hashC = Get-FileBytesHash $FileC

        Set-AwsCliSsoCredentials -EnvironmentName EnvVar -Force
        Assert-TestWrittenAsIssued $FileB $AutoFake $Expected
        Get-FileBytesHash $FileC | Should -Be $hashC -Because 'the -CredentialsFile of the earlier call is not remembered'
        $settings = Get-Variable -Name EnvVarSsoAwsSettings -Scope Global -ValueOnly -ErrorAction SilentlyContinue
        if ($settings -is [System.Collections.IDictionary] -and $settings.Contains('CredentialsFile')) {
            $settings['CredentialsFile'] | Should -BeNullOrEmpty
        }
    }

    It 'HOME: without AWS_SHARED_CREDENTIALS_FILE, the call writes to the new ~/.aws/credentials' {
        $savedHome = $env:HOME
        $savedProfile = $env:USERPROFILE
        $otherHome = Join-Path $TestDrive 'other-home'
        $null = New-Item -ItemType Directory -Path $otherHome -Force
        try {
            $env:AWS_SHARED_CREDENTIALS_FILE = $null
            $env:HOME = $otherHome
            $env:USERPROFILE = $otherHome
            Set-AwsCliSsoCredentials -EnvironmentName EnvVar -Force
            Assert-TestWrittenAsIssued (Join-Path (Join-Path $otherHome '.aws') 'credentials') $AutoFake $Expected
        }
        finally {
            $env:HOME = $savedHome
            $env:USERPROFILE = $savedProfile
        }
    }

    Context 'AWS_ENDPOINT_URL_SSO and AWS_ENDPOINT_URL_SSO_OIDC pointing to a second fake' {
        BeforeAll {
            $SecondFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '3', '--roles', 'ReadOnly', '--approve-after-polls', '2')
        }

        AfterAll {
            Stop-FakeIdentityCenter $SecondFake
            Use-TestEndpoint $AutoFake
        }

        It 'logs in and fetches there, and nothing goes to the first' {
            $file = Join-Path $TestDrive 'envvar/second-credentials'
            Reset-FakeCounters $AutoFake
            Reset-FakeCounters $SecondFake
            Use-TestEndpoint $SecondFake
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName SecondFake -Account @{ Profile = 'second-0'; AccountId = (Get-FakeAccountId 0) } -CredentialsFile $file -NoBrowser -NonInteractive:$false -PassThru
            $results.Status | Should -Be 'Refreshed'
            $counters = Get-FakeCounters $SecondFake
            $counters.startDeviceAuthorization | Should -Be 1
            $counters.getRoleCredentials | Should -Be 1
            Get-FakeCounterTotal $AutoFake | Should -Be 0
            Assert-TestWrittenAsIssued $file $SecondFake @{ 'second-0' = @((Get-FakeAccountId 0), 'ReadOnly') }
        }

        It 'goes back to the first when the variables are changed back' {
            Use-TestEndpoint $AutoFake
            Reset-FakeCounters $AutoFake
            Reset-FakeCounters $SecondFake
            $env:AWS_SHARED_CREDENTIALS_FILE = $FileB
            Set-AwsCliSsoCredentials -EnvironmentName EnvVar -Force
            (Get-FakeCounters $AutoFake).getRoleCredentials | Should -Be 2
            Get-FakeCounterTotal $SecondFake | Should -Be 0
        }
    }
}

Describe 'a browser that opens' {
    BeforeAll {
        # No approval by the fake (but a safety net after 20 polls): the stand-in browser approves.
        $ManualFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '2', '--roles', 'ReadOnly', '--approve-after-polls', '20')
        Use-TestEndpoint $ManualFake
        $Browser = New-TestBrowser -Folder (Join-Path $TestDrive 'browser')
        Use-TestBrowser $Browser
    }

    AfterAll {
        Stop-FakeIdentityCenter $ManualFake
        Use-TestEndpoint $AutoFake
        $env:BROWSER = $null
    }

    It 'opens verificationUriComplete, says so first, and prints the URL and the code too' {
        $file = Join-Path $TestDrive 'browser/credentials'
        Reset-FakeCounters $ManualFake
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        # -UseDeviceCode: the device login on every OS (Windows and macOS would choose the browser flow).
        $results = Set-AwsCliSsoCredentials @Common -EnvironmentName BrowserOpens -Account @{ Profile = 'browser-0'; AccountId = (Get-FakeAccountId 0) } -CredentialsFile $file -NonInteractive:$false -UseDeviceCode -PassThru `
            -InformationVariable info -InformationAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue
        $watch.Stop()
        $lines = ConvertTo-TestMessage $info
        $visits = @(Get-TestBrowserVisit $Browser)
        $visits.Count | Should -Be 1
        $prompt = Get-TestLoginPrompt $lines
        $prompt.UserCode | Should -Not -BeNullOrEmpty
        $prompt.VerificationUri | Should -Be "$($ManualFake.Url)/device"
        $visits[0] | Should -Be $prompt.VerificationUriComplete
        $visits[0] | Should -Be "$($ManualFake.Url)/device?user_code=$($prompt.UserCode)"
        $lines | Should -Contain $BrowserLine
        $lines | Should -Not -Contain $NoBrowserLine
        $codeLine = [array]::IndexOf([string[]]$lines, ($lines | Where-Object { $_ -like 'To sign in, open *' } | Select-Object -First 1))
        [array]::IndexOf([string[]]$lines, $BrowserLine) | Should -BeLessThan $codeLine
        @($warnings).Count | Should -Be 0
        $results.Status | Should -Be 'Refreshed'
        # Approved by the browser, not by the fake's safety net (20 polls at 1 s).
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
        (Get-FakeCounters $ManualFake).startDeviceAuthorization | Should -Be 1
        Assert-TestWrittenAsIssued $file $ManualFake @{ 'browser-0' = @((Get-FakeAccountId 0), 'ReadOnly') }
    }

    It 'runs the first command of BROWSER that starts, with %s standing for the URL' {
        # A program that does not exist, then the stand-in with %s: were %s passed as is, the stand-in
        # would get two arguments and fail, and no browser would open.
        $missing = '"' + (Join-Path $TestDrive 'no-such-browser') + '"'
        $env:BROWSER = $missing + [System.IO.Path]::PathSeparator + $Browser.Command + ' %s'
        Clear-TestBrowserVisit $Browser
        try {
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName BrowserList -Account @{ Profile = 'browser-l'; AccountId = (Get-FakeAccountId 1) } -CredentialsFile (Join-Path $TestDrive 'browser/list') -NonInteractive:$false -UseDeviceCode -PassThru `
                -InformationVariable info -InformationAction SilentlyContinue
        }
        finally {
            Use-TestBrowser $Browser
        }
        $lines = ConvertTo-TestMessage $info
        $lines | Should -Contain $BrowserLine
        $visits = @(Get-TestBrowserVisit $Browser)
        $visits.Count | Should -Be 1
        $visits[0] | Should -Be (Get-TestLoginPrompt $lines).VerificationUriComplete
        $results.Status | Should -Be 'Refreshed'
    }

    It 'says that no browser could be opened when no command of BROWSER starts' {
        $env:BROWSER = '"' + (Join-Path $TestDrive 'no-such-browser') + '"'
        Use-TestEndpoint $AutoFake
        try {
            $results = Set-AwsCliSsoCredentials @Common -EnvironmentName BrowserNone -Account @{ Profile = 'browser-n'; AccountId = (Get-FakeAccountId 1) } -CredentialsFile (Join-Path $TestDrive 'browser/none') -NonInteractive:$false -UseDeviceCode -PassThru `
                -InformationVariable info -InformationAction SilentlyContinue
        }
        finally {
            Use-TestEndpoint $ManualFake
            Use-TestBrowser $Browser
        }
        $lines = ConvertTo-TestMessage $info
        $lines | Should -Contain $NoBrowserLine
        $lines | Should -Not -Contain $BrowserLine
        $results.Status | Should -Be 'Refreshed' -Because 'the user opens the printed URL on any device'
    }

    It 'opens nothing with -NoBrowser, and only prints' {
        $file = Join-Path $TestDrive 'browser/nobrowser-credentials'
        Clear-TestBrowserVisit $Browser
        Use-TestEndpoint $AutoFake
        try {
            Set-AwsCliSsoCredentials @Common -EnvironmentName BrowserNoBrowser -Account @{ Profile = 'browser-1'; AccountId = (Get-FakeAccountId 1) } -CredentialsFile $file -NoBrowser -NonInteractive:$false `
                -InformationVariable info -InformationAction SilentlyContinue
        }
        finally {
            Use-TestEndpoint $ManualFake
        }
        $lines = ConvertTo-TestMessage $info
        @(Get-TestBrowserVisit $Browser).Count | Should -Be 0
        $lines | Should -Not -Contain $BrowserLine
        $lines | Should -Not -Contain $NoBrowserLine
        (Get-TestLoginPrompt $lines).VerificationUriComplete | Should -BeLike "$($AutoFake.Url)/device?user_code=*"
    }

    It 'with -WhatIf, opens nothing and starts nothing' {
        Clear-TestBrowserVisit $Browser
        Reset-FakeCounters $ManualFake
        Set-AwsCliSsoCredentials @Common -EnvironmentName BrowserWhatIf -Account @{ Profile = 'browser-w'; AccountId = (Get-FakeAccountId 0) } -CredentialsFile (Join-Path $TestDrive 'browser/whatif') -NonInteractive:$false -WhatIf
        @(Get-TestBrowserVisit $Browser).Count | Should -Be 0
        Get-FakeCounterTotal $ManualFake | Should -Be 0
    }
}

Describe 'PowerShell run the way a scheduler runs it, with no login' {
    BeforeAll {
        Use-TestEndpoint $AutoFake
        $ScheduledFile = Join-Path $TestDrive 'scheduled/credentials'
        # No -NonInteractive parameter: the host decides.
        function New-ScheduledScript([string] $EnvironmentName, [string] $Extra = '') {
            @"
`$ErrorActionPreference = 'Stop'
Import-Module $(ConvertTo-TestLiteral (Get-TestModuleManifest))
`$watch = [System.Diagnostics.Stopwatch]::StartNew()
try {
    Set-AwsCliSsoCredentials -EnvironmentName $(ConvertTo-TestLiteral $EnvironmentName) -StartUrl $(ConvertTo-TestLiteral $StartUrl) -Region us-east-1 -DefaultRoleName ReadOnly -Account @{ Profile = 'scheduled-0'; AccountId = '$(Get-FakeAccountId 0)' } -CredentialsFile $(ConvertTo-TestLiteral $ScheduledFile) $Extra
    'ELAPSEDMS=' + `$watch.ElapsedMilliseconds
    exit 0
}
catch {
    'ELAPSEDMS=' + `$watch.ElapsedMilliseconds
    'ERRORID=' + `$_.FullyQualifiedErrorId
    'TYPE=' + `$_.Exception.GetType().FullName
    'TARGET=' + `$_.TargetObject
    'MESSAGE=' + `$_.Exception.Message
    exit 3
}
"@
        }
        function Get-ChildValue([string] $Output, [string] $Name) {
            $line = ($Output -split '\r?\n') | Where-Object { $_.StartsWith("$Name=") } | Select-Object -First 1
            if ($line) { $line.Substring($Name.Length + 1) }
        }
    }

    It 'pwsh -NonInteractive: fails within a second with LoginRequired, starts no device authorization' {
        Reset-FakeCounters $AutoFake
        $child = Invoke-TestChildProcess -Script (New-ScheduledScript 'ScheduledNoLogin') -TimeoutSeconds 60
        $child.TimedOut | Should -BeFalse -Because $child.Output
        $child.ExitCode | Should -Be 3 -Because $child.Output
        Get-ChildValue $child.Output 'ERRORID' | Should -BeLike 'SsoCreds.LoginRequired,*'
        Get-ChildValue $child.Output 'TYPE' | Should -Be 'SetAwsCliSsoCredentials.LoginRequiredException'
        Get-ChildValue $child.Output 'TARGET' | Should -Be 'ScheduledNoLogin'
        Get-ChildValue $child.Output 'MESSAGE' | Should -BeLike '*Set-AwsCliSsoCredentials*'
        [int](Get-ChildValue $child.Output 'ELAPSEDMS') | Should -BeLessThan 1500
        (Get-FakeCounters $AutoFake).startDeviceAuthorization | Should -Be 0
        (Get-FakeCounters $AutoFake).registerClient | Should -Be 0
        Test-Path -LiteralPath $ScheduledFile | Should -BeFalse
    }

    It 'pwsh -NonInteractive running a plain script: a non-zero exit code' {
        Reset-FakeCounters $AutoFake
        $script = "Import-Module $(ConvertTo-TestLiteral (Get-TestModuleManifest)); Set-AwsCliSsoCredentials -EnvironmentName ScheduledPlain -StartUrl $(ConvertTo-TestLiteral $StartUrl) -Region us-east-1 -DefaultRoleName ReadOnly -Account @{ Profile = 'scheduled-1'; AccountId = '$(Get-FakeAccountId 1)' } -CredentialsFile $(ConvertTo-TestLiteral $ScheduledFile)"
        $child = Invoke-TestChildProcess -Script $script -TimeoutSeconds 60
        $child.TimedOut | Should -BeFalse -Because $child.Output
        $child.ExitCode | Should -Not -Be 0 -Because $child.Output
        (Get-FakeCounters $AutoFake).startDeviceAuthorization | Should -Be 0
        Test-Path -LiteralPath $ScheduledFile | Should -BeFalse
    }

    It 'pwsh without -NonInteractive but with its input redirected: fails fast the same way' {
        Reset-FakeCounters $AutoFake
        $child = Invoke-TestChildProcess -Script (New-ScheduledScript 'ScheduledRedirected') -TimeoutSeconds 60 -WithoutNonInteractiveSwitch
        $child.TimedOut | Should -BeFalse -Because $child.Output
        $child.ExitCode | Should -Be 3 -Because $child.Output
        Get-ChildValue $child.Output 'ERRORID' | Should -BeLike 'SsoCreds.LoginRequired,*'
        [int](Get-ChildValue $child.Output 'ELAPSEDMS') | Should -BeLessThan 1500
        (Get-FakeCounters $AutoFake).startDeviceAuthorization | Should -Be 0
    }

    It '-NonInteractive:$false forces the login there' {
        Reset-FakeCounters $AutoFake
        $child = Invoke-TestChildProcess -Script (New-ScheduledScript 'ScheduledForced' '-NoBrowser -NonInteractive:$false') -TimeoutSeconds 60
        $child.TimedOut | Should -BeFalse -Because $child.Output
        $child.ExitCode | Should -Be 0 -Because $child.Output
        $child.Output | Should -BeLike '*To sign in, open *'
        (Get-FakeCounters $AutoFake).startDeviceAuthorization | Should -Be 1
        Assert-TestWrittenAsIssued $ScheduledFile $AutoFake @{ 'scheduled-0' = @((Get-FakeAccountId 0), 'ReadOnly') }
    }
}
