# Helpers of the Pester tests: where the built module and the fake are, starting and stopping the fake,
# reading a credentials file. Dot-sourced by tests/*.Tests.ps1 in BeforeAll.

function Get-TestRepoRoot {
    # $PSScriptRoot inside a function is the folder of the file that defines it: tests/pester.
    Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
}

function Get-TestModuleManifest {
    # build.ps1 -Task Test passes the built module; by default the manifest at the top of the repo,
    # whose module/runtimes/<rid>/ ./build.ps1 filled.
    if ($env:SSOCREDS_MODULE_MANIFEST) { return $env:SSOCREDS_MODULE_MANIFEST }
    Join-Path (Get-TestRepoRoot) 'Set-AwsCliSsoCredentials.psd1'
}

function Get-FakeBinaryPath {
    if ($env:FAKE_IDC_BIN) { return $env:FAKE_IDC_BIN }
    $target = $env:CARGO_TARGET_DIR
    if (-not $target) { $target = Join-Path (Get-TestRepoRoot) 'target' }
    $name = 'fake-identity-center'
    if (($PSVersionTable.PSEdition -ne 'Core') -or $IsWindows) { $name += '.exe' }
    Join-Path (Join-Path $target 'debug') $name
}

function Start-FakeIdentityCenter {
    # Starts the fake on a free port; returns @{ Process; Url }. It exits when its stdin closes.
    param([string[]] $ArgumentList = @())

    $binary = Get-FakeBinaryPath
    if (-not (Test-Path -LiteralPath $binary)) {
        throw "The fake IAM Identity Center is not built: $binary (cargo build -p fake-identity-center, or ./build.ps1 -Task Test)"
    }
    $info = [System.Diagnostics.ProcessStartInfo]::new()
    $info.FileName = $binary
    $quoted = foreach ($a in (@('--port', '0', '--exit-on-stdin-eof') + $ArgumentList)) {
        if ($a -match '[\s"]') { '"' + ($a -replace '"', '\"') + '"' } else { $a }
    }
    $info.Arguments = $quoted -join ' '
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.CreateNoWindow = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $line = $process.StandardOutput.ReadLine()
    if (-not $line) { throw "The fake did not print its address (exit code: $($process.ExitCode))." }
    $url = ($line | ConvertFrom-Json).url.TrimEnd('/')
    [pscustomobject]@{ Process = $process; Url = $url }
}

function Stop-FakeIdentityCenter {
    param($Fake)
    if ($null -eq $Fake) { return }
    try { $Fake.Process.StandardInput.Close() } catch { }
    if (-not $Fake.Process.WaitForExit(5000)) {
        $Fake.Process.Kill()
    }
}

function Use-TestEndpoint {
    # Points both IAM Identity Center endpoints (SSO-OIDC and the portal) at a fake.
    param([Parameter(Mandatory = $true)] $Target)
    $env:AWS_ENDPOINT_URL_SSO_OIDC = $Target.Url
    $env:AWS_ENDPOINT_URL_SSO = $Target.Url
}

function Get-FakeCounters {
    param([Parameter(Mandatory = $true)] $Fake)
    Invoke-RestMethod -Uri "$($Fake.Url)/__fake/counters"
}

function Reset-FakeCounters {
    param([Parameter(Mandatory = $true)] $Fake)
    $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/reset-counters"
}

function Get-FakeIssuedCredentials {
    param(
        [Parameter(Mandatory = $true)] $Fake,
        [Parameter(Mandatory = $true)] [string] $AccountId,
        [Parameter(Mandatory = $true)] [string] $RoleName
    )
    Invoke-RestMethod -Uri "$($Fake.Url)/__fake/credentials?account_id=$AccountId&role_name=$RoleName"
}

function Read-CredentialsFile {
    # profile name -> @{ key = value } of an INI credentials file.
    param([Parameter(Mandatory = $true)] [string] $Path)
    $sections = @{}
    $current = $null
    foreach ($line in [System.IO.File]::ReadAllLines($Path, [System.Text.Encoding]::UTF8)) {
        $trimmed = $line.Trim()
        if ($trimmed -match '^\[(.+)\]$') {
            $current = @{}
            $sections[$Matches[1].Trim()] = $current
        }
        elseif ($null -ne $current -and $trimmed -match '^([^=#;]+?)\s*=\s*(.*)$') {
            $current[$Matches[1]] = $Matches[2]
        }
    }
    $sections
}

