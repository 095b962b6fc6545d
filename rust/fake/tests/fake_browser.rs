//! `fake-browser`, the tests' stand-in browser: it records the URL, returns at once as a launcher
//! does, then visits the URL and its redirect as the user's browser does, on loopback only.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

fn fake_browser(url: &str, log: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fake-browser")).arg(url).env("FAKE_BROWSER_LOG", log).output().unwrap()
}

/// Accepts one request on `server` and answers it with `answer` (status line and headers); returns
/// the request line.
fn answer_one(server: &TcpListener, answer: &str) -> String {
    let (stream, _) = server.accept().unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut header = String::new();
    while reader.read_line(&mut header).unwrap() > 0 && header != "\r\n" {
        header.clear();
    }
    let mut stream: TcpStream = stream;
    write!(stream, "{answer}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    request_line.trim_end().to_string()
}

#[test]
fn it_records_the_url_returns_at_once_then_follows_the_redirect_back_to_the_listener() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let folder = tempfile::tempdir().unwrap();
    let log = folder.path().join("visits.log");
    let url = format!("http://127.0.0.1:{port}/authorize?state=s1&redirect_uri=x");

    let started = Instant::now();
    let launched = fake_browser(&url, &log);
    // Nothing has been answered yet: the launcher returned without waiting for its visit.
    assert!(launched.status.success(), "{}", String::from_utf8_lossy(&launched.stderr));
    assert!(started.elapsed() < Duration::from_secs(5), "it returns at once: {:?}", started.elapsed());
    assert_eq!(std::fs::read_to_string(&log).unwrap(), format!("{url}\n"));

    let first =
        answer_one(&server, &format!("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}/oauth/callback?code=c1"));
    assert_eq!(first, "GET /authorize?state=s1&redirect_uri=x HTTP/1.1");
    let second = answer_one(&server, "HTTP/1.1 200 OK");
    assert_eq!(second, "GET /oauth/callback?code=c1 HTTP/1.1", "the redirect is followed, as a browser does");

    fake_browser(&format!("http://127.0.0.1:{port}/device?user_code=AB"), &log);
    assert_eq!(answer_one(&server, "HTTP/1.1 200 OK"), "GET /device?user_code=AB HTTP/1.1");
    let visits = std::fs::read_to_string(&log).unwrap();
    assert_eq!(visits.lines().count(), 2, "each URL it was asked to open, one a line: {visits}");
}

#[test]
fn it_refuses_what_is_not_plain_http_on_a_loopback_address_and_records_nothing() {
    let folder = tempfile::tempdir().unwrap();
    let log = folder.path().join("visits.log");
    for url in ["https://127.0.0.1:1/authorize", "http://example.com/device", "http://10.0.0.1:80/"] {
        let refused = fake_browser(url, &log);
        assert!(!refused.status.success(), "{url} is refused");
        assert!(String::from_utf8_lossy(&refused.stderr).contains(url), "the error names {url}");
    }
    assert!(!log.exists(), "nothing was recorded as opened");
}
