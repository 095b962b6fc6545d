//! The command line as a user runs it.

use std::process::Command;

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
        .env("HOME", home.path())
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
    let output = cli().args(["refresh", "--account", "dev=12345", "--default-role-name", "R"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("accounts[0].accountId '12345'"), "{stderr}");
}
