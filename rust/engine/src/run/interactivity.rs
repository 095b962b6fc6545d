//! Whether a person can answer a login in the PowerShell that hosts the library, when the cmdlet
//! leaves it open (no `-NonInteractive` given either way). The facts are this process's own (the
//! command line PowerShell was started with, its standard input) and two the host gives
//! (`$Host.Name`, and Windows' "user interactive" flag, which only .NET reads cheaply).

use std::io::IsTerminal;
use std::sync::OnceLock;

use super::messages;
use super::types::PowerShellHost;

/// `$Host.Name` of the console (pwsh, powershell.exe): it reads the console, other hosts (VS Code,
/// ISE) have their own input.
const CONSOLE_HOST: &str = "ConsoleHost";
/// `$Host.Name` of a remoting session (Enter-PSSession, Invoke-Command): it runs in a
/// non-interactive Windows session, yet shows the user what the cmdlet writes, so a device code
/// can be approved.
const REMOTE_HOST: &str = "ServerRemoteHost";

/// The parameters of pwsh and powershell.exe after which the rest of the command line belongs to
/// the script, not to PowerShell.
const SCRIPT_PARAMETERS: [&str; 9] =
    ["c", "command", "commandwithargs", "cwa", "f", "file", "e", "ec", "encodedcommand"];

/// Why no person can answer a login in `host`, or `None` when one can.
pub(super) fn non_interactive_reason(host: &PowerShellHost) -> Option<&'static str> {
    static STARTED_NON_INTERACTIVE: OnceLock<bool> = OnceLock::new();
    let started = *STARTED_NON_INTERACTIVE.get_or_init(|| {
        has_non_interactive_switch(std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()))
    });
    reason(host, started, !std::io::stdin().is_terminal())
}

/// Started with `-NonInteractive`; a Windows session no one sits at (a service, a task that runs
/// whether the user is logged on or not) unless it is remoting; a console whose input is
/// redirected (cron, a scheduled task, CI).
fn reason(host: &PowerShellHost, started_non_interactive: bool, input_redirected: bool) -> Option<&'static str> {
    if started_non_interactive {
        Some(messages::STARTED_NON_INTERACTIVE)
    } else if !host.user_interactive && host.name != REMOTE_HOST {
        Some(messages::WINDOWS_SESSION_NOT_INTERACTIVE)
    } else if host.name == CONSOLE_HOST && input_redirected {
        Some(messages::CONSOLE_INPUT_REDIRECTED)
    } else {
        None
    }
}

/// `-NonInteractive` (or `/NonInteractive`, any case, any unambiguous prefix from `-noni`) among
/// PowerShell's own parameters, before `-Command` or `-File`.
fn has_non_interactive_switch(arguments: impl IntoIterator<Item = String>) -> bool {
    for argument in arguments {
        let Some(name) = argument.strip_prefix(['-', '/']) else { continue };
        let name = name.trim_start_matches(['-', '/']).to_lowercase();
        let name = name.split(':').next().unwrap_or_default();
        if SCRIPT_PARAMETERS.contains(&name) {
            return false;
        }
        if name.len() >= 4 && "noninteractive".starts_with(name) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str, user_interactive: bool) -> PowerShellHost {
        PowerShellHost { name: name.to_string(), user_interactive }
    }

    fn switch_in(line: &str) -> bool {
        has_non_interactive_switch(line.split_whitespace().map(str::to_string))
    }

    #[test]
    fn the_switch_counts_only_before_the_script() {
        assert!(switch_in("-NonInteractive -File job.ps1"));
        assert!(switch_in("-NoProfile -noni -c Set-AwsCliSsoCredentials"));
        assert!(switch_in("/NONINTERACTIVE"));
        assert!(switch_in("--noninteractive:true"));
        assert!(!switch_in("-File job.ps1 -NonInteractive"));
        assert!(!switch_in("-Command Set-AwsCliSsoCredentials -NonInteractive"));
        // Too short to be unambiguous (-no could be -NoProfile, -NoLogo...).
        assert!(!switch_in("-non"));
        assert!(!switch_in("-NoProfile -NoLogo"));
        assert!(!switch_in(""));
    }

    #[test]
    fn a_console_with_its_input_redirected_is_no_person() {
        let console = host(CONSOLE_HOST, true);
        assert_eq!(reason(&console, false, false), None);
        assert_eq!(reason(&console, false, true), Some(messages::CONSOLE_INPUT_REDIRECTED));
        assert_eq!(reason(&console, true, false), Some(messages::STARTED_NON_INTERACTIVE));
        // VS Code's host has its own input: a redirected console says nothing about it.
        assert_eq!(reason(&host("Visual Studio Code Host", true), false, true), None);
    }

    #[test]
    fn a_non_interactive_windows_session_is_no_person_unless_it_is_remoting() {
        assert_eq!(reason(&host(CONSOLE_HOST, false), false, false), Some(messages::WINDOWS_SESSION_NOT_INTERACTIVE));
        assert_eq!(reason(&host(REMOTE_HOST, false), false, true), None);
    }
}
