"""The reader side of the file-invariant test (rust/engine/src/files/invariant_tests.rs): botocore's view of
the AWS files, checked for many before/after pairs in one process.

Not a pytest module (its name does not start with test_): the Rust test runs it as
`python botocore_file_oracle.py <case folder>` and reads one JSON summary from its standard output.

The case folder holds `cases.jsonl`, one JSON object a line:
  {"id": "c00042", "kind": "ini", "refreshed": {"dev": {"set": {...}, "remove": [...]}}, "error": false}
  {"id": "t00007", "kind": "token", "set": {...}, "error": false}
and for each case `<id>.before` and, unless the merge failed, `<id>.after` (the bytes before and after
the engine's merge). A failed merge was run on a real file by the Rust side, which checked that the
bytes stayed as they were.

The invariant, for an INI file (the credentials file, or ~/.aws/config with its [sso-session] sections):
when botocore can read the file before, it reads it after, with the new keys in the refreshed sections
and everything else it saw unchanged.
For a token cache file: the file written is JSON that the AWS CLI reads (accessToken, expiresAt...), with
our keys set and every other key a JSON object held before kept.

botocore reads an INI file with `configparser.RawConfigParser()` (strict, `#`/`;` whole-line comments, no
inline comments, `[DEFAULT]` inherited by every section), then parses a value that starts with a line
break as a nested `key = value` block (botocore.configloader.raw_config_parse). It opens the file in
text mode (universal newlines) with the locale's encoding: UTF-8 on Linux and macOS, which is what is
checked here.
"""

from __future__ import annotations

import configparser
import datetime
import json
import sys
from pathlib import Path

MAX_REPORTED = 40
MAX_PROBLEM_CHARS = 400


def nested(value: str) -> dict:
    """botocore's reading of an indented block (`s3 =` then `  key = value` lines); ValueError when a
    line has no `=`."""
    parsed = {}
    for line in value.splitlines():
        line = line.strip()
        if line:
            key, rest = line.split("=", 1)
            parsed[key.strip()] = rest.strip()
    return parsed


def botocore_read(path: Path):
    """(defaults, own options of each section, botocore's view) or None when botocore refuses the file."""
    parser = configparser.RawConfigParser()
    try:
        parser.read([str(path)], encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    view = {}
    for section in parser.sections():
        view[section] = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            if value.startswith("\n"):
                try:
                    value = nested(value)
                except ValueError:
                    return None
            view[section][option] = value
    # A section's own options, without [DEFAULT]'s (configparser keeps them apart in _sections).
    own = {section: dict(parser._sections[section]) for section in parser.sections()}
    return dict(parser.defaults()), own, view


def check_ini(case: dict, after: bytes | None, folder: Path) -> tuple[str | None, bool]:
    """The problem found, if any, and whether botocore read the file before."""
    seen = botocore_read(folder / f"{case['id']}.before")
    if case["error"]:
        return None, seen is not None
    if after is None:
        return "no file after a merge that succeeded", seen is not None
    if seen is None:
        return None, False
    return compare(case, seen, botocore_read(folder / f"{case['id']}.after")), True


def compare(case: dict, seen, read) -> str | None:
    if read is None:
        return "botocore read the file before the merge but refuses it after"
    defaults, own, view = seen
    defaults_after, own_after, view_after = read
    if defaults_after != defaults:
        return f"[DEFAULT] changed: {defaults!r} -> {defaults_after!r}"
    refreshed = case["refreshed"]
    expected_sections = set(own) | set(refreshed)
    if set(own_after) != expected_sections:
        return f"sections {sorted(expected_sections)!r} expected, {sorted(own_after)!r} read"
    for section in own_after:
        if section in refreshed:
            update = refreshed[section]
            expected = {k: v for k, v in own.get(section, {}).items() if k not in update["remove"]}
            expected.update(update["set"])
            if own_after[section] != expected:
                return f"[{section}] should be {expected!r}, is {own_after[section]!r}"
        elif view_after[section] != view[section]:
            return f"[{section}] changed: {view[section]!r} -> {view_after[section]!r}"
    return None


def aws_cli_time(value) -> bool:
    """expiresAt as the AWS CLI parses it (ISO 8601, `Z` or an offset)."""
    if not isinstance(value, str):
        return False
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def check_token(case: dict, before: bytes, after: bytes | None) -> str | None:
    if case["error"]:
        return None
    if after is None:
        return "no file after a write that succeeded"
    try:
        written = json.loads(after.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return f"the token file written is not JSON: {e}"
    if not isinstance(written, dict):
        return "the token file written is not a JSON object"
    for key, value in case["set"].items():
        if written.get(key) != value:
            return f"{key} should be {value!r}, is {written.get(key)!r}"
    for key in ("startUrl", "region", "accessToken", "expiresAt"):
        if not isinstance(written.get(key), str):
            return f"{key} is missing: the AWS CLI needs it"
    if not aws_cli_time(written["expiresAt"]):
        return f"expiresAt {written['expiresAt']!r} is not a time the AWS CLI reads"
    try:
        held = json.loads(before.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if isinstance(held, dict):
        ours = set(case["set"]) | set(case.get("remove", []))
        lost = [k for k, v in held.items() if k not in ours and written.get(k) != v]
        if lost:
            return f"fields of the file before were lost or changed: {lost!r}"
    return None


def main() -> int:
    folder = Path(sys.argv[1])
    summary = {
        "checked": 0,
        "ini": 0,
        "ini_readable_before": 0,
        "token": 0,
        "refused": 0,
        "refused_readable": 0,
        "failures": [],
        "failure_count": 0,
    }
    with open(folder / "cases.jsonl", encoding="utf-8") as lines:
        for line in lines:
            case = json.loads(line)
            before = (folder / f"{case['id']}.before").read_bytes()
            after_path = folder / f"{case['id']}.after"
            after = after_path.read_bytes() if after_path.exists() else None
            if case["kind"] == "ini":
                summary["ini"] += 1
                problem, readable = check_ini(case, after, folder)
                summary["ini_readable_before"] += readable
                summary["refused_readable"] += readable and case["error"]
            else:
                summary["token"] += 1
                problem = check_token(case, before, after)
            summary["checked"] += 1
            summary["refused"] += case["error"]
            if problem is not None:
                summary["failure_count"] += 1
                if len(summary["failures"]) < MAX_REPORTED:
                    summary["failures"].append({"id": case["id"], "problem": problem[:MAX_PROBLEM_CHARS]})
    json.dump(summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
