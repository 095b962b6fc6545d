#Requires -Version 5.1
# Ctrl+C, as PowerShell delivers it to a cmdlet (StopProcessing): through a [powershell] instance's
# BeginInvoke() and Stop(), in this process. A stopped refresh leaves the credentials file byte for byte as
# it was; a stopped login is cancelled in the native library at once, so Get-AwsCliSsoSession says None and
# another process can start its own login straight away (tests/python/test_console_interrupt.py does the
# same with a real Ctrl+C in a console).
#
# The native library is process-wide: the [powershell] instance's runspace and this one share its state.

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $StartUrl = 'https://d-1234567890.awsapps.com/start/'
    $Region = 'us-east-1'

    # Runs $Script in a new runspace of this process, like a command typed at a prompt.
    function Start-TestInvocation([string] $Script) {
        $ps = [powershell]::Create()
        $null = $ps.AddScript($Script)
        $handle = $ps.BeginInvoke()
        [pscustomobject]@{ PowerShell = $ps; Handle = $handle }
    }

    # Ctrl+C: Stop(), bounded so that a stop that hangs fails the test instead of the run.
    # Returns the seconds it took, or $null when it did not return within $TimeoutSeconds.
    function Stop-TestInvocation($Invocation, [int] $TimeoutSeconds = 10) {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $stopping = $Invocation.PowerShell.BeginStop($null, $null)
        $stopped = $stopping.AsyncWaitHandle.WaitOne($TimeoutSeconds * 1000)
        $watch.Stop()
        if (-not $stopped) { return $null }
        try { $Invocation.PowerShell.EndStop($stopping) } catch { }
        $watch.Elapsed.TotalSeconds
    }

    # Disposes of a finished invocation; one still running is stopped in the background and left alone
    # (Dispose() would wait for it).
    function Remove-TestInvocation($Invocation) {
        if ($Invocation.Handle.IsCompleted) {
            $Invocation.PowerShell.Dispose()
        }
        else {
            $null = $Invocation.PowerShell.BeginStop($null, $null)
        }
    }

    # Waits until $Condition holds; gives up after $TimeoutSeconds, or as soon as the invocation ended.
    function Wait-TestCondition([scriptblock] $Condition, [int] $TimeoutSeconds = 30, $Invocation) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            if (& $Condition) { return $true }
            if ($Invocation -and $Invocation.Handle.IsCompleted) { return [bool](& $Condition) }
            Start-Sleep -Milliseconds 100
        }
        $false
    }

    # What the invocation printed so far. By index: enumerating a stream of a running pipeline blocks
    # until the pipeline ends.
    function Get-TestInvocationStream($Collection) {
        for ($i = 0; $i -lt $Collection.Count; $i++) { $Collection[$i] }
    }

    function Get-TestInvocationOutput($Invocation) {
        $ps = $Invocation.PowerShell
        $lines = @(ConvertTo-TestMessage @(Get-TestInvocationStream $ps.Streams.Information))
        $lines += @(Get-TestInvocationStream $ps.Streams.Error | ForEach-Object { "ERROR: $($_.FullyQualifiedErrorId): $_" })
        $lines -join "`n"
    }
}

AfterAll {
    Restore-TestEnvironment $SavedEnvironment
}

