//! `fake-browser`: the tests' stand-in for a user's browser, on every OS. Run with a URL, as the
//! module runs the command in `BROWSER` (or as `xdg-open`/`open` are run), it appends the URL to the
//! file named by `FAKE_BROWSER_LOG` (when set) and exits at once, as a launcher does; a detached copy
//! of itself then GETs the URL and follows its redirects, as the user's browser does after ALLOW is
//! clicked: that approves a device login at the fake, or brings an authorization code back to the
//! login's listener on 127.0.0.1. Plain HTTP to loopback addresses only: it never leaves the machine.

use std::env;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// The file each URL opened is appended to, one a line.
const LOG_VARIABLE: &str = "FAKE_BROWSER_LOG";
/// How the launcher tells its detached copy to visit the URL.
const VISIT_FLAG: &str = "--visit";
/// As many redirects as a login takes (the authorization page's one), with room to spare.
const MAX_REDIRECTS: usize = 5;
/// A page that has not answered by then never will (the fake answers in milliseconds).
const READ_TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let arguments: Vec<String> = env::args().skip(1).collect();
    let outcome = match arguments.as_slice() {
        [flag, url] if flag == VISIT_FLAG => visit(url),
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
    Target::parse(url)?;
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

/// What the browser does: GET the URL, and the URL each redirect names, until a page answers.
fn visit(url: &str) -> Result<(), String> {
    let mut target = Target::parse(url)?;
    for _ in 0..=MAX_REDIRECTS {
        match target.get()? {
            Some(location) => target = target.follow(&location)?,
            None => return Ok(()),
        }
    }
    Err(format!("more than {MAX_REDIRECTS} redirects from {url}"))
}

/// An `http://` URL on a loopback address, split as a request needs it.
struct Target {
    authority: String,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| format!("not a plain http:// URL: {url}"))?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(at) if rest[at..].starts_with('/') => (&rest[..at], rest[at..].to_string()),
            Some(at) => (&rest[..at], format!("/{}", &rest[at..])),
            None => (rest, "/".to_string()),
        };
        let target = Target { authority: authority.to_string(), path };
        if !target.is_loopback() {
            return Err(format!("not a loopback address (this browser never leaves the machine): {url}"));
        }
        Ok(target)
    }

    fn is_loopback(&self) -> bool {
        let host = self.authority.rsplit_once(':').map_or(self.authority.as_str(), |(host, _)| host);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Where a `Location` header sends the browser next: an absolute URL, or a path on this server.
    fn follow(&self, location: &str) -> Result<Target, String> {
        if location.starts_with('/') {
            return Ok(Target { authority: self.authority.clone(), path: location.to_string() });
        }
        Target::parse(location)
    }

    /// One HTTP/1.1 GET: the `Location` of a redirect, or None for a page.
    fn get(&self) -> Result<Option<String>, String> {
        let url = format!("http://{}{}", self.authority, self.path);
        // Each address of the name in turn (localhost may be ::1 first).
        let mut stream =
            TcpStream::connect(self.authority.as_str()).map_err(|e| format!("cannot connect to {url}: {e}"))?;
        stream.set_read_timeout(Some(READ_TIMEOUT)).map_err(|e| e.to_string())?;
        write!(stream, "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.path, self.authority)
            .map_err(|e| format!("cannot send to {url}: {e}"))?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).map_err(|e| format!("no answer from {url}: {e}"))?;
        let answer = String::from_utf8_lossy(&answer);
        let head = answer.split("\r\n\r\n").next().unwrap_or_default();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not an HTTP answer from {url}"))?;
        if !(300..400).contains(&status) {
            return Ok(None);
        }
        let location = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location").then(|| value.trim().to_string())
        });
        location.map(Some).ok_or_else(|| format!("a redirect without a Location from {url}"))
    }
}
