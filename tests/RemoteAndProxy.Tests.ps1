#Requires -Version 5.1
# A PowerShell remoting session (issue 19): the module tells the library that it runs in one (the host
# is ServerRemoteHost), and the library logs in with a device code by itself, saying why: no browser at
# the user's computer can reach a loopback redirect on this one. No real remoting is needed: the command
# runs in a runspace whose host is named as the remoting server's host is, with this host's UI.
# (The proxy routes are tested in the engine, rust/engine/tests/proxy.rs: .NET reads its default proxy
# once per process, so a test here could not change it.)

BeforeAll {
    . (Join-Path $PSScriptRoot 'pester/TestHelpers.ps1')
    $SavedEnvironment = Set-TestHome -Path (Join-Path $TestDrive 'home')
    Import-Module (Get-TestModuleManifest) -Force -ErrorAction Stop
    $Fake = Start-FakeIdentityCenter -ArgumentList @('--accounts', '1', '--roles', 'ReadOnly', '--approve-after-polls', '1')
    Use-TestEndpoint $Fake
    # No browser launcher: the device code is printed, not opened.
    $SavedPath = Use-TestNoBrowser -EmptyFolder (Join-Path $TestDrive 'no-browser-bin')

    if (-not ('SsoCredsTests.NamedHost' -as [type])) {
        Add-Type -TypeDefinition @'
using System;
using System.Globalization;
using System.Management.Automation.Host;

namespace SsoCredsTests
{
    /// <summary>A host with the name of choice that shows what it is given through another host's UI.</summary>
    public sealed class NamedHost : PSHost
    {
        private readonly string name;
        private readonly PSHostUserInterface ui;
        private readonly Guid id = Guid.NewGuid();

        public NamedHost(string name, PSHostUserInterface ui) { this.name = name; this.ui = ui; }

        public override string Name { get { return name; } }
        public override Version Version { get { return new Version(1, 0); } }
        public override Guid InstanceId { get { return id; } }
        public override PSHostUserInterface UI { get { return ui; } }
        public override CultureInfo CurrentCulture { get { return CultureInfo.CurrentCulture; } }
        public override CultureInfo CurrentUICulture { get { return CultureInfo.CurrentUICulture; } }
        public override void SetShouldExit(int exitCode) { }
        public override void EnterNestedPrompt() { throw new NotSupportedException(); }
        public override void ExitNestedPrompt() { throw new NotSupportedException(); }
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
    }
}
'@
    }

    # Logs in to a new environment in a runspace whose host is named $HostName; the verbose lines.
    function Invoke-LoginInHost([string] $HostName, [string] $Environment) {
        $runspace = [runspacefactory]::CreateRunspace([SsoCredsTests.NamedHost]::new($HostName, $Host.UI))
        $runspace.Open()
        $shell = [powershell]::Create()
        $shell.Runspace = $runspace
        try {
            $null = $shell.AddScript({
                    param($Manifest, $Environment, $File)
                    Import-Module $Manifest -ErrorAction Stop
                    Set-AwsCliSsoCredentials -EnvironmentName $Environment -StartUrl 'https://d-1234567890.awsapps.com/start' `
                        -Region us-east-1 -DefaultRoleName ReadOnly -NonInteractive:$false -CredentialsFile $File `
                        -Account @{ Profile = 'remote'; AccountId = '100000000000' } -Verbose -InformationAction SilentlyContinue
                }).AddParameters(@{ Manifest = (Get-TestModuleManifest); Environment = $Environment; File = (Join-Path $TestDrive "$Environment-credentials") })
            $null = $shell.Invoke()
            [pscustomobject]@{ Verbose = @($shell.Streams.Verbose | ForEach-Object Message); Errors = @($shell.Streams.Error) }
        }
        finally {
            $shell.Dispose()
            $runspace.Dispose()
        }
    }
}

AfterAll {
    Stop-FakeIdentityCenter $Fake
    $env:PATH = $SavedPath
    Restore-TestEnvironment $SavedEnvironment
    foreach ($name in 'Remote', 'Local') {
        foreach ($suffix in 'SsoAwsAccounts', 'SsoAwsSettings', 'SSOTokenExpire') {
            Remove-Variable -Name "$name$suffix" -Scope Global -ErrorAction SilentlyContinue
        }
    }
}

Describe 'a PowerShell remoting session' {
    It 'logs in with a device code, saying it is a remoting session, and writes the credentials' {
        $run = Invoke-LoginInHost -HostName 'ServerRemoteHost' -Environment 'Remote'
        $run.Errors | Should -BeNullOrEmpty
        $run.Verbose | Where-Object { $_ -like 'Logging in with a device code: a PowerShell remoting session*' } | Should -Not -BeNullOrEmpty
        (Read-CredentialsFile (Join-Path $TestDrive 'Remote-credentials')).Keys | Should -Contain 'remote'
    }

    It 'is not said of another host' {
        $run = Invoke-LoginInHost -HostName 'SomeOtherHost' -Environment 'Local'
        $run.Errors | Should -BeNullOrEmpty
        $run.Verbose | Where-Object { $_ -like '*PowerShell remoting*' } | Should -BeNullOrEmpty
    }
}
