//! Which commands open the user's browser on a login's URL, for both front ends: the entries of the
//! BROWSER environment variable when it is set, else the system's launcher. A pure rule over the
//! [`HostEnv`]; the front end starts the commands in order until one starts (one still running
//! after a grace period, or exiting with success), since only it may start processes for the user.

use std::path::Path;

use serde::Serialize;

use crate::env::HostEnv;

/// One command line to try: a program and its arguments, the URL among them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrowserCommand {
    pub program: String,
    pub arguments: Vec<String>,
}

/// The commands that may open `url`, to try in order; none when `url` is not a plain http(s) URL
/// (it came from the service, and a launcher must never get anything else).
pub fn commands(env: &HostEnv, url: &str) -> Vec<BrowserCommand> {
    if !is_plain_http_url(url) {
        return Vec::new();
    }
    match env.get("BROWSER") {
        Some(chosen) => browser_variable(env, &chosen, url),
        None => vec![system_launcher(env.os(), url)],
    }
}

/// The platform's way to open a URL in the default browser.
fn system_launcher(os: &str, url: &str) -> BrowserCommand {
    let (program, before): (&str, &[&str]) = match os {
        // Not `cmd /c start`: cmd would cut the URL at its first `&`.
        "windows" => ("rundll32", &["url.dll,FileProtocolHandler"]),
        "macos" => ("open", &[]),
        _ => ("xdg-open", &[]),
    };
    let mut arguments: Vec<String> = before.iter().map(|a| a.to_string()).collect();
    arguments.push(url.to_string());
    BrowserCommand { program: program.to_string(), arguments }
}

/// BROWSER as Python's webbrowser module (the AWS CLI's) reads it: commands separated by the path
/// separator (`;` on Windows, `:` elsewhere); in each, `%s` stands for the URL, else the URL is
/// appended. Unlike Python, no other browser follows them: the user chose these (a headless
/// machine, a browser other than the default one).
fn browser_variable(env: &HostEnv, commands: &str, url: &str) -> Vec<BrowserCommand> {
    let separator = if env.os() == "windows" { ';' } else { ':' };
    commands.split(separator).filter_map(|command| with_url(split_command(env, command), url)).collect()
}

fn with_url(words: Vec<String>, url: &str) -> Option<BrowserCommand> {
    let (program, rest) = words.split_first()?;
    let has_placeholder = rest.iter().any(|word| word.contains("%s"));
    let mut arguments: Vec<String> = rest.iter().map(|word| word.replace("%s", url)).collect();
    if !has_placeholder {
        arguments.push(url.to_string());
    }
    Some(BrowserCommand { program: program.clone(), arguments })
}

/// The words of one BROWSER command (see [`split_words`]). A command that names an existing file
/// as a whole is that one program, quoted or not.
fn split_command(env: &HostEnv, command: &str) -> Vec<String> {
    let trimmed = command.trim();
    if !trimmed.is_empty() && env.file_exists(Path::new(trimmed)) {
        return vec![trimmed.to_string()];
    }
    split_words(trimmed)
}