Describe 'Ctrl+C during a refresh' {
    BeforeAll {
        # Every request takes 1.5 s; 48 profiles, 4 at a time: 12 rounds, 18 s. The fake approves the
        # first login by itself.
        $SlowFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '48', '--roles', 'ReadOnly', '--latency-ms', '1500', '--approve-after-polls', '1')
        Use-TestEndpoint $SlowFake
        $File = Join-Path $TestDrive 'refresh/credentials'
        $null = New-Item -ItemType Directory -Path (Split-Path $File) -Force
        [System.IO.File]::WriteAllText($File, "# kept by hand`n[keep]`nregion = eu-west-1`n", [System.Text.UTF8Encoding]::new($false))
        $Accounts = foreach ($i in 0..47) { @{ Profile = "slow-$i"; AccountId = (Get-FakeAccountId $i) } }
        # Log in and write every profile once, all at once (2 rounds of latency, not 12).
        $first = Set-AwsCliSsoCredentials -StartUrl $StartUrl -Region $Region -DefaultRoleName ReadOnly -EnvironmentName SlowRefresh -Account $Accounts -CredentialsFile $File -MaxConcurrency 48 -NoBrowser -NonInteractive:$false -PassThru -InformationAction SilentlyContinue
        $FirstStatus = @($first | Where-Object Status -EQ 'Refreshed').Count
        $Before = Get-FileBytesHash $File
    }

    AfterAll {
        Stop-FakeIdentityCenter $SlowFake
    }

    It 'had a file with every profile to begin with' {
        $FirstStatus | Should -Be 48
        (Read-CredentialsFile $File).Keys.Count | Should -Be 49
    }

    It 'stops within seconds, mid-way, and leaves the credentials file byte for byte as it was' {
        Reset-FakeCounters $SlowFake
        $invocation = Start-TestInvocation @"
Import-Module $(ConvertTo-TestLiteral (Get-TestModuleManifest))
# (Globals are per runspace: this one does not see the list remembered in the test's runspace.)
`$accounts = foreach (`$i in 0..47) { @{ Profile = "slow-`$i"; AccountId = (100000000000 + `$i).ToString() } }
Set-AwsCliSsoCredentials -EnvironmentName SlowRefresh -StartUrl $(ConvertTo-TestLiteral $StartUrl) -Region $(ConvertTo-TestLiteral $Region) -DefaultRoleName ReadOnly -Account `$accounts -CredentialsFile $(ConvertTo-TestLiteral $File) -Force -MaxConcurrency 4
"@
        try {
            # Mid-way: at least two rounds of role credentials answered, most of them still to come.
            $reached = Wait-TestCondition -Invocation $invocation { (Get-FakeCounters $SlowFake).getRoleCredentials -ge 8 } -TimeoutSeconds 60
            $reached | Should -BeTrue -Because "the refresh reached the fake: $(Get-TestInvocationOutput $invocation)"
            $invocation.PowerShell.InvocationStateInfo.State | Should -Be 'Running'

            $seconds = Stop-TestInvocation $invocation
            $seconds | Should -Not -BeNullOrEmpty -Because 'Stop() must return'
            $seconds | Should -BeLessThan 5
            $invocation.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
            (Get-FakeCounters $SlowFake).getRoleCredentials | Should -BeLessThan 48 -Because 'the refresh was stopped mid-way'

            Get-FileBytesHash $File | Should -Be $Before
            # Nothing is written later by a refresh that goes on in the background.
            Start-Sleep -Seconds 4
            Get-FileBytesHash $File | Should -Be $Before
            (Get-FakeCounters $SlowFake).getRoleCredentials | Should -BeLessThan 48 -Because 'no request is sent after the stop'
        }
        finally {
            Remove-TestInvocation $invocation
        }
    }

    It 'leaves the module working: the next refresh runs normally' {
        $results = Set-AwsCliSsoCredentials -EnvironmentName SlowRefresh -CredentialsFile $File -PassThru
        @($results).Count | Should -Be 48
        @($results | Where-Object Status -NE 'Current').Count | Should -Be 0
        Get-FileBytesHash $File | Should -Be $Before
    }
}

Describe 'Ctrl+C during the login wait' {
    BeforeAll {
        # No approval at all: the login waits until it is stopped.
        $WaitFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '2', '--roles', 'ReadOnly')
        # The second process logs in here, approved by the fake after two polls.
        $OtherFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '2', '--roles', 'ReadOnly', '--approve-after-polls', '2')
        Use-TestEndpoint $WaitFake
        $File = Join-Path $TestDrive 'login/credentials'
    }

    AfterAll {
        Stop-FakeIdentityCenter $WaitFake
        Stop-FakeIdentityCenter $OtherFake
    }

    It 'stops the wait, cancels the login in the library, and another process logs in at once' {
        $invocation = Start-TestInvocation @"
Import-Module $(ConvertTo-TestLiteral (Get-TestModuleManifest))
Set-AwsCliSsoCredentials -EnvironmentName CtrlCLogin -StartUrl $(ConvertTo-TestLiteral $StartUrl) -Region $(ConvertTo-TestLiteral $Region) -DefaultRoleName ReadOnly -Account @{ Profile = 'ctrlc-0'; AccountId = '$(Get-FakeAccountId 0)' } -CredentialsFile $(ConvertTo-TestLiteral $File) -NoBrowser -NonInteractive:`$false
"@
        try {
            $pending = Wait-TestCondition -Invocation $invocation { (Get-AwsCliSsoSession -EnvironmentName CtrlCLogin).Status -eq 'Pending' } -TimeoutSeconds 30
            $pending | Should -BeTrue -Because (Get-TestInvocationOutput $invocation)
            (Get-FakeCounters $WaitFake).startDeviceAuthorization | Should -Be 1
            (Get-TestLoginPrompt (ConvertTo-TestMessage @(Get-TestInvocationStream $invocation.PowerShell.Streams.Information))).UserCode | Should -Not -BeNullOrEmpty
            $invocation.PowerShell.InvocationStateInfo.State | Should -Be 'Running'

            $seconds = Stop-TestInvocation $invocation
            $seconds | Should -Not -BeNullOrEmpty -Because 'Stop() must return'
            $seconds | Should -BeLessThan 3
            $invocation.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            Remove-TestInvocation $invocation
        }

        # The login is gone from the library at once, not left pending.
        (Get-AwsCliSsoSession -EnvironmentName CtrlCLogin).Status | Should -Be 'None'
        Test-Path -LiteralPath $File | Should -BeFalse

        # Another process (same HOME, so the same cache file and login lock) starts its own login.
        $child = Invoke-TestChildProcess -TimeoutSeconds 30 -Script @"
`$env:AWS_ENDPOINT_URL_SSO_OIDC = $(ConvertTo-TestLiteral $OtherFake.Url)
`$env:AWS_ENDPOINT_URL_SSO = $(ConvertTo-TestLiteral $OtherFake.Url)
Import-Module $(ConvertTo-TestLiteral (Get-TestModuleManifest))
Set-AwsCliSsoCredentials -EnvironmentName CtrlCLogin -StartUrl $(ConvertTo-TestLiteral $StartUrl) -Region $(ConvertTo-TestLiteral $Region) -DefaultRoleName ReadOnly -Account @{ Profile = 'ctrlc-1'; AccountId = '$(Get-FakeAccountId 1)' } -CredentialsFile $(ConvertTo-TestLiteral $File) -NoBrowser -NonInteractive:`$false -ErrorAction Stop
"@
        $child.TimedOut | Should -BeFalse -Because $child.Output
        $child.Output | Should -Not -BeLike '*already logging in*'
        $child.Output | Should -BeLike "*To sign in, open $($OtherFake.Url)/device in a browser and enter the code *"
        $child.ExitCode | Should -Be 0 -Because $child.Output
        (Get-FakeCounters $OtherFake).startDeviceAuthorization | Should -Be 1
        $issued = Get-FakeIssuedCredentials $OtherFake -AccountId (Get-FakeAccountId 1) -RoleName ReadOnly
        (Read-CredentialsFile $File)['ctrlc-1']['aws_access_key_id'] | Should -Be $issued.accessKeyId
    }
}

