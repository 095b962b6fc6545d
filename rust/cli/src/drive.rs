//! Driving one run of the library (`Engine::start_run`): the library decides everything and says
//! every text; this shows its events on stderr until `finished`, and opens the browser when told.

use std::process::ExitCode;
use std::time::Duration;

use ssocreds_engine::api::{ProfileStatus, RefreshReport};
use ssocreds_engine::run::{BrowserCommand, MessageLevel, RunError, RunEvent, RunReport, RunRequest};
use ssocreds_engine::Engine;

/// How long one wait for an event lasts: short, so that the process stays responsive.
const EVENT_WAIT: Duration = Duration::from_millis(500);

/// Who approves a login the run needs.
#[derive(Clone, Copy)]
pub enum Approver {
    /// The user, in the system browser (or by hand, with the URL and code printed).
    User,
    /// The demo's simulated user: plain HTTP GETs to the bundled fake's pages.
    SimulatedUser,
}

/// How the command line takes part in a run.
#[derive(Clone, Copy)]
pub struct Driver {
    pub approver: Approver,
    /// Show the run's verbose lines.
    pub verbose: bool,
}

/// The run's `finished` event.
pub struct Finished {
    pub report: Option<RunReport>,
    pub errors: Vec<RunError>,
    pub error: Option<RunError>,
}

impl Driver {
    pub async fn drive(self, engine: &Engine, request: RunRequest) -> Finished {
        let run = engine.start_run(request);
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        let mut listening = true;
        loop {
            let event = tokio::select! {
                event = run.next_event(EVENT_WAIT) => event,
                // Ctrl+C: the run forgets its login and releases its lock; `finished` (Cancelled) follows.
                _ = &mut interrupted, if listening => {
                    listening = false;
                    run.cancel().await;
                    None
                }
            };
            match event {
                Some(RunEvent::Finished { report, errors, error }) => return Finished { report, errors, error },
                Some(event) => self.show(event).await,
                None => {}
            }
        }
    }

    async fn show(&self, event: RunEvent) {
        match event {
            RunEvent::LoginNeeded { url, open_browser, browser_commands, if_opened, if_not_opened, .. } => {
                let opened = open_browser && self.approve(url, browser_commands).await;
                print_lines(if opened { &if_opened } else { &if_not_opened });
            }
            RunEvent::LoginWaiting { message, .. } => eprintln!("{message}"),
            RunEvent::Message { level: MessageLevel::Info, text, .. } => eprintln!("{text}"),
            RunEvent::Message { level: MessageLevel::Warning, text, .. } => eprintln!("warning: {text}"),
            RunEvent::Message { level: MessageLevel::Verbose, text, .. } if self.verbose => {
                eprintln!("verbose: {text}")
            }
            // No `confirm` comes: the command line never asks for one (a dry run is `whatIf`).
            _ => {}
        }
    }

    /// Opens the login's page (with the library's commands, or the demo's GETs); true when it was opened.
    async fn approve(&self, url: String, commands: Vec<BrowserCommand>) -> bool {
        match self.approver {
            Approver::User => {
                tokio::task::spawn_blocking(move || crate::browser::open(&commands)).await.unwrap_or(false)
            }
            Approver::SimulatedUser => {
                // The page may send the browser back to this process's listener, which answers
                // while the run polls the login: the visit must not be waited for here.
                std::thread::spawn(move || match fake_identity_center::browser::visit(&url) {
                    Ok(status) => {
                        eprintln!("(demo) the simulated user opened the page and clicked ALLOW (HTTP {status})")
                    }
                    Err(why) => eprintln!("(demo) the simulated browser failed: {why}"),
                });
                true
            }
        }
    }
}

fn print_lines(lines: &[String]) {
    for line in lines {
        eprintln!("{line}");
    }
}

impl Finished {
    /// The error records on stderr: what failed, the code, the message and what to do.
    pub fn print_errors(&self) {
        for error in self.errors.iter().chain(&self.error) {
            eprintln!("error: {} ({}): {}", error.code, error.target, error.message);
            if let Some(action) = &error.recommended_action {
                eprintln!("  {action}");
            }
        }
    }

    pub fn refresh_report(&self) -> Option<&RefreshReport> {
        match &self.report {
            Some(RunReport::Refresh(report)) => Some(report),
            _ => None,
        }
    }

    /// 2 when the run failed as a whole, 1 when some profiles failed, else 0.
    pub fn exit_code(&self) -> ExitCode {
        let failed_profiles = self.refresh_report().is_some_and(|r| r.count(ProfileStatus::Failed) > 0);
        match (&self.error, failed_profiles) {
            (Some(_), _) => ExitCode::from(2),
            (None, true) => ExitCode::from(1),
            (None, false) => ExitCode::SUCCESS,
        }
    }
}
