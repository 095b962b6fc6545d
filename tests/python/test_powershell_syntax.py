"""PowerShell checks without PowerShell: every .ps1/.psm1/.psd1 parses (tree-sitter-powershell); the module
is a binary module (the manifest's RootModule is the cmdlet DLL, CmdletsToExport names exactly the [Cmdlet]
classes of module/src, no script or Add-Type left in module/); the MAML help covers every cmdlet with a
synopsis, a description and examples; the format file has a table for each output type; and the files
Windows PowerShell 5.1 reads as text are ASCII (it reads a BOM-less file in the ANSI code page)."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
import tree_sitter
import tree_sitter_powershell

from conftest import REPO

LANGUAGE = tree_sitter.Language(tree_sitter_powershell.language())
PARSER = tree_sitter.Parser(LANGUAGE)
MANIFEST = REPO / "Set-AwsCliSsoCredentials.psd1"
MODULE = REPO / "module"
SOURCE = MODULE / "src"
HELP_NAME = "SetAwsCliSsoCredentials.dll-Help.xml"
MAML = {
    "command": "http://schemas.microsoft.com/maml/dev/command/2004/10",
    "maml": "http://schemas.microsoft.com/maml/2004/10",
    "dev": "http://schemas.microsoft.com/maml/dev/2004/10",
}


def repository_files(*patterns: str) -> list:
    """Tracked files plus untracked files that are not ignored."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *patterns],
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


FILES = repository_files("*.ps1", "*.psm1", "*.psd1")


def test_there_are_powershell_files():
    names = {p.relative_to(REPO).as_posix() for p in FILES}
    for expected in ("Set-AwsCliSsoCredentials.psd1", "build.ps1", "build.config.psd1"):
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
    [p for p in FILES if p.relative_to(REPO).parts[0] == "module" or p.parent == REPO]
    + repository_files("module/*.ps1xml"),
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_module_files_are_ascii(path):
    data = path.read_bytes()
    bad = [i for i, b in enumerate(data) if b > 0x7F]
    assert not bad, f"{path.relative_to(REPO)} has non-ASCII bytes (first at offset {bad[0]}); Windows PowerShell 5.1 would misread them"


def manifest_text() -> str:
    return MANIFEST.read_text(encoding="utf-8")


def manifest_list(key: str) -> list[str] | None:
    m = re.search(rf"^\s*{key}\s*=\s*@\((.*?)\)", manifest_text(), re.S | re.M)
    if not m:
        return None
    return [a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", m.group(1))]


def csharp_sources() -> list:
    return [p for p in sorted(SOURCE.rglob("*.cs")) if not {"obj", "bin"} & set(p.relative_to(SOURCE).parts)]


def cmdlets_in_source() -> dict[str, str]:
    """Verb-Noun -> source text of the file, for each [Cmdlet(...)] class in module/src."""
    found = {}
    for path in csharp_sources():
        text = path.read_text(encoding="utf-8")
        for verb, noun in re.findall(r"\[Cmdlet\(\s*(?:Verbs\w+\.)?\"?(\w+)\"?\s*,\s*\"([\w-]+)\"", text):
            found[f"{verb}-{noun}"] = text
    return found


def declared_parameters() -> set[str]:
    """Names of every [Parameter]-attributed property in module/src (cmdlets and their base class)."""
    names = set()
    for path in csharp_sources():
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"\[Parameter\b[^\]]*\]\s*(?:\[[^\]]*\]\s*)*public\s+[\w.<>\[\],? ]+?\s+(\w+)\s*\{", text))
    return names


def test_the_cmdlet_sources_exist():
    assert (SOURCE / "SetAwsCliSsoCredentials.csproj").is_file()
    assert cmdlets_in_source(), "no [Cmdlet(...)] class found in module/src"


def test_project_builds_one_dll_for_both_editions():
    project = (SOURCE / "SetAwsCliSsoCredentials.csproj").read_text(encoding="utf-8")
    assert re.search(r"<TargetFramework>netstandard2\.0</TargetFramework>", project)
    assert re.search(r"<AssemblyName>SetAwsCliSsoCredentials</AssemblyName>", project)
    reference = re.search(r'<PackageReference\s+Include="PowerShellStandard\.Library"[^>]*>', project)
    assert reference, "the cmdlets compile against PowerShellStandard.Library"
    assert 'Version="5.1.1"' in reference.group(0) and 'PrivateAssets="all"' in reference.group(0)


def test_manifest_exports_exactly_the_cmdlets():
    exported = manifest_list("CmdletsToExport")
    assert exported is not None, "CmdletsToExport must be an explicit @(...) list"
    assert not any("*" in name for name in exported), "no wildcards in CmdletsToExport"
    assert sorted(exported) == sorted(cmdlets_in_source())


