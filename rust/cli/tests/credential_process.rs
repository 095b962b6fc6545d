//! `ssocreds-cli credential-process` as the SDKs run it: exactly the credential_process JSON on
//! standard output, or nothing there and the reason on standard error.

use std::path::Path;
use std::process::{Command, Output};

use fake_identity_center::{Approval, FakeConfig, FakeServer};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";

fn cli(fake: &FakeServer, home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssocreds-cli"));
    command
        .env("HOME", home)
        .env("USERPROFILE", home)
        .env("AWS_ENDPOINT_URL_SSO_OIDC", fake.url())
        .env("AWS_ENDPOINT_URL_SSO", fake.url())
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE");
    command
}

fn credential_process(fake: &FakeServer, home: &Path) -> Output {
    let role = ["--environment", "Corp", "--account-id", "100000000001", "--role-name", "ReadOnly"];
    cli(fake, home).arg("credential-process").args(role).output().unwrap()
}

#[test]
fn it_prints_exactly_the_json_the_sdks_read_and_nothing_without_a_token() {
    let config =
        FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(2, &["ReadOnly"]) };
    let fake = FakeServer::start_background(config).unwrap();
    let home = tempfile::tempdir().unwrap();

    let refused = credential_process(&fake, home.path());
    assert_eq!((refused.status.code(), refused.stdout.as_slice()), (Some(2), &b""[..]));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("LoginRequired (Corp)") && stderr.contains("ssocreds-cli login --environment Corp"),
        "{stderr}"
    );

    let login =
        ["login", "--environment", "Corp", "--start-url", START_URL, "--region", "us-east-1", "--use-device-code"];
    assert!(cli(&fake, home.path()).args(login).output().unwrap().status.success());
    let printed = credential_process(&fake, home.path());
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let issued = fake.issued_credentials("100000000001", "ReadOnly").unwrap();
    let stdout = String::from_utf8(printed.stdout).unwrap();
    let expiration = stdout.rsplit("\"Expiration\":\"").next().unwrap().trim_end_matches("\"}\n");
    assert_eq!(
        stdout,
        format!(
            "{{\"Version\":1,\"AccessKeyId\":\"{}\",\"SecretAccessKey\":\"{}\",\"SessionToken\":\"{}\",\"Expiration\":\"{expiration}\"}}\n",
            issued.access_key_id, issued.secret_access_key, issued.session_token
        )
    );
    assert!(expiration.len() == 20 && expiration.ends_with('Z'), "RFC 3339 UTC: {expiration}");
    assert!(printed.stderr.is_empty(), "nothing said on success: {}", String::from_utf8_lossy(&printed.stderr));
}
