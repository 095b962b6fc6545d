//! A C program compiled against the committed header and linked to the built library does one
//! login and one refresh against the bundled fake.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use fake_identity_center::{Approval, FakeConfig};

#[test]
fn a_c_program_logs_in_and_refreshes_through_the_header() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = crate_dir.join("../../tests/c/login_and_refresh.c");
    let library = library_path();
    let library_dir = library.parent().unwrap();
    let work = tempfile::tempdir().unwrap();
    let program = work.path().join("login_and_refresh");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let compiled = Command::new(&compiler)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o"])
        .arg(&program)
        .arg(&source)
        .arg("-I")
        .arg(crate_dir.join("include"))
        .arg("-L")
        .arg(library_dir)
        .arg(format!("-Wl,-rpath,{}", library_dir.display()))
        .arg("-lssocreds")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {compiler}: {e}"));
    assert!(compiled.status.success(), "compile failed:\n{}", String::from_utf8_lossy(&compiled.stderr));

    let config =
        FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(1, &["ReadOnly"]) };
    let account_id = config.accounts[0].account_id.clone();
    let s = scenario(config);
    let file = work.path().join("credentials");
    let run = Command::new(&program)
        .arg(&file)
        .arg(&account_id)
        .arg("ReadOnly")
        .env("AWS_ENDPOINT_URL_SSO_OIDC", s.fake.url())
        .env("AWS_ENDPOINT_URL_SSO", s.fake.url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "the C client failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains(&format!("ssocreds {}", env!("CARGO_PKG_VERSION"))), "{stdout}");
    let issued = s.fake.issued_credentials(&account_id, "ReadOnly").unwrap();
    let profiles = read_profiles(&file);
    let mut keys: Vec<&String> = ["c-0", "c-1", "c-2"]
        .iter()
        .map(|profile| {
            assert_eq!(profiles[*profile]["aws_account_id"], account_id);
            &profiles[*profile]["aws_access_key_id"]
        })
        .collect();
    assert!(keys.contains(&&issued.access_key_id), "the last credentials the fake issued were written");
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3, "each profile got its own fetch");
}
