"""PowerShell checks without PowerShell: every .ps1/.psm1/.psd1 parses (tree-sitter-powershell), the
manifest exports exactly the functions of module/Public, each with comment-based help, and the module's
files are ASCII (Windows PowerShell 5.1 reads a BOM-less file in the ANSI code page)."""

from __future__ import annotations

import re
import subprocess

import pytest
import tree_sitter
import tree_sitter_powershell

from conftest import REPO

LANGUAGE = tree_sitter.Language(tree_sitter_powershell.language())
PARSER = tree_sitter.Parser(LANGUAGE)
MANIFEST = REPO / "Set-AwsCliSsoCredentials.psd1"
PUBLIC = REPO / "module" / "Public"


def powershell_files():
    """Tracked files plus untracked files that are not ignored."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.ps1", "*.psm1", "*.psd1"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout
    return sorted({REPO / line for line in out.splitlines() if line and (REPO / line).is_file()})


def problems(node, found):
    if node.type == "ERROR" or node.is_missing:
        kind = "missing " + node.type if node.is_missing else "syntax error"
        found.append((node.start_point[0] + 1, node.start_point[1] + 1, kind))
    if node.has_error:
        for child in node.children:
            problems(child, found)
    return found


FILES = powershell_files()


def test_there_are_powershell_files():
    names = {p.relative_to(REPO).as_posix() for p in FILES}
    for expected in ("Set-AwsCliSsoCredentials.psd1", "module/Set-AwsCliSsoCredentials.psm1", "build.ps1"):
        assert expected in names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_parses_without_errors(path):
    source = path.read_bytes()
    tree = PARSER.parse(source)
    found = problems(tree.root_node, [])
    lines = source.decode("utf-8", "replace").splitlines()
    report = [
        f"{path.relative_to(REPO)}:{line}:{col}: {kind}: {lines[line - 1].strip() if line <= len(lines) else ''}"
        for line, col, kind in found
    ]
    assert not report, "\n".join(report)


def test_the_grammar_does_report_errors():
    """The check above would be worthless if the parser accepted anything."""
    tree = PARSER.parse(b"function Broken { param( [string] $x \n if ($x -eq { \n")
    assert problems(tree.root_node, [])


@pytest.mark.parametrize(
    "path",
    [p for p in FILES if p.relative_to(REPO).parts[0] in ("module",) or p.name in ("Set-AwsCliSsoCredentials.psd1", "build.ps1", "build.config.psd1")]
    + sorted((REPO / "module").rglob("*.cs")),
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_module_files_are_ascii(path):
    data = path.read_bytes()
    bad = [i for i, b in enumerate(data) if b > 0x7F]
    assert not bad, f"{path.relative_to(REPO)} has non-ASCII bytes (first at offset {bad[0]}); Windows PowerShell 5.1 would misread them"


def manifest_list(key: str) -> list[str] | None:
    text = MANIFEST.read_text(encoding="utf-8")
    m = re.search(rf"^\s*{key}\s*=\s*@\((.*?)\)", text, re.S | re.M)
    if not m:
        return None
    return [a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", m.group(1))]


def public_functions() -> dict[str, str]:
    """function name -> source text of its definition, for each function in module/Public."""
    found = {}
    for path in sorted(PUBLIC.glob("*.ps1")):
        source = path.read_bytes()
        tree = PARSER.parse(source)
        stack = [tree.root_node]
        while stack:
            node = stack.pop()
            if node.type == "function_statement":
                name = next((c for c in node.children if c.type == "function_name"), None)
                assert name is not None, f"{path}: function without a name"
                found[name.text.decode()] = node.text.decode("utf-8")
            stack.extend(node.children)
    return found


def test_manifest_exports_exactly_the_public_functions():
    exported = manifest_list("FunctionsToExport")
    assert exported is not None, "FunctionsToExport must be an explicit @(...) list"
    assert not any("*" in name for name in exported), "no wildcards in FunctionsToExport"
    assert sorted(exported) == sorted(public_functions())
    # One public function per file, named like the file.
    for path in PUBLIC.glob("*.ps1"):
        assert path.stem in exported


def test_manifest_fields():
    text = MANIFEST.read_text(encoding="utf-8")
    for key in ("CmdletsToExport", "VariablesToExport", "AliasesToExport"):
        assert re.search(rf"^\s*{key}\s*=\s*@\(\)\s*$", text, re.M), f"{key} must be @()"
    assert manifest_list("CompatiblePSEditions") == ["Desktop", "Core"]
    assert re.search(r"^\s*PowerShellVersion\s*=\s*'5\.1'", text, re.M)
    assert re.search(r"^\s*RootModule\s*=\s*'module/Set-AwsCliSsoCredentials\.psm1'", text, re.M)
    assert (REPO / "module" / "Set-AwsCliSsoCredentials.psm1").is_file()
    assert re.search(r"^\s*GUID\s*=\s*'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'", text, re.M)
    tags = manifest_list("Tags")
    for tag in ("PSEdition_Desktop", "PSEdition_Core", "Windows", "Linux", "MacOS", "AWS", "SSO"):
        assert tag in tags


def test_manifest_version_matches_cargo():
    cargo = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    section = re.search(r"^\[workspace\.package\](.*?)(^\[|\Z)", cargo, re.S | re.M).group(1)
    version = re.search(r'^version\s*=\s*"([^"]+)"', section, re.M).group(1)
    manifest = re.search(r"^\s*ModuleVersion\s*=\s*'([^']+)'", MANIFEST.read_text(encoding="utf-8"), re.M).group(1)
    assert manifest == version, "run ./build.ps1 (it stamps ModuleVersion from Cargo.toml)"


@pytest.mark.parametrize("name", sorted(public_functions()))
def test_public_function_has_help(name):
    text = public_functions()[name]
    help_block = re.search(r"<#(.*?)#>", text, re.S)
    assert help_block, f"{name} has no comment-based help"
    body = help_block.group(1)
    for keyword in (".SYNOPSIS", ".DESCRIPTION", ".EXAMPLE"):
        assert re.search(rf"^\s*\{keyword}\b", body, re.M), f"{name} help lacks {keyword}"
    params = re.search(r"\bparam\s*\((.*)", text, re.S | re.I).group(1)
    declared = set(re.findall(r"\]\s*\$(\w+)", params))
    documented = set(re.findall(r"^\s*\.PARAMETER\s+(\w+)", body, re.M))
    assert documented, f"{name} documents no parameter"
    assert documented <= declared, f"{name} documents unknown parameters {documented - declared}"


def test_profile_and_scheduler_help():
    text = public_functions()["Set-AwsCliSsoCredentials"]
    for needle in ("$PROFILE", "-NonInteractive", "Task Scheduler", "cron", "launchd", "-NoBrowser"):
        assert needle in text


def test_root_module_exports_the_same_functions():
    text = (REPO / "module" / "Set-AwsCliSsoCredentials.psm1").read_text(encoding="utf-8")
    block = re.search(r"Export-ModuleMember\s+-Function\s+@\((.*?)\)", text, re.S)
    assert block, "the root module must export its functions explicitly"
    assert sorted(re.findall(r"'([^']+)'", block.group(1))) == sorted(manifest_list("FunctionsToExport"))


def test_cmdlets_are_called_module_qualified():
    """Public and private functions call built-in cmdlets by module-qualified name (aliases and
    same-named user functions cannot hijack them)."""
    builtin = re.compile(
        r"(?<![\\\w-])(Get-ChildItem|Join-Path|Test-Path|Start-Process|Write-Host|Write-Warning|Write-Progress|"
        r"Get-Variable|Set-Variable|Remove-Variable|ConvertTo-Json|ConvertFrom-Json|Add-Type|Where-Object|"
        r"ForEach-Object|Sort-Object|Get-Date|Write-Verbose)\b(?!-)"
    )
    offenders = []
    for path in sorted((REPO / "module").rglob("*.ps1")) + [REPO / "module" / "Set-AwsCliSsoCredentials.psm1"]:
        in_help = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith("<#"):
                in_help = True
            if in_help:
                if "#>" in stripped:
                    in_help = False
                continue
            code = stripped.split("#", 1)[0] if not stripped.startswith("'") else stripped
            for m in builtin.finditer(code):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {m.group(1)}")
    assert not offenders, "\n".join(offenders)
