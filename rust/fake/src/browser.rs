//! The user's browser, as the tests, the demo and `fake-browser` play it: plain HTTP/1.1 GETs to
//! loopback addresses only (it never leaves the machine), following redirects as a browser does
//! after ALLOW is clicked. That approves a device login at the fake, or brings an authorization code
//! back to a login's listener on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::Duration;

/// As many redirects as a login takes (the authorization page's one), with room to spare.
const MAX_REDIRECTS: usize = 5;
/// A page that has not answered by then never will (the fake answers in milliseconds).
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What a browser does once the user clicked ALLOW: GET the URL, and the URL each redirect names,
/// until a page answers; that page's HTTP status.
pub fn visit(url: &str) -> Result<u16, String> {
    let mut target = Target::parse(url)?;
    for _ in 0..=MAX_REDIRECTS {
        match target.get()? {
            Answer::Redirect(location) => target = target.follow(&location)?,
            Answer::Page(status) => return Ok(status),
        }
    }
    Err(format!("more than {MAX_REDIRECTS} redirects from {url}"))
}

/// Whether this browser would visit `url`: plain http to a loopback address.
pub fn check(url: &str) -> Result<(), String> {
    Target::parse(url).map(drop)
}

enum Answer {
    Redirect(String),
    Page(u16),
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

    /// One HTTP/1.1 GET: the `Location` of a redirect, or a page's status.
    fn get(&self) -> Result<Answer, String> {
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
            return Ok(Answer::Page(status));
        }
        let location = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location").then(|| value.trim().to_string())
        });
        location.map(Answer::Redirect).ok_or_else(|| format!("a redirect without a Location from {url}"))
    }
}
