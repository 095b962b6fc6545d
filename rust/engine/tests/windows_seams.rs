//! What the engine decides differently on Windows, tested here through the injected environment:
//! a login from a remote shell (PowerShell remoting, Windows' OpenSSH server) gets the device code,
//! since no browser at the user's machine can reach a loopback redirect on this one, and the home
//! folder is the one the AWS CLI uses there.

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::LoginStartRequest;
use ssocreds_engine::{Engine, HostEnv};

mod common;
use common::env_for;

const ENVIRONMENT: &str = "Remote";

fn fake() -> FakeServer {
    let config = FakeConfig { approval: Approval::Never, ..FakeConfig::with_generated_accounts(1, &["ReadOnly"]) };
    FakeServer::start_background(config).unwrap()
}

/// The flow `login_start` chooses in `env` (and why), with `use_device_code` as given.
async fn chosen(env: HostEnv, use_device_code: Option<bool>) -> (String, Option<String>) {
    let engine = Engine::new(env);
    let request = LoginStartRequest { use_device_code, ..common::login_request(ENVIRONMENT) };
    let started = serde_json::to_value(engine.login_start(request).await.unwrap()).unwrap();
    (started["flow"].as_str().unwrap().to_string(), started["flowReason"].as_str().map(String::from))
}

#[tokio::test]
async fn a_remote_shell_on_windows_gets_the_device_code_and_says_why() {
    let fake = fake();
    let home = tempfile::tempdir().unwrap();
    let windows = |extra: &[(&str, &str)]| env_for(&fake, home.path(), extra).with_os("windows");
    let cases = [
        (windows(&[("SSOCREDS_POWERSHELL_REMOTING", "1")]), "a PowerShell remoting session"),
        (
            windows(&[("SSH_CLIENT", "10.0.0.1 50000 22"), ("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22")]),
            "SSH_CONNECTION",
        ),
    ];
    for (env, why) in cases {
        let (flow, reason) = chosen(env, None).await;
        assert_eq!(flow, "deviceCode", "{why}");
        let reason = reason.unwrap_or_default();
        assert!(reason.contains(why) && reason.contains("loopback redirect"), "{why} in {reason}");
    }
    // At the machine itself, Windows has a browser that comes back to the loopback redirect.
    assert_eq!(chosen(windows(&[]), None).await, ("authorizationCode".into(), None));
    // A remoting session whose redirect port is forwarded may still ask for the browser.
    let remoting = windows(&[("SSOCREDS_POWERSHELL_REMOTING", "1")]);
    assert_eq!(chosen(remoting, Some(false)).await, ("authorizationCode".into(), None));
}
