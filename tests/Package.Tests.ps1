#Requires -Version 5.1
# The packaged module, as a user gets it from Install-Module: ./build.ps1 -Task Package lays out
# out/Set-AwsCliSsoCredentials/<version>/, and ./build.ps1 -Task Test passes that folder as
# SSOCREDS_PACKAGE_PATH. Copied where no repository is beside it (TestDrive), it must pass
# Test-ModuleManifest, hold no script or source, and import by name from PSModulePath in a new PowerShell
# that then refreshes a profile against the fake.

BeforeDiscovery {
    # Skipped when nothing was packaged: only ./build.ps1 -Task Test (Package first) sets the folder.
    $NotPackaged = -not $env:SSOCREDS_PACKAGE_PATH
}

Describe 'the packaged module' -Skip:$NotPackaged {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
        $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
        $Source = (Resolve-Path -LiteralPath $env:SSOCREDS_PACKAGE_PATH).ProviderPath
        $Version = Split-Path -Leaf $Source
        # <TestDrive>/modules/Set-AwsCliSsoCredentials/<version>/, as Install-Module lays it out.
        $ModulesFolder = Join-Path $TestDrive 'modules'
        $Installed = Join-Path (Join-Path $ModulesFolder 'Set-AwsCliSsoCredentials') $Version
        $null = New-Item -ItemType Directory -Path (Split-Path $Installed) -Force
        Copy-Item -LiteralPath $Source -Destination $Installed -Recurse -Force
        $InstalledManifest = Join-Path $Installed 'Set-AwsCliSsoCredentials.psd1'

        $Fake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '2', '--roles', 'ReadOnly', '--approve-after-polls', '2')
        Use-TestEndpoint $Fake
    }

    AfterAll {
        Stop-FakeIdentityCenter $Fake
        Restore-TestEnvironment $SavedEnvironment
    }

    It 'is a versioned module folder that Test-ModuleManifest accepts' {
        $Version | Should -Match '^\d+\.\d+\.\d+$'
        $manifest = Test-ModuleManifest -Path $InstalledManifest -ErrorAction Stop
        $manifest.Name | Should -Be 'Set-AwsCliSsoCredentials'
        "$($manifest.Version)" | Should -Be $Version
        $manifest.ExportedCmdlets.Keys | Sort-Object | Should -Be @('Clear-AwsCliSsoSession', 'Get-AwsCliSsoAccount', 'Get-AwsCliSsoCredential', 'Get-AwsCliSsoSession', 'Set-AwsCliSsoCredentials')
    }

    It 'holds the DLL, the native library, the format data, the help and the LICENSE, and no script or source' {
        $data = Import-PowerShellDataFile -Path $InstalledManifest
        $dll = Join-Path $Installed $data.RootModule
        $dll | Should -BeLike '*.dll'
        Test-Path -LiteralPath $dll -PathType Leaf | Should -BeTrue
        foreach ($format in $data.FormatsToProcess) {
            Test-Path -LiteralPath (Join-Path $Installed $format) -PathType Leaf | Should -BeTrue
        }
        $libraries = @(Get-ChildItem -LiteralPath $Installed -Recurse -File | Where-Object { $_.Name -in 'libssocreds.so', 'libssocreds.dylib', 'ssocreds.dll' })
        $libraries.Count | Should -BeGreaterThan 0
        $libraries | ForEach-Object { $_.FullName | Should -BeLike '*runtimes*' }
        @(Get-ChildItem -LiteralPath $Installed -Recurse -File -Filter 'SetAwsCliSsoCredentials.dll-Help.xml').Count | Should -BeGreaterThan 0
        Test-Path -LiteralPath (Join-Path $Installed 'LICENSE') -PathType Leaf | Should -BeTrue
        $unwanted = @(Get-ChildItem -LiteralPath $Installed -Recurse -File | Where-Object { $_.Extension -in '.ps1', '.psm1', '.cs', '.csproj' })
        $unwanted.FullName | Should -BeNullOrEmpty
        @(Get-ChildItem -LiteralPath $Installed -Recurse -Directory | Where-Object { $_.Name -in 'obj', 'src' }).FullName | Should -BeNullOrEmpty
    }

    It 'imports by name in a new PowerShell, from that folder only, and refreshes a profile' {
        $file = Join-Path $TestDrive 'package/credentials'
        $child = Invoke-TestChildProcess -TimeoutSeconds 90 -Script @"
`$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $(ConvertTo-TestLiteral $TestDrive)
`$env:PSModulePath = $(ConvertTo-TestLiteral $ModulesFolder) + [System.IO.Path]::PathSeparator + `$env:PSModulePath
Import-Module Set-AwsCliSsoCredentials
`$module = Get-Module Set-AwsCliSsoCredentials
'BASE=' + `$module.ModuleBase
'TYPE=' + `$module.ModuleType
'DLL=' + [SetAwsCliSsoCredentials.SsoCredsNative].Assembly.Location
'NATIVE=' + [SetAwsCliSsoCredentials.SsoCredsNative]::LoadedPath
'SYNOPSIS=' + ((Get-Help Set-AwsCliSsoCredentials).Synopsis -replace '\s+', ' ').Trim()
`$results = Set-AwsCliSsoCredentials -DefaultRoleName ReadOnly -Region us-east-1 -StartUrl 'https://d-1234567890.awsapps.com/start/' -EnvironmentName Packaged -Account @{ Profile = 'packaged-0'; AccountId = '$(Get-FakeAccountId 0)' } -CredentialsFile $(ConvertTo-TestLiteral $file) -NoBrowser -NonInteractive:`$false -PassThru
'STATUS=' + (@(`$results | ForEach-Object { `$_.Status }) -join ',')
"@
        $child.TimedOut | Should -BeFalse -Because $child.Output
        $child.ExitCode | Should -Be 0 -Because $child.Output
        $values = @{}
        foreach ($line in ($child.Output -split '\r?\n')) {
            if ($line -match '^(BASE|TYPE|DLL|NATIVE|SYNOPSIS|STATUS)=(.*)$') { $values[$Matches[1]] = $Matches[2] }
        }
        $installedFull = [System.IO.Path]::GetFullPath($Installed)
        [System.IO.Path]::GetFullPath($values.BASE) | Should -Be $installedFull
        $values.TYPE | Should -Be 'Binary'
        $values.DLL | Should -BeLike "$installedFull*"
        $values.NATIVE | Should -BeLike "$installedFull*"
        $values.STATUS | Should -Be 'Refreshed'
        $issued = Get-FakeIssuedCredentials $Fake -AccountId (Get-FakeAccountId 0) -RoleName ReadOnly
        $written = Read-CredentialsFile $file
        $written['packaged-0']['aws_access_key_id'] | Should -Be $issued.accessKeyId
        $written['packaged-0']['aws_secret_access_key'] | Should -Be $issued.secretAccessKey
        $written['packaged-0']['aws_session_token'] | Should -Be $issued.sessionToken
        # Help: without the MAML file found, PowerShell makes the syntax line the synopsis.
        $values.SYNOPSIS | Should -Not -BeNullOrEmpty
        $values.SYNOPSIS | Should -Not -BeLike 'Set-AwsCliSsoCredentials `[*' -Because 'the MAML help is found in the installed folder'
    }
}

