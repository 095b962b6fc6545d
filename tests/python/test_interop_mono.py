"""The module's C# interop file, compiled with Mono's C# compiler at the C# 5 level of Windows PowerShell
5.1's Add-Type, drives the real library against a running fake IAM Identity Center: device login,
background refresh of five profiles (one with a non-ASCII name) into a temporary credentials file, the
token cache file under a temporary HOME, discovery of accounts and roles, error envelopes for bad input,
many calls from several threads. Proves marshalling (UTF-8 both ways) and that
each returned string is freed exactly once (a double free would abort the process)."""

from __future__ import annotations

import configparser
import json
import os
import subprocess

import pytest

from conftest import DRIVER_CS, INTEROP_CS, START_URL

PROFILES = ["mono-0", "mono-1", "prod-\u00fc", "mono-3", "\u6771\u4eac-4"]
ROLE = "ReadOnly"


@pytest.fixture(scope="module")
def driver_exe(tmp_path_factory, mono_tools):
    out = tmp_path_factory.mktemp("interop") / "driver.exe"
    # -langversion:5: the C# of Windows PowerShell 5.1's Add-Type (no interpolation, ?., nameof, ...).
    command = [mono_tools["mcs"], "-langversion:5", "-warnaserror+", "-nowarn:1591", "-target:exe",
               f"-out:{out}", str(INTEROP_CS), str(DRIVER_CS)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"mcs failed:\n{result.stdout}\n{result.stderr}"
    return out


def test_interop_compiles_as_csharp5_library(tmp_path, mono_tools):
    """The interop file alone, as Add-Type compiles it: a library, C# 5, no warnings."""
    out = tmp_path / "SsoCredsNative.dll"
    result = subprocess.run(
        [mono_tools["mcs"], "-langversion:5", "-warnaserror+", "-target:library", f"-out:{out}", str(INTEROP_CS)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_csharp5_check_is_real(tmp_path, mono_tools):
    """mcs -langversion:5 refuses C# 6 (string interpolation), so the check above means something."""
    source = tmp_path / "Six.cs"
    source.write_text('public static class Six { public static string F(int x) { return $"{x}"; } }\n')
    result = subprocess.run(
        [mono_tools["mcs"], "-langversion:5", "-target:library", f"-out:{tmp_path / 'six.dll'}", str(source)],
        capture_output=True, text=True,
    )
    assert result.returncode != 0


def run_driver(mono_tools, driver_exe, library_path, fake, credentials, home):
    env = dict(os.environ)
    # The login is cached in ~/.aws/sso/cache: never the real one.
    env["HOME"] = str(home)
    env["USERPROFILE"] = str(home)
    for name in ("AWS_CONFIG_FILE", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    env["AWS_ENDPOINT_URL_SSO_OIDC"] = fake.url
    env["AWS_ENDPOINT_URL_SSO"] = fake.url
    env.pop("AWS_SHARED_CREDENTIALS_FILE", None)
    # Mono resolves DllImport("ssocreds") by probing (the module preloads by absolute path only on
    # Windows and .NET Core); this is what a dllmap would do.
    env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(library_path.parent), env.get("LD_LIBRARY_PATH")]))
    env["DYLD_LIBRARY_PATH"] = str(library_path.parent)
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
def scenario(tmp_path_factory, mono_tools, driver_exe, library_path, fake_binary):
    from conftest import Fake

    fake = Fake(fake_binary, ["--accounts", "8", "--roles", "ReadOnly,Admin"])
    try:
        credentials = tmp_path_factory.mktemp("creds") / "credentials"
        home = tmp_path_factory.mktemp("home")
        steps, accounts = run_driver(mono_tools, driver_exe, library_path, fake, credentials, home)
        issued = {}
        for i, name in enumerate(PROFILES):
            issued[name] = fake.get(f"/__fake/credentials?account_id={100000000000 + i}&role_name={ROLE}")
        counters = fake.get("/__fake/counters")
        yield {"steps": steps, "credentials": credentials, "issued": issued, "counters": counters, "home": home}
    finally:
        fake.stop()


def ok(envelope):
    assert envelope["ok"] is True, envelope
    return envelope["result"]


def error_code(envelope):
    assert envelope["ok"] is False, envelope
    assert set(envelope["error"]) >= {"code", "message"}
    return envelope["error"]["code"]


def test_version(scenario):
    assert scenario["steps"]["version"]["version"] == "0.1.0"


def test_login(scenario):
    steps = scenario["steps"]
    started = ok(steps["login_start"])
    assert started["status"] == "pending"
    assert started["verificationUriComplete"].startswith("http")
    assert started["userCode"]
    assert ok(steps["login_poll"])["status"] == "loggedIn"


def test_dry_run_fetches_nothing(scenario):
    report = ok(scenario["steps"]["dry_run"])
    assert [p["status"] for p in report["profiles"]] == ["wouldRefresh"] * len(PROFILES)


def test_refresh_in_background(scenario):
    steps = scenario["steps"]
    assert ok(steps["refresh_start"])["total"] == len(PROFILES)
    done = ok(steps["refresh_poll"])
    assert done["status"] == "done"
    assert done["completed"] == done["total"] == len(PROFILES)
    profiles = done["result"]["profiles"]
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
    again = ok(scenario["steps"]["refresh_again"])
    assert [p["status"] for p in again["profiles"]] == ["current"] * len(PROFILES)
    assert scenario["counters"]["getRoleCredentials"] == len(PROFILES)


def test_bad_input_comes_back_as_error_objects(scenario):
    steps = scenario["steps"]
    for name in ("bad_null", "bad_json", "bad_unknown_field", "bad_missing_accounts", "bad_operation", "bad_cancel"):
        assert error_code(steps[name]) == "InvalidInput", name
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
    assert error_code(steps["refresh_after_logout"]) == "LoginRequired"


def test_token_cache_file_under_home(scenario):
    assert scenario["steps"]["token_cache"]["exists"] is True
    assert scenario["steps"]["token_cache_after_logout"]["exists"] is False


def test_discover(scenario):
    accounts = ok(scenario["steps"]["discover"])["accounts"]
    assert [a["accountId"] for a in accounts] == [str(100000000000 + i) for i in range(8)]
    assert all(a["roles"] == ["ReadOnly"] for a in accounts), accounts
    assert accounts[0]["accountName"]
    assert "emailAddress" in accounts[0]


def test_discovery_dry_run_names_profiles_from_the_template(scenario):
    report = ok(scenario["steps"]["discover_dry_run"])
    assert sorted(p["profile"] for p in report["profiles"]) == ["100000000000-Admin", "100000000000-ReadOnly"]
    assert all(p["status"] == "wouldRefresh" for p in report["profiles"])


def test_the_environment_as_dotnet_sees_it_reaches_the_library(scenario):
    step = scenario["steps"]["environment"]
    assert step["sent"] == 1, "a changed variable is sent to the library"
    assert step["unchanged"] == 1, "restoring it is sent too"
    assert step["refresh"]["ok"] is True, step["refresh"]
    assert step["refresh"]["result"]["credentialsFile"] == step["file"]
    assert [p["status"] for p in step["refresh"]["result"]["profiles"]] == ["wouldRefresh"]
