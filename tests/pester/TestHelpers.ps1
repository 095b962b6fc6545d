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
    'HOME', 'USERPROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_SSO', 'AWS_ENDPOINT_URL_SSO_OIDC'
)

function Set-TestHome {
    # Points HOME and USERPROFILE (and so ~/.aws: token cache, config, credentials) at a test folder and
    # clears the AWS file and endpoint variables; returns what to give Restore-TestEnvironment in AfterAll.
    # (The module copies these variables into the native library's environment before each call: on
    # Linux and macOS .NET keeps its own copy, which $env: changes.)
    param([Parameter(Mandatory = $true)] [string] $Path)
    $saved = @{}
    foreach ($name in $script:TestEnvironmentNames) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    $null = New-Item -ItemType Directory -Path $Path -Force
    $env:HOME = $Path
    $env:USERPROFILE = $Path
    $saved
}

function Restore-TestEnvironment {
    param($Saved)
    if ($null -eq $Saved) { return }
    foreach ($name in $Saved.Keys) {
        [Environment]::SetEnvironmentVariable($name, $Saved[$name])
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
    # inherits this process's environment (HOME, endpoints). Returns @{ ExitCode; Output }.
    param([Parameter(Mandatory = $true)] [string] $Script)
    # The child's stderr must not become a terminating error here (Windows PowerShell with 'Stop').
    $ErrorActionPreference = 'Continue'
    $executable = (Get-Process -Id $PID).Path
    # -EncodedCommand: no quoting rules of native argument passing to get wrong on any platform.
    $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Script))
    $output = & $executable -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1 | ForEach-Object { "$_" }
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output -join [Environment]::NewLine) }
}

function ConvertTo-TestLiteral([string] $Text) {
    # A single-quoted PowerShell string literal.
    "'" + ($Text -replace "'", "''") + "'"
}
