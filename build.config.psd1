# Pinned versions of the PowerShell tools the build uses: the one place to change them.
@{
    Pester           = '5.7.1'
    PSScriptAnalyzer = '1.24.0'
}
