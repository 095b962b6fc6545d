#Requires -Version 5.1
# One behaviour through both front ends (issue 18): the same input gives the same profiles, errors and
# messages through Set-AwsCliSsoCredentials and ssocreds-cli. Each case runs through the module (in this
# process) and the CLI (SSOCREDS_CLI_BIN, else $CARGO_TARGET_DIR/debug/ssocreds-cli), each in a home folder
# of its own, against one fake IAM Identity Center, and compares:
#   - what they write: the credentials file's profile names, keys, account ids and roles (secrets differ);
#   - what they report: per-profile status, how the call ended (0 fine / 1 some profiles failed / 2 the
#     call failed: the CLI's exit code, the module's non-terminating vs terminating errors), and each
#     error's code, target and text;
#   - the host lines: the module's information stream vs the CLI's stderr lines (warnings and errors
#     apart), with user codes and the seconds left on the token masked.
# A case's Writes says whether it writes profiles; its Differs names what legitimately differs: the command a message tells the user to run.
#
# This process runs as `pwsh -NonInteractive`, which the module treats as -NonInteractive: interactive
# calls pass -NonInteractive:$false, as the CLI is interactive unless --non-interactive.

BeforeDiscovery {
    $Cases = @(
        @{ Name = 'the drop-in call: a login, then N profiles'; Environment = 'ConfDropIn'; Writes = $true; Differs = '' }
        @{ Name = 'a preset list (<Env>SsoAwsAccounts; the CLI''s --accounts file)'; Environment = 'ConfPreset'; Writes = $true; Differs = '' }
        @{ Name = 'a row with no name'; Environment = 'ConfNoName'; Writes = $false; Differs = 'the option named (-ProfileNameTemplate / --profile-name-template), and the target: the module''s is the input row itself (a PowerShell TargetObject), the CLI''s "account 2"' }
        @{ Name = 'a forbidden account among others'; Environment = 'ConfForbidden'; Writes = $true; Differs = '' }
        @{ Name = 'a token the service rejects between runs'; Environment = 'ConfRejected'; Writes = $true; Differs = '' }
        @{ Name = 'a token rejected between runs that cannot be renewed, no login allowed'; Environment = 'ConfUnrenewable'; Writes = $true; Differs = 'the command the recommended action names (Set-AwsCliSsoCredentials -EnvironmentName E / ssocreds-cli login --environment E); and the report: a terminating error ends the cmdlet with no -PassThru objects, the CLI prints the report (every profile failed) before its exit code 2' }
        @{ Name = 'fromConfig with two sessions'; Environment = 'ConfFromConfig'; Writes = $true; Differs = '' }
        @{ Name = 'a non-interactive run with no login'; Environment = 'ConfNoLogin'; Writes = $false; Differs = 'the command the message and its recommended action name: Set-AwsCliSsoCredentials -EnvironmentName E (from an interactive PowerShell) / ssocreds-cli login --environment E' }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $CliPath = $env:SSOCREDS_CLI_BIN
    if (-not $CliPath) {
        $target = $env:CARGO_TARGET_DIR
        if (-not $target) { $target = Join-Path (Get-TestRepoRoot) 'target' }
        $name = 'ssocreds-cli'
        if (Test-TestOnWindows) { $name += '.exe' }
        $CliPath = Join-Path (Join-Path $target 'debug') $name
    }
    if (-not (Test-Path -LiteralPath $CliPath)) { throw "ssocreds-cli is not built: $CliPath (cargo build -p ssocreds-cli, or set SSOCREDS_CLI_BIN)" }

    $StartUrl = 'https://d-1234567890.awsapps.com/start'
    $Region = 'us-east-1'
    $Forbidden = Get-FakeAccountId 5
    # Logins approved by the fake itself: "the user" approves the printed code on another device.
    $Fake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '6', '--roles', 'ReadOnly,Admin', '--approve-after-polls', '1', '--forbid', "${Forbidden}:ReadOnly")
    Use-TestEndpoint $Fake

    function Use-TestFrontEndHome([string] $Case, [string] $FrontEnd) {
        # A home of its own per case and front end: its token cache, config and credentials file.
        $path = Join-Path (Join-Path $TestDrive $Case) $FrontEnd
        $null = New-Item -ItemType Directory -Path (Join-Path $path '.aws') -Force
        $env:HOME = $path
        $env:USERPROFILE = $path
        if ($path -match '^([A-Za-z]:)(.*)$') { $env:HOMEDRIVE = $Matches[1]; $env:HOMEPATH = $Matches[2] }
        $path
    }

    function Get-TestWritten([string] $HomePath) {
        # profile|sorted keys|account id|role, one line per profile of the credentials file.
        $file = Join-Path (Join-Path $HomePath '.aws') 'credentials'
        if (-not (Test-Path -LiteralPath $file)) { return @() }
        $sections = Read-CredentialsFile $file
        @(foreach ($name in ($sections.Keys | Sort-Object)) {
                $keys = ($sections[$name].Keys | Sort-Object) -join ','
                "$name|$keys|$($sections[$name]['aws_account_id'])|$($sections[$name]['aws_sso_role_name'])"
            })
    }

    function ConvertTo-TestComparable([string[]] $Lines) {
        # What differs from call to call by nature: a user code, the seconds left on the token.
        @(foreach ($line in $Lines) {
                $line = $line -replace 'code [A-Z0-9]{4}-[A-Z0-9]{4}', 'code <code>'
                $line = $line -replace 'user_code=[A-Z0-9-]+', 'user_code=<code>'
                $line -replace '[\d:]+ left on SSO Token', '<left> left on SSO Token'
            })
    }

    function Invoke-TestModule([string] $Case, [hashtable] $Parameters) {
        # Runs Set-AwsCliSsoCredentials in the case's module home; what it wrote, reported and said.
        $homePath = Use-TestFrontEndHome $Case 'module'
        $results = @()
        $outcome = 0
        $errors = @()
        $info = $null
        $warnings = $null
        try {
            $results = @(Set-AwsCliSsoCredentials @Parameters -InformationVariable info -InformationAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable failures -ErrorAction SilentlyContinue)
            if (@($failures).Count -gt 0) { $outcome = 1 }
            $errors = @($failures)
        }
        catch {
            $outcome = 2
            $errors = @($_)
        }
        [pscustomobject]@{
            Outcome  = $outcome
            Profiles = @($results | ForEach-Object { "$($_.Profile)|$($_.AccountId)|$($_.RoleName)|$("$($_.Status)".ToLowerInvariant())" })
            Errors   = @($errors | ForEach-Object {
                    $code = if ($_.FullyQualifiedErrorId -match '^SsoCreds\.(\w+),') { $Matches[1] } else { $_.FullyQualifiedErrorId }
                    "$code|$($_.TargetObject)|$($_.Exception.Message)"
                })
            Actions  = @($errors | ForEach-Object { "$($_.ErrorDetails.RecommendedAction)" } | Where-Object { $_ })
            Warnings = @($warnings | ForEach-Object { "$_" })
            Host     = ConvertTo-TestComparable (ConvertTo-TestMessage $info)
            Written  = Get-TestWritten $homePath
        }
    }

    function Invoke-TestCli([string] $Case, [string[]] $Arguments) {
        # Runs ssocreds-cli (with --json) in the case's CLI home; the same observation as the module's.
        $homePath = Use-TestFrontEndHome $Case 'cli'
        # A process of its own, not `& $CliPath 2>`: Windows PowerShell 5.1 would wrap each stderr line
        # in an error record.
        $info = [System.Diagnostics.ProcessStartInfo]::new()
        $info.FileName = $CliPath
        $info.Arguments = (@(foreach ($a in $Arguments) { if ($a -match '[\s"]') { '"' + ($a -replace '"', '\"') + '"' } else { $a } })) -join ' '
        $info.UseShellExecute = $false
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($info)
        $errorText = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit()
        $outcome = $process.ExitCode
        $stderr = @($errorText.Result -split '\r?\n' | Where-Object { $_ -ne '' })
        $report = if ($stdout.Trim()) { $stdout | ConvertFrom-Json } else { $null }
        $errors = @(); $actions = @(); $warnings = @(); $hostLines = @()
        foreach ($line in $stderr) {
            if ($line -match '^error: (\w+) \((.*?)\): (.*)$') { $errors += "$($Matches[1])|$($Matches[2])|$($Matches[3])" }
            elseif ($line -match '^  (.+)$') { $actions += $Matches[1] }
            elseif ($line -match '^warning: (.*)$') { $warnings += $Matches[1] }
            else { $hostLines += $line }
        }
        $profiles = if ($report) { @($report.profiles | ForEach-Object { "$($_.profile)|$($_.accountId)|$($_.roleName)|$("$($_.status)".ToLowerInvariant())" }) } else { @() }
        [pscustomobject]@{
            Outcome  = $outcome
            Profiles = $profiles
            Errors   = $errors
            Actions  = $actions
            Warnings = $warnings
            Host     = ConvertTo-TestComparable $hostLines
            Written  = Get-TestWritten $homePath
        }
    }

    function Invoke-TestCase([string] $Environment) {
        # The case's input through both front ends: @{ Module; Cli }.
        $login = @{ StartUrl = $StartUrl; Region = $Region; EnvironmentName = $Environment; NoBrowser = $true; NonInteractive = $false; PassThru = $true }
        $cliLogin = @('refresh', '--json', '--environment', $Environment, '--start-url', $StartUrl, '--region', $Region, '--no-browser')
        $two = @(
            @{ Profile = "$Environment-dev"; AccountId = (Get-FakeAccountId 0) }
            @{ Profile = "$Environment-ops"; AccountId = (Get-FakeAccountId 1); RoleName = 'Admin' }
        )
        $twoFlags = @('--account', "$Environment-dev=$(Get-FakeAccountId 0)", '--account', "$Environment-ops=$(Get-FakeAccountId 1):Admin")
        switch ($Environment) {
            'ConfDropIn' {
                $module = Invoke-TestModule $Environment ($login + @{ DefaultRoleName = 'ReadOnly'; Account = $two })
                $cli = Invoke-TestCli $Environment ($cliLogin + @('--default-role-name', 'ReadOnly') + $twoFlags)
            }
            'ConfPreset' {
                Set-Variable -Scope Global -Name "${Environment}SsoAwsAccounts" -Value @(
                    @{ Profile = 'preset-dev'; AccountId = (Get-FakeAccountId 2); RoleName = 'ReadOnly' }
                    @{ Profile = 'preset-ops'; AccountId = (Get-FakeAccountId 3); RoleName = 'Admin' }
                    @{ Profile = 'preset-norole'; AccountId = (Get-FakeAccountId 4) })
                $module = Invoke-TestModule $Environment ($login + @{ DefaultRoleName = 'ReadOnly' })
                $csv = Join-Path $TestDrive 'preset.csv'
                Set-Content -LiteralPath $csv -Value @('Profile,AccountId,RoleName', "preset-dev,$(Get-FakeAccountId 2),ReadOnly", "preset-ops,$(Get-FakeAccountId 3),Admin", "preset-norole,$(Get-FakeAccountId 4),")
                $cli = Invoke-TestCli $Environment ($cliLogin + @('--default-role-name', 'ReadOnly', '--accounts', $csv))
            }
            'ConfNoName' {
                $rows = @(@{ Profile = 'named'; AccountId = (Get-FakeAccountId 0) }, @{ AccountId = (Get-FakeAccountId 1) })
                $module = Invoke-TestModule $Environment ($login + @{ DefaultRoleName = 'ReadOnly'; Account = $rows })
                $json = Join-Path $TestDrive 'noname.json'
                Set-Content -LiteralPath $json -Value ("[{`"profile`":`"named`",`"accountId`":`"$(Get-FakeAccountId 0)`"},{`"accountId`":`"$(Get-FakeAccountId 1)`"}]")
                $cli = Invoke-TestCli $Environment ($cliLogin + @('--default-role-name', 'ReadOnly', '--accounts', $json))
            }
            'ConfForbidden' {
                $rows = $two + @(@{ Profile = "$Environment-no"; AccountId = $Forbidden })
                $module = Invoke-TestModule $Environment ($login + @{ DefaultRoleName = 'ReadOnly'; Account = $rows })
                $cli = Invoke-TestCli $Environment ($cliLogin + @('--default-role-name', 'ReadOnly') + $twoFlags + @('--account', "$Environment-no=$Forbidden"))
            }
            'ConfRejected' {
                # Each front end: a first run that logs in, the service rejects every token, a second
                # run with --force and no login allowed: the token is renewed with its refresh token.
                $null = Invoke-TestModule $Environment ($login + @{ DefaultRoleName = 'ReadOnly'; Account = $two })
                $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/expire-tokens"
                $module = Invoke-TestModule $Environment @{ EnvironmentName = $Environment; DefaultRoleName = 'ReadOnly'; Account = $two; Force = $true; NonInteractive = $true; PassThru = $true }
                $null = Invoke-TestCli $Environment ($cliLogin + @('--default-role-name', 'ReadOnly') + $twoFlags)
                $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/expire-tokens"
                $cli = Invoke-TestCli $Environment (@('refresh', '--json', '--environment', $Environment, '--default-role-name', 'ReadOnly', '--force', '--non-interactive') + $twoFlags)
            }
            'ConfUnrenewable' {
                # As above, but the client registration ends too: the refresh token cannot renew the
                # token, and no login may be started.
                $expire = { foreach ($what in 'tokens', 'registrations') { $null = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/__fake/expire-$what" } }
                $null = Invoke-TestModule $Environment ($login + @{ DefaultRoleName = 'ReadOnly'; Account = $two })
                & $expire
                $module = Invoke-TestModule $Environment @{ EnvironmentName = $Environment; DefaultRoleName = 'ReadOnly'; Account = $two; Force = $true; NonInteractive = $true; PassThru = $true }
                $null = Invoke-TestCli $Environment ($cliLogin + @('--default-role-name', 'ReadOnly') + $twoFlags)
                & $expire
                $cli = Invoke-TestCli $Environment (@('refresh', '--json', '--environment', $Environment, '--default-role-name', 'ReadOnly', '--force', '--non-interactive') + $twoFlags)
            }
            'ConfFromConfig' {
                $config = "[sso-session corp]`nsso_start_url = https://corp.awsapps.com/start`nsso_region = eu-west-1`n`n" +
                "[sso-session lab]`nsso_start_url = https://lab.awsapps.com/start`nsso_region = us-east-1`n`n" +
                "[profile cfg-dev]`nsso_session = corp`nsso_account_id = $(Get-FakeAccountId 0)`nsso_role_name = ReadOnly`n`n" +
                "[profile cfg-ops]`nsso_session = corp`nsso_account_id = $(Get-FakeAccountId 1)`nsso_role_name = Admin`n`n" +
                "[profile cfg-lab]`nsso_session = lab`nsso_account_id = $(Get-FakeAccountId 2)`nsso_role_name = ReadOnly`n`n" +
                "[profile plain]`nregion = eu-west-1`n"
                foreach ($frontEnd in 'module', 'cli') {
                    $folder = Join-Path (Use-TestFrontEndHome $Environment $frontEnd) '.aws'
                    [System.IO.File]::WriteAllText((Join-Path $folder 'config'), $config)
                }
                $module = Invoke-TestModule $Environment @{ FromConfig = $true; NoBrowser = $true; NonInteractive = $false; PassThru = $true }
                $cli = Invoke-TestCli $Environment @('refresh', '--json', '--from-config', '--no-browser')
            }
            'ConfNoLogin' {
                $module = Invoke-TestModule $Environment @{ EnvironmentName = $Environment; StartUrl = $StartUrl; Region = $Region; DefaultRoleName = 'ReadOnly'; Account = $two; NonInteractive = $true; PassThru = $true }
                $cli = Invoke-TestCli $Environment (@('refresh', '--json', '--environment', $Environment, '--start-url', $StartUrl, '--region', $Region, '--default-role-name', 'ReadOnly', '--non-interactive') + $twoFlags)
            }
        }
        @{ Module = $module; Cli = $cli }
    }

    function ConvertTo-TestPowerShellWording([string[]] $Lines) {
        # The CLI's option names as the module spells them: the only difference of the unnamed row.
        @($Lines | ForEach-Object { $_ -replace '--profile-name-template', '-ProfileNameTemplate' })
    }
}

AfterAll {
    Stop-FakeIdentityCenter $Fake
    Restore-TestEnvironment $SavedEnvironment
    foreach ($name in 'ConfDropIn', 'ConfPreset', 'ConfNoName', 'ConfForbidden', 'ConfRejected', 'ConfUnrenewable', 'ConfFromConfig', 'ConfNoLogin') {
        foreach ($suffix in 'SsoAwsAccounts', 'SsoAwsSettings', 'SSOTokenExpire') {
            Remove-Variable -Name "$name$suffix" -Scope Global -ErrorAction SilentlyContinue
        }
    }
}

Describe 'the module and the CLI: <Name>' -ForEach $Cases {
    BeforeAll {
        $Seen = Invoke-TestCase $Environment
        $Module = $Seen.Module
        $Cli = $Seen.Cli
    }

    It 'write the same profiles (names, keys, account ids, roles)' {
        # Writes: whether the case writes profiles at all, so that two empty files never pass as one behaviour.
        @($Module.Written).Count -gt 0 | Should -Be $Writes
        $Cli.Written | Should -Be $Module.Written
    }

    It 'report the same profiles, statuses and outcome' {
        $Cli.Outcome | Should -Be $Module.Outcome -Because "the CLI's exit code against the module's errors: $($Module.Errors -join '; ')"
        if ($Environment -eq 'ConfUnrenewable') {
            # See Differs: a terminating error leaves the module no objects to write.
            $Module.Profiles | Should -BeNullOrEmpty
            $Cli.Profiles | Should -Be @("$Environment-dev|$(Get-FakeAccountId 0)|ReadOnly|failed", "$Environment-ops|$(Get-FakeAccountId 1)|Admin|failed")
        }
        else {
            $Cli.Profiles | Should -Be $Module.Profiles
        }
    }

    It 'report the same errors: code, target and text' {
        if ($Environment -eq 'ConfUnrenewable') {
            # The same error; only the command its recommended action names differs (see Differs).
            $Cli.Errors | Should -Be $Module.Errors
            @($Module.Errors).Count | Should -Be 1
            $Module.Errors[0] | Should -BeLike 'LoginRequired|ConfUnrenewable|*'
            $Cli.Actions | Should -Be @('Run ssocreds-cli login --environment ConfUnrenewable in a terminal to log in.')
            $Module.Actions | Should -Be @('Run Set-AwsCliSsoCredentials -EnvironmentName ConfUnrenewable in an interactive PowerShell (without -NonInteractive) to log in.')
        }
        elseif ($Environment -eq 'ConfNoLogin') {
            # Only the command to run differs (see Differs): the code and target agree, and each
            # message and recommended action names its own front end's command.
            @($Cli.Errors | ForEach-Object { ($_ -split '\|')[0..1] -join '|' }) | Should -Be @($Module.Errors | ForEach-Object { ($_ -split '\|')[0..1] -join '|' })
            $Module.Errors[0] | Should -BeLike '*Set-AwsCliSsoCredentials -EnvironmentName ConfNoLogin*'
            $Cli.Errors[0] | Should -BeLike '*ssocreds-cli login --environment ConfNoLogin*'
            $Cli.Actions | Should -Be @('Run ssocreds-cli login --environment ConfNoLogin in a terminal to log in.')
            $Module.Actions | Should -Be @('Run Set-AwsCliSsoCredentials -EnvironmentName ConfNoLogin in an interactive PowerShell (without -NonInteractive) to log in.')
        }
        elseif ($Environment -eq 'ConfNoName') {
            # The target differs (see Differs): the code and the text agree.
            $withoutTarget = { param($Line) $parts = $Line -split '\|', 3; "$($parts[0])|$($parts[2])" }
            @(ConvertTo-TestPowerShellWording $Cli.Errors | ForEach-Object { & $withoutTarget $_ }) | Should -Be @($Module.Errors | ForEach-Object { & $withoutTarget $_ })
            @($Cli.Errors | ForEach-Object { ($_ -split '\|')[1] }) | Should -Be @('account 2')
            $Module.Errors[0] | Should -BeLike 'InvalidInput|*|Account 2 (AccountId *'
        }
        else {
            ConvertTo-TestPowerShellWording $Cli.Errors | Should -Be $Module.Errors
        }
    }

    It 'say the same host lines and warnings' {
        $Cli.Host | Should -Be $Module.Host
        $Cli.Warnings | Should -Be $Module.Warnings
    }
}
