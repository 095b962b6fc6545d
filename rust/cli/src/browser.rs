//! Opening a login's page in the user's browser, as the module does (`module/src/Engine/Host.cs`,
//! `Browser.TryOpen`): the library names the commands (BROWSER's, else the system's launcher, in
//! the `loginNeeded` event); this starts them in order until one starts.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ssocreds_engine::run::BrowserCommand;

/// How long a launcher may run before it counts as having started a browser.
const LAUNCHER_GRACE: Duration = Duration::from_secs(2);

/// Starts the first of `commands` that starts; false when none did (none given, or each failed).
pub fn open(commands: &[BrowserCommand]) -> bool {
    commands.iter().any(|command| {
        let mut launcher = Command::new(&command.program);
        launcher.args(&command.arguments);
        start(launcher)
    })
}

/// Launchers hand over and exit at once: one that exits with success, or still runs after the
/// grace period, has started something.
fn start(mut command: Command) -> bool {
    let spawned = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
    match spawned {
        Ok(child) => started(child),
        Err(_) => false,
    }
}

fn started(mut child: Child) -> bool {
    let deadline = Instant::now() + LAUNCHER_GRACE;
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return false,
        }
    }
    true
}
