# ErrorRecords with stable ErrorIds (SsoCreds.<Code>) from the library's stable error codes.

function Get-SsoCredsErrorCategory {
    <#
    .SYNOPSIS
    The ErrorCategory that fits an error code of the library.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorCategory])]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Code
    )

    switch ($Code) {
        'InvalidInput' { return [System.Management.Automation.ErrorCategory]::InvalidArgument }
        'InsecureEndpoint' { return [System.Management.Automation.ErrorCategory]::SecurityError }
        'LoginRequired' { return [System.Management.Automation.ErrorCategory]::AuthenticationError }
        'LoginPending' { return [System.Management.Automation.ErrorCategory]::AuthenticationError }
        'DeviceCodeExpired' { return [System.Management.Automation.ErrorCategory]::OperationTimeout }
        'AccessDenied' { return [System.Management.Automation.ErrorCategory]::PermissionDenied }
        'Forbidden' { return [System.Management.Automation.ErrorCategory]::PermissionDenied }
        'NotFound' { return [System.Management.Automation.ErrorCategory]::ObjectNotFound }
        'Throttled' { return [System.Management.Automation.ErrorCategory]::LimitsExceeded }
        'ServiceError' { return [System.Management.Automation.ErrorCategory]::InvalidResult }
        'Network' { return [System.Management.Automation.ErrorCategory]::ConnectionError }
        'Io' { return [System.Management.Automation.ErrorCategory]::WriteError }
        'Cancelled' { return [System.Management.Automation.ErrorCategory]::OperationStopped }
    }
    [System.Management.Automation.ErrorCategory]::NotSpecified
}

function New-SsoCredsErrorRecord {
    <#
    .SYNOPSIS
    An ErrorRecord whose ErrorId is SsoCreds.<Code>, e.g. SsoCreds.Forbidden.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Code,

        [Parameter(Mandatory = $true)]
        [string] $Message,

        [object] $TargetObject,

        [string] $RecommendedAction
    )

    switch ($Code) {
        'InvalidInput' { $exception = [System.ArgumentException]::new($Message) }
        'Io' { $exception = [System.IO.IOException]::new($Message) }
        'Cancelled' { $exception = [System.OperationCanceledException]::new($Message) }
        default { $exception = [System.InvalidOperationException]::new($Message) }
    }
    $record = [System.Management.Automation.ErrorRecord]::new(
        $exception, ('SsoCreds.{0}' -f $Code), (Get-SsoCredsErrorCategory -Code $Code), $TargetObject)
    if ($RecommendedAction) {
        $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($Message)
        $record.ErrorDetails.RecommendedAction = $RecommendedAction
    }
    $record
}

function New-SsoCredsErrorRecordFromEnvelope {
    <#
    .SYNOPSIS
    The ErrorRecord for a failed envelope {ok:false, error:{code, message}}.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)]
        [object] $Envelope,

        [object] $TargetObject
    )

    $code = [string]$Envelope.error.code
    if (-not $code) { $code = 'Panic' }
    $message = [string]$Envelope.error.message
    if (-not $message) { $message = "The library reported the error $code." }
    $action = $null
    if ($code -eq 'LoginRequired') {
        $action = 'Run Set-AwsCliSsoCredentials without -NonInteractive to log in to IAM Identity Center.'
    }
    New-SsoCredsErrorRecord -Code $code -Message $message -TargetObject $TargetObject -RecommendedAction $action
}
