//! `fromConfig` (`-FromConfig`, `--from-config`): the SSO profiles of `~/.aws/config`, as `aws
//! configure sso` writes them, refreshed into the credentials file in one call, each with the token
//! of its own sso-session (or, for the legacy configuration, of its start URL), found where the AWS
//! CLI keeps it: `~/.aws/sso/cache/<sha1 of the session name or start URL>.json`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use serde_json::Value;
use sha1::{Digest, Sha1};
use ssocreds_engine::api::{ConfigSessions, LoginStartRequest, ProfileStatus, RefreshReport, RefreshRequest};
use ssocreds_engine::{Engine, ErrorCode};

mod common;
use common::{engine_for, login_request};

const ROLE: &str = "ReadOnly";
const CORP_URL: &str = "https://corp.awsapps.com/start";
const LAB_URL: &str = "https://d-9999999999.awsapps.com/start";
/// With a final slash: the token is keyed by the start URL exactly as written.
const LEGACY_URL: &str = "https://legacy.awsapps.com/start/";

/// Two sso-sessions in two regions, a legacy profile, a profile whose name needs quotes, and
/// profiles that are not SSO profiles. The accounts are the fake's first four.
fn aws_config(accounts: &[String]) -> String {
    format!(
        "# written by aws configure sso\n\
         [default]\nregion = eu-west-1\noutput = json\n\n\
         [sso-session corp]\nsso_start_url = {CORP_URL}\nsso_region = eu-west-1\n\
         sso_registration_scopes = sso:account:access\n\n\
         [sso-session lab]\nsso_start_url = {LAB_URL}\nsso_region = us-west-2\n\n\
         [profile dev]\nsso_session = corp\nsso_account_id = {a0}\nsso_role_name = {ROLE}\nregion = eu-west-1\n\n\
         [profile prod]\nsso_session = corp\nsso_account_id = {a1}\nsso_role_name = {ROLE}\n\n\
         [profile \"team lab\"]\nsso_session = lab\nsso_account_id = {a2}\nsso_role_name = {ROLE}\n\n\
         [profile old]\nsso_start_url = {LEGACY_URL}\nsso_region = us-east-1\nsso_account_id = {a3}\n\
         sso_role_name = {ROLE}\n\n\
         [profile ci]\nrole_arn = arn:aws:iam::{a0}:role/ci\nsource_profile = dev\n",
        a0 = accounts[0],
        a1 = accounts[1],
        a2 = accounts[2],
        a3 = accounts[3],
    )
}

/// The sessions as `aws sso login` knows them: (environment, start URL, region).
const CORP: (&str, &str, &str) = ("corp", CORP_URL, "eu-west-1");
const LAB: (&str, &str, &str) = ("lab", LAB_URL, "us-west-2");
const LEGACY: (&str, &str, &str) = (LEGACY_URL, LEGACY_URL, "us-east-1");

/// The credentials file before: other profiles, comments, and stale credentials for `dev` in the
/// middle.
const CREDENTIALS: &str = "# keep this comment\n[static]\naws_access_key_id = AKIAKEEP\n\
    aws_secret_access_key = keep\n\n; and this one\n[dev]\naws_access_key_id = OLD\n\
    aws_secret_access_key = OLD\naws_session_token = OLD\n\n[other]\nregion = us-east-1\n";

struct Setup {
    fake: FakeServer,
    home: tempfile::TempDir,
    engine: Engine,
    accounts: Vec<String>,
}

