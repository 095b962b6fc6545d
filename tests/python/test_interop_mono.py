"""The module's P/Invoke layer under Mono, the stand-in for .NET Framework (Windows PowerShell 5.1): the
class SetAwsCliSsoCredentials.SsoCredsNative of the built cmdlet DLL (module/SetAwsCliSsoCredentials.dll,
dotnet-built from module/src for netstandard2.0) is what runs, called by tests/interop/Driver.cs (compiled
with `mcs -r:` that DLL, run with its folder on MONO_PATH). Not a copy compiled from source: Mono loads the
shipped netstandard2.0 DLL through its netstandard.dll facade (Debian's mono-devel); the cmdlet classes,
which need System.Management.Automation, are never loaded.

The driver drives what the cmdlets drive, against the real library and a running fake IAM Identity Center:
runs (run_start, then run_next until `finished`): a -WhatIf dry run, a refresh of five profiles (one with a
non-ASCII name) into a temporary credentials file that asks for a device-code login the driver approves at the
fake, a second refresh, discovery of accounts and roles; the token cache file under a temporary HOME,
session_status and logout, error envelopes for bad input, a run cancelled from another thread while run_next
waits on its login (Ctrl+C), many calls from several threads. Proves marshalling (UTF-8 both ways) and that
each returned string is freed exactly once (a double free would abort the process)."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess

import pytest

from conftest import DRIVER_CS, REPO, START_URL, home_variables

PROFILES = ["mono-0", "mono-1", "prod-\u00fc", "mono-3", "\u6771\u4eac-4"]
ROLE = "ReadOnly"


def cargo_version() -> str:
    cargo = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    section = re.search(r"^\[workspace\.package\](.*?)(^\[|\Z)", cargo, re.S | re.M).group(1)
    return re.search(r'^version\s*=\s*"([^"]+)"', section, re.M).group(1)


@pytest.fixture(scope="module")
def driver_exe(tmp_path_factory, mono_tools, module_dll):
    out = tmp_path_factory.mktemp("interop") / "driver.exe"
    # -r: the built DLL itself; the facade resolves its netstandard types to Mono's own assemblies.
    command = [mono_tools["mcs"], "-langversion:5", "-warnaserror+", "-target:exe", f"-out:{out}",
               f"-r:{module_dll}", f"-r:{mono_tools['netstandard']}", str(DRIVER_CS)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"mcs failed:\n{result.stdout}\n{result.stderr}"
    assert not (out.parent / module_dll.name).exists(), "the DLL must come from the module folder, not a copy"
    return out


def run_driver(mono_tools, driver_exe, module_dll, library_path, fake, credentials, home):
    env = dict(os.environ)
    # The login is cached in ~/.aws/sso/cache: never the real one.
    env.update(home_variables(home))
    for name in ("AWS_CONFIG_FILE", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    env["AWS_ENDPOINT_URL_SSO_OIDC"] = fake.url
    env["AWS_ENDPOINT_URL_SSO"] = fake.url
    env.pop("AWS_SHARED_CREDENTIALS_FILE", None)
    # Mono resolves DllImport("ssocreds") by probing (the module preloads by absolute path only on
    # Windows and .NET Core); this is what a dllmap would do.
    env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(library_path.parent), env.get("LD_LIBRARY_PATH")]))
    env["DYLD_LIBRARY_PATH"] = str(library_path.parent)
    # The cmdlet DLL is found in the module folder, where ./build.ps1 put it.
    env["MONO_PATH"] = str(module_dll.parent)
    accounts = [f"{name}={100000000000 + i}" for i, name in enumerate(PROFILES)]
    result = subprocess.run(
        [mono_tools["mono"], "--debug", str(driver_exe), str(library_path), str(credentials), START_URL, ROLE, *accounts],
        capture_output=True, env=env, timeout=300,
    )
    stdout = result.stdout.decode("utf-8")
    assert result.returncode == 0, f"driver exited {result.returncode}\n{stdout}\n{result.stderr.decode('utf-8', 'replace')}"
    steps = {}
    for line in stdout.splitlines():
        if line.startswith("STEP "):
            _, name, payload = line.split(" ", 2)
            steps[name] = json.loads(payload)
    return steps, accounts


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, mono_tools, driver_exe, module_dll, library_path, fake_binary):
    from conftest import Fake

    fake = Fake(fake_binary, ["--accounts", "8", "--roles", "ReadOnly,Admin"])
    try:
        credentials = tmp_path_factory.mktemp("creds") / "credentials"
        home = tmp_path_factory.mktemp("home")
        steps, accounts = run_driver(mono_tools, driver_exe, module_dll, library_path, fake, credentials, home)
        issued = {}
        for i, name in enumerate(PROFILES):
            issued[name] = fake.get(f"/__fake/credentials?account_id={100000000000 + i}&role_name={ROLE}")
        counters = fake.get("/__fake/counters")
        yield {"steps": steps, "credentials": credentials, "issued": issued, "counters": counters, "home": home,
               "module_dll": module_dll}
    finally:
        fake.stop()


def ok(envelope):
    assert envelope["ok"] is True, envelope
    return envelope["result"]


def error_code(envelope):
    assert envelope["ok"] is False, envelope
    assert set(envelope["error"]) >= {"code", "message"}
    return envelope["error"]["code"]


def test_the_code_under_test_is_the_built_module_dll(scenario):
    assembly = scenario["steps"]["assembly"]
    assert assembly["name"] == "SetAwsCliSsoCredentials"
    assert os.path.samefile(assembly["location"], scenario["module_dll"])


def test_the_dll_is_netstandard20_with_no_dependency_to_clash_with(scenario):
    """One DLL for .NET Framework and .NET: netstandard2.0, referencing netstandard and PowerShell's own
    assembly only (nothing pwsh 7 loads in another version, such as System.Text.Json)."""
    assembly = scenario["steps"]["assembly"]
    assert assembly["targetFramework"] == ".NETStandard,Version=v2.0"
    assert set(assembly["references"]) <= {"netstandard", "System.Management.Automation"}, assembly["references"]
    assert "netstandard" in assembly["references"]


def test_dll_and_library_have_the_version_of_cargo_toml(scenario):
    """The import refuses a DLL and a native library of different versions: both come from Cargo.toml."""
    version = cargo_version()
    assert scenario["steps"]["version"]["version"] == version
    assert scenario["steps"]["assembly"]["informationalVersion"] == version
    numeric = re.sub(r"[-+].*$", "", version)
    assert scenario["steps"]["assembly"]["version"] == numeric + ".0"


def test_library_is_found_by_probing_under_mono(scenario):
    assert scenario["steps"]["version"]["loadMethod"] == "Probing"


def finished(envelope):
    """The report of a run's last event; a run that failed as a whole fails here, with its error."""
    event = ok(envelope)
    assert event["event"] == "finished", event
    assert "error" not in event and event["errors"] == [], event
    return event["report"]


