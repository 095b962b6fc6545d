//! The loopback listener of an authorization-code login (RFC 8252 §7.3): on 127.0.0.1 only, never
//! all interfaces, on a free port or the one asked for. It waits for the browser to come back to
//! `/oauth/callback` with the code and the login's `state`, answers the browser with a short page,
//! and hands the code over. Any other path gets a 404 and changes nothing.
//!
//! A callback whose `state` is not this login's ends the login, as `aws sso login` does: it is a
//! stale browser tab or another program, and its code is never exchanged. So does an `error=`
//! callback (the user denied the login, or the service refused the request). A request that
//! carries neither a state nor a code is not an answer of the service, and is ignored.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::CALLBACK_PATH;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::validate::printable;

/// How long one connection may take to send its request; a browser sends it at once.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest request head read; a callback's is well under 2 KiB.
const MAX_HEAD: usize = 16 * 1024;
/// A failed `accept` (out of descriptors) is retried after this pause rather than at once.
const ACCEPT_RETRY: Duration = Duration::from_millis(20);

/// Listens on 127.0.0.1 at `port` (a free one when `None` or 0). The listener is non-blocking, as
/// Tokio needs it; it stops when dropped.
pub(super) fn bind(port: Option<u16>, environment: &str) -> Result<std::net::TcpListener> {
    let asked = port.unwrap_or(0);
    let listener = std::net::TcpListener::bind(("127.0.0.1", asked)).map_err(|e| {
        let why = match e.kind() {
            ErrorKind::AddrInUse => "the port is already in use (by another program, or another login)".to_string(),
            ErrorKind::PermissionDenied => "this process may not listen on that port".to_string(),
            _ => e.to_string(),
        };
        let port = if asked == 0 { "a free port".to_string() } else { format!("port {asked} (redirectPort)") };
        Error::new(
            ErrorCode::Io,
            format!("environment '{environment}': cannot listen on 127.0.0.1 {port} for the browser's redirect: {why}"),
        )
    })?;
    listener.set_nonblocking(true).map_err(|e| {
        Error::new(ErrorCode::Io, format!("environment '{environment}': cannot set up the redirect listener: {e}"))
    })?;
    Ok(listener)
}

/// What the browser brought back.
pub(super) enum Heard {
    /// The authorization code, with this login's state.
    Code(Secret),
    /// The login is over: denied, refused by the service, or answered with another state.
    Failed(Error),
}

/// Serves `listener` until the browser comes back, or `until`. Requests that arrived by then are
/// still answered (each within [`READ_TIMEOUT`]), so a browser that came back just then is not lost.
pub(super) async fn listen(listener: &TcpListener, state: &Secret, environment: &str, until: Instant) -> Option<Heard> {
    let mut connections = JoinSet::new();
    let deadline = tokio::time::sleep_until(until.into());
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(answer(stream, state.clone(), environment.to_string()));
                }
                Err(_) => tokio::time::sleep(ACCEPT_RETRY).await,
            },
            Some(done) = connections.join_next() => {
                if let Ok(Some(heard)) = done {
                    return Some(heard);
                }
            }
            () = &mut deadline => break,
        }
    }
    while let Some(done) = connections.join_next().await {
        if let Ok(Some(heard)) = done {
            return Some(heard);
        }
    }
    None
}

/// Reads one request, answers it, and says what it brought (`None`: nothing for the login).
async fn answer(mut stream: TcpStream, state: Secret, environment: String) -> Option<Heard> {
    let head = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await.ok()??;
    let (path, query) = match request_target(&head) {
        Some(("GET", target)) => target.split_once('?').unwrap_or((target, "")),
        _ => {
            return respond(
                &mut stream,
                405,
                "Not allowed",
                "Only the browser's return from the sign-in is served here.",
                None,
            )
            .await
        }
    };
    if path != CALLBACK_PATH {
        return respond(&mut stream, 404, "Not found", "Nothing is served here.", None).await;
    }
    let heard = judge(&parse_query(query), &state, &environment);
    match &heard {
        Some(Heard::Code(_)) => {
            let text = format!(
                "The login to environment '{environment}' was approved. You can close this tab; the login finishes where you started it."
            );
            respond(&mut stream, 200, "Approved", &text, heard).await
        }
        Some(Heard::Failed(error)) => {
            let text = format!("The login failed: {}", error.message);
            respond(&mut stream, 400, "Login failed", &text, heard).await
        }
        None => {
            respond(
                &mut stream,
                400,
                "Not a sign-in answer",
                "This address is only for the browser's return from the sign-in.",
                None,
            )
            .await
        }
    }
}

/// What the callback's parameters mean for the login with `state`.
fn judge(params: &HashMap<String, Secret>, state: &Secret, environment: &str) -> Option<Heard> {
    let text = |name: &str| params.get(name).map(|s| s.expose());
    let stale = || {
        Heard::Failed(Error::login_required(
            environment,
            "the browser came back with a state that is not this login's (a stale browser tab, or another program); \
             the login was ended and its code not used",
        ))
    };
    match (params.get("state"), text("error"), params.get("code")) {
        (Some(returned), _, _) if returned != state => Some(stale()),
        (_, Some(error), _) => Some(Heard::Failed(refusal(error, text("error_description"), environment))),
        (Some(_), None, Some(code)) => Some(Heard::Code(code.clone())),
        (None, None, Some(_)) => Some(stale()),
        (Some(_), None, None) => Some(Heard::Failed(Error::new(
            ErrorCode::ServiceError,
            format!("environment '{environment}': the browser came back with neither a code nor an error"),
        ))),
        (None, None, None) => None,
    }
}