impl Setup {
    async fn new() -> Setup {
        let config =
            FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(4, &[ROLE]) };
        let accounts = config.accounts.iter().map(|a| a.account_id.clone()).collect();
        let fake = FakeServer::start(config).await.unwrap();
        let home = tempfile::tempdir().unwrap();
        let engine = engine_for(&fake, home.path());
        let setup = Setup { fake, home, engine, accounts };
        std::fs::create_dir_all(setup.config_file().parent().unwrap()).unwrap();
        std::fs::write(setup.config_file(), aws_config(&setup.accounts)).unwrap();
        std::fs::write(setup.credentials_file(), CREDENTIALS).unwrap();
        setup
    }

    fn config_file(&self) -> PathBuf {
        self.home.path().join(".aws").join("config")
    }

    fn credentials_file(&self) -> PathBuf {
        self.home.path().join(".aws").join("credentials")
    }

    fn credentials(&self) -> String {
        std::fs::read_to_string(self.credentials_file()).unwrap()
    }

    /// What `aws sso login --sso-session NAME` (or `--profile` for a legacy profile) does.
    async fn log_in(&self, (environment, start_url, region): (&str, &str, &str)) {
        let login =
            LoginStartRequest { start_url: start_url.into(), region: region.into(), ..login_request(environment) };
        common::log_in(&self.engine, login).await;
    }

    async fn refresh(&self, request: RefreshRequest) -> RefreshReport {
        self.engine.refresh(request).await.unwrap()
    }

    fn sessions(&self) -> ConfigSessions {
        self.engine.config_sessions(from_config()).unwrap()
    }
}

fn from_config() -> RefreshRequest {
    RefreshRequest { from_config: true, ..RefreshRequest::default() }
}

/// The AWS CLI's cache file for a session name or a start URL.
fn cache_file(home: &Path, key: &str) -> PathBuf {
    home.join(".aws/sso/cache").join(format!("{}.json", hex::encode(Sha1::digest(key.as_bytes()))))
}

fn status_of(report: &RefreshReport, profile: &str) -> ProfileStatus {
    report.profiles.iter().find(|p| p.profile == profile).unwrap_or_else(|| panic!("{profile}: {report:?}")).status
}

