#Requires -Version 5.1
<#
.SYNOPSIS
Benchmarks of the module as users run it (not timed tests): the cost of a $PROFILE line, a large
refresh through the cmdlet, and a run with nothing to do. Prints a Markdown table for docs/BENCHMARKS.md.

.DESCRIPTION
Uses the release builds: run `./build.ps1 -Configuration Release` and
`cargo build --release -p fake-identity-center` first (CARGO_TARGET_DIR is honoured).

1. $PROFILE line: alternately starts `<this PowerShell> -NoProfile -NonInteractive -Command exit` and the
   same PowerShell running `Import-Module` + `Set-AwsCliSsoCredentials -NonInteractive` over 50 profiles
   that are all current, -Runs times each, and compares the medians of their wall times.
2. 500 profiles against the fake with 40 ms latency and 16 requests in flight at most (429 above):
   `Set-AwsCliSsoCredentials -Force` in one process, -Runs times; the limit is ceil(500/16) x 40 ms.
3. The run with nothing to do over those 500 profiles, in the same session (as a second call of the
   original script would be), 20 times.
4. As a person runs it: PowerShell in a pseudo-terminal (tests/bench/console.py, a terminal that answers
   like a terminal window; Unix only), progress bar and host lines shown: the 500 profiles of 2 in one
   session, -Runs times; the same in a pseudo-terminal that never answers the console's cursor queries
   (as `script -qefc CMD /dev/null` with no terminal behind it); and first contact (a new HOME each time:
   no token, no learnt rate): log in with 1 profile, then 500 with -Force, and 20 profiles alone.
All of it runs in a throwaway HOME; nothing of the user's ~/.aws is read or written.

.EXAMPLE
./build.ps1 -Configuration Release; cargo build --release -p fake-identity-center; pwsh tests/bench/Measure-Module.ps1
#>
[CmdletBinding()]
param(
    [ValidateRange(3, 50)]
    [int] $Runs = 9,

    # The module to measure; by default the one ./build.ps1 built in this repository.
    [string] $Manifest
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$repo = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
$manifest = if ($Manifest) { (Resolve-Path -LiteralPath $Manifest).ProviderPath } else { Join-Path $repo 'Set-AwsCliSsoCredentials.psd1' }
$target = if ($env:CARGO_TARGET_DIR) { $env:CARGO_TARGET_DIR } else { Join-Path $repo 'target' }
$onWindows = ($PSVersionTable.PSEdition -ne 'Core') -or $IsWindows
$fakeBinary = Join-Path (Join-Path $target 'release') ($(if ($onWindows) { 'fake-identity-center.exe' } else { 'fake-identity-center' }))
if (-not (Test-Path -LiteralPath $fakeBinary)) { throw "Build the fake first: cargo build --release -p fake-identity-center ($fakeBinary)" }
$shell = (Get-Process -Id $PID).Path
$startUrl = 'https://d-1234567890.awsapps.com/start/'

function Start-Fake([string[]] $Arguments) {
    $info = [System.Diagnostics.ProcessStartInfo]::new($fakeBinary, ((@('--port', '0', '--exit-on-stdin-eof') + $Arguments) -join ' '))
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $url = ($process.StandardOutput.ReadLine() | ConvertFrom-Json).url.TrimEnd('/')
    [pscustomobject]@{ Process = $process; Url = $url }
}

function Stop-Fake($Fake) {
    $Fake.Process.StandardInput.Close()
    if (-not $Fake.Process.WaitForExit(5000)) { $Fake.Process.Kill() }
}

function Invoke-Child([string] $Script) {
    # A new process of this PowerShell; returns its wall time in milliseconds.
    $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Script))
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $output = & $shell -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1
    $watch.Stop()
    if ($LASTEXITCODE -ne 0) { throw "The child failed ($LASTEXITCODE): $output" }
    [pscustomobject]@{ Milliseconds = $watch.Elapsed.TotalMilliseconds; Output = $output }
}

function Invoke-Console([string] $Script, [switch] $NoAnswer) {
    # A new process of this PowerShell in a pseudo-terminal; the script writes its figures to the file
    # named by $env:SSOCREDS_BENCH_RESULT, one number a line, which this returns.
    $scriptPath = Join-Path $benchHome ('console-' + [guid]::NewGuid().ToString('n') + '.ps1')
    $resultPath = "$scriptPath.result"
    [System.IO.File]::WriteAllText($scriptPath, $Script)
    $env:SSOCREDS_BENCH_RESULT = $resultPath
    $python = if ($env:PYTHON) { $env:PYTHON } else { 'python3' }
    $console = @((Join-Path $PSScriptRoot 'console.py'), '--transcript', "$scriptPath.transcript")
    if ($NoAnswer) { $console += '--no-answer' }
    $null = & $python @console -- $shell -NoProfile -File $scriptPath 2>&1
    if ($LASTEXITCODE -ne 0 -or -not (Test-Path -LiteralPath $resultPath)) {
        throw "The console run failed ($LASTEXITCODE): $(Get-Content -Raw -LiteralPath "$scriptPath.transcript")"
    }
    [double[]](Get-Content -LiteralPath $resultPath)
}

