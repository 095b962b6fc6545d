# Pinned versions of the tools the build uses: the one place to change them.
@{
    Pester           = '5.7.1'
    PSScriptAnalyzer = '1.24.0'
    # The oldest .NET SDK that builds module/src (netstandard2.0); GitHub Actions installs this line.
    DotNetSdkMajor   = 8
}
