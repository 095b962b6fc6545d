#Requires -Version 5.1
# The progress bar of a refresh, as PowerShell receives it (ProgressRecords on the progress stream of a
# [powershell] instance in this process). A console draws each record before WriteProgress returns (on Unix,
# with a round trip to the terminal for the cursor position), so the bar appears only for a run long enough
# to watch and is redrawn at most twice a second; its cost in a real console is measured by
# tests/bench/Measure-Module.ps1 in a pseudo-terminal, not here.

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $StartUrl = 'https://d-1234567890.awsapps.com/start/'
    $Region = 'us-east-1'
    # Every request takes 0.6 s: 64 profiles 8 at a time take about 5 s.
    $SlowFake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '64', '--roles', 'ReadOnly', '--latency-ms', '600', '--approve-after-polls', '1')
    Use-TestEndpoint $SlowFake
    $File = Join-Path $TestDrive 'credentials'
    $null = Set-AwsCliSsoCredentials -StartUrl $StartUrl -Region $Region -DefaultRoleName ReadOnly -EnvironmentName Progress `
        -Account @{ Profile = 'first'; AccountId = (Get-FakeAccountId 0) } -CredentialsFile $File -NoBrowser -NonInteractive:$false -InformationAction SilentlyContinue

    # Runs a refresh in a new runspace of this process, as a command typed at a prompt; returns its
    # progress records, its results and how long it took.
    function Invoke-TestRefresh([int] $Count, [int] $MaxConcurrency, [string] $EnvironmentName = 'Progress', [string] $LoginArguments = '') {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript(@"
Import-Module $(ConvertTo-TestLiteral (Get-TestModuleManifest))
`$accounts = foreach (`$i in 0..$($Count - 1)) { @{ Profile = "p`$i"; AccountId = (100000000000 + `$i).ToString() } }
Set-AwsCliSsoCredentials -EnvironmentName $EnvironmentName -DefaultRoleName ReadOnly -Account `$accounts -CredentialsFile $(ConvertTo-TestLiteral $File) -Force -MaxConcurrency $MaxConcurrency -PassThru $LoginArguments
"@)
            $cpu = (Get-Process -Id $PID).TotalProcessorTime
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $results = @($ps.Invoke())
            $watch.Stop()
            $cpu = (Get-Process -Id $PID).TotalProcessorTime - $cpu
            [pscustomobject]@{
                Progress = @($ps.Streams.Progress)
                Results  = $results
                Errors   = @($ps.Streams.Error | ForEach-Object { $_.ToString() })
                Seconds  = $watch.Elapsed.TotalSeconds
                CpuSeconds = $cpu.TotalSeconds
            }
        }
        finally {
            $ps.Dispose()
        }
    }
}

AfterAll {
    Stop-FakeIdentityCenter $SlowFake
    Restore-TestEnvironment $SavedEnvironment
}

Describe 'The progress bar of a refresh' {
    It 'shows how many profiles are done during a run of several seconds, then completes' {
        $run = Invoke-TestRefresh -Count 64 -MaxConcurrency 8
        $run.Errors | Should -BeNullOrEmpty
        @($run.Results | Where-Object Status -EQ 'Refreshed').Count | Should -Be 64
        $run.Seconds | Should -BeGreaterThan 3 -Because 'the fake answers in 0.6 s, 8 at a time'

        $updates = @($run.Progress | Where-Object RecordType -EQ 'Processing')
        $updates.Count | Should -BeGreaterThan 0 -Because "a run of $([math]::Round($run.Seconds, 1)) s shows progress"
        foreach ($record in $updates) {
            $record.Activity | Should -Be 'Refreshing AWS credentials (Progress)'
            $record.StatusDescription | Should -Match '^\d+ of 64 profiles$'
            $record.PercentComplete | Should -BeIn (0..100)
        }
        $done = @($updates | ForEach-Object { [int]($_.StatusDescription -split ' ')[0] })
        ($done -join ',') | Should -Be (($done | Sort-Object) -join ',') -Because 'the count only goes up'
        # Redrawn at most twice a second, after the first 2 s: never one record per poll or per profile.
        $updates.Count | Should -BeLessOrEqual ([math]::Ceiling($run.Seconds * 2))

        $run.Progress[-1].RecordType | Should -Be 'Completed' -Because 'the bar disappears when the run ends'
        # Waiting for the run's events, between two drawings, costs next to nothing: no busy loop.
        $run.CpuSeconds | Should -BeLessThan ($run.Seconds / 2) -Because "this process spent $([math]::Round($run.CpuSeconds, 2)) s of CPU in a $([math]::Round($run.Seconds, 1)) s run"
    }

    It 'does not flash a bar for a run that ends within a second or two' {
        $run = Invoke-TestRefresh -Count 8 -MaxConcurrency 8
        $run.Errors | Should -BeNullOrEmpty
        @($run.Results | Where-Object Status -EQ 'Refreshed').Count | Should -Be 8
        if ($run.Seconds -ge 2) {
            Set-ItResult -Inconclusive -Because "one round of 0.6 s took $([math]::Round($run.Seconds, 1)) s on this machine"
        }
        $run.Progress.Count | Should -Be 0
    }

    It 'shows no bar while a person logs in, nor for the short refresh after the login' {
        # The login takes about 4 s (the fake approves the device code at the 4th poll, one a second).
        $slowLogin = Start-FakeIdentityCenter -ArgumentList @('--accounts', '2', '--roles', 'ReadOnly', '--approve-after-polls', '4')
        try {
            Use-TestEndpoint $slowLogin
            $login = "-StartUrl $StartUrl -Region $Region -NoBrowser " + '-NonInteractive:$false -InformationAction SilentlyContinue'
            $run = Invoke-TestRefresh -Count 2 -MaxConcurrency 8 -EnvironmentName SlowLogin -LoginArguments $login
        }
        finally {
            Use-TestEndpoint $SlowFake
            Stop-FakeIdentityCenter $slowLogin
        }
        $run.Errors | Should -BeNullOrEmpty
        @($run.Results | Where-Object Status -EQ 'Refreshed').Count | Should -Be 2
        $run.Seconds | Should -BeGreaterThan 3 -Because 'the login waits for four polls'
        $run.Progress.Count | Should -Be 0 -Because 'the wait for a person is no refresh to watch, and the refresh after it is short'
    }
}
