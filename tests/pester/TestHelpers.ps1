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