/// The words of a command line: split at white space, except inside double or single quotes (a
/// program path with spaces), the quotes dropped; a backslash is an ordinary character (Windows
/// paths). How BROWSER commands and the `credential_process` lines this tool writes are read.
pub(crate) fn split_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut in_word, mut quote) = (Vec::new(), String::new(), false, None);
    for c in line.chars() {
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

/// An http(s) URL with no white space, control character or quote: nothing a launcher or a shell
/// behind it could read as more than one URL.
fn is_plain_http_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host_present = rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    host_present && !url.chars().any(|c| c <= ' ' || c == '\u{7f}' || c == '"' || c == '\'' || c == '`')
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH&x=1";

    fn command(program: &str, arguments: &[&str]) -> BrowserCommand {
        BrowserCommand { program: program.to_string(), arguments: arguments.iter().map(|a| a.to_string()).collect() }
    }

    fn with_browser(os: &str, browser: &str) -> HostEnv {
        HostEnv::from_pairs([("BROWSER", browser)]).with_os(os)
    }

    #[test]
    fn without_browser_the_platform_launcher_opens_the_url() {
        let none = HostEnv::from_pairs::<&str, &str>([]);
        assert_eq!(commands(&none.clone().with_os("linux"), URL), [command("xdg-open", &[URL])]);
        assert_eq!(commands(&none.clone().with_os("freebsd"), URL), [command("xdg-open", &[URL])]);
        assert_eq!(commands(&none.clone().with_os("macos"), URL), [command("open", &[URL])]);
        // The URL whole, `&` included, as one argument.
        assert_eq!(
            commands(&none.with_os("windows"), URL),
            [command("rundll32", &["url.dll,FileProtocolHandler", URL])]
        );
    }

    #[test]
    fn a_blank_browser_variable_is_unset() {
        assert_eq!(commands(&with_browser("linux", "   "), URL), [command("xdg-open", &[URL])]);
    }

    #[test]
    fn percent_s_stands_for_the_url_else_the_url_is_appended() {
        let env = with_browser("linux", "firefox --new-tab %s");
        assert_eq!(commands(&env, URL), [command("firefox", &["--new-tab", URL])]);
        let env = with_browser("linux", "firefox --url=%s --new-tab");
        assert_eq!(commands(&env, URL), [command("firefox", &[&format!("--url={URL}"), "--new-tab"])]);
        let env = with_browser("linux", "firefox -P work");
        assert_eq!(commands(&env, URL), [command("firefox", &["-P", "work", URL])]);
    }

    #[test]
    fn entries_are_separated_by_the_path_separator_of_the_os() {
        let env = with_browser("linux", "/missing/browser:lynx %s::w3m");
        assert_eq!(
            commands(&env, URL),
            [command("/missing/browser", &[URL]), command("lynx", &[URL]), command("w3m", &[URL])]
        );
        // On Windows `:` belongs to a drive letter, `;` separates.
        let env = with_browser("windows", r"C:\Tools\a.exe %s;D:\b.exe");
        assert_eq!(commands(&env, URL), [command(r"C:\Tools\a.exe", &[URL]), command(r"D:\b.exe", &[URL])]);
    }

    #[test]
    fn words_split_at_spaces_outside_quotes_and_backslashes_stay() {
        let env = with_browser("linux", r#"'/opt/my browser/run' -x "a b" %s"#);
        assert_eq!(commands(&env, URL), [command("/opt/my browser/run", &["-x", "a b", URL])]);
        let env = with_browser("windows", r#""C:\Program Files\Mozilla Firefox\firefox.exe" -new-tab"#);
        assert_eq!(commands(&env, URL), [command(r"C:\Program Files\Mozilla Firefox\firefox.exe", &["-new-tab", URL])]);
    }

    #[test]
    fn an_entry_naming_an_existing_file_is_that_program_whole() {
        let firefox = r"C:\Program Files\Mozilla Firefox\firefox.exe";
        let env = with_browser("windows", &format!(" {firefox} ")).with_files([firefox]);
        assert_eq!(commands(&env, URL), [command(firefox, &[URL])]);
        // Not there: split at its spaces, as any other command.
        let env = with_browser("windows", firefox);
        assert_eq!(commands(&env, URL), [command(r"C:\Program", &[r"Files\Mozilla", r"Firefox\firefox.exe", URL])]);
    }

    #[test]
    fn only_plain_http_urls_are_handed_to_a_launcher() {
        let env = with_browser("linux", "firefox %s");
        assert_eq!(commands(&env, "http://127.0.0.1:4321/page"), [command("firefox", &["http://127.0.0.1:4321/page"])]);
        for url in
            ["", "file:///etc/passwd", "https://", "https:///x", "javascript:alert(1)", "https://a b", "https://a\"b"]
        {
            assert!(commands(&env, url).is_empty(), "{url}");
            assert!(commands(&HostEnv::from_pairs::<&str, &str>([]), url).is_empty(), "{url}");
        }
        assert!(commands(&env, "https://a/`x`").is_empty());
        assert!(commands(&env, "https://a/'x'").is_empty());
    }
}