Describe 'the release package: one package with the seven runtimes (./build.ps1 -Task Package -RuntimesPath)' -Skip:$NotPackaged {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
        $BuildScript = Join-Path (Get-TestRepoRoot) 'build.ps1'
        # The library built here (the package under test holds this platform's only), the other six made up.
        $Built = @(Get-ChildItem -LiteralPath (Join-Path $env:SSOCREDS_PACKAGE_PATH 'module/runtimes') -Directory)
        $BuiltRid = $Built[0].Name
        $BuiltLibrary = @(Get-ChildItem -LiteralPath $Built[0].FullName -File | Where-Object { $_.Name -notlike 'ssocreds-cli*' })[0]
        $BuiltCli = @(Get-ChildItem -LiteralPath $Built[0].FullName -File -Filter 'ssocreds-cli*')[0]
        $Runtimes = [ordered]@{
            'win-x64'     = @{ File = 'ssocreds.dll'; Cli = 'ssocreds-cli.exe'; Format = 'PE'; Machine = 0x8664 }
            'win-arm64'   = @{ File = 'ssocreds.dll'; Cli = 'ssocreds-cli.exe'; Format = 'PE'; Machine = 0xAA64 }
            'win-x86'     = @{ File = 'ssocreds.dll'; Cli = 'ssocreds-cli.exe'; Format = 'PE'; Machine = 0x014C }
            'linux-x64'   = @{ File = 'libssocreds.so'; Cli = 'ssocreds-cli'; Format = 'ELF'; Machine = 62 }
            'linux-arm64' = @{ File = 'libssocreds.so'; Cli = 'ssocreds-cli'; Format = 'ELF'; Machine = 183 }
            'osx-x64'     = @{ File = 'libssocreds.dylib'; Cli = 'ssocreds-cli'; Format = 'Mach-O'; Machine = 0x01000007 }
            'osx-arm64'   = @{ File = 'libssocreds.dylib'; Cli = 'ssocreds-cli'; Format = 'Mach-O'; Machine = 0x0100000C }
        }

        function New-StandInLibrary([string] $Path, [string] $Format, [int] $Machine) {
            # The header of a shared library for that format and processor, and nothing else: what a loader
            # (and the assembly step) reads first. 512 bytes, zero padded.
            $bytes = New-Object byte[] 512
            switch ($Format) {
                'PE' {
                    $bytes[0] = 0x4D; $bytes[1] = 0x5A
                    [BitConverter]::GetBytes([int]0x40).CopyTo($bytes, 0x3C)
                    [System.Text.Encoding]::ASCII.GetBytes("PE`0`0").CopyTo($bytes, 0x40)
                    [BitConverter]::GetBytes([uint16]$Machine).CopyTo($bytes, 0x44)
                    [BitConverter]::GetBytes([uint16]0x2022).CopyTo($bytes, 0x56)  # DLL, executable image
                }
                'ELF' {
                    @(0x7F, 0x45, 0x4C, 0x46, 2, 1, 1) | ForEach-Object -Begin { $i = 0 } -Process { $bytes[$i++] = [byte]$_ }
                    [BitConverter]::GetBytes([uint16]3).CopyTo($bytes, 16)  # shared object
                    [BitConverter]::GetBytes([uint16]$Machine).CopyTo($bytes, 18)
                }
                'Mach-O' {
                    [BitConverter]::GetBytes([int]0xFEEDFACF).CopyTo($bytes, 0)
                    [BitConverter]::GetBytes([int]$Machine).CopyTo($bytes, 4)
                    [BitConverter]::GetBytes([int]6).CopyTo($bytes, 12)  # dynamic library
                }
            }
            $null = New-Item -ItemType Directory -Path (Split-Path -Parent $Path) -Force
            [System.IO.File]::WriteAllBytes($Path, $bytes)
        }

        function New-StandInDllImporting([string] $Path, [int] $Machine, [string] $DllName) {
            # A PE DLL (PE32+ layout) whose import table names $DllName: one section at RVA 0x1000 (file offset 0x200)
            # holding one import descriptor, the terminating empty one, and the name.
            New-StandInLibrary -Path $Path -Format PE -Machine $Machine
            $bytes = New-Object byte[] 0x400
            [System.IO.File]::ReadAllBytes($Path).CopyTo($bytes, 0)
            [BitConverter]::GetBytes([uint16]1).CopyTo($bytes, 0x46)        # one section
            [BitConverter]::GetBytes([uint16]0xF0).CopyTo($bytes, 0x54)     # optional header size
            [BitConverter]::GetBytes([uint16]0x20B).CopyTo($bytes, 0x58)    # PE32+
            [BitConverter]::GetBytes([int]0x1000).CopyTo($bytes, 0xD0)      # import table RVA
            [BitConverter]::GetBytes([int]40).CopyTo($bytes, 0xD4)
            [BitConverter]::GetBytes([int]0x200).CopyTo($bytes, 0x150)      # section: virtual size,
            [BitConverter]::GetBytes([int]0x1000).CopyTo($bytes, 0x154)     # address,
            [BitConverter]::GetBytes([int]0x200).CopyTo($bytes, 0x158)      # raw size,
            [BitConverter]::GetBytes([int]0x200).CopyTo($bytes, 0x15C)      # file offset
            [BitConverter]::GetBytes([int]0x1040).CopyTo($bytes, 0x20C)     # descriptor: name RVA,
            [BitConverter]::GetBytes([int]0x1080).CopyTo($bytes, 0x210)     # first thunk
            [System.Text.Encoding]::ASCII.GetBytes($DllName).CopyTo($bytes, 0x240)
            [System.IO.File]::WriteAllBytes($Path, $bytes)
        }

        function New-RuntimesFolder([string] $Path) {
            foreach ($rid in $Runtimes.Keys) {
                $target = Join-Path (Join-Path $Path $rid) $Runtimes[$rid].File
                $cli = Join-Path (Join-Path $Path $rid) $Runtimes[$rid].Cli
                if ($rid -eq $BuiltRid) {
                    $null = New-Item -ItemType Directory -Path (Split-Path -Parent $target) -Force
                    Copy-Item -LiteralPath $BuiltLibrary.FullName -Destination $target
                    Copy-Item -LiteralPath $BuiltCli.FullName -Destination $cli
                }
                else {
                    New-StandInLibrary -Path $target -Format $Runtimes[$rid].Format -Machine $Runtimes[$rid].Machine
                    New-StandInLibrary -Path $cli -Format $Runtimes[$rid].Format -Machine $Runtimes[$rid].Machine
                }
            }
        }

        function Invoke-ReleasePackage([string] $RuntimesPath, [string] $OutputPath) {
            # The error as one line on standard output: PowerShell's error view would wrap it at the console width.
            Invoke-TestChildProcess -TimeoutSeconds 120 -Script @"
try { & $(ConvertTo-TestLiteral $BuildScript) -Task Package -RuntimesPath $(ConvertTo-TestLiteral $RuntimesPath) -OutputPath $(ConvertTo-TestLiteral $OutputPath) }
catch { 'FAILED: ' + `$_.Exception.Message; exit 1 }
"@
        }
    }

    It 'holds all seven runtimes, each under its own name, the real library of this platform among them, and imports here' {
        $runtimesPath = Join-Path $TestDrive 'release/runtimes'
        $out = Join-Path $TestDrive 'release/out'
        New-RuntimesFolder $runtimesPath
        $run = Invoke-ReleasePackage -RuntimesPath $runtimesPath -OutputPath $out
        $run.ExitCode | Should -Be 0 -Because $run.Output

        $package = @(Get-ChildItem -LiteralPath (Join-Path $out 'Set-AwsCliSsoCredentials') -Directory)
        $package.Count | Should -Be 1
        $libraries = @(Get-ChildItem -LiteralPath (Join-Path $package[0].FullName 'module/runtimes') -Recurse -File |
                ForEach-Object { "$($_.Directory.Name)/$($_.Name)" } | Sort-Object)
        $libraries | Should -Be @('linux-arm64/libssocreds.so', 'linux-arm64/ssocreds-cli', 'linux-x64/libssocreds.so', 'linux-x64/ssocreds-cli',
            'osx-arm64/libssocreds.dylib', 'osx-arm64/ssocreds-cli', 'osx-x64/libssocreds.dylib', 'osx-x64/ssocreds-cli',
            'win-arm64/ssocreds-cli.exe', 'win-arm64/ssocreds.dll', 'win-x64/ssocreds-cli.exe', 'win-x64/ssocreds.dll',
            'win-x86/ssocreds-cli.exe', 'win-x86/ssocreds.dll')
        if ($PSVersionTable.PSEdition -eq 'Core' -and -not $IsWindows) {
            # A credential_process line runs it: it must stay executable.
            $cli = Get-Item -LiteralPath (Join-Path $package[0].FullName "module/runtimes/$BuiltRid/$($BuiltCli.Name)")
            $cli.UnixFileMode.HasFlag([System.IO.UnixFileMode]::UserExecute) | Should -BeTrue
        }
        $packaged = Join-Path $package[0].FullName "module/runtimes/$BuiltRid/$($BuiltLibrary.Name)"
        (Get-FileHash -LiteralPath $packaged).Hash | Should -Be (Get-FileHash -LiteralPath $BuiltLibrary.FullName).Hash

        $import = Invoke-TestChildProcess -TimeoutSeconds 60 -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module $(ConvertTo-TestLiteral (Join-Path $package[0].FullName 'Set-AwsCliSsoCredentials.psd1'))
'NATIVE=' + [SetAwsCliSsoCredentials.SsoCredsNative]::LoadedPath
"@
        $import.ExitCode | Should -Be 0 -Because $import.Output
        $native = ($import.Output -split '\r?\n' | Where-Object { $_ -like 'NATIVE=*' }) -replace '^NATIVE=', ''
        [System.IO.Path]::GetFullPath($native) | Should -Be ([System.IO.Path]::GetFullPath($packaged))
    }

    It 'refuses a runtimes folder without <Rid>, naming it, and lays out no package' -ForEach @(
        @{ Rid = 'win-x86' }, @{ Rid = 'osx-x64' }
    ) {
        $runtimesPath = Join-Path $TestDrive "missing-$Rid/runtimes"
        $out = Join-Path $TestDrive "missing-$Rid/out"
        New-RuntimesFolder $runtimesPath
        Remove-Item -LiteralPath (Join-Path $runtimesPath $Rid) -Recurse -Force
        $run = Invoke-ReleasePackage -RuntimesPath $runtimesPath -OutputPath $out
        $run.ExitCode | Should -Not -Be 0 -Because $run.Output
        $run.Output | Should -Match ([regex]::Escape("$Rid is missing"))
        Test-Path -LiteralPath (Join-Path $out 'Set-AwsCliSsoCredentials') | Should -BeFalse
    }

    It 'refuses a runtime without its ssocreds-cli (what -CredentialProcess profiles run), naming it' {
        $runtimesPath = Join-Path $TestDrive 'no-cli/runtimes'
        New-RuntimesFolder $runtimesPath
        Remove-Item -LiteralPath (Join-Path $runtimesPath 'osx-arm64/ssocreds-cli')
        $run = Invoke-ReleasePackage -RuntimesPath $runtimesPath -OutputPath (Join-Path $TestDrive 'no-cli/out')
        $run.ExitCode | Should -Not -Be 0 -Because $run.Output
        $run.Output | Should -Match ([regex]::Escape('osx-arm64 has no ssocreds-cli'))
    }

    It 'refuses a library built for another processor (the host''s, where a cross-build was meant), naming it' {
        $runtimesPath = Join-Path $TestDrive 'wrong-processor/runtimes'
        New-RuntimesFolder $runtimesPath
        New-StandInLibrary -Path (Join-Path $runtimesPath 'win-arm64/ssocreds.dll') -Format PE -Machine 0x8664
        New-StandInLibrary -Path (Join-Path $runtimesPath 'linux-arm64/libssocreds.so') -Format ELF -Machine 62
        $run = Invoke-ReleasePackage -RuntimesPath $runtimesPath -OutputPath (Join-Path $TestDrive 'wrong-processor/out')
        $run.ExitCode | Should -Not -Be 0 -Because $run.Output
        $run.Output | Should -Match ([regex]::Escape('win-arm64/ssocreds.dll is PE x64'))
        $run.Output | Should -Match ([regex]::Escape('linux-arm64/libssocreds.so is ELF x64'))
    }

    It 'refuses a Windows library that needs the Visual C++ runtime DLLs (built without +crt-static), naming it' {
        $runtimesPath = Join-Path $TestDrive 'dynamic-crt/runtimes'
        New-RuntimesFolder $runtimesPath
        New-StandInDllImporting -Path (Join-Path $runtimesPath 'win-x86/ssocreds.dll') -Machine 0x014C -DllName 'VCRUNTIME140.dll'
        New-StandInDllImporting -Path (Join-Path $runtimesPath 'win-x64/ssocreds.dll') -Machine 0x8664 -DllName 'KERNEL32.dll'
        $run = Invoke-ReleasePackage -RuntimesPath $runtimesPath -OutputPath (Join-Path $TestDrive 'dynamic-crt/out')
        $run.ExitCode | Should -Not -Be 0 -Because $run.Output
        $run.Output | Should -Match ([regex]::Escape('win-x86/ssocreds.dll needs the C runtime DLLs VCRUNTIME140.dll'))
        $run.Output | Should -Not -Match 'win-x64/ssocreds.dll' -Because 'KERNEL32.dll is part of Windows'
    }
}

# The other way round: shown as skipped, with its reason, in a run that packaged nothing.
Describe 'the packaged module, when SSOCREDS_PACKAGE_PATH is not set' -Skip:(-not $NotPackaged) {
    It 'is not tested here' {
        Set-ItResult -Skipped -Because 'SSOCREDS_PACKAGE_PATH is not set: ./build.ps1 -Task Test packages the module and sets it'
    }
}
