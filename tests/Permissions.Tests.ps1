#Requires -Version 5.1
# A credentials file that other users can read (issue 17): a run that writes secrets into it warns once,
# naming the file, its mode and the fix (chmod 600), as ssh does for a private key, and leaves the mode as
# the user chose it. A private file, and a run that writes nothing, give no warning. Unix only: Windows has
# no mode bits, and the library warns of nothing there.
#
# This process runs as `pwsh -NonInteractive`: the first call logs in with -NonInteractive:$false. With no
# browser on PATH the login is a device code, which the fake approves by itself.

BeforeDiscovery {
    $OnWindows = ($PSVersionTable.PSEdition -ne 'Core') -or $IsWindows
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop

    $Fake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '2', '--roles', 'ReadOnly', '--approve-after-polls', '2')
    Use-TestEndpoint $Fake
    $SavedPath = Use-TestNoBrowser -EmptyFolder (Join-Path $TestDrive 'no-browser-bin')

    $Run = @{
        EnvironmentName = 'Permissions'
        StartUrl        = 'https://d-1234567890.awsapps.com/start'
        Region          = 'us-east-1'
        DefaultRoleName = 'ReadOnly'
        Account         = @{ Profile = 'dev'; AccountId = (Get-FakeAccountId 0) }
    }
    # Logged in once, writing to a new file (created 0600): the tests' own calls need no login.
    $null = Set-AwsCliSsoCredentials @Run -NonInteractive:$false -CredentialsFile (Join-Path $TestDrive 'first') -WarningAction SilentlyContinue

    function New-TestCredentialsFile([string] $Name, [int] $Mode) {
        $path = Join-Path $TestDrive $Name
        Set-Content -LiteralPath $path -Value "[other]`nregion = eu-west-1"
        [System.IO.File]::SetUnixFileMode($path, [System.IO.UnixFileMode]$Mode)
        $path
    }

    function Get-TestFileMode([string] $Path) {
        [int][System.IO.File]::GetUnixFileMode($Path)
    }
}

AfterAll {
    Stop-FakeIdentityCenter $Fake
    $env:PATH = $SavedPath
    Restore-TestEnvironment $SavedEnvironment
}

Describe 'Secrets written to a credentials file' -Skip:$OnWindows {
    It 'that other users can read: one warning naming the file, its mode and the fix; the mode is kept' {
        $file = New-TestCredentialsFile -Name 'shared' -Mode 420   # 0644

        $null = Set-AwsCliSsoCredentials @Run -CredentialsFile $file -WarningVariable warned -WarningAction SilentlyContinue

        (Read-CredentialsFile -Path $file)['dev']['aws_access_key_id'] | Should -Not -BeNullOrEmpty
        @($warned).Count | Should -Be 1 -Because "one warning per run: $($warned -join ' | ')"
        $message = "$($warned[0])"
        $message | Should -BeLike "*$file*"
        $message | Should -BeLike '*mode 0644*'
        $message | Should -BeLike "*chmod 600 $file*"
        Get-TestFileMode $file | Should -Be 420 -Because 'the mode is the user''s choice'

        # Nothing to write (the profile is current): nothing to warn of.
        $null = Set-AwsCliSsoCredentials @Run -CredentialsFile $file -WarningVariable again -WarningAction SilentlyContinue
        @($again).Count | Should -Be 0 -Because "$($again -join ' | ')"
    }

    It 'that only its owner can read: no warning' {
        $file = New-TestCredentialsFile -Name 'private' -Mode 384   # 0600

        $null = Set-AwsCliSsoCredentials @Run -CredentialsFile $file -WarningVariable warned -WarningAction SilentlyContinue

        (Read-CredentialsFile -Path $file)['dev']['aws_access_key_id'] | Should -Not -BeNullOrEmpty
        @($warned).Count | Should -Be 0 -Because "$($warned -join ' | ')"
        Get-TestFileMode $file | Should -Be 384
    }
}
