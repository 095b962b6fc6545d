//! The command line as a user runs it.

use std::ffi::OsString;
use std::path::{Component, Path};
use std::process::Command;

use fake_identity_center::{Approval, FakeConfig, FakeServer};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ssocreds-cli"))
}

#[test]
fn the_demo_runs_the_whole_job_against_the_bundled_fake() {
    let output = cli().args(["demo", "--profiles", "12"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("11 Profiles registered (1 failed)"), "{stdout}");
    assert!(stdout.contains("11 current (not fetched), 1 failed again"), "{stdout}");
    assert!(stdout.contains("new GetRoleCredentials calls: 1"), "only the failed profile is retried: {stdout}");
    assert!(stdout.contains("Demo complete"), "{stdout}");
}

#[test]
fn refresh_without_login_fails_fast_when_non_interactive() {
    let home = tempfile::tempdir().unwrap();
    let output = cli()
        .args(["refresh", "--non-interactive", "--default-role-name", "ReadOnly", "--account", "dev=111111111111"])
        .envs(home_variables(home.path()))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("credentials"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LoginRequired"), "{stderr}");
    assert!(!home.path().join("credentials").exists());
}

#[test]
fn bad_input_is_named() {
    let home = tempfile::tempdir().unwrap();
    let output = cli()
        .args(["refresh", "--account", "dev=12345", "--default-role-name", "R"])
        .envs(home_variables(home.path()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("accounts[0].accountId '12345'"), "{stderr}");
}

/// Every variable a home folder is taken from, all naming `home`: HOME, and on Windows USERPROFILE
/// (which the engine prefers there) and HOMEDRIVE + HOMEPATH, so that no test reads the real ~/.aws.
fn home_variables(home: &Path) -> [(&'static str, OsString); 4] {
    let mut components = home.components();
    let (drive, path) = match components.next() {
        Some(Component::Prefix(prefix)) => (prefix.as_os_str().to_owned(), components.as_path().into()),
        _ => (OsString::new(), home.into()),
    };
    [("HOME", home.into()), ("USERPROFILE", home.into()), ("HOMEDRIVE", drive), ("HOMEPATH", path)]
}

/// The command line against a fake, in a home folder of its own.
fn cli_at(fake: &FakeServer, home: &Path) -> Command {
    let mut command = cli();
    command
        .envs(home_variables(home))
        .env("AWS_ENDPOINT_URL_SSO_OIDC", fake.url())
        .env("AWS_ENDPOINT_URL_SSO", fake.url())
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWS_CONFIG_FILE");
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let output = command.output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
}

#[test]
fn one_login_serves_later_runs_discovery_status_and_logout() {
    let fake = FakeServer::start_background(FakeConfig {
        approval: Approval::AfterPolls(1),
        ..FakeConfig::with_generated_accounts(4, &["ReadOnly", "Admin"])
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let login = ["--start-url", "https://d-1234567890.awsapps.com/start", "--region", "us-east-1", "--no-browser"];

    let (code, stdout, stderr) =
        run(cli_at(&fake, home.path()).args(["refresh", "--all-accounts", "--include-role", "ReadOnly"]).args(login));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("enter the code"), "the code is shown when no browser is opened: {stderr}");
    assert!(stdout.contains("4 Profiles registered"), "{stdout}");
    let credentials = std::fs::read_to_string(home.path().join(".aws/credentials")).unwrap();
    assert!(credentials.contains("[account-0004.ReadOnly]") && !credentials.contains("Admin]"));

    // A later run (another process) uses the cached login: no second device authorization.
    let (code, stdout, stderr) =
        run(cli_at(&fake, home.path()).args(["refresh", "--non-interactive", "--all-accounts", "--force"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(fake.counters().start_device_authorization, 1);

    let (code, stdout, _) = run(cli_at(&fake, home.path()).args(["discover", "--json"]));
    assert_eq!(code, 0);
    let listed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(listed["accounts"].as_array().unwrap().len(), 4);
    assert_eq!(listed["accounts"][0]["roles"], serde_json::json!(["Admin", "ReadOnly"]));

    // Every profile is current and the listing is kept beside the token: no call at all.
    fake.reset_counters();
    let (code, stdout, stderr) =
        run(cli_at(&fake, home.path()).args(["refresh", "--non-interactive", "--all-accounts"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("8 Profiles registered"), "{stdout}");
    let counters = fake.counters();
    assert_eq!((counters.list_accounts, counters.list_account_roles, counters.get_role_credentials), (0, 0, 0));

    let (_, stdout, _) = run(cli_at(&fake, home.path()).args(["status"]));
    assert!(stdout.contains("logged in until") && stdout.contains("renewable without a browser"), "{stdout}");
    assert!(stdout.contains("account-0001.ReadOnly"), "{stdout}");

    let (code, stdout, _) = run(cli_at(&fake, home.path()).args(["logout"]));
    assert_eq!((code, stdout.trim()), (0, "Signed out; the cached SSO token is removed."));
    let (code, _, stderr) = run(cli_at(&fake, home.path()).args(["refresh", "--non-interactive", "--all-accounts"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("LoginRequired"), "{stderr}");
}

/// A GET as a browser sends it; the status and where it redirects.
fn browser_get(url: &str) -> (u16, Option<String>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap();
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let location = answer.lines().find_map(|l| l.strip_prefix("location: ").or(l.strip_prefix("Location: ")));
    (answer[9..12].parse().unwrap(), location.map(|l| l.trim().to_string()))
}

#[test]
fn a_browser_login_comes_back_to_the_redirect_port_and_a_port_in_use_is_named() {
    use std::io::BufRead;
    let fake = FakeServer::start_background(FakeConfig::with_generated_accounts(1, &["ReadOnly"])).unwrap();
    let home = tempfile::tempdir().unwrap();
    let login = ["login", "--start-url", "https://d-1234567890.awsapps.com/start", "--region", "us-east-1"];

    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (code, _, stderr) =
        run(cli_at(&fake, home.path()).args(login).args(["--no-browser", "--redirect-port", &port]));
    assert_eq!(code, 2);
    assert!(stderr.contains(&format!("port {port} (redirectPort)")) && stderr.contains("in use"), "{stderr}");
    drop(taken);

    // --redirect-port asks for the browser's redirect even where --no-browser would pick the device code.
    let mut child = cli_at(&fake, home.path())
        .args(login)
        .args(["--no-browser", "--redirect-port", &port])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map(|line| line.unwrap())
        // The library's line: "To sign in, open this URL in a browser on this computer, then click ALLOW: <url>".
        .find_map(|line| line.find("http://").map(|at| line[at..].trim().to_string()))
        .expect("the authorization URL is printed");
    assert!(url.contains(&format!("redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Foauth%2Fcallback")), "{url}");
    let (status, back) = browser_get(&url);
    assert_eq!(status, 302);
    assert_eq!(browser_get(&back.unwrap()).0, 200, "the command line answers the browser");
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && stdout.contains("Logged in"), "{stdout}");
    assert_eq!(fake.counters().create_token_authorization_code, 1);
    assert!(std::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>().unwrap())).is_ok(), "nothing listens");

    let (code, _, stderr) =
        run(cli_at(&fake, home.path()).args(login).args(["--use-device-code", "--redirect-port", &port]));
    assert_eq!(code, 2, "the two flags contradict each other: {stderr}");
}

#[test]
fn from_config_logs_in_once_per_sso_session_and_refreshes_every_sso_profile() {
    let fake = FakeServer::start_background(FakeConfig {
        approval: Approval::AfterPolls(1),
        ..FakeConfig::with_generated_accounts(3, &["ReadOnly"])
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let config = "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\n\
        [sso-session lab]\nsso_start_url = https://lab.awsapps.com/start\nsso_region = us-east-1\n\n\
        [profile dev]\nsso_session = corp\nsso_account_id = 100000000000\nsso_role_name = ReadOnly\n\n\
        [profile prod]\nsso_session = corp\nsso_account_id = 100000000001\nsso_role_name = ReadOnly\n\n\
        [profile lab]\nsso_session = lab\nsso_account_id = 100000000002\nsso_role_name = ReadOnly\n\n\
        [profile plain]\nregion = eu-west-1\n";
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(home.path().join(".aws/config"), config).unwrap();

    // Only the lab profile would need a login it cannot have: it fails alone (exit code 1).
    let (code, stdout, stderr) = run(cli_at(&fake, home.path()).args([
        "refresh",
        "--from-config",
        "--non-interactive",
        "--config-profile",
        "lab",
    ]));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("LoginRequired") && stdout.contains("aws sso login --sso-session lab"), "{stdout}");
    assert_eq!(fake.counters().start_device_authorization, 0);

    let (code, stdout, stderr) = run(cli_at(&fake, home.path()).args(["refresh", "--from-config", "--no-browser"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(fake.counters().start_device_authorization, 2, "one login per sso-session: {stderr}");
    assert!(stdout.contains("3 Profiles registered"), "{stdout}");
    assert!(stderr.contains("Left alone, not SSO profiles: plain."), "the library's line: {stderr}");
    let credentials = std::fs::read_to_string(home.path().join(".aws/credentials")).unwrap();
    assert!(["[dev]", "[prod]", "[lab]"].iter().all(|p| credentials.contains(p)) && !credentials.contains("[plain]"));
    assert_eq!(std::fs::read_to_string(home.path().join(".aws/config")).unwrap(), config, "only read");

    fake.reset_counters();
    let (code, stdout, _) = run(cli_at(&fake, home.path()).args(["refresh", "--from-config", "--non-interactive"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("3 Profiles registered"), "{stdout}");
    assert_eq!(fake.counters(), Default::default(), "nothing to do, no call");
}

#[cfg(unix)]
#[test]
fn secrets_written_to_a_credentials_file_others_can_read_are_warned_of_on_stderr_once() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeServer::start_background(FakeConfig {
        approval: Approval::AfterPolls(1),
        ..FakeConfig::with_generated_accounts(1, &["ReadOnly"])
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("credentials");
    std::fs::write(&path, "[other]\nregion = eu-west-1\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refresh = |extra: &[&str]| {
        let mut command = cli_at(&fake, home.path());
        command.env("AWS_SHARED_CREDENTIALS_FILE", &path).args(["refresh", "--account", "one=100000000000:ReadOnly"]);
        run(command
            .args(["--start-url", "https://d-1234567890.awsapps.com/start", "--region", "us-east-1"])
            .args(extra))
    };

    let (code, stdout, stderr) = refresh(&["--no-browser"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let warning = format!("warning: the credentials file {} holds secrets and other users can read it", path.display());
    assert_eq!(stderr.matches(&warning).count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("(mode 0644); to keep them to yourself: chmod 600 {}", path.display())),
        "{stderr}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644, "the mode stays the user's");

    // Nothing to write (the profile is current): nothing to warn of.
    let (code, stdout, stderr) = refresh(&["--non-interactive", "--json"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stderr.contains("warning:"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn the_browser_of_the_browser_variable_is_opened_and_a_failing_one_is_told() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeServer::start_background(FakeConfig {
        approval: Approval::AfterPolls(1),
        ..FakeConfig::with_generated_accounts(1, &["ReadOnly"])
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let opened = home.path().join("opened.txt");
    let browser = home.path().join("browser.sh");
    std::fs::write(&browser, format!("#!/bin/sh\necho \"$2\" > '{}'\n", opened.display())).unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let login = ["login", "--start-url", "https://d-1234567890.awsapps.com/start", "--region", "us-east-1"];

    // As Python's webbrowser reads BROWSER: %s is the URL.
    let chosen = format!("{} --new-tab %s", browser.display());
    let (code, stdout, stderr) =
        run(cli_at(&fake, home.path()).env("BROWSER", &chosen).args(login).args(["--use-device-code"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let url = std::fs::read_to_string(&opened).unwrap();
    assert!(url.starts_with(&format!("{}/device?user_code=", fake.url())), "{url}");
    assert!(stderr.starts_with("A Browser window should open."), "the run's ifOpened lines: {stderr}");

    let (code, stdout, stderr) = run(cli_at(&fake, home.path())
        .env("BROWSER", "false")
        .args(login)
        .args(["--use-device-code", "--force-login"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.starts_with("No browser could be opened here;"), "the run's ifNotOpened lines: {stderr}");
}

#[test]
fn a_dry_run_logs_in_when_it_must_and_fetches_nothing() {
    let fake = FakeServer::start_background(FakeConfig {
        approval: Approval::AfterPolls(1),
        ..FakeConfig::with_generated_accounts(2, &["ReadOnly"])
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(cli_at(&fake, home.path()).args([
        "refresh",
        "--dry-run",
        "--all-accounts",
        "--no-browser",
        "--start-url",
        "https://d-1234567890.awsapps.com/start",
        "--region",
        "us-east-1",
    ]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(stdout.matches(" would ").count(), 2, "{stdout}");
    let counters = fake.counters();
    assert_eq!((counters.start_device_authorization, counters.get_role_credentials), (1, 0));
    assert!(!home.path().join(".aws/credentials").exists());
}

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_the_run_which_ends_as_cancelled() {
    use std::io::BufRead;
    let fake = FakeServer::start_background(FakeConfig {
        approval: Approval::Never,
        ..FakeConfig::with_generated_accounts(1, &["ReadOnly"])
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let login = ["login", "--start-url", "https://d-1234567890.awsapps.com/start", "--region", "us-east-1"];
    let mut child = cli_at(&fake, home.path())
        .args(login)
        .args(["--no-browser", "--use-device-code"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    assert!(lines.by_ref().map_while(|l| l.ok()).any(|line| line.contains("enter the code")), "the login waits");
    let interrupt = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(interrupt.success());
    let rest: Vec<String> = lines.map_while(|l| l.ok()).collect();
    assert_eq!(child.wait().unwrap().code(), Some(2), "{rest:?}");
    assert!(rest.iter().any(|l| l.starts_with("error: Cancelled (run)")), "{rest:?}");
}
