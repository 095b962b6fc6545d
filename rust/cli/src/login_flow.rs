//! The interactive device login of the command line: show the code, open the browser (or not),
//! and wait for approval.

use std::process::{Command, Stdio};
use std::time::Duration;

use ssocreds_engine::api::{LoginPoll, LoginPollRequest, LoginPrompt, LoginStart, LoginStartRequest};
use ssocreds_engine::{Engine, Result};

/// What the user sees and does while a device login is pending.
pub enum Approver {
    /// Open the system browser (and print the URL and code too).
    Browser,
    /// Only print the URL and code: SSH, WSL, headless machines.
    PrintOnly,
    /// Visit the URL with a plain HTTP GET, as the bundled fake accepts: the demo's "user".
    SimulatedUser,
}

pub async fn login(engine: &Engine, request: LoginStartRequest, approver: Approver) -> Result<String> {
    let environment = request.environment.clone();
    let pending = match engine.login_start(request).await? {
        LoginStart::LoggedIn { expires_at } => return Ok(expires_at),
        LoginStart::Waiting { message } => {
            eprintln!("{message}");
            return wait_for_approval(engine, &environment).await;
        }
        LoginStart::Pending {
            prompt: LoginPrompt::DeviceCode { user_code, verification_uri, verification_uri_complete, .. },
            ..
        } => {
            eprintln!("To sign in, open {verification_uri} and enter the code {user_code}");
            eprintln!("  (or open {verification_uri_complete})");
            verification_uri_complete
        }
        LoginStart::Pending { prompt: LoginPrompt::AuthorizationCode { .. }, .. } => {
            return Err(ssocreds_engine::Error::new(
                ssocreds_engine::ErrorCode::InvalidInput,
                "the command line asks for the device code flow only",
            ))
        }
    };
    match approver {
        Approver::Browser => {
            eprintln!("A Browser window should open. Please login there and click ALLOW.");
            open_browser(&pending);
        }
        Approver::PrintOnly => {}
        Approver::SimulatedUser => {
            let status = crate::http_get::status_of(&pending).map_err(|e| {
                ssocreds_engine::Error::new(
                    ssocreds_engine::ErrorCode::Network,
                    format!("the simulated browser failed: {e}"),
                )
            })?;
            eprintln!("(demo) the simulated user opened the page and clicked ALLOW (HTTP {status})");
        }
    }
    wait_for_approval(engine, &environment).await
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
        let mut c = Command::new("cmd");
        c.args(["/C", "start", ""]).arg(url);
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