def run_error_code(envelope):
    event = ok(envelope)
    assert event["event"] == "finished", event
    assert set(event["error"]) >= {"code", "message"}
    return event["error"]["code"]


def test_abi_version_has_the_run_operation(scenario):
    assert scenario["steps"]["abi"]["abiVersion"] >= 2


def test_dry_run_fetches_nothing(scenario):
    report = finished(scenario["steps"]["dry_run"])
    assert [p["status"] for p in report["profiles"]] == ["wouldRefresh"] * len(PROFILES)


def test_the_run_logs_in_with_the_device_code(scenario):
    events = [ok(e) for e in scenario["steps"]["refresh_events"]]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "loginNeeded", kinds
    needed = events[0]
    assert needed["flow"] == "deviceCode"
    assert needed["url"].startswith("http")
    assert needed["userCode"] and needed["userCode"] in needed["url"]
    assert "loggedIn" in kinds and kinds.index("loggedIn") > 0
    texts = [e["text"] for e in events if e["event"] == "message"]
    assert any(t.startswith("Registering Profile ") for t in texts), texts


def test_refresh(scenario):
    report = finished(scenario["steps"]["refresh"])
    profiles = report["profiles"]
    assert [p["profile"] for p in profiles] == PROFILES  # non-ASCII names round-trip
    assert all(p["status"] == "refreshed" for p in profiles), profiles
    assert all(p["roleName"] == ROLE for p in profiles)


