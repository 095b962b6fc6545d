"""Ctrl+C in a real console during the device login, then a second process that logs in at once.

pwsh runs in a tmux session (a real terminal: interactive without -NonInteractive:$false), with HOME in a
temporary folder and the endpoint variables at a fake IAM Identity Center that never approves. The test
types Set-AwsCliSsoCredentials -NoBrowser, waits until the code is shown, sends Ctrl+C and waits for the
prompt. The login must then be cancelled in the library at once: Get-AwsCliSsoSession in that console
says None, and a second pwsh process (same HOME, so the same token cache file and login lock), started
while the first console is still open, prints its own URL and code instead of "Another process is already
logging in ...", and completes against a second fake that approves by itself.

Needs the built module (<repo>/Set-AwsCliSsoCredentials.psd1 with module/SetAwsCliSsoCredentials.dll and
the native library: ./build.ps1) and the fake (FAKE_IDC_BIN). A missing tmux or pwsh skips the test with
the reason, unless CI is set: then it fails.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
import uuid

import pytest

from conftest import REPO, START_URL, home_variables, missing

MANIFEST = REPO / "Set-AwsCliSsoCredentials.psd1"
MODULE_DLL = REPO / "module" / "SetAwsCliSsoCredentials.dll"
ENVIRONMENT = "ConsoleCtrlC"
PROMPT = re.compile(r"^PS .*> ?$")


def required_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed, so the real-console Ctrl+C test cannot run")
    return path


def ps_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Console:
    """A tmux session of its own (own server socket) running one command."""

    def __init__(self, tmux: str, command: str):
        self.tmux = tmux
        self.socket = f"ssocreds-test-{uuid.uuid4().hex[:12]}"
        self.session = "console"
        self.run("-f", "/dev/null", "new-session", "-d", "-s", self.session, "-x", "250", "-y", "60", command)
        self.socket_path = self.run("display-message", "-p", "-t", self.session, "#{socket_path}").strip()

    def run(self, *args: str) -> str:
        result = subprocess.run([self.tmux, "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args[:3])} failed: {result.stderr.strip()}")
        return result.stdout

    def screen(self) -> str:
        # -J joins wrapped lines; -S -: the scrollback too.
        return self.run("capture-pane", "-p", "-J", "-S", "-", "-t", self.session)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.session, "-l", text)
        self.run("send-keys", "-t", self.session, "Enter")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def wait_for(self, predicate, timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        pytest.fail(f"{what} did not happen within {timeout} s; the console shows:\n{screen}")

    def kill(self) -> None:
        for args in (("kill-session", "-t", self.session), ("kill-server",)):
            try:
                self.run(*args)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        # The server is gone; its socket file may stay behind.
        if self.socket_path and os.path.exists(self.socket_path):
            try:
                os.unlink(self.socket_path)
            except OSError:
                pass


def last_line(screen: str) -> str:
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_ctrl_c_in_a_console_cancels_the_login_and_frees_the_lock(tmp_path, start_fake):
    tmux = required_tool("tmux")
    pwsh = required_tool("pwsh")
    if not MANIFEST.is_file() or not MODULE_DLL.is_file():
        pytest.fail(f"the module is not built: {MODULE_DLL} (./build.ps1)")

    waiting = start_fake("--accounts", "2", "--roles", "ReadOnly")  # never approves
    approving = start_fake("--accounts", "2", "--roles", "ReadOnly", "--approve-after-polls", "2")
    home = tmp_path / "home"
    home.mkdir()
    credentials = tmp_path / "credentials"

    variables = {
        **home_variables(home),
        "AWS_ENDPOINT_URL_SSO_OIDC": waiting.url,
        "AWS_ENDPOINT_URL_SSO": waiting.url,
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "POWERSHELL_TELEMETRY_OPTOUT": "1",
        "POWERSHELL_UPDATECHECK": "Off",
    }
    command = "env " + " ".join(f"{k}={shlex.quote(v)}" for k, v in variables.items()) + f" {shlex.quote(pwsh)} -NoProfile"
    console = Console(tmux, command)
    try:
        console.wait_for(lambda s: PROMPT.match(last_line(s)) is not None, 60, "the pwsh prompt")

        console.type(
            f"Import-Module {ps_literal(str(MANIFEST))}; "
            f"Set-AwsCliSsoCredentials -EnvironmentName {ENVIRONMENT} -StartUrl {ps_literal(START_URL)} -Region us-east-1 "
            f"-DefaultRoleName ReadOnly -Account @{{ Profile = 'console-0'; AccountId = '100000000000' }} -NoBrowser"
        )
        screen = console.wait_for(
            lambda s: "enter the code" in s or "SsoCreds." in s or "LoginRequired" in s, 30, "the login code"
        )
        assert f"To sign in, open {waiting.url}/device in a browser and enter the code " in screen, screen
        assert waiting.get("/__fake/counters")["startDeviceAuthorization"] == 1

        console.keys("C-c")
        started = time.monotonic()
        screen = console.wait_for(
            lambda s: PROMPT.match(last_line(s)) is not None and "enter the code" in s.rsplit(last_line(s), 1)[0],
            5,
            "the prompt after Ctrl+C",
        )
        assert time.monotonic() - started < 5

        # The login is gone from the library of that console's process, not left pending.
        console.type(f"'SESSION=' + (Get-AwsCliSsoSession -EnvironmentName {ENVIRONMENT}).Status")
        screen = console.wait_for(lambda s: re.search(r"^SESSION=\w+", s, re.M) is not None, 10, "the session status")
        status = re.search(r"^SESSION=(\w+)", screen, re.M).group(1)
        assert status == "None", screen

        # A second process, while the first console is still open: same HOME, its own login at once.
        second_env = dict(os.environ)
        second_env.update(variables)
        second_env["AWS_ENDPOINT_URL_SSO_OIDC"] = approving.url
        second_env["AWS_ENDPOINT_URL_SSO"] = approving.url
        script = (
            f"Import-Module {ps_literal(str(MANIFEST))}; "
            f"Set-AwsCliSsoCredentials -EnvironmentName {ENVIRONMENT} -StartUrl {ps_literal(START_URL)} -Region us-east-1 "
            f"-DefaultRoleName ReadOnly -Account @{{ Profile = 'console-1'; AccountId = '100000000001' }} "
            f"-NoBrowser -NonInteractive:$false -ErrorAction Stop"
        )
        second = subprocess.Popen(
            [pwsh, "-NoProfile", "-NonInteractive", "-Command", script],
            env=second_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            output, _ = second.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
            output, _ = second.communicate()
            pytest.fail(f"the second process did not finish within 20 s:\n{output}")
        assert "already logging in" not in output.lower(), output
        assert f"To sign in, open {approving.url}/device in a browser and enter the code " in output, output
        assert second.returncode == 0, output
        assert approving.get("/__fake/counters")["startDeviceAuthorization"] == 1
        assert "[console-1]" in credentials.read_text(encoding="utf-8")
    finally:
        console.kill()
