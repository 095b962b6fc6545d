//! A plain HTTP/1.1 GET to a loopback URL, enough for the demo's simulated user to approve a login
//! on the bundled fake.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Fetches `url` (http only) and returns the HTTP status code.
pub fn status_of(url: &str) -> Result<u16, String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs are supported")?;
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut stream = TcpStream::connect(authority).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    answer.split_whitespace().nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| "not an HTTP answer".to_string())
}