def test_written_values_are_what_the_fake_issued(scenario):
    parser = configparser.RawConfigParser()
    parser.read(scenario["credentials"], encoding="utf-8")
    for name in PROFILES:
        assert parser.has_section(name), f"profile {name!r} missing from the credentials file"
        issued = scenario["issued"][name]
        section = parser[name]
        assert section["aws_access_key_id"] == issued["accessKeyId"]
        assert section["aws_secret_access_key"] == issued["secretAccessKey"]
        assert section["aws_session_token"] == issued["sessionToken"]


def test_second_refresh_is_current(scenario):
    again = finished(scenario["steps"]["refresh_again"])
    assert [p["status"] for p in again["profiles"]] == ["current"] * len(PROFILES)
    assert scenario["counters"]["getRoleCredentials"] == len(PROFILES)


def test_bad_input_comes_back_as_error_objects(scenario):
    steps = scenario["steps"]
    for name in ("bad_null", "bad_json", "bad_unknown_field", "bad_run", "bad_answer"):
        assert error_code(steps[name]) == "InvalidInput", name
    assert run_error_code(steps["bad_missing_accounts"]) == "InvalidInput"
    assert steps["bad_function"]["thrown"] is True


def test_unicode_round_trip(scenario):
    status = ok(scenario["steps"]["unicode_status"])
    assert status["environment"] == "umlaut-\u00fc-\u6771\u4eac"
    assert status["status"] == "none"


def test_many_calls_from_many_threads(scenario):
    assert scenario["steps"]["loop"] == {"calls": 3000, "failures": 0}


def test_status_and_logout(scenario):
    steps = scenario["steps"]
    status = ok(steps["status"])
    assert status["status"] == "loggedIn"
    assert status["startUrl"] == START_URL
    assert ok(steps["logout"])["loggedOut"] is True
    assert run_error_code(steps["refresh_after_logout"]) == "LoginRequired"


def test_token_cache_file_under_home(scenario):
    assert scenario["steps"]["token_cache"]["exists"] is True
    assert scenario["steps"]["token_cache_after_logout"]["exists"] is False


def test_discover(scenario):
    accounts = finished(scenario["steps"]["discover"])["accounts"]
    assert [a["accountId"] for a in accounts] == [str(100000000000 + i) for i in range(8)]
    assert all(a["roles"] == ["ReadOnly"] for a in accounts), accounts
    assert accounts[0]["accountName"]
    assert "emailAddress" in accounts[0]


def test_discovery_dry_run_names_profiles_from_the_template(scenario):
    report = finished(scenario["steps"]["discover_dry_run"])
    assert sorted(p["profile"] for p in report["profiles"]) == ["100000000000-Admin", "100000000000-ReadOnly"]
    assert all(p["status"] == "wouldRefresh" for p in report["profiles"])


def test_the_environment_as_dotnet_sees_it_reaches_the_library(scenario):
    step = scenario["steps"]["environment"]
    assert step["sent"] == 1, "a changed variable is sent to the library"
    assert step["unchanged"] == 1, "restoring it is sent too"
    report = finished(step["refresh"])
    assert report["credentialsFile"] == step["file"]
    assert [p["status"] for p in report["profiles"]] == ["wouldRefresh"]


def test_run_cancel_from_another_thread_ends_the_wait(scenario):
    """Ctrl+C during the login wait: run_cancel, called while run_next blocks in another thread on the run's
    login, makes that run_next return at once with Cancelled, forgets the pending login, and a new run asks
    for its own login straight away."""
    steps = scenario["steps"]
    assert ok(steps["cancel_login_needed"])["event"] == "loginNeeded"
    assert ok(steps["cancel"]) == {"cancelled": True}
    waited = steps["cancel_next"]
    assert waited["returned"] is True, "run_next still blocked 15 s after run_cancel"
    assert 0 <= waited["elapsedMs"] < 5000, waited
    assert run_error_code(waited["response"]) == "Cancelled"
    assert ok(steps["cancel_status"])["status"] != "pending"
    assert error_code(steps["cancel_again"]) == "InvalidInput", "a finished run is forgotten"
    assert ok(steps["cancel_restart"])["event"] == "loginNeeded"
