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


@pytest.fixture(scope="session")
def library_path() -> Path:
    path = Path(os.environ.get("SSOCREDS_LIB") or target_dir() / "debug" / library_file_name())
    if not path.is_file():
        pytest.fail(f"the ssocreds library is not built: {path} (cargo build -p ssocreds-ffi, or set SSOCREDS_LIB)")
    return path.resolve()


@pytest.fixture(scope="session")
def fake_binary() -> Path:
    name = "fake-identity-center.exe" if sys.platform == "win32" else "fake-identity-center"
    path = Path(os.environ.get("FAKE_IDC_BIN") or target_dir() / "debug" / name)
    if not path.is_file():
        pytest.fail(f"the fake IAM Identity Center is not built: {path} (cargo build -p fake-identity-center, or set FAKE_IDC_BIN)")
    return path.resolve()


@pytest.fixture(scope="session")
def module_dll() -> Path:
    path = Path(os.environ.get("SSOCREDS_MODULE_DLL") or MODULE_DLL)
    if not path.is_file():
        pytest.fail(f"the module's cmdlet DLL is not built: {path} (./build.ps1 -Task Build, or set SSOCREDS_MODULE_DLL)")
    return path.resolve()


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
