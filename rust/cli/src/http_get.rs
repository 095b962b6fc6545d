//! A plain HTTP/1.1 GET to a loopback URL, enough for the demo's simulated user to approve a login
//! on the bundled fake (and to follow its redirect back to an authorization-code login).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Fetches `url` as a browser does, following one redirect; the last HTTP status code.
pub fn visit(url: &str) -> Result<u16, String> {
    let (status, location) = get(url)?;
    match location {
        Some(next) if (300..400).contains(&status) => get(&next).map(|(status, _)| status),
        _ => Ok(status),
    }
}

/// Fetches `url` (http only): the HTTP status code, and where a redirect points.
fn get(url: &str) -> Result<(u16, Option<String>), String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs are supported")?;
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut stream = TcpStream::connect(authority).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| "not an HTTP answer".to_string())?;
    let head = answer.split("\r\n\r\n").next().unwrap_or_default();
    let location = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location").then(|| value.trim().to_string())
    });
    Ok((status, location))
}