function Get-FakeAccountId([int] $Index) {
    # The fake's generated accounts: 100000000000 + index.
    (100000000000 + $Index).ToString()
}

$script:TestEnvironmentNames = @(
    'HOME', 'USERPROFILE', 'HOMEDRIVE', 'HOMEPATH', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_SSO', 'AWS_ENDPOINT_URL_SSO_OIDC',
    # Cleared so that on Linux a login is a device code whatever desktop or SSH session runs the tests;
    # the tests of the browser flow ask for it with -UseDeviceCode:$false.
    'DISPLAY', 'WAYLAND_DISPLAY', 'SSH_CONNECTION', 'SSH_TTY',
    # The browser the module opens, and the stand-in browser's log: only the tests that want one set them.
    'BROWSER', 'FAKE_BROWSER_LOG'
)

function Set-TestVariable([string] $Name, [string] $Value) {
    # Sets, or with $null removes, a variable of this process. (PowerShell passes $null to a [string] .NET
    # parameter as '', which would leave the variable set to '' for every program started from here.)
    if ($null -eq $Value -or $Value -eq '') { $Value = [NullString]::Value }
    [Environment]::SetEnvironmentVariable($Name, $Value)
}

function Set-TestHome {
    # Points HOME, USERPROFILE and (on Windows) HOMEDRIVE + HOMEPATH (and so ~/.aws: token cache, config,
    # credentials) at a test folder and clears the AWS file and endpoint variables, those of a display or
    # SSH session and BROWSER; returns what to give Restore-TestEnvironment in AfterAll.
    # (The module copies these variables into the native library's environment before each call: on
    # Linux and macOS .NET keeps its own copy, which $env: changes.)
    param([Parameter(Mandatory = $true)] [string] $Path)
    $saved = @{}
    foreach ($name in $script:TestEnvironmentNames) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        Set-TestVariable $name $null
    }
    $null = New-Item -ItemType Directory -Path $Path -Force
    $env:HOME = $Path
    $env:USERPROFILE = $Path
    if ($Path -match '^([A-Za-z]:)(.*)$') {
        $env:HOMEDRIVE = $Matches[1]
        $env:HOMEPATH = $Matches[2]
    }
    $saved
}

function Restore-TestEnvironment {
    param($Saved)
    if ($null -eq $Saved) { return }
    foreach ($name in $Saved.Keys) {
        Set-TestVariable $name $Saved[$name]
    }
}

function Get-TestSha1Hex([string] $Text) {
    $sha1 = [System.Security.Cryptography.SHA1]::Create()
    try {
        $bytes = $sha1.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text))
    }
    finally {
        $sha1.Dispose()
    }
    -join ($bytes | ForEach-Object { $_.ToString('x2') })
}

function Get-TestTokenCachePath {
    # ~/.aws/sso/cache/<sha1(EnvironmentName)>.json, the AWS CLI v2 cache file of a session.
    param([Parameter(Mandatory = $true)] [string] $EnvironmentName)
    $folder = Join-Path (Join-Path (Join-Path $env:HOME '.aws') 'sso') 'cache'
    Join-Path $folder ((Get-TestSha1Hex $EnvironmentName) + '.json')
}

function Invoke-TestChildPowerShell {
    # Runs a script in a new PowerShell process (same executable, -NoProfile -NonInteractive), which
    # inherits this process's environment (HOME, endpoints). Returns @{ ExitCode; Output } (killed, with
    # ExitCode $null, after -TimeoutSeconds: a child waiting for a login that never comes fails the test
    # instead of hanging the run).
    param(
        [Parameter(Mandatory = $true)] [string] $Script,
        [int] $TimeoutSeconds = 120
    )
    $child = Invoke-TestChildProcess -Script $Script -TimeoutSeconds $TimeoutSeconds
    [pscustomobject]@{ ExitCode = $child.ExitCode; Output = $child.Output }
}

