//! The loopback listener of an authorization-code login (RFC 8252 §7.3): on 127.0.0.1 only, never
//! all interfaces, on a free port or the one asked for. It waits for the browser to come back to
//! `/oauth/callback` with the code and the login's `state`, answers the browser with a short page,
//! and hands the code over.
//!
//! Only a callback that carries this login's `state` ends the login: with its code, or with its
//! `error=` (the user denied the login, or the service refused the request). Anything else gets an
//! error page and changes nothing: a callback with another state or none (400), another path (404),
//! another method (405). `aws sso login` ends the login on a wrong state; this listener does not,
//! on purpose: its port is printed on screen and is in the browser launcher's command line, so any
//! local program, or a web page that guesses the port, could otherwise end every browser login with
//! one request (`/oauth/callback?error=x`). A stale tab is told so on its page, and the login waits
//! for the real answer until its deadline. The state is compared in constant time. (The state is in
//! the launcher's command line too, which programs of the same user can read; those could also
//! read the token cache, and are not what this guards against.)
//!
//! Nothing a client does holds the listener up: at most [`MAX_CONNECTIONS`] are served at once (a
//! new one closes the oldest still unread, so idle connections cannot crowd out the browser's, which
//! sends its request at once), each must send its whole request head within [`HEAD_TIMEOUT`] and
//! [`MAX_HEAD`] bytes, and [`listen`] stops at its `until` (a poll's end, the login's deadline at the
//! latest) with every connection closed. It accepts none in its last moments: left in the backlog,
//! they are served by the next poll, so that no browser's request is cut off as a poll ends.

use std::collections::{HashMap, VecDeque};
use std::io::ErrorKind;
use std::time::{Duration, Instant};

use futures_util::future::{AbortHandle, Abortable, BoxFuture, FutureExt};
use futures_util::stream::{FuturesUnordered, StreamExt};
use subtle::ConstantTimeEq;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::CALLBACK_PATH;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::validate::printable;

/// The most connections served at once: a browser opens one or two (the page, a favicon).
const MAX_CONNECTIONS: usize = 16;
/// How long a connection may take to send its whole request head, counted from its accept; a
/// browser sends it at once, so one that sends nothing, or a byte at a time, is closed then.
const HEAD_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest request head read; a callback's is well under 2 KiB.
const MAX_HEAD: usize = 16 * 1024;
/// No connection is accepted this close to `until` (or in the last half of a shorter wait): one
/// accepted then might not be read by `until`, and would be lost; left in the backlog, the next
/// poll serves it.
const LAST_ACCEPT_MARGIN: Duration = Duration::from_millis(100);
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
    /// The login is over: denied, or refused by the service (with this login's state).
    Failed(Error),
}

/// Serves `listener` until the browser comes back with this login's state, or `until`, when every
/// connection is closed. Connections still unaccepted then stay in the listener's backlog.
pub(super) async fn listen(listener: &TcpListener, state: &Secret, environment: &str, until: Instant) -> Option<Heard> {
    let mut connections = Connections::default();
    let stop_accepting = tokio::time::sleep_until(last_accept(Instant::now(), until).into());
    let over = tokio::time::sleep_until(until.into());
    tokio::pin!(stop_accepting, over);
    let mut accepting = true;
    loop {
        tokio::select! {
            biased;
            () = &mut stop_accepting, if accepting => accepting = false,
            heard = connections.next_heard(), if !connections.is_empty() => if heard.is_some() {
                return heard;
            },
            // Dropping the connections closes them.
            () = &mut over => return None,
            accepted = listener.accept(), if accepting => match accepted {
                Ok((stream, _)) => connections.serve(stream, state, environment),
                Err(_) => tokio::time::sleep_until((Instant::now() + ACCEPT_RETRY).min(until).into()).await,
            },
        }
    }
}

/// The last instant a connection is accepted, for a wait from `now` to `until`.
fn last_accept(now: Instant, until: Instant) -> Instant {
    let margin = LAST_ACCEPT_MARGIN.min(until.saturating_duration_since(now) / 2);
    until.checked_sub(margin).unwrap_or(until)
}