/// The error of an `error=` callback (RFC 6749 §4.1.2.1).
fn refusal(error: &str, description: Option<&str>, environment: &str) -> Error {
    let detail = match description {
        Some(text) => format!("{}: {}", printable(error), printable(text)),
        None => printable(error),
    };
    if error == "access_denied" {
        Error::new(
            ErrorCode::AccessDenied,
            format!("environment '{environment}': the login was denied in the browser ({detail})"),
        )
    } else {
        Error::new(
            ErrorCode::ServiceError,
            format!("environment '{environment}': the service refused the login ({detail})"),
        )
    }
}

/// The request head, up to the blank line; `None` when the connection ends or sends too much first.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        head.extend_from_slice(&chunk[..read]);
        if head.len() > MAX_HEAD {
            return None;
        }
    }
    String::from_utf8(head).ok()
}

/// The method and target of the request line.
fn request_target(head: &str) -> Option<(&str, &str)> {
    let mut parts = head.lines().next()?.split(' ');
    Some((parts.next()?, parts.next()?))
}

/// `a=b&c=d`, decoded as browsers encode forms (`+` is a space); values are kept as secrets, since a
/// code is one.
fn parse_query(query: &str) -> HashMap<String, Secret> {
    form_urlencoded::parse(query.as_bytes()).map(|(name, value)| (name.into_owned(), Secret::new(value))).collect()
}

/// Sends a short page and closes the connection; passes `heard` through.
async fn respond(stream: &mut TcpStream, status: u16, title: &str, text: &str, heard: Option<Heard>) -> Option<Heard> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{}</p></body></html>",
        html_escape(text)
    );
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    // No caching and no referrer: the URL that led here carried the code.
    let reply = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser may have gone; what it brought counts all the same.
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
    heard
}

fn html_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> HashMap<String, Secret> {
        parse_query(query)
    }

    fn judged(query: &str) -> Option<std::result::Result<String, ErrorCode>> {
        judge(&params(query), &Secret::new("S1"), "Env").map(|heard| match heard {
            Heard::Code(code) => Ok(code.expose().to_string()),
            Heard::Failed(error) => Err(error.code),
        })
    }

    #[test]
    fn the_callback_is_judged_by_its_state_first() {
        assert_eq!(judged("code=c%2B1&state=S1"), Some(Ok("c+1".into())));
        assert_eq!(judged("code=c&state=S2"), Some(Err(ErrorCode::LoginRequired)), "another login's state");
        assert_eq!(judged("error=access_denied&state=S2"), Some(Err(ErrorCode::LoginRequired)));
        assert_eq!(judged("code=c"), Some(Err(ErrorCode::LoginRequired)), "a code without a state is not ours");
        assert_eq!(judged("error=access_denied&state=S1"), Some(Err(ErrorCode::AccessDenied)));
        assert_eq!(judged("error=access_denied"), Some(Err(ErrorCode::AccessDenied)));
        assert_eq!(
            judged("error=invalid_request&error_description=bad+scope&state=S1"),
            Some(Err(ErrorCode::ServiceError))
        );
        assert_eq!(judged("state=S1"), Some(Err(ErrorCode::ServiceError)));
        assert_eq!(judged(""), None);
        assert_eq!(judged("utm=1"), None);
    }

    #[test]
    fn errors_name_the_environment_and_never_the_code() {
        let heard = judge(&params("code=SECRET-CODE&state=OTHER"), &Secret::new("S1"), "Prod").unwrap();
        let Heard::Failed(error) = heard else { panic!("a wrong state must fail") };
        assert!(
            error.message.contains("'Prod'")
                && !error.message.contains("SECRET-CODE")
                && !error.message.contains("OTHER")
        );
        let refused = refusal("invalid_scope", Some("scope <b>x</b>\r\nInjected: 1"), "Prod");
        assert!(refused.message.contains("invalid_scope") && !refused.message.contains('\n'), "{}", refused.message);
    }

    #[test]
    fn the_request_line_and_pages() {
        assert_eq!(
            request_target("GET /oauth/callback?code=1 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(("GET", "/oauth/callback?code=1"))
        );
        assert_eq!(request_target(""), None);
        assert_eq!(html_escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn a_taken_port_is_named_and_zero_means_any() {
        let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        let error = bind(Some(port), "Env").unwrap_err();
        assert_eq!(error.code, ErrorCode::Io);
        assert!(
            error.message.contains(&format!("port {port} (redirectPort)")) && error.message.contains("'Env'"),
            "{}",
            error.message
        );
        let any = bind(Some(0), "Env").unwrap();
        assert!(any.local_addr().unwrap().ip().is_loopback());
    }
}