function ConvertTo-TestLiteral([string] $Text) {
    # A single-quoted PowerShell string literal.
    "'" + ($Text -replace "'", "''") + "'"
}

function Test-TestOnWindows {
    ($PSVersionTable.PSEdition -ne 'Core') -or $IsWindows
}

function Get-FakeCounterTotal {
    # Every request the fake answered since its counters were reset (the controls excluded).
    param([Parameter(Mandatory = $true)] $Fake)
    [long](Get-FakeCounters $Fake).requests
}

function Approve-FakeLogin {
    # What a user does with verificationUriComplete: open it and click ALLOW (a GET approves at the fake).
    param([Parameter(Mandatory = $true)] [string] $Url)
    $null = Invoke-RestMethod -Uri $Url
}

function Get-FakeBrowserPath {
    # The stand-in browser (rust/fake's fake-browser): build.ps1 -Task Test passes FAKE_BROWSER_BIN; else
    # the one cargo built beside the fake IAM Identity Center.
    if ($env:FAKE_BROWSER_BIN) { return $env:FAKE_BROWSER_BIN }
    $name = 'fake-browser'
    if (Test-TestOnWindows) { $name += '.exe' }
    Join-Path (Split-Path -Parent (Get-FakeBinaryPath)) $name
}

function New-TestBrowser {
    # A stand-in browser on every OS: fake-browser records each URL it is asked to open in LogFile, then
    # GETs it in the background (following the redirect to 127.0.0.1), which approves the login at the
    # fake as a user clicking ALLOW would. Use-TestBrowser makes the module open URLs with it.
    # Returns @{ Command; LogFile }.
    param([Parameter(Mandatory = $true)] [string] $Folder)
    $binary = Get-FakeBrowserPath
    if (-not (Test-Path -LiteralPath $binary)) {
        throw "The stand-in browser is not built: $binary (cargo build -p fake-identity-center, or ./build.ps1 -Task Test)"
    }
    $null = New-Item -ItemType Directory -Path $Folder -Force
    # Quoted: BROWSER is a command line, and the path may hold spaces.
    [pscustomobject]@{ Command = '"' + $binary + '"'; LogFile = (Join-Path $Folder 'visits.log') }
}

function Use-TestBrowser {
    # The module opens URLs with the command in BROWSER, as Python's webbrowser (the AWS CLI) does.
    # Set-TestHome's saved environment restores both variables.
    param([Parameter(Mandatory = $true)] $Browser)
    $env:BROWSER = $Browser.Command
    $env:FAKE_BROWSER_LOG = $Browser.LogFile
}

function Use-TestNoBrowser {
    # A machine where no browser can be opened: no BROWSER, and no xdg-open or open on PATH (a folder of
    # nothing). On Windows the shell always has something to hand a URL to, so a BROWSER that cannot be
    # started stands for "no browser" there. Returns the PATH to put back.
    param([Parameter(Mandatory = $true)] [string] $EmptyFolder)
    $null = New-Item -ItemType Directory -Path $EmptyFolder -Force
    $saved = $env:PATH
    $env:PATH = $EmptyFolder
    $env:BROWSER = $null
    if (Test-TestOnWindows) { $env:BROWSER = '"' + (Join-Path $EmptyFolder 'no-such-browser.exe') + '"' }
    $saved
}

function Get-TestBrowserVisit {
    # The URLs the stand-in browser was asked to open, oldest first.
    param([Parameter(Mandatory = $true)] $Browser)
    if (-not (Test-Path -LiteralPath $Browser.LogFile)) { return @() }
    @([System.IO.File]::ReadAllLines($Browser.LogFile) | Where-Object { $_ })
}

function Clear-TestBrowserVisit {
    param([Parameter(Mandatory = $true)] $Browser)
    if (Test-Path -LiteralPath $Browser.LogFile) { Remove-Item -LiteralPath $Browser.LogFile -Force }
}

