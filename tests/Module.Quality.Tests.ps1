#Requires -Version 5.1
# Quality of the built module: manifest, exports, the compiled assembly, and the MAML help of every cmdlet.

BeforeDiscovery {
    # The five cmdlets by name, not what the module happens to export (the manifest tests check that).
    $Commands = @('Clear-AwsCliSsoSession', 'Get-AwsCliSsoAccount', 'Get-AwsCliSsoCredential', 'Get-AwsCliSsoSession', 'Set-AwsCliSsoCredentials') | ForEach-Object { @{ Name = $_ } }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    # Nothing here calls the library, but never the user's real ~/.aws all the same.
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    $ManifestPath = Get-TestModuleManifest
    Import-Module $ManifestPath -Force -ErrorAction Stop
    $ManifestData = Import-PowerShellDataFile -Path $ManifestPath
}

AfterAll {
    Restore-TestEnvironment $SavedEnvironment
}

Describe 'the manifest' {
    It 'is valid' {
        { Test-ModuleManifest -Path $ManifestPath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'is a binary module: RootModule is the compiled DLL, no script is loaded' {
        $ManifestData.RootModule | Should -BeLike '*.dll'
        Test-Path -LiteralPath (Join-Path (Split-Path $ManifestPath) $ManifestData.RootModule) -PathType Leaf | Should -BeTrue
        (Get-Module Set-AwsCliSsoCredentials).ModuleType | Should -Be 'Binary'
        foreach ($key in 'ScriptsToProcess', 'NestedModules', 'TypesToProcess', 'RequiredAssemblies') {
            @($ManifestData[$key] | Where-Object { $_ -match '\.(ps1|psm1|cs)$' }).Count | Should -Be 0 -Because "$key loads no script or C# source"
        }
    }

    It 'exports exactly the five cmdlets, and no function, without wildcards' {
        $cmdlets = @('Clear-AwsCliSsoSession', 'Get-AwsCliSsoAccount', 'Get-AwsCliSsoCredential', 'Get-AwsCliSsoSession', 'Set-AwsCliSsoCredentials')
        @($ManifestData.CmdletsToExport) | Sort-Object | Should -Be $cmdlets
        (Get-Module Set-AwsCliSsoCredentials).ExportedCmdlets.Keys | Sort-Object | Should -Be $cmdlets
        $ManifestData.ContainsKey('FunctionsToExport') | Should -BeTrue -Because 'an absent FunctionsToExport means every function'
        @($ManifestData.FunctionsToExport).Count | Should -Be 0
        @((Get-Module Set-AwsCliSsoCredentials).ExportedFunctions.Keys).Count | Should -Be 0
        @($ManifestData.VariablesToExport).Count | Should -Be 0
        @($ManifestData.AliasesToExport).Count | Should -Be 0
        (Get-Command -Module Set-AwsCliSsoCredentials | ForEach-Object { "$($_.CommandType)" } | Sort-Object -Unique) | Should -Be 'Cmdlet'
    }

    It 'loads the format data of the output types' {
        @($ManifestData.FormatsToProcess).Count | Should -BeGreaterThan 0
        foreach ($format in $ManifestData.FormatsToProcess) {
            $format | Should -BeLike '*.format.ps1xml'
            Test-Path -LiteralPath (Join-Path (Split-Path $ManifestPath) $format) -PathType Leaf | Should -BeTrue
        }
    }

    It 'has no PowerShell script or C# source beside the DLL' {
        $moduleFolder = Split-Path -Parent (Join-Path (Split-Path $ManifestPath) $ManifestData.RootModule)
        $sep = [regex]::Escape([System.IO.Path]::DirectorySeparatorChar)
        $scripts = @(Get-ChildItem -LiteralPath $moduleFolder -Recurse -File |
                Where-Object { $_.Extension -in '.ps1', '.psm1', '.cs' } |
                Where-Object { $_.FullName.Substring($moduleFolder.Length) -notmatch "^$($sep)src$sep" })
        $scripts.FullName | Should -BeNullOrEmpty
    }

    It 'runs on Windows PowerShell 5.1 and PowerShell 7' {
        $ManifestData.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $ManifestData.PowerShellVersion | Should -Be '5.1'
    }

    It 'carries the version of the Rust crates' {
        $cargo = Get-Content -Raw -LiteralPath (Join-Path (Get-TestRepoRoot) 'Cargo.toml')
        $section = [regex]::Match($cargo, '(?ms)^\[workspace\.package\]\s*$(.*?)(?=^\[|\z)').Groups[1].Value
        $version = [regex]::Match($section, '(?m)^\s*version\s*=\s*"([^"]+)"').Groups[1].Value
        $ManifestData.ModuleVersion | Should -Be $version
    }

    It 'is ready for the PowerShell Gallery, with the LICENSE it points to' {
        $psData = $ManifestData.PrivateData.PSData
        foreach ($tag in 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS', 'AWS', 'SSO') {
            $psData.Tags | Should -Contain $tag
        }
        $psData.ProjectUri | Should -Be 'https://github.com/set-awsclissocredentials/set-awsclissocredentials'
        $psData.LicenseUri | Should -BeLike 'https://github.com/set-awsclissocredentials/set-awsclissocredentials*/LICENSE'
        $license = Join-Path (Get-TestRepoRoot) 'LICENSE'
        Test-Path -LiteralPath $license -PathType Leaf | Should -BeTrue
        Get-Content -LiteralPath $license -Raw | Should -BeLike '*Apache License*Version 2.0*'
    }
}

Describe 'the compiled assembly' {
    It 'is the DLL file the manifest names, not an assembly compiled at import' {
        $assembly = [SetAwsCliSsoCredentials.SsoCredsNative].Assembly
        $assembly.IsDynamic | Should -BeFalse
        $expected = [System.IO.Path]::GetFullPath((Join-Path (Split-Path $ManifestPath) $ManifestData.RootModule))
        $assembly.Location | Should -Not -BeNullOrEmpty
        [System.IO.Path]::GetFullPath($assembly.Location) | Should -Be $expected
        [SetAwsCliSsoCredentials.SsoCredsNative].IsPublic | Should -BeTrue
        (Get-Command Set-AwsCliSsoCredentials).ImplementingType.Assembly.Location | Should -Be $assembly.Location
    }

    It 'is the only assembly that defines SetAwsCliSsoCredentials types (no Add-Type)' {
        $defining = foreach ($candidate in [AppDomain]::CurrentDomain.GetAssemblies()) {
            $types = @()
            try { $types = $candidate.GetTypes() } catch [System.Reflection.ReflectionTypeLoadException] { $types = @($_.Exception.Types | Where-Object { $_ }) } catch { $types = @() }
            if ($types | Where-Object { $_.Namespace -and $_.Namespace.StartsWith('SetAwsCliSsoCredentials') }) { $candidate }
        }
        @($defining).Count | Should -Be 1
        @($defining)[0].Location | Should -Be ([SetAwsCliSsoCredentials.SsoCredsNative].Assembly.Location)
    }

    It 'has the version of the native library and of the manifest' {
        $native = [SetAwsCliSsoCredentials.SsoCredsNative]::Version()
        $native | Should -Be $ManifestData.ModuleVersion
        $version = [SetAwsCliSsoCredentials.SsoCredsNative].Assembly.GetName().Version
        '{0}.{1}.{2}' -f $version.Major, $version.Minor, $version.Build | Should -Be $native
    }

    It 'publishes the output types as real .NET types' {
        foreach ($name in 'ProfileResult', 'Session', 'Account', 'RoleCredential', 'LogoutResult', 'LoginRequiredException') {
            $type = "SetAwsCliSsoCredentials.$name" -as [type]
            $type | Should -Not -BeNullOrEmpty -Because "[SetAwsCliSsoCredentials.$name] is a public type"
            $type.Assembly | Should -Be ([SetAwsCliSsoCredentials.SsoCredsNative].Assembly)
        }
        [SetAwsCliSsoCredentials.ProfileResult].GetProperties().Name | Should -Be @('Profile', 'AccountId', 'RoleName', 'Status', 'Expiration', 'ConfigProfile', 'SsoSession')
    }
}

Describe 'help of <Name>' -ForEach $Commands {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
        $command = Get-Command -Name $Name
        $common = @([System.Management.Automation.PSCmdlet]::CommonParameters) + @([System.Management.Automation.PSCmdlet]::OptionalCommonParameters)
    }

    It 'has a MAML help file, SetAwsCliSsoCredentials.dll-Help.xml' {
        $command.CommandType | Should -Be 'Cmdlet'
        $command.HelpFile | Should -Not -BeNullOrEmpty
        Split-Path -Leaf $command.HelpFile | Should -Be 'SetAwsCliSsoCredentials.dll-Help.xml'
        # Beside the DLL (module/en-US/) or at the module's base; Get-Help must find it (tests below).
        $maml = @(
            (Split-Path -Parent $command.ImplementingType.Assembly.Location)
            (Get-Module Set-AwsCliSsoCredentials).ModuleBase
        ) | ForEach-Object { Join-Path (Join-Path $_ 'en-US') 'SetAwsCliSsoCredentials.dll-Help.xml' } |
            Where-Object { Test-Path -LiteralPath $_ -PathType Leaf } | Select-Object -First 1
        $maml | Should -Not -BeNullOrEmpty
        [xml]$xml = Get-Content -LiteralPath $maml -Raw
        $names = @($xml.helpItems.command | ForEach-Object { $_.details.name })
        $names | Should -Contain $Name
    }

    It 'has a synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without comment-based help, PowerShell makes the syntax line the synopsis.
        $help.Synopsis.Trim() | Should -Not -BeLike "$Name *"
    }

    It 'has a description' {
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example' {
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        (@($help.Examples.Example)[0].Code | Out-String).Trim() | Should -BeLike "*$Name*"
    }

    It 'documents every parameter' {
        $parameters = $command.Parameters.Keys | Where-Object { $_ -notin $common }
        foreach ($parameter in $parameters) {
            $documented = $help.Parameters.Parameter | Where-Object { $_.Name -eq $parameter }
            ($documented.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter of $Name needs a description"
        }
    }
}

Describe 'help of Set-AwsCliSsoCredentials for unattended use' {
    It 'shows $PROFILE with -NonInteractive and the schedulers' {
        # One line, single spaces: help text wraps where the console and the source lines break it.
        $text = (Get-Help -Name Set-AwsCliSsoCredentials -Full | Out-String -Width 4096) -replace '\s+', ' '
        foreach ($needle in '$PROFILE', '-NonInteractive', 'Task Scheduler', 'cron', 'launchd', '-NoBrowser',
            '~/.aws/sso/cache/', 'refresh token', 'LoginRequired', '-NoTokenFile', '-ConfigureSsoSession', 'sso-session') {
            $text | Should -BeLike "*$needle*"
        }
    }

    It 'catches only the login-required error in its example, by its own exception type' {
        $text = (Get-Help -Name Set-AwsCliSsoCredentials -Full | Out-String -Width 4096) -replace '\s+', ' '
        $text | Should -BeLike '*catch `[SetAwsCliSsoCredentials.LoginRequiredException`]*'
        $text | Should -Not -BeLike '*catch `[System.InvalidOperationException`]*'
    }
}

Describe 'help of discovery' {
    It 'shows Get-AwsCliSsoAccount piped into Set-AwsCliSsoCredentials, and -AllAccounts with a template' {
        $text = (Get-Help -Name Get-AwsCliSsoAccount -Full | Out-String -Width 4096) -replace '\s+', ' '
        $text | Should -BeLike '*Get-AwsCliSsoAccount*| Where-Object RoleName -eq ReadOnly | Set-AwsCliSsoCredentials*'
        $text = (Get-Help -Name Set-AwsCliSsoCredentials -Full | Out-String -Width 4096) -replace '\s+', ' '
        $text | Should -BeLike "*-AllAccounts -IncludeRole ReadOnly -ProfileNameTemplate '{AccountName}-{RoleName}'*"
    }
}

Describe 'the native library' {
    It 'is loaded from module/runtimes/(rid)/ by absolute path' {
        $path = [SetAwsCliSsoCredentials.SsoCredsNative]::LoadedPath
        [System.IO.Path]::IsPathRooted($path) | Should -BeTrue
        $path | Should -BeLike '*runtimes*ssocreds*'
        Test-Path -LiteralPath $path | Should -BeTrue
    }
}
