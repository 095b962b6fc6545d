//! `fake-browser`: the tests' stand-in for a user's browser, on every OS. Run with a URL, as the
//! module runs the command in `BROWSER` (or as `xdg-open`/`open` are run), it appends the URL to the
//! file named by `FAKE_BROWSER_LOG` (when set) and exits at once, as a launcher does; a detached copy
//! of itself then GETs the URL and follows its redirects, as the user's browser does after ALLOW is
//! clicked: that approves a device login at the fake, or brings an authorization code back to the
//! login's listener on 127.0.0.1. Plain HTTP to loopback addresses only: it never leaves the machine.

use std::env;
use std::fs::OpenOptions;
use std::io::Write;
use std::process::{Command, ExitCode, Stdio};

use fake_identity_center::browser::{check, visit};

/// The file each URL opened is appended to, one a line.
const LOG_VARIABLE: &str = "FAKE_BROWSER_LOG";
/// How the launcher tells its detached copy to visit the URL.
const VISIT_FLAG: &str = "--visit";

fn main() -> ExitCode {
    let arguments: Vec<String> = env::args().skip(1).collect();
    let outcome = match arguments.as_slice() {
        [flag, url] if flag == VISIT_FLAG => visit(url).map(drop),
        [url] => open(url),
        _ => Err(format!("usage: fake-browser URL (the URL is appended to ${LOG_VARIABLE}, then visited)")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fake-browser: {message}");
            ExitCode::FAILURE
        }
    }
}

/// What a launcher does: records the URL, hands it to the "browser" (the detached visit) and returns.
fn open(url: &str) -> Result<(), String> {
    // A URL this browser would refuse to visit is not recorded as opened either.
    check(url)?;
    if let Some(log) = env::var_os(LOG_VARIABLE) {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| format!("cannot open {LOG_VARIABLE} {}: {e}", log.to_string_lossy()))?;
        writeln!(file, "{url}").map_err(|e| format!("cannot write {}: {e}", log.to_string_lossy()))?;
    }
    let me = env::current_exe().map_err(|e| format!("cannot find its own executable: {e}"))?;
    // No standard streams: the caller reads the launcher's pipes until they close, which must not wait
    // for the visit.
    Command::new(me)
        .args([VISIT_FLAG, url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the visit of {url}: {e}"))?;
    Ok(())
}