function ConvertTo-TestMessage {
    # The text of information records (what Write-Host shows), one string per record.
    param([AllowNull()] [object[]] $Record)
    @(foreach ($r in @($Record)) {
            if ($null -eq $r) { continue }
            if ($r -is [System.Management.Automation.InformationRecord]) { "$($r.MessageData)" } else { "$r" }
        })
}

function Get-TestLoginPrompt {
    # The URL and code of the device login printed in $Lines:
    #   To sign in, open <verificationUri> in a browser and enter the code <userCode>,
    #   or open <verificationUriComplete>. Then click ALLOW.
    # or the URL of the browser (authorization-code) login:
    #   If it did not open, open this URL in a browser on this computer: <authorizationUrl>
    #   [No browser could be opened here. ]To sign in, open this URL in a browser on this computer, then click ALLOW: <authorizationUrl>
    # Returns @{ VerificationUri; UserCode; VerificationUriComplete; AuthorizationUrl } ($null members when a line is absent).
    param([AllowNull()] [string[]] $Lines)
    $result = [ordered]@{ VerificationUri = $null; UserCode = $null; VerificationUriComplete = $null; AuthorizationUrl = $null }
    foreach ($line in @($Lines)) {
        if ($line -match 'open this URL in a browser on this computer(?:, then click ALLOW)?: (\S+)$') {
            $result.AuthorizationUrl = $Matches[1]
        }
        if ($line -match '^To sign in, open (\S+) in a browser and enter the code (\S+),$') {
            $result.VerificationUri = $Matches[1]
            $result.UserCode = $Matches[2]
        }
        elseif ($line -match '^or open (\S+)\. Then click ALLOW\.$') {
            $result.VerificationUriComplete = $Matches[1]
        }
    }
    [pscustomobject]$result
}

function Invoke-TestChildProcess {
    # Runs a script in a new PowerShell process (same executable, -NoProfile, and -NonInteractive unless
    # -WithoutNonInteractiveSwitch; standard input is redirected and closed either way), which inherits
    # this process's environment (HOME, endpoints, PATH). Kills it after -TimeoutSeconds.
    # Returns @{ ExitCode; Output; TimedOut; Elapsed }.
    param(
        [Parameter(Mandatory = $true)] [string] $Script,
        [int] $TimeoutSeconds = 120,
        [switch] $WithoutNonInteractiveSwitch
    )
    $info = [System.Diagnostics.ProcessStartInfo]::new()
    $info.FileName = (Get-Process -Id $PID).Path
    $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Script))
    $switches = if ($WithoutNonInteractiveSwitch) { '-NoProfile' } else { '-NoProfile -NonInteractive' }
    $info.Arguments = "$switches -EncodedCommand $encoded"
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.CreateNoWindow = $true
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $process = [System.Diagnostics.Process]::Start($info)
    $process.StandardInput.Close()
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $timedOut = -not $process.WaitForExit($TimeoutSeconds * 1000)
    if ($timedOut) {
        try { $process.Kill($true) } catch { try { $process.Kill() } catch { } }
        $null = $process.WaitForExit(10000)
    }
    else {
        $process.WaitForExit()
    }
    $watch.Stop()
    $null = $stdout.Wait(10000)
    $null = $stderr.Wait(10000)
    $text = $stdout.Result
    if ($stderr.Result) { $text += [Environment]::NewLine + $stderr.Result }
    [pscustomobject]@{
        ExitCode = $(if ($timedOut) { $null } else { $process.ExitCode })
        Output   = $text
        TimedOut = $timedOut
        Elapsed  = $watch.Elapsed
    }
}

function Get-TestModuleFolder {
    # The folder of the built module's manifest.
    Split-Path -Parent (Get-TestModuleManifest)
}

function Get-FileBytesHash {
    # SHA-256 of a file's bytes, hex ('' when it does not exist): compares files byte for byte without
    # printing their content (credentials) in a test failure.
    param([Parameter(Mandatory = $true)] [string] $Path)
    if (-not (Test-Path -LiteralPath $Path)) { return '' }
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { $bytes = $sha.ComputeHash([System.IO.File]::ReadAllBytes($Path)) } finally { $sha.Dispose() }
    -join ($bytes | ForEach-Object { $_.ToString('x2') })
}
