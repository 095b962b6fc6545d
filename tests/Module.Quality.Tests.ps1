#Requires -Version 5.1
# Quality of the built module: manifest, exports, and help on every exported command.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop
    $Commands = @(Get-Command -Module Set-AwsCliSsoCredentials | ForEach-Object { @{ Name = $_.Name } })
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

    It 'exports exactly the public functions, without wildcards' {
        $exported = (Get-Module Set-AwsCliSsoCredentials).ExportedFunctions.Keys | Sort-Object
        $ManifestData.FunctionsToExport | Sort-Object | Should -Be $exported
        $ManifestData.FunctionsToExport -join ',' | Should -Not -BeLike '*`**'
        @($ManifestData.CmdletsToExport).Count | Should -Be 0
        @($ManifestData.VariablesToExport).Count | Should -Be 0
        @($ManifestData.AliasesToExport).Count | Should -Be 0
        $public = Get-ChildItem -Path (Join-Path (Split-Path $ManifestPath) 'module/Public') -Filter *.ps1 | ForEach-Object { $_.BaseName } | Sort-Object
        $exported | Should -Be $public
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

    It 'is ready for the PowerShell Gallery' {
        $psData = $ManifestData.PrivateData.PSData
        foreach ($tag in 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS', 'AWS', 'SSO') {
            $psData.Tags | Should -Contain $tag
        }
        $psData.ProjectUri | Should -Be 'https://github.com/set-awsclissocredentials/set-awsclissocredentials'
        $psData.LicenseUri | Should -BeLike 'https://github.com/set-awsclissocredentials/set-awsclissocredentials*'
    }
}

Describe 'help of <Name>' -ForEach $Commands {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
        $command = Get-Command -Name $Name
        $common = @([System.Management.Automation.PSCmdlet]::CommonParameters) + @([System.Management.Automation.PSCmdlet]::OptionalCommonParameters)
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
        ($help.Examples.Example[0].Code | Out-String).Trim() | Should -Not -BeNullOrEmpty
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
    It 'is loaded from module/runtimes/<rid>/ by absolute path' {
        $path = [SetAwsCliSsoCredentials.SsoCredsNative]::LoadedPath
        [System.IO.Path]::IsPathRooted($path) | Should -BeTrue
        $path | Should -BeLike '*runtimes*ssocreds*'
        Test-Path -LiteralPath $path | Should -BeTrue
    }
}
