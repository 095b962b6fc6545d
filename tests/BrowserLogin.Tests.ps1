#Requires -Version 5.1
# The browser login of issue 13: the authorization-code flow with PKCE, as AWS CLI v2 does it, through the
# module. The stand-in browser follows the fake's redirect to the library's listener on 127.0.0.1, as a
# real browser does once the user clicks ALLOW. The device code stays: chosen with -UseDeviceCode, and by
# the library itself where a browser cannot reach a loopback address (this test run clears DISPLAY, so on
# Linux the automatic choice is the device code; these tests ask for the browser flow with
# -UseDeviceCode:$false, as a user with a forwarded port would).

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $StartUrl = 'https://d-1234567890.awsapps.com/start'
    $Common = @{ StartUrl = $StartUrl; Region = 'us-east-1'; DefaultRoleName = 'ReadOnly'; NonInteractive = $false }
    $Fake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '4', '--roles', 'ReadOnly')
    $DenyingFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '1', '--roles', 'ReadOnly', '--deny')

    # The stand-in browser (fake-browser, through BROWSER) on every OS: it follows the redirect to the
    # library's listener as a real browser does.
    $Browser = New-TestBrowser -Folder (Join-Path $TestDrive 'browser')

    function Get-TestFreePort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }

    function Test-TestPortFree([int] $Port) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $Port)
        try { $listener.Start(); $true } catch { $false } finally { $listener.Stop() }
    }

    function Get-TestQuery([string] $Url) {
        $query = @{}
        foreach ($pair in ([uri]$Url).Query.TrimStart('?').Split('&')) {
            $name, $value = $pair.Split('=', 2)
            $query[[uri]::UnescapeDataString($name)] = [uri]::UnescapeDataString($value)
        }
        $query
    }
}

AfterAll {
    Stop-FakeIdentityCenter $Fake
    Stop-FakeIdentityCenter $DenyingFake
    Restore-TestEnvironment $SavedEnvironment
    foreach ($name in 'Pkce', 'PkcePort', 'PkceTaken', 'PkceDenied', 'PkceDevice', 'PkceNoBrowser') {
        foreach ($suffix in 'SsoAwsAccounts', 'SsoAwsSettings', 'SSOTokenExpire') {
            Remove-Variable -Name "$name$suffix" -Scope Global -ErrorAction SilentlyContinue
        }
    }
}

