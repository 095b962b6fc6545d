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
        $manifest.ExportedCmdlets.Keys | Sort-Object | Should -Be @('Clear-AwsCliSsoSession', 'Get-AwsCliSsoAccount', 'Get-AwsCliSsoSession', 'Set-AwsCliSsoCredentials')
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

# The other way round: shown as skipped, with its reason, in a run that packaged nothing.
Describe 'the packaged module, when SSOCREDS_PACKAGE_PATH is not set' -Skip:(-not $NotPackaged) {
    It 'is not tested here' {
        Set-ItResult -Skipped -Because 'SSOCREDS_PACKAGE_PATH is not set: ./build.ps1 -Task Test packages the module and sets it'
    }
}
