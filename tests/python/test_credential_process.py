"""Credentials without the file: profiles written by `ssocreds-cli refresh --credential-process` are
read by botocore, which runs `ssocreds-cli credential-process` and gets the keys the fake issued.

Each test has a fresh home folder and its own fake (FAKE_IDC_BIN); the command line is SSOCREDS_CLI_BIN,
else ${CARGO_TARGET_DIR:-<repo>/target}/debug/ssocreds-cli (conftest's cli_binary). botocore is pinned in requirements.txt.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import START_URL, home_variables

import botocore.session
from botocore.exceptions import CredentialRetrievalError

ENVIRONMENT = "Corp"
REGION = "us-east-1"
ROLE = "ReadOnly"
ACCOUNTS = {"dev": "100000000000", "prod": "100000000001"}
# Short-lived keys, so that botocore must run the command again once they expire.
CREDENTIAL_TTL = 4

# Another tool's profile, comments and CRLF endings: every byte of it must stay.
CONFIG = (
    "# my settings\r\n[default]\r\nregion = eu-west-1\r\n\r\n"
    "; dev keeps its output\r\n[profile dev]\r\noutput = json\r\n\r\n"
    "[profile other]\r\nrole_arn = arn:aws:iam::123456789012:role/x\r\nsource_profile = default\r\n"
)


@dataclass
class Home:
    path: Path
    fake: object


@pytest.fixture
def home(tmp_path, monkeypatch, start_fake) -> Home:
    """A fresh home folder, and an environment pointing every AWS tool at it and at a new fake."""
    fake = start_fake("--accounts", "3", "--approve-after-polls", "1", "--credential-ttl-secs", str(CREDENTIAL_TTL))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in home_variables(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", fake.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", fake.url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_bytes(CONFIG.encode())
    return Home(tmp_path, fake)


def cli(binary: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def log_in_and_write_profiles(binary: Path) -> None:
    login = cli(binary, "login", "--environment", ENVIRONMENT, "--start-url", START_URL, "--region", REGION,
                "--use-device-code")
    assert login.returncode == 0, login.stderr
    accounts = [arg for profile, account in ACCOUNTS.items() for arg in ("--account", f"{profile}={account}:{ROLE}")]
    refresh = cli(binary, "refresh", "--environment", ENVIRONMENT, "--non-interactive", "--credential-process", *accounts)
    assert refresh.returncode == 0, refresh.stderr


def sections_outside(text: str, written: set[str]) -> str:
    """`text` without the sections named in `written` (each header up to the next one, and the blank
    lines that separate it from the section before)."""
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            inside = stripped[1:-1] in written
            while inside and kept and not kept[-1].strip():
                kept.pop()
        if not inside:
            kept.append(line)
    return "".join(kept)


def issued(fake, profile: str) -> dict:
    return fake.get(f"/__fake/credentials?account_id={ACCOUNTS[profile]}&role_name={ROLE}")


def frozen(profile: str):
    return botocore.session.Session(profile=profile).get_credentials()


def test_botocore_reads_the_written_profiles_through_the_command_and_no_key_is_in_any_file(home, cli_binary):
    log_in_and_write_profiles(cli_binary)
    config = (home.path / ".aws" / "config").read_bytes().decode()
    assert sections_outside(config, {"profile dev", "profile prod"}) == sections_outside(
        CONFIG, {"profile dev", "profile prod"}), "the rest of ~/.aws/config is byte for byte what it was"
    assert "[profile dev]\r\noutput = json\r\ncredential_process = " in config, config
    assert f'credential_process = "{cli_binary}" credential-process --environment {ENVIRONMENT}' in config, config

    credentials = frozen("dev")
    first = credentials.get_frozen_credentials()
    expected = issued(home.fake, "dev")
    assert (first.access_key, first.secret_key, first.token) == (
        expected["accessKeyId"], expected["secretAccessKey"], expected["sessionToken"])
    prod = frozen("prod").get_frozen_credentials()
    assert prod.access_key == issued(home.fake, "prod")["accessKeyId"]

    # Past the keys' expiry, the same credentials object runs the command again and gets new keys.
    time.sleep(CREDENTIAL_TTL + 1)
    second = credentials.get_frozen_credentials()
    assert second.access_key != first.access_key
    assert second.access_key == issued(home.fake, "dev")["accessKeyId"]

    secrets = [k for keys in (first, second, prod) for k in (keys.access_key, keys.secret_key, keys.token)]
    for path in (p for p in home.path.rglob("*") if p.is_file()):
        content = path.read_bytes().decode(errors="replace")
        leaked = [s[:8] for s in secrets if s in content]
        assert not leaked, f"{path} holds keys starting {leaked}"


def test_without_a_token_the_command_fails_at_once_and_botocore_reports_why(home, cli_binary):
    log_in_and_write_profiles(cli_binary)
    logout = cli(cli_binary, "logout", "--environment", ENVIRONMENT)
    assert logout.returncode == 0, logout.stderr
    config = (home.path / ".aws" / "config").read_text()
    written = next(line for line in config.splitlines() if line.startswith("credential_process = "))
    command = shlex.split(written.split("=", 1)[1])
    started = time.monotonic()
    failed = subprocess.run(command, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    assert failed.returncode != 0 and failed.stdout == "", (failed.returncode, failed.stdout)
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    fix = f"ssocreds-cli login --environment {ENVIRONMENT} --start-url {START_URL} --region {REGION}"
    assert "LoginRequired" in failed.stderr and fix in failed.stderr, failed.stderr

    with pytest.raises(CredentialRetrievalError) as raised:
        frozen("dev").get_frozen_credentials()
    assert "has no usable SSO token" in str(raised.value) and fix in str(raised.value), str(raised.value)
