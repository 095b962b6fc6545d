//! The interactive login of the command line: show the URL (and, for the device code, the code),
//! open the browser (or not), and wait for the approval.

use std::process::{Command, Stdio};
use std::time::Duration;

use ssocreds_engine::api::{LoginPoll, LoginPollRequest, LoginPrompt, LoginStart, LoginStartRequest};
use ssocreds_engine::{Engine, Error, ErrorCode, Result};

/// What the user sees and does while a login is pending.
pub enum Approver {
    /// Open the system browser (and print the URL, and the code, too).
    Browser,
    /// Only print the URL and code: SSH, WSL, headless machines.
    PrintOnly,
    /// Visit the URL with plain HTTP GETs, as the bundled fake accepts: the demo's "user".
    SimulatedUser,
}

pub async fn login(engine: &Engine, request: LoginStartRequest, approver: Approver) -> Result<String> {
    let environment = request.environment.clone();
    match engine.login_start(request).await? {
        LoginStart::LoggedIn { expires_at } => return Ok(expires_at),
        LoginStart::Waiting { message } => eprintln!("{message}"),
        LoginStart::Pending { prompt, flow_reason, .. } => {
            if let Some(reason) = flow_reason {
                eprintln!("Using the device code: {reason}.");
            }
            match prompt {
                LoginPrompt::DeviceCode { user_code, verification_uri, verification_uri_complete, .. } => {
                    eprintln!("To sign in, open {verification_uri} and enter the code {user_code}");
                    eprintln!("  (or open {verification_uri_complete})");
                    approve(&verification_uri_complete, &approver, Page::AnswersAtOnce)?;
                }
                LoginPrompt::AuthorizationCode { authorization_url, .. } => {
                    eprintln!("To sign in, open this URL in a browser on this machine:");
                    eprintln!("  {authorization_url}");
                    eprintln!("(if no browser here can reach 127.0.0.1, run again with --use-device-code)");
                    approve(&authorization_url, &approver, Page::ComesBackWhilePolled)?;
                }
            }
        }
    }
    wait_for_approval(engine, &environment).await
}

/// How the page a login sends the browser to answers.
enum Page {
    /// The device login's page: at once.
    AnswersAtOnce,
    /// The authorization-code login's: it sends the browser back to this process's listener,
    /// which answers while the login is polled.
    ComesBackWhilePolled,
}

/// What the approver does with the URL to open.
fn approve(url: &str, approver: &Approver, page: Page) -> Result<()> {
    match approver {
        Approver::Browser => {
            eprintln!("A Browser window should open. Please login there and click ALLOW.");
            open_browser(url);
        }
        Approver::PrintOnly => {}
        Approver::SimulatedUser => {
            let url = url.to_string();
            let visit = std::thread::spawn(move || crate::http_get::visit(&url));
            if let Page::AnswersAtOnce = page {
                let status = visit.join().map_err(|_| simulated_failure("it stopped"))?.map_err(simulated_failure)?;
                eprintln!("(demo) the simulated user opened the page and clicked ALLOW (HTTP {status})");
            } else {
                eprintln!("(demo) the simulated user signs in; the browser comes back while the login is polled");
            }
        }
    }
    Ok(())
}

fn simulated_failure(why: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Network, format!("the simulated browser failed: {why}"))
}

async fn wait_for_approval(engine: &Engine, environment: &str) -> Result<String> {
    loop {
        let poll = LoginPollRequest { environment: environment.to_string(), wait_ms: Some(500) };
        if let LoginPoll::LoggedIn { expires_at } = engine.login_poll(poll).await? {
            return Ok(expires_at);
        }
    }
}

fn open_browser(url: &str) {
    let mut command = if cfg!(windows) {
        // Not `cmd /C start`: cmd would cut the URL at its first `&`.
        let mut c = Command::new("rundll32");
        c.args(["url.dll,FileProtocolHandler", url]);
        c
    } else if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    };
    let opened = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
    if opened.is_err() {
        eprintln!("(no browser could be opened; open the URL above yourself)");
    }
    std::thread::sleep(Duration::from_millis(50));
}
