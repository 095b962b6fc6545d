//! A credentials file that other users can read (Unix): a run that writes secrets into it says so
//! once, naming the file, its mode and the fix, as ssh does for a private key; the mode is the
//! user's and stays. A private file, a new file and a run that writes nothing say nothing.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::{ProfileStatus, RefreshReport, WarningCode};
use ssocreds_engine::Engine;

mod common;
use common::{logged_in_engine, one_profile_request};

const ENVIRONMENT: &str = "Permissions";

async fn fake() -> FakeServer {
    let config =
        FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(1, &["ReadOnly"]) };
    FakeServer::start(config).await.unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A credentials file with another profile in it, of `mode`.
fn existing_file(home: &Path, mode: u32) -> std::path::PathBuf {
    let path = home.join("credentials");
    std::fs::write(&path, "[other]\naws_access_key_id = AKIAOTHER\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

async fn refresh(engine: &Engine, home: &Path) -> RefreshReport {
    engine.refresh(one_profile_request(ENVIRONMENT, home)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_written_to_a_file_others_can_read_are_warned_of_once_and_the_mode_is_kept() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    let path = existing_file(home.path(), 0o644);

    let report = refresh(&engine, home.path()).await;
    assert_eq!(report.count(ProfileStatus::Refreshed), 1, "{report:?}");
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert_eq!(warning.code, WarningCode::CredentialsFileReadableByOthers);
    let named = path.display().to_string();
    for part in [named.as_str(), "0644", &format!("chmod 600 {named}")] {
        assert!(warning.message.contains(part), "'{part}' is not in: {}", warning.message);
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["warnings"][0]["code"], "CredentialsFileReadableByOthers");
    assert_eq!(mode(&path), 0o644, "the mode is the user's choice");

    let again = refresh(&engine, home.path()).await;
    assert_eq!(again.count(ProfileStatus::Current), 1);
    assert!(again.warnings.is_empty(), "a run that writes nothing warns of nothing: {:?}", again.warnings);
    assert!(serde_json::to_value(&again).unwrap().get("warnings").is_none(), "omitted when empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_file_and_a_new_one_are_not_warned_of() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    let path = existing_file(home.path(), 0o600);
    let report = refresh(&engine, home.path()).await;
    assert_eq!(report.count(ProfileStatus::Refreshed), 1, "{report:?}");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(mode(&path), 0o600);

    std::fs::remove_file(&path).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, fresh.path(), ENVIRONMENT).await;
    let report = refresh(&engine, fresh.path()).await;
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(mode(&fresh.path().join("credentials")), 0o600, "a new file is private");
}