/// One connection's answer: its number, and what it brought.
type Connection = BoxFuture<'static, (u64, Option<Heard>)>;

/// The connections being served, oldest first. They run inside [`listen`]'s own future, not as
/// tasks of their own, so that they are closed the moment it ends, whichever runtime drives it.
#[derive(Default)]
struct Connections {
    serving: FuturesUnordered<Abortable<Connection>>,
    by_age: VecDeque<(u64, AbortHandle)>,
    opened: u64,
}

impl Connections {
    /// Serves `stream`; at [`MAX_CONNECTIONS`] the oldest connection still served is closed first.
    fn serve(&mut self, stream: TcpStream, state: &Secret, environment: &str) {
        if self.by_age.len() >= MAX_CONNECTIONS {
            if let Some((_, oldest)) = self.by_age.pop_front() {
                oldest.abort();
            }
        }
        self.opened += 1;
        let (number, state, environment) = (self.opened, state.clone(), environment.to_string());
        let (handle, registration) = AbortHandle::new_pair();
        let answered = async move { (number, answer(stream, state, environment).await) };
        self.serving.push(Abortable::new(answered.boxed(), registration));
        self.by_age.push_back((number, handle));
    }

    fn is_empty(&self) -> bool {
        self.serving.is_empty()
    }

    /// What the next connection to end brought; `None`: nothing for the login.
    async fn next_heard(&mut self) -> Option<Heard> {
        let (number, heard) = self.serving.next().await?.ok()?;
        self.by_age.retain(|(open, _)| *open != number);
        heard
    }
}

/// Reads one request, answers it, and says what it brought (`None`: nothing for the login).
async fn answer(mut stream: TcpStream, state: Secret, environment: String) -> Option<Heard> {
    let deadline = Instant::now() + HEAD_TIMEOUT;
    let head = read_head(&mut stream, deadline).await?;
    let (page, heard) = reply_to(&head, &state, &environment);
    respond(&mut stream, &page, deadline).await;
    heard
}

/// A short HTML page for the browser.
#[derive(Debug, PartialEq)]
struct Page {
    status: u16,
    title: &'static str,
    text: String,
}

impl Page {
    fn new(status: u16, title: &'static str, text: impl Into<String>) -> Page {
        Page { status, title, text: text.into() }
    }
}

/// The page for a request `head`, and what it brings the login with `state`.
fn reply_to(head: &str, state: &Secret, environment: &str) -> (Page, Option<Heard>) {
    let (path, query) = match request_target(head) {
        Some(("GET", target)) => target.split_once('?').unwrap_or((target, "")),
        _ => {
            return (Page::new(405, "Not allowed", "Only the browser's return from the sign-in is served here."), None)
        }
    };
    if path != CALLBACK_PATH {
        return (Page::new(404, "Not found", "Nothing is served here."), None);
    }
    match judge(&parse_query(query), state, environment) {
        None => (Page::new(400, "Not this login's answer", NOT_THIS_LOGINS), None),
        Some(Heard::Failed(error)) => {
            let page = Page::new(400, "Login failed", format!("The login failed: {}", error.message));
            (page, Some(Heard::Failed(error)))
        }
        Some(heard) => {
            let text = format!(
                "The login to environment '{environment}' was approved. You can close this tab; the login finishes where you started it."
            );
            (Page::new(200, "Approved", text), Some(heard))
        }
    }
}

const NOT_THIS_LOGINS: &str = "This is not the answer of the sign-in that is waiting here: its state is missing or \
    belongs to another login (an older browser tab, or another program). It was ignored, and the login goes on: \
    finish the sign-in in the tab the login opened last.";

