"""Shared fixtures of the Python checks: where the built artifacts are, Mono, the fake.

Artifacts: the library from SSOCREDS_LIB, else ${CARGO_TARGET_DIR:-<repo>/target}/debug/libssocreds.so;
the fake IAM Identity Center from FAKE_IDC_BIN, else .../debug/fake-identity-center; the module's cmdlet
DLL from SSOCREDS_MODULE_DLL, else module/SetAwsCliSsoCredentials.dll (./build.ps1 -Task Build puts it
there). A missing artifact is a failure that says how to build it (tests/run-all.sh builds them first).
Only missing Mono tools (mono, mcs, the netstandard.dll facade) skip the tests that need them, with the
reason, and only when CI is unset: under CI a missing tool is a failure, never a silent skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEADER = REPO / "rust" / "ffi" / "include" / "ssocreds.h"
# The P/Invoke layer, compiled into the module's cmdlet DLL (module/src, built by ./build.ps1).
INTEROP_CS = REPO / "module" / "src" / "Native" / "SsoCredsNative.cs"
MODULE_DLL = REPO / "module" / "SetAwsCliSsoCredentials.dll"
DRIVER_CS = REPO / "tests" / "interop" / "Driver.cs"
START_URL = "https://d-1234567890.awsapps.com/start/"


def home_variables(home: Path) -> dict[str, str]:
    """Every variable a home folder is taken from, all naming `home`: HOME, and on Windows USERPROFILE
    (which the library prefers there) and HOMEDRIVE + HOMEPATH, so that no check reads the real ~/.aws."""
    drive, path = os.path.splitdrive(str(home))
    return {"HOME": str(home), "USERPROFILE": str(home), "HOMEDRIVE": drive, "HOMEPATH": path}


def under_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing(reason: str):
    """Skip locally, fail under CI."""
    if under_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


def library_file_name() -> str:
    if sys.platform == "win32":
        return "ssocreds.dll"
    if sys.platform == "darwin":
        return "libssocreds.dylib"
    return "libssocreds.so"


def built_file(variable: str, default: Path, what: str, build: str) -> Path:
    """The file `variable` names, else `default`; the test fails, saying how to build it, when it is not there."""
    path = Path(os.environ.get(variable) or default)
    if not path.is_file():
        pytest.fail(f"{what} is not built: {path} ({build}, or set {variable})")
    return path.resolve()


def executable_name(name: str) -> str:
    return f"{name}.exe" if sys.platform == "win32" else name


@pytest.fixture(scope="session")
def library_path() -> Path:
    return built_file("SSOCREDS_LIB", target_dir() / "debug" / library_file_name(), "the ssocreds library",
                      "cargo build -p ssocreds-ffi")


@pytest.fixture(scope="session")
def fake_binary() -> Path:
    return built_file("FAKE_IDC_BIN", target_dir() / "debug" / executable_name("fake-identity-center"),
                      "the fake IAM Identity Center", "cargo build -p fake-identity-center")


@pytest.fixture(scope="session")
def cli_binary() -> Path:
    return built_file("SSOCREDS_CLI_BIN", target_dir() / "debug" / executable_name("ssocreds-cli"), "ssocreds-cli",
                      "cargo build -p ssocreds-cli")


@pytest.fixture(scope="session")
def module_dll() -> Path:
    return built_file("SSOCREDS_MODULE_DLL", MODULE_DLL, "the module's cmdlet DLL", "./build.ps1 -Task Build")


def netstandard_facade(mono: str) -> Path | None:
    """Mono's netstandard.dll facade (Debian's mono-devel): what a netstandard2.0 DLL binds to under Mono."""
    prefix = Path(os.path.realpath(mono)).parent.parent
    for candidate in (prefix / "lib" / "mono" / "4.5" / "Facades" / "netstandard.dll",
                      Path("/usr/lib/mono/4.5/Facades/netstandard.dll")):
        if candidate.is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def mono_tools() -> dict:
    tools = {name: shutil.which(name) for name in ("mcs", "mono")}
    absent = [name for name, path in tools.items() if path is None]
    if absent:
        missing(f"{' and '.join(absent)} not installed (apt-get install mono-mcs mono-runtime mono-devel)")
    facade = netstandard_facade(tools["mono"])
    if facade is None:
        missing("Mono's netstandard.dll facade is not installed (apt-get install mono-devel)")
    tools["netstandard"] = str(facade)
    return tools


class Fake:
    """A running fake IAM Identity Center; stopped when its stdin closes and by terminate()."""

    def __init__(self, binary: Path, args: list[str]):
        self.process = subprocess.Popen(
            [str(binary), "--port", "0", "--exit-on-stdin-eof", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line:
            err = self.process.stderr.read()
            raise RuntimeError(f"the fake did not start: {err}")
        self.url = json.loads(line)["url"].rstrip("/")
        # Keep draining its output so it never blocks on a full pipe.
        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=stream.read, daemon=True).start()

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read().decode("utf-8"))

    def post(self, path: str):
        request = urllib.request.Request(self.url + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode("utf-8")
            return json.loads(body) if body.strip() else None

    def stop(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=5)


@pytest.fixture
def start_fake(fake_binary):
    started = []

    def start(*args: str) -> Fake:
        fake = Fake(fake_binary, list(args))
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()