/// `text` without the lines of the sections named in `sections` (their header up to the next).
fn outside(text: &str, sections: &[&str]) -> String {
    let mut inside = false;
    let mut kept = String::new();
    for line in text.split_inclusive('\n') {
        let header = line.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']'));
        if let Some(name) = header {
            inside = sections.contains(&name);
        }
        if !inside {
            kept.push_str(line);
        }
    }
    kept
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sso_sessions_and_a_legacy_profile_are_refreshed_in_one_call_each_with_its_own_token() {
    let setup = Setup::new().await;
    for session in [CORP, LAB, LEGACY] {
        setup.log_in(session).await;
    }
    // Keyed as the AWS CLI keys them: the session's name, or the legacy profile's start URL.
    for (key, start_url) in [("corp", CORP_URL), ("lab", LAB_URL), (LEGACY_URL, LEGACY_URL)] {
        let cached: Value =
            serde_json::from_slice(&std::fs::read(cache_file(setup.home.path(), key)).unwrap()).unwrap();
        assert_eq!(cached["startUrl"], start_url, "{key}");
    }
    let config_before = (std::fs::read(setup.config_file()).unwrap(), mtime(&setup.config_file()));

    let report = setup.refresh(from_config()).await;

    let written = ["dev", "prod", "team lab", "old"];
    for profile in written {
        assert_eq!(status_of(&report, profile), ProfileStatus::Refreshed, "{profile}: {report:?}");
    }
    assert_eq!(report.profiles.len(), 4, "in the order of the config file: {report:?}");
    let dev = &report.profiles[0];
    assert_eq!((dev.config_profile.as_deref(), dev.environment.as_deref()), (Some("dev"), Some("corp")));
    assert_eq!(report.profiles[3].environment.as_deref(), Some(LEGACY_URL));
    let skipped: Vec<&str> = report.skipped.iter().map(|s| s.profile.as_str()).collect();
    assert_eq!(skipped, ["default", "ci"]);
    assert!(report.skipped[1].reason.contains("role_arn"), "{:?}", report.skipped);
    assert_eq!(report.config_file.as_deref(), Some(setup.config_file().display().to_string().as_str()));
    assert!(report.token_expires_at.is_some());

    let credentials = setup.credentials();
    for (profile, account) in written.iter().zip(&setup.accounts) {
        let issued = setup.fake.issued_credentials(account, ROLE).unwrap();
        let section = format!("[{profile}]\n");
        assert!(credentials.contains(&section), "{profile}: {credentials}");
        assert!(credentials.contains(&format!("aws_session_token = {}", issued.session_token)), "{profile}");
    }
    // Everything but the refreshed profiles is byte for byte as it was, in its place (new profiles
    // are appended after a blank line).
    assert_eq!(outside(&credentials, &written), format!("{}\n", outside(CREDENTIALS, &written)));
    assert!(
        credentials.find("[static]") < credentials.find("[dev]")
            && credentials.find("[dev]") < credentials.find("[other]")
    );
    // The AWS config file is only read.
    assert_eq!((std::fs::read(setup.config_file()).unwrap(), mtime(&setup.config_file())), config_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_without_a_token_fails_its_own_profiles_and_the_others_are_written() {
    let setup = Setup::new().await;
    setup.log_in(CORP).await;

    let sessions = setup.sessions();
    let found: Vec<(&str, Option<&str>, bool)> = sessions
        .sessions
        .iter()
        .map(|s| (s.environment.as_str(), s.sso_session.as_deref(), s.login_required))
        .collect();
    assert_eq!(found, [("corp", Some("corp"), false), ("lab", Some("lab"), true), (LEGACY_URL, None, true)]);
    assert_eq!(sessions.sessions[0].profiles, ["dev", "prod"]);
    assert!(sessions.sessions[0].expires_at.is_some() && sessions.sessions[1].expires_at.is_none());
    assert_eq!((sessions.sessions[1].start_url.as_str(), sessions.sessions[1].region.as_str()), (LAB_URL, "us-west-2"));

    // As with -NonInteractive: no login, the refresh goes on without those sessions.
    let report = setup.refresh(from_config()).await;
    assert_eq!(status_of(&report, "dev"), ProfileStatus::Refreshed);
    assert_eq!(status_of(&report, "prod"), ProfileStatus::Refreshed);
    for (profile, says) in [("team lab", "`aws sso login --sso-session lab`"), ("old", "`aws sso login --profile old`")]
    {
        let failed = report.profiles.iter().find(|p| p.profile == profile).unwrap();
        let error = failed.error.as_ref().unwrap();
        assert_eq!((failed.status, error.code), (ProfileStatus::Failed, ErrorCode::LoginRequired), "{profile}");
        assert!(error.message.contains(&format!("profile '{profile}'")), "{error}");
        assert!(error.message.contains("not logged in") && error.message.contains(says), "{error}");
    }
    let credentials = setup.credentials();
    assert!(credentials.contains("[prod]") && !credentials.contains("[team lab]") && !credentials.contains("[old]"));
    assert_eq!(setup.fake.counters().get_role_credentials, 2, "nothing is sent for the sessions without a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_with_nothing_to_do_makes_no_call_and_needs_no_login() {
    let setup = Setup::new().await;
    for session in [CORP, LAB, LEGACY] {
        setup.log_in(session).await;
    }
    let first = setup.refresh(from_config()).await;
    assert_eq!(first.count(ProfileStatus::Refreshed), 4);
    let config_before = (std::fs::read(setup.config_file()).unwrap(), mtime(&setup.config_file()));
    let credentials_before = std::fs::read(setup.credentials_file()).unwrap();

    setup.fake.reset_counters();
    // Another process, with nothing in memory: it goes by the files alone.
    let other = engine_for(&setup.fake, setup.home.path());
    let sessions = other.config_sessions(from_config()).unwrap();
    assert!(sessions.sessions.iter().all(|s| !s.login_required), "{sessions:?}");
    let again = other.refresh(from_config()).await.unwrap();
    assert_eq!(again.count(ProfileStatus::Current), 4, "{again:?}");
    assert_eq!(again.token_expires_at, None, "no token was needed");
    assert_eq!(setup.fake.counters().requests(), 0, "{:?}", setup.fake.counters());
    assert_eq!(std::fs::read(setup.credentials_file()).unwrap(), credentials_before, "nothing written");
    assert_eq!((std::fs::read(setup.config_file()).unwrap(), mtime(&setup.config_file())), config_before);

    // Without any token at all, a run with nothing to do still needs no login.
    std::fs::remove_dir_all(setup.home.path().join(".aws/sso")).unwrap();
    let fresh = engine_for(&setup.fake, setup.home.path());
    assert!(fresh.config_sessions(from_config()).unwrap().sessions.iter().all(|s| !s.login_required));
    assert_eq!(fresh.refresh(from_config()).await.unwrap().count(ProfileStatus::Current), 4);
    // Forced, every session must fetch: each one without a token fails alone, and says so first.
    let forced = RefreshRequest { force: true, ..from_config() };
    assert!(fresh.config_sessions(forced.clone()).unwrap().sessions.iter().all(|s| s.login_required));
    assert_eq!(fresh.refresh(forced).await.unwrap().count(ProfileStatus::Failed), 4);
    assert_eq!(setup.fake.counters().requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patterns_choose_profiles_and_a_template_names_them() {
    let setup = Setup::new().await;
    let dry_run = |patterns: &[&str], template: Option<&str>| RefreshRequest {
        dry_run: true,
        config_profile: patterns.iter().map(|p| p.to_string()).collect(),
        profile_name_template: template.map(Into::into),
        ..from_config()
    };
    let names = |report: &RefreshReport| report.profiles.iter().map(|p| p.profile.clone()).collect::<Vec<_>>();

    let chosen = setup.refresh(dry_run(&["D*", "old", "team ?ab"], None)).await;
    assert_eq!(names(&chosen), ["dev", "team lab", "old"], "case-insensitive, in file order");
    assert!(chosen.profiles.iter().all(|p| p.status == ProfileStatus::WouldRefresh));
    // "D*" chose "default" too, which is no SSO profile; profiles no pattern chose are not mentioned.
    let skipped: Vec<&str> = chosen.skipped.iter().map(|s| s.profile.as_str()).collect();
    assert_eq!(skipped, ["default"]);

    let templated = setup.refresh(dry_run(&["prod", "team*"], Some("sso-{ProfileName}.{AccountId}"))).await;
    let expected = [format!("sso-prod.{}", setup.accounts[1]), format!("sso-team lab.{}", setup.accounts[2])];
    assert_eq!(names(&templated), expected);
    assert_eq!(templated.profiles[0].config_profile.as_deref(), Some("prod"));

    let sessions = setup.engine.config_sessions(dry_run(&["old"], None)).unwrap();
    assert_eq!(sessions.sessions.len(), 1, "only the sessions of the chosen profiles");

    for (patterns, template, says) in [
        (&["nothing*"][..], None, "configProfile 'nothing*' matches no SSO profile in"),
        (&["ci"][..], None, "('ci' is skipped: assumes the role in role_arn"),
        (&["*"][..], Some("{RoleName}"), "would both be written to [ReadOnly]"),
        (&["*"][..], Some("{AccountName}"), "profileNameTemplate '{AccountName}' may use only"),
    ] {
        let error = setup.engine.refresh(dry_run(patterns, template)).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput, "{patterns:?}");
        assert!(error.message.contains(says), "{patterns:?}: {error}");
    }
    assert!(setup.engine.refresh(dry_run(&["nothing*"], None)).await.unwrap_err().message.contains(".aws/config"));
    assert_eq!(setup.fake.counters().requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_that_cannot_work_fails_alone_naming_the_key_at_fault() {
    let setup = Setup::new().await;
    let broken = format!(
        "{}\n[profile mismatched]\nsso_session = corp\nsso_start_url = https://elsewhere.awsapps.com/start\n\
         sso_account_id = {a}\nsso_role_name = {ROLE}\n\n\
         [profile orphan]\nsso_session = gone\nsso_account_id = {a}\nsso_role_name = {ROLE}\n\n\
         [profile half]\nsso_session = corp\nsso_account_id = {a}\n\n\
         [profile a b]\nsso_session = corp\nsso_account_id = {a}\nsso_role_name = {ROLE}\n",
        aws_config(&setup.accounts),
        a = setup.accounts[0]
    );
    std::fs::write(setup.config_file(), broken).unwrap();
    setup.log_in(CORP).await;

    let report = setup
        .refresh(RefreshRequest {
            config_profile: vec!["dev".into(), "mismatched".into(), "orphan".into(), "half".into()],
            ..from_config()
        })
        .await;
    assert_eq!(status_of(&report, "dev"), ProfileStatus::Refreshed, "the others go on: {report:?}");
    for (profile, says) in [
        ("mismatched", "sso_start_url is 'https://elsewhere.awsapps.com/start' in the profile but 'https://corp.awsapps.com/start' in [sso-session corp]"),
        ("orphan", "sso_session 'gone' names no [sso-session gone] section"),
        ("half", "is missing sso_role_name"),
    ] {
        let failed = report.profiles.iter().find(|p| p.profile == profile).unwrap();
        let error = failed.error.as_ref().unwrap();
        assert_eq!((failed.status, error.code), (ProfileStatus::Failed, ErrorCode::InvalidInput), "{profile}");
        assert!(error.message.contains(&format!("profile '{profile}' in ")) && error.message.contains(says), "{error}");
    }
    assert!(!setup.credentials().contains("[mismatched]"));

    // Without patterns, the section the AWS CLI reads no profile from is named too.
    let sessions = setup.sessions();
    let invalid: HashSet<&str> = sessions.invalid.iter().map(|i| i.profile.as_str()).collect();
    assert_eq!(invalid, HashSet::from(["mismatched", "orphan", "half"]));
    let not_read = sessions.skipped.iter().find(|s| s.profile == "[profile a b]").expect("named");
    assert!(not_read.reason.contains("[profile \"a b\"]"), "{not_read:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_that_the_config_file_gives_are_refused_and_the_old_requests_are_unchanged() {
    let setup = Setup::new().await;
    let cases = [
        (
            RefreshRequest {
                accounts: common::profiles_of(&FakeConfig::with_generated_accounts(1, &[ROLE]), Some(ROLE)),
                ..from_config()
            },
            "accounts cannot be used with fromConfig",
        ),
        (RefreshRequest { discover: true, ..from_config() }, "discover cannot be used with fromConfig"),
        (RefreshRequest { no_token_file: true, ..from_config() }, "noTokenFile cannot be used with fromConfig"),
        (
            RefreshRequest { environment: "x".into(), config_profile: vec!["dev".into()], ..RefreshRequest::default() },
            "configProfile chooses profiles of the AWS config file: it needs fromConfig",
        ),
        (RefreshRequest::default(), "environment is missing"),
    ];
    for (request, says) in cases {
        let error = setup.engine.refresh(request).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert!(error.message.contains(says), "{error}");
    }
    std::fs::write(setup.config_file(), "[default]\nregion = eu-west-1\n").unwrap();
    let error = setup.engine.config_sessions(from_config()).unwrap_err();
    assert!(error.message.contains("has no SSO profile"), "{error}");
    // `environment` is ignored with fromConfig: the sessions come from the config file.
    std::fs::write(setup.config_file(), aws_config(&setup.accounts)).unwrap();
    let sessions = setup.engine.config_sessions(RefreshRequest { environment: "Ignored".into(), ..from_config() });
    assert_eq!(sessions.unwrap().sessions.len(), 3);
}