/// What the callback's parameters mean for the login with `state`; `None` when they do not carry
/// that state, and so cannot end it.
fn judge(params: &HashMap<String, Secret>, state: &Secret, environment: &str) -> Option<Heard> {
    let ours = params.get("state").is_some_and(|returned| same_secret(returned.expose(), state.expose()));
    if !ours {
        // At debug only: any program may send these, as many as it likes.
        tracing::debug!(environment, "a callback without this login's state was ignored");
        return None;
    }
    let text = |name: &str| params.get(name).map(|s| s.expose());
    Some(match (text("error"), params.get("code")) {
        (Some(error), _) => Heard::Failed(refusal(error, text("error_description"), environment)),
        (None, Some(code)) => Heard::Code(code.clone()),
        (None, None) => Heard::Failed(Error::new(
            ErrorCode::ServiceError,
            format!("environment '{environment}': the browser came back with neither a code nor an error"),
        )),
    })
}

/// Whether `returned` is `expected`, in a time that does not depend on where they differ, so that
/// a program timing the answers cannot find the state a character at a time. Their lengths are no
/// secret: every state has the same.
fn same_secret(returned: &str, expected: &str) -> bool {
    returned.as_bytes().ct_eq(expected.as_bytes()).into()
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

/// The request head, up to the blank line; `None` when the connection ends, sends more than
/// [`MAX_HEAD`] first, or has not sent it all by `deadline`.
async fn read_head(stream: &mut TcpStream, deadline: Instant) -> Option<String> {
    let mut head = HeadBuffer::default();
    loop {
        let space = head.space()?;
        let read = tokio::time::timeout_at(deadline.into(), stream.read(space)).await.ok()?.ok().filter(|n| *n > 0)?;
        if let Some(end) = head.received(read) {
            return String::from_utf8(head.bytes[..end].to_vec()).ok();
        }
    }
}

/// A request head as it arrives, searched for its end only in what each read adds, so that
/// reading it takes time linear in its size however it is split.
struct HeadBuffer {
    bytes: Vec<u8>,
    filled: usize,
}

impl Default for HeadBuffer {
    fn default() -> Self {
        HeadBuffer { bytes: vec![0; MAX_HEAD], filled: 0 }
    }
}

impl HeadBuffer {
    const END: &'static [u8] = b"\r\n\r\n";

    /// Where the next read goes; `None` when the buffer is full and the head has no end yet.
    fn space(&mut self) -> Option<&mut [u8]> {
        (self.filled < self.bytes.len()).then(|| &mut self.bytes[self.filled..])
    }

    /// Takes in `count` more bytes; the length of the head up to its blank line, once it is there.
    fn received(&mut self, count: usize) -> Option<usize> {
        // The end may straddle the previous read: look back three bytes, no further.
        let from = self.filled.saturating_sub(Self::END.len() - 1);
        self.filled += count;
        let position = self.bytes[from..self.filled].windows(Self::END.len()).position(|w| w == Self::END)?;
        Some(from + position)
    }
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

/// Sends `page` and closes the connection, giving up at `deadline` (the browser may have gone, or
/// not be reading).
async fn respond(stream: &mut TcpStream, page: &Page, deadline: Instant) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{}</p></body></html>",
        html_escape(&page.text),
        title = page.title,
    );
    let reason = match page.status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    // No caching and no referrer: the URL that led here carried the code.
    let reply = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        page.status,
        body.len()
    );
    let sent = async {
        stream.write_all(reply.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout_at(deadline.into(), sent).await;
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
    fn only_this_logins_state_ends_the_login() {
        assert_eq!(judged("code=c%2B1&state=S1"), Some(Ok("c+1".into())));
        assert_eq!(judged("error=access_denied&state=S1"), Some(Err(ErrorCode::AccessDenied)));
        assert_eq!(
            judged("error=invalid_request&error_description=bad+scope&state=S1"),
            Some(Err(ErrorCode::ServiceError))
        );
        assert_eq!(judged("state=S1"), Some(Err(ErrorCode::ServiceError)), "the service answered nothing");
        for not_ours in
            ["code=c&state=S2", "error=access_denied&state=S2", "code=c", "error=x", "state=S", "state=", ""]
        {
            assert_eq!(judged(not_ours), None, "{not_ours}");
        }
    }

    #[test]
    fn states_are_compared_whole() {
        assert!(same_secret("abc", "abc") && same_secret("", ""));
        for other in ["abd", "xbc", "ab", "abcd", "ABC"] {
            assert!(!same_secret(other, "abc"), "{other}");
        }
    }

    #[test]
    fn errors_name_the_environment_and_never_the_code() {
        let heard = judge(&params("error=invalid_scope&state=S1&code=SECRET-CODE"), &Secret::new("S1"), "Prod");
        let Some(Heard::Failed(error)) = heard else { panic!("an error with this login's state fails it") };
        assert!(error.message.contains("'Prod'") && !error.message.contains("SECRET-CODE"), "{}", error.message);
        let refused = refusal("invalid_scope", Some("scope <b>x</b>\r\nInjected: 1"), "Prod");
        assert!(refused.message.contains("invalid_scope") && !refused.message.contains('\n'), "{}", refused.message);
    }

    fn page_for(head: &str) -> (u16, String, bool) {
        let (page, heard) = reply_to(head, &Secret::new("S1"), "Env");
        (page.status, page.text, heard.is_some())
    }

    #[test]
    fn each_request_gets_its_page() {
        let get = |target: &str| page_for(&format!("GET {target} HTTP/1.1\r\nHost: x"));
        let (status, text, heard) = get("/oauth/callback?code=c&state=S1");
        assert!(status == 200 && text.contains("'Env'") && heard);
        let (status, text, heard) = get("/oauth/callback?error=access_denied&state=S1");
        assert!(status == 400 && text.contains("denied") && heard);
        let (status, text, heard) = get("/oauth/callback?code=c&state=S2");
        assert!(status == 400 && text.contains("state") && text.contains("goes on") && !heard, "{text}");
        assert_eq!(get("/favicon.ico"), (404, "Nothing is served here.".into(), false));
        assert_eq!(page_for("POST /oauth/callback?code=c&state=S1 HTTP/1.1").0, 405);
    }

    #[test]
    fn the_request_line_and_pages() {
        assert_eq!(
            request_target("GET /oauth/callback?code=1 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(("GET", "/oauth/callback?code=1"))
        );
        assert_eq!(request_target(""), None);
        assert_eq!(request_target("GET"), None);
        assert_eq!(html_escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    /// Feeds `head` to a buffer in pieces of `piece` bytes; where the head ends, if it does.
    fn end_of(head: &[u8], piece: usize) -> Option<usize> {
        let mut buffer = HeadBuffer::default();
        for chunk in head.chunks(piece) {
            let space = buffer.space()?;
            let count = chunk.len().min(space.len());
            space[..count].copy_from_slice(&chunk[..count]);
            if let Some(end) = buffer.received(count) {
                return Some(end);
            }
        }
        None
    }

    #[test]
    fn the_end_of_a_head_is_found_however_it_is_split() {
        let head = b"GET /oauth/callback?code=1 HTTP/1.1\r\nHost: x\r\n\r\nbody";
        let end = head.len() - "\r\n\r\nbody".len();
        for piece in 1..head.len() {
            assert_eq!(end_of(head, piece), Some(end), "pieces of {piece}");
        }
        assert_eq!(end_of(b"GET / HTTP/1.1\r\n\r", 1), None);
        let endless = vec![b'a'; MAX_HEAD + 1];
        assert_eq!(end_of(&endless, 1000), None, "a head longer than MAX_HEAD has no room left");
    }

    #[test]
    fn accepting_stops_shortly_before_the_deadline() {
        let now = Instant::now();
        let second = now + Duration::from_secs(1);
        assert_eq!(last_accept(now, second), second - LAST_ACCEPT_MARGIN);
        let short = now + Duration::from_millis(10);
        assert_eq!(last_accept(now, short), now + Duration::from_millis(5), "half of a short wait");
        assert_eq!(last_accept(second, now), now, "a deadline already past");
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
