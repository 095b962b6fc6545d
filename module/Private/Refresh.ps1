# A refresh run in the background of the library, polled so that progress shows and Ctrl+C works.

function Invoke-SsoCredsRefreshOperation {
    <#
    .SYNOPSIS
    ssocreds_refresh_start, then ssocreds_refresh_poll until done; returns the envelope {ok, result|error}.
    .DESCRIPTION
    Shows Write-Progress (profiles completed of total). If the loop is left before the refresh is done
    (Ctrl+C, a stopped pipeline), ssocreds_refresh_cancel stops it in the finally block: nothing is written.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary] $Request
    )

    $started = Invoke-SsoCredsNative -Function 'refresh_start' -Request $Request
    if (-not $started.ok) {
        return $started
    }
    $operationId = $started.result.operationId
    $activity = 'Refreshing AWS credentials ({0})' -f $Request['environment']
    $finished = $false
    try {
        while ($true) {
            $polled = Invoke-SsoCredsNative -Function 'refresh_poll' -Request ([ordered]@{ operationId = $operationId; waitMs = 250 })
            if (-not $polled.ok) {
                # The operation failed as a whole and is forgotten by the library.
                $finished = $true
                return $polled
            }
            $state = $polled.result
            if ($state.status -eq 'done') {
                $finished = $true
                return [pscustomobject]@{ ok = $true; result = $state.result }
            }
            $total = [int]$state.total
            $completed = [int]$state.completed
            $percent = 0
            if ($total -gt 0) { $percent = [math]::Min(100, [int](100 * $completed / $total)) }
            Microsoft.PowerShell.Utility\Write-Progress -Activity $activity -Status ('{0} of {1} profiles' -f $completed, $total) -PercentComplete $percent
        }
    }
    finally {
        if (-not $finished) {
            $null = Invoke-SsoCredsNative -Function 'refresh_cancel' -Request ([ordered]@{ operationId = $operationId })
        }
        Microsoft.PowerShell.Utility\Write-Progress -Activity $activity -Completed
    }
}
