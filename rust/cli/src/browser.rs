//! Opening a URL in the user's browser, as the module does (`module/src/Engine/Host.cs`,
//! `Browser.TryOpen`): the commands of the BROWSER environment variable when it is set, else the
//! system's launcher.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a launcher may run before it counts as having started a browser.
const LAUNCHER_GRACE: Duration = Duration::from_secs(2);

/// Opens `url`; false when no browser could be started (no launcher, or it failed at once).
pub fn open(url: &str) -> bool {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return false;
    }
    match std::env::var("BROWSER") {
        Ok(chosen) if !chosen.trim().is_empty() => open_with_variable(&chosen, url),
        _ => start(system_launcher(url)),
    }
}

fn system_launcher(url: &str) -> Command {
    let (program, before): (&str, &[&str]) = if cfg!(windows) {
        // Not `cmd /C start`: cmd would cut the URL at its first `&`.
        ("rundll32", &["url.dll,FileProtocolHandler"])
    } else if cfg!(target_os = "macos") {
        ("open", &[])
    } else {
        ("xdg-open", &[])
    };
    let mut command = Command::new(program);
    command.args(before).arg(url);
    command
}

/// BROWSER as Python's webbrowser module (the AWS CLI's) reads it: commands separated by the path
/// separator, tried in order until one starts; `%s` stands for the URL, else the URL is appended.
/// No other browser is tried after them: the user chose these.
fn open_with_variable(commands: &str, url: &str) -> bool {
    let separator = if cfg!(windows) { ';' } else { ':' };
    commands.split(separator).any(|command| {
        let words = split_command(command);
        let Some((program, rest)) = words.split_first() else { return false };
        let has_placeholder = rest.iter().any(|w| w.contains("%s"));
        let mut launcher = Command::new(program);
        launcher.args(rest.iter().map(|w| w.replace("%s", url)));
        if !has_placeholder {
            launcher.arg(url);
        }
        start(launcher)
    })
}

/// The words of one BROWSER command: split at spaces, except inside double or single quotes; a
/// command that names an existing file as a whole is that one program.
fn split_command(command: &str) -> Vec<String> {
    let trimmed = command.trim();
    if !trimmed.is_empty() && std::path::Path::new(trimmed).is_file() {
        return vec![trimmed.to_string()];
    }
    let (mut words, mut word, mut in_word, mut quote) = (Vec::new(), String::new(), false, None);
    for c in trimmed.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => (quote, in_word) = (Some(c), true),
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => (in_word, _) = (true, word.push(c)),
        }
    }
    if in_word {
        words.push(word);
    }
    words
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

#[cfg(test)]
mod tests {
    use super::split_command;

    #[test]
    fn browser_commands_split_at_spaces_outside_quotes() {
        assert_eq!(split_command(r#"firefox --new-tab "%s""#), ["firefox", "--new-tab", "%s"]);
        assert_eq!(split_command("'/opt/my browser/run' -x"), ["/opt/my browser/run", "-x"]);
        assert!(split_command("   ").is_empty());
    }
}