def test_manifest_fields():
    text = manifest_text()
    for key in ("FunctionsToExport", "VariablesToExport", "AliasesToExport"):
        assert re.search(rf"^\s*{key}\s*=\s*@\(\)\s*$", text, re.M), f"{key} must be @()"
    assert manifest_list("CompatiblePSEditions") == ["Desktop", "Core"]
    assert re.search(r"^\s*PowerShellVersion\s*=\s*'5\.1'", text, re.M)
    assert re.search(r"^\s*RootModule\s*=\s*'module/SetAwsCliSsoCredentials\.dll'", text, re.M)
    assert re.search(r"^\s*GUID\s*=\s*'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'", text, re.M)
    formats = manifest_list("FormatsToProcess")
    assert formats, "FormatsToProcess names the format file"
    for relative in formats:
        assert (REPO / relative).is_file(), relative
    # Nothing runs as a script at import.
    for key in ("ScriptsToProcess", "NestedModules", "TypesToProcess"):
        assert manifest_list(key) in (None, []), f"{key} must be absent or empty"
    tags = manifest_list("Tags")
    for tag in ("PSEdition_Desktop", "PSEdition_Core", "Windows", "Linux", "MacOS", "AWS", "SSO"):
        assert tag in tags


def test_manifest_version_matches_cargo():
    cargo = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    section = re.search(r"^\[workspace\.package\](.*?)(^\[|\Z)", cargo, re.S | re.M).group(1)
    version = re.search(r'^version\s*=\s*"([^"]+)"', section, re.M).group(1)
    manifest = re.search(r"^\s*ModuleVersion\s*=\s*'([^']+)'", manifest_text(), re.M).group(1)
    assert manifest == version, "run ./build.ps1 (it stamps ModuleVersion from Cargo.toml)"


def test_no_script_module_left():
    """A binary module: no .ps1/.psm1 in module/, no Add-Type anywhere in it, nothing compiled at import."""
    scripts = [p.relative_to(REPO).as_posix() for p in repository_files("module/*.ps1", "module/*.psm1")]
    assert not scripts, f"script files in module/: {scripts}"
    for path in repository_files("module/*"):
        if path.suffix.lower() in (".dll", ".pdb", ".so", ".dylib"):
            continue
        assert "Add-Type" not in path.read_text(encoding="utf-8", errors="replace"), path


def help_file():
    candidates = [REPO / "en-US" / HELP_NAME, MODULE / "en-US" / HELP_NAME]
    found = [p for p in candidates if p.is_file()]
    assert found, f"no MAML help: {' or '.join(str(p.relative_to(REPO)) for p in candidates)}"
    return found[0]


def help_commands() -> dict:
    root = ET.parse(help_file()).getroot()
    commands = {}
    for command in root.findall("command:command", MAML):
        name = command.find("command:details/command:name", MAML)
        assert name is not None and name.text, "a command without a name in the help"
        commands[name.text.strip()] = command
    return commands


def paragraphs(element) -> str:
    if element is None:
        return ""
    return " ".join("".join(p.itertext()).strip() for p in element.iter(f"{{{MAML['maml']}}}para")).strip()


@pytest.mark.parametrize("name", sorted(cmdlets_in_source()))
def test_cmdlet_has_help(name):
    commands = help_commands()
    assert name in commands, f"{name} has no entry in {help_file().relative_to(REPO)}"
    command = commands[name]
    assert paragraphs(command.find("command:details/maml:description", MAML)), f"{name}: no synopsis"
    assert paragraphs(command.find("maml:description", MAML)), f"{name}: no description"
    examples = command.findall("command:examples/command:example", MAML)
    assert examples, f"{name}: no example"
    for example in examples:
        code = example.find("dev:code", MAML)
        assert code is not None and name in "".join(code.itertext()), f"{name}: an example that does not call it"
    documented = {p.find("maml:name", MAML).text.strip() for p in command.findall("command:parameters/command:parameter", MAML)}
    assert documented, f"{name} documents no parameter"
    unknown = documented - declared_parameters() - {"WhatIf", "Confirm"}
    assert not unknown, f"{name} documents parameters that no cmdlet declares: {sorted(unknown)}"


def test_help_names_only_exported_cmdlets():
    assert sorted(help_commands()) == sorted(manifest_list("CmdletsToExport"))


def test_profile_and_scheduler_help():
    text = " ".join(ET.tostring(help_commands()["Set-AwsCliSsoCredentials"], encoding="unicode", method="text").split())
    for needle in ("$PROFILE", "-NonInteractive", "Task Scheduler", "cron", "launchd", "-NoBrowser"):
        assert needle in text


def test_every_output_type_shows_as_a_table():
    outputs = set()
    for path in csharp_sources():
        outputs |= set(re.findall(r"\[OutputType\(typeof\((\w+)\)\)\]", path.read_text(encoding="utf-8")))
    assert outputs, "no [OutputType(typeof(...))] on the cmdlets"
    tables = set()
    for relative in manifest_list("FormatsToProcess") or []:
        for view in ET.parse(REPO / relative).getroot().iter("View"):
            if view.find("TableControl") is not None:
                tables |= {t.text.strip() for t in view.iter("TypeName")}
    missing = {f"SetAwsCliSsoCredentials.{name}" for name in outputs} - tables
    assert not missing, f"no table view for {sorted(missing)}"