function Get-Median([double[]] $Values) {
    $sorted = $Values | Sort-Object
    $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)]
}

function New-AccountsLiteral([int] $Count) {
    $items = foreach ($i in 0..($Count - 1)) { "@{{Profile='p{0}';AccountId='{1}'}}" -f $i, (100000000000 + $i) }
    '@(' + ($items -join ',') + ')'
}

$benchHome = Join-Path ([System.IO.Path]::GetTempPath()) ("ssocreds-bench-" + [guid]::NewGuid().ToString('n'))
$null = New-Item -ItemType Directory -Path $benchHome
$saved = @{}
foreach ($name in 'HOME', 'USERPROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_ENDPOINT_URL_SSO', 'AWS_ENDPOINT_URL_SSO_OIDC', 'SSOCREDS_BENCH_RESULT') {
    $saved[$name] = [Environment]::GetEnvironmentVariable($name)
    [Environment]::SetEnvironmentVariable($name, $null)
}
$env:HOME = $benchHome
$env:USERPROFILE = $benchHome
$fake = Start-Fake @('--accounts', '500', '--roles', 'ReadOnly', '--approve-after-polls', '1', '--latency-ms', '40', '--max-in-flight', '16')
$env:AWS_ENDPOINT_URL_SSO_OIDC = $fake.Url
$env:AWS_ENDPOINT_URL_SSO = $fake.Url
$rows = [System.Collections.Generic.List[string]]::new()
try {
    # Log in once and write 50 profiles: later processes find them current and need no login.
    $accounts50 = New-AccountsLiteral 50
    $login = "Import-Module '$manifest'; Set-AwsCliSsoCredentials ReadOnly us-east-1 $startUrl Bench -Account $accounts50 -NoBrowser -NonInteractive:`$false 6>`$null"
    $null = Invoke-Child $login

    # 1. The $PROFILE line against a bare shell, alternately.
    $profileLine = "Import-Module '$manifest'; Set-AwsCliSsoCredentials -EnvironmentName Bench -DefaultRoleName ReadOnly -Account $accounts50 -NonInteractive 6>`$null"
    $bare = [System.Collections.Generic.List[double]]::new()
    $withModule = [System.Collections.Generic.List[double]]::new()
    $null = Invoke-Child 'exit'
    foreach ($run in 1..$Runs) {
        $bare.Add((Invoke-Child 'exit').Milliseconds)
        $withModule.Add((Invoke-Child $profileLine).Milliseconds)
    }
    $bareMedian = Get-Median $bare
    $moduleMedian = Get-Median $withModule
    $rows.Add(('| $PROFILE line: Import-Module + no-op Set-AwsCliSsoCredentials -NonInteractive, 50 current profiles, vs bare `-Command exit` ({0} runs each, alternating) | +{1:N0} ms (median {2:N0} ms vs {3:N0} ms) | at most +150 ms |' -f $Runs, ($moduleMedian - $bareMedian), $moduleMedian, $bareMedian))

    # 2 and 3. 500 profiles through the cmdlet, then the no-op, in one session.
    $accounts500 = New-AccountsLiteral 500
    $session = @"
Import-Module '$manifest'
`$accounts = $accounts500
`$full = foreach (`$i in 1..$Runs) {
    `$w = [Diagnostics.Stopwatch]::StartNew()
    Set-AwsCliSsoCredentials -EnvironmentName Bench -DefaultRoleName ReadOnly -Account `$accounts -Force -PassThru 6>`$null | Where-Object Status -ne 'Refreshed' | ForEach-Object { throw "`$(`$_.Profile) was not refreshed" }
    `$w.Elapsed.TotalMilliseconds
}
`$noop = foreach (`$i in 1..20) {
    `$w = [Diagnostics.Stopwatch]::StartNew()
    Set-AwsCliSsoCredentials -EnvironmentName Bench 6>`$null
    `$w.Elapsed.TotalMilliseconds
}
(`$full -join ',') + ';' + (`$noop -join ',')
"@
    $result = (Invoke-Child $session).Output | Select-Object -Last 1
    $parts = ([string]$result).Split(';')
    $full = [double[]]($parts[0].Split(','))
    $noop = [double[]]($parts[1].Split(','))
    $limit = [math]::Ceiling(500 / 16) * 40
    $fullMedian = Get-Median $full
    $rows.Add(('| 500 profiles, 40 ms latency, 16 in flight (429 above), `-Force`, through the cmdlet ({0} runs) | median {1:N0} ms = {2:N2}x the limit {3} ms (min {4:N0}, max {5:N0}) | within 1.2x |' -f $Runs, $fullMedian, ($fullMedian / $limit), $limit, ($full | Measure-Object -Minimum).Minimum, ($full | Measure-Object -Maximum).Maximum))
    $rows.Add(('| the run with nothing to do over those 500 profiles, same session (20 runs) | median {0:N1} ms, max {1:N1} ms | at most 20 ms |' -f (Get-Median $noop), ($noop | Measure-Object -Maximum).Maximum))

    # 4. As a person runs it: a console (a pseudo-terminal), progress bar and host lines shown.
    if ($onWindows) {
        $rows.Add('| console rows | not measured: tests/bench/console.py needs a Unix pseudo-terminal | |')
    }
    else {
        $consoleSession = @"
Import-Module '$manifest'
`$accounts = $accounts500
foreach (`$i in 1..$Runs) {
    `$w = [Diagnostics.Stopwatch]::StartNew()
    Set-AwsCliSsoCredentials -EnvironmentName Bench -DefaultRoleName ReadOnly -Account `$accounts -Force | Out-Null
    Add-Content -LiteralPath `$env:SSOCREDS_BENCH_RESULT -Value `$w.Elapsed.TotalMilliseconds
}
"@
        $console = Invoke-Console $consoleSession
        $consoleMedian = Get-Median $console
        $rows.Add(('| the 500 profiles of 2 in a console (pseudo-terminal answering like a terminal window; progress bar and the 500 host lines shown), one session ({0} runs) | median {1:N0} ms = {2:N2}x the limit, {3:N2}x the redirected run (min {4:N0}, max {5:N0}) | progress costs at most 10% |' -f $Runs, $consoleMedian, ($consoleMedian / $limit), ($consoleMedian / $fullMedian), ($console | Measure-Object -Minimum).Minimum, ($console | Measure-Object -Maximum).Maximum))
        $silent = Invoke-Console $consoleSession -NoAnswer
        $silentMedian = Get-Median $silent
        $rows.Add(('| the same in a pseudo-terminal that never answers the cursor queries (`script -qefc` with no terminal behind it; .NET waits 10 s, then 1 s, for each answer) ({0} runs) | median {1:N0} ms = {2:N2}x the limit (min {3:N0}, max {4:N0}) | for comparison |' -f $Runs, $silentMedian, ($silentMedian / $limit), ($silent | Measure-Object -Minimum).Minimum, ($silent | Measure-Object -Maximum).Maximum))

        # First contact: a new HOME each time (no token, no learnt rate), log in with 1 profile, then N with -Force.
        $firstContact = @{ 20 = [System.Collections.Generic.List[double]]::new(); 500 = [System.Collections.Generic.List[double]]::new() }
        foreach ($count in 20, 500) {
            $accountsN = New-AccountsLiteral $count
            $firstRun = @"
Import-Module '$manifest'
Set-AwsCliSsoCredentials ReadOnly us-east-1 $startUrl Bench -Account @{Profile='p0';AccountId='100000000000'} -NoBrowser -UseDeviceCode | Out-Null
`$w = [Diagnostics.Stopwatch]::StartNew()
Set-AwsCliSsoCredentials -EnvironmentName Bench -DefaultRoleName ReadOnly -Account $accountsN -Force | Out-Null
Add-Content -LiteralPath `$env:SSOCREDS_BENCH_RESULT -Value `$w.Elapsed.TotalMilliseconds
"@
            foreach ($run in 1..[math]::Max(3, [math]::Floor($Runs / 3))) {
                $newHome = Join-Path $benchHome ('first-' + [guid]::NewGuid().ToString('n'))
                $null = New-Item -ItemType Directory -Path $newHome
                $env:HOME = $newHome
                $env:USERPROFILE = $newHome
                try { $firstContact[$count].Add((Invoke-Console $firstRun)[0]) }
                finally { $env:HOME = $benchHome; $env:USERPROFILE = $benchHome }
            }
            $countLimit = [math]::Ceiling($count / 16) * 40
            $median = Get-Median $firstContact[$count]
            $target = if ($count -eq 500) { 'at most 1.3x' } else { 'for comparison' }
            $rows.Add(('| first contact in a console (new HOME: no token, no learnt rate): log in with 1 profile, then {0} profiles with `-Force` ({1} runs; the second call timed) | median {2:N0} ms = {3:N2}x the limit ceil({0}/16) x 40 ms = {4} ms (min {5:N0}, max {6:N0}) | {7} |' -f $count, $firstContact[$count].Count, $median, ($median / $countLimit), $countLimit, ($firstContact[$count] | Measure-Object -Minimum).Minimum, ($firstContact[$count] | Measure-Object -Maximum).Maximum, $target))
        }
    }
}
finally {
    Stop-Fake $fake
    foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    Remove-Item -LiteralPath $benchHome -Recurse -Force -ErrorAction SilentlyContinue
}

'| benchmark | figure | target |'
'|---|---|---|'
$rows