Describe 'the browser login (authorization code with PKCE)' {
    BeforeAll {
        Use-TestEndpoint $Fake
        Use-TestBrowser $Browser
    }

    AfterAll {
        $env:BROWSER = $null
    }

    BeforeEach {
        Clear-TestBrowserVisit $Browser
        Reset-FakeCounters $Fake
    }

    It 'opens the /authorize page with a S256 challenge, receives the code on 127.0.0.1 and writes the credentials' {
        $file = Join-Path $TestDrive 'pkce-credentials'
        $results = Set-AwsCliSsoCredentials @Common -EnvironmentName Pkce -UseDeviceCode:$false -CredentialsFile $file -PassThru `
            -Account @{ Profile = 'pkce-0'; AccountId = (Get-FakeAccountId 0) } `
            -InformationVariable info -InformationAction SilentlyContinue -ErrorVariable failures -ErrorAction SilentlyContinue
        @($failures).Count | Should -Be 0 -Because (($failures | ForEach-Object { "$_" }) -join "`n")
        $results.Status | Should -Be 'Refreshed'

        $visits = @(Get-TestBrowserVisit $Browser)
        $visits.Count | Should -Be 1
        $visits[0] | Should -BeLike "$($Fake.Url)/authorize?*"
        $query = Get-TestQuery $visits[0]
        $query['response_type'] | Should -Be 'code'
        $query['code_challenge_method'] | Should -Be 'S256'
        $query['code_challenge'] | Should -Match '^[A-Za-z0-9_-]{43}$'
        $query['state'] | Should -Not -BeNullOrEmpty
        $query['redirect_uri'] | Should -Match '^http://127\.0\.0\.1:\d+/oauth/callback$'
        $query['client_id'] | Should -Not -BeNullOrEmpty

        $lines = ConvertTo-TestMessage $info
        $lines | Should -Contain 'A Browser window should open. Please login there and click ALLOW.'
        (Get-TestLoginPrompt $lines).AuthorizationUrl | Should -Be $visits[0]
        ($lines -join "`n") | Should -Not -BeLike '*enter the code*' -Because 'there is no code to compare in this flow'

        $counters = Get-FakeCounters $Fake
        $counters.startDeviceAuthorization | Should -Be 0
        $counters.registerClient | Should -Be 1
        $port = ([uri]$query['redirect_uri']).Port
        Test-TestPortFree $port | Should -BeTrue -Because 'nothing is left listening after the login'

        # The token is the AWS CLI's cache entry, with the registration that renews it.
        $cache = Get-Content -Raw -LiteralPath (Get-TestTokenCachePath -EnvironmentName 'Pkce') | ConvertFrom-Json
        $cache.startUrl | Should -Be $StartUrl
        $cache.refreshToken | Should -Not -BeNullOrEmpty
        $cache.clientId | Should -Be $query['client_id']
        $written = Read-CredentialsFile $file
        $issued = Get-FakeIssuedCredentials $Fake -AccountId (Get-FakeAccountId 0) -RoleName ReadOnly
        $written['pkce-0']['aws_session_token'] | Should -Be $issued.sessionToken
        # No secret on the screen: not the code, the token, the keys.
        foreach ($secret in $cache.accessToken, $cache.refreshToken, $issued.secretAccessKey, $issued.sessionToken) {
            ($lines -join "`n") | Should -Not -BeLike "*$secret*"
        }
    }

    It 'listens on the -RedirectPort given, and frees it afterwards' {
        $port = Get-TestFreePort
        Set-AwsCliSsoCredentials @Common -EnvironmentName PkcePort -UseDeviceCode:$false -RedirectPort $port `
            -CredentialsFile (Join-Path $TestDrive 'pkce-port') -Account @{ Profile = 'port-0'; AccountId = (Get-FakeAccountId 1) } `
            -InformationAction SilentlyContinue
        $visits = @(Get-TestBrowserVisit $Browser)
        (Get-TestQuery $visits[0])['redirect_uri'] | Should -Be "http://127.0.0.1:$port/oauth/callback"
        Test-TestPortFree $port | Should -BeTrue
    }

    It 'fails with an error naming a -RedirectPort that is taken, opens no browser and writes nothing' {
        $taken = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $taken.Start()
        try {
            $port = $taken.LocalEndpoint.Port
            $file = Join-Path $TestDrive 'pkce-taken'
            $failure = $null
            try {
                Set-AwsCliSsoCredentials @Common -EnvironmentName PkceTaken -UseDeviceCode:$false -RedirectPort $port `
                    -CredentialsFile $file -Account @{ Profile = 'taken-0'; AccountId = (Get-FakeAccountId 2) } `
                    -InformationAction SilentlyContinue -ErrorAction Stop
            }
            catch {
                $failure = $_
            }
            $failure | Should -Not -BeNullOrEmpty
            "$failure" | Should -BeLike "*$port*"
            "$failure" | Should -BeLike '*PkceTaken*'
            @(Get-TestBrowserVisit $Browser).Count | Should -Be 0
            Test-Path -LiteralPath $file | Should -BeFalse
        }
        finally {
            $taken.Stop()
        }
        (Get-AwsCliSsoSession -EnvironmentName PkceTaken).Status | Should -Be 'None'
    }

    It 'reports a login denied in the browser as AccessDenied, and frees the port' {
        Use-TestEndpoint $DenyingFake
        try {
            $port = Get-TestFreePort
            $failure = $null
            try {
                Set-AwsCliSsoCredentials @Common -EnvironmentName PkceDenied -UseDeviceCode:$false -RedirectPort $port `
                    -CredentialsFile (Join-Path $TestDrive 'pkce-denied') -Account @{ Profile = 'denied-0'; AccountId = (Get-FakeAccountId 0) } `
                    -InformationAction SilentlyContinue -ErrorAction Stop
            }
            catch {
                $failure = $_
            }
            $failure.FullyQualifiedErrorId | Should -BeLike 'SsoCreds.AccessDenied,*'
            "$failure" | Should -BeLike '*PkceDenied*'
            Test-TestPortFree $port | Should -BeTrue
        }
        finally {
            Use-TestEndpoint $Fake
        }
    }

    It 'uses the device code when -UseDeviceCode is given' {
        Set-AwsCliSsoCredentials @Common -EnvironmentName PkceDevice -UseDeviceCode -CredentialsFile (Join-Path $TestDrive 'pkce-device') `
            -Account @{ Profile = 'device-0'; AccountId = (Get-FakeAccountId 3) } -InformationVariable info -InformationAction SilentlyContinue
        $prompt = Get-TestLoginPrompt (ConvertTo-TestMessage $info)
        $prompt.UserCode | Should -Not -BeNullOrEmpty
        $prompt.AuthorizationUrl | Should -BeNullOrEmpty
        (Get-FakeCounters $Fake).startDeviceAuthorization | Should -Be 1
        @(Get-TestBrowserVisit $Browser) | Should -Be @($prompt.VerificationUriComplete)
    }
}

Describe 'the automatic choice of the login flow' {
    BeforeAll {
        Use-TestEndpoint $Fake
        Use-TestBrowser $Browser
    }

    AfterAll {
        $env:BROWSER = $null
    }

    It 'takes the device code by itself with -NoBrowser, says why, and prints the URL and the code' {
        Clear-TestBrowserVisit $Browser
        Reset-FakeCounters $Fake
        $job = Start-ThreadJob -ScriptBlock {
            param($Manifest, $Url, $Home_, $Credentials, $AccountId, $StartUrl)
            $env:AWS_ENDPOINT_URL_SSO_OIDC = $Url
            $env:AWS_ENDPOINT_URL_SSO = $Url
            Import-Module $Manifest
            Set-AwsCliSsoCredentials -StartUrl $StartUrl -Region us-east-1 -DefaultRoleName ReadOnly -EnvironmentName PkceNoBrowser `
                -NoBrowser -NonInteractive:$false -CredentialsFile $Credentials -Account @{ Profile = 'nobrowser-0'; AccountId = $AccountId } `
                -Verbose 4>&1 6>&1 | ForEach-Object { "$_" }
        } -ArgumentList (Get-TestModuleManifest), $Fake.Url, $env:HOME, (Join-Path $TestDrive 'pkce-nobrowser'), (Get-FakeAccountId 0), $StartUrl
        # The user approves on another device: the test plays that device.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        $prompt = $null
        while ([DateTime]::UtcNow -lt $deadline) {
            $prompt = Get-TestLoginPrompt @($job.Output | ForEach-Object { "$_" })
            if ($prompt.VerificationUriComplete) { break }
            Start-Sleep -Milliseconds 100
        }
        $prompt.VerificationUriComplete | Should -Not -BeNullOrEmpty
        Approve-FakeLogin -Url $prompt.VerificationUriComplete
        $null = $job | Wait-Job -Timeout 60
        $lines = @($job.Output | ForEach-Object { "$_" })
        $job | Remove-Job -Force
        ($lines | Where-Object { $_ -like 'Logging in with a device code: *' }) | Should -Not -BeNullOrEmpty
        @(Get-TestBrowserVisit $Browser).Count | Should -Be 0 -Because '-NoBrowser opens none'
        (Get-FakeCounters $Fake).startDeviceAuthorization | Should -Be 1
    }
}