Describe 'Ctrl+C during the browser login' {
    BeforeAll {
        $BrowserFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '1', '--roles', 'ReadOnly')
        Use-TestEndpoint $BrowserFake
        $File = Join-Path $TestDrive 'browser-login/credentials'
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $Port = $listener.LocalEndpoint.Port
        $listener.Stop()
    }

    AfterAll {
        Stop-FakeIdentityCenter $BrowserFake
    }

    It 'stops the wait for the browser at once, and leaves nothing listening' {
        # -NoBrowser -UseDeviceCode:$false: the browser flow with the URL only printed; nobody opens it.
        $invocation = Start-TestInvocation @"
Import-Module $(ConvertTo-TestLiteral (Get-TestModuleManifest))
Set-AwsCliSsoCredentials -EnvironmentName CtrlCBrowser -StartUrl $(ConvertTo-TestLiteral $StartUrl) -Region $(ConvertTo-TestLiteral $Region) -DefaultRoleName ReadOnly -Account @{ Profile = 'browser-0'; AccountId = '$(Get-FakeAccountId 0)' } -CredentialsFile $(ConvertTo-TestLiteral $File) -NoBrowser -UseDeviceCode:`$false -RedirectPort $Port -NonInteractive:`$false
"@
        try {
            $printed = Wait-TestCondition -Invocation $invocation {
                (Get-TestLoginPrompt (ConvertTo-TestMessage @(Get-TestInvocationStream $invocation.PowerShell.Streams.Information))).AuthorizationUrl
            } -TimeoutSeconds 30
            $printed | Should -BeTrue -Because (Get-TestInvocationOutput $invocation)
            $probe = [System.Net.Sockets.TcpClient]::new()
            try { $probe.Connect([System.Net.IPAddress]::Loopback, $Port) } finally { $probe.Dispose() }

            $seconds = Stop-TestInvocation $invocation
            $seconds | Should -Not -BeNullOrEmpty -Because 'Stop() must return'
            $seconds | Should -BeLessThan 3
            $invocation.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            Remove-TestInvocation $invocation
        }
        $free = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $Port)
        { $free.Start() } | Should -Not -Throw -Because 'the listener is closed with the login'
        $free.Stop()
        (Get-AwsCliSsoSession -EnvironmentName CtrlCBrowser).Status | Should -Be 'None'
        Test-Path -LiteralPath $File | Should -BeFalse
    }
}
