//! The file invariant, checked against botocore's own reader: for thousands of generated credentials,
//! config and token cache files (bad UTF-8, NULs, mixed and lone-CR line ends, odd headers, huge lines,
//! truncation, BOMs, odd expiry values, duplicate sections and keys, continuation lines), the refresh's
//! file steps never panic; whenever botocore reads a file before, it reads it after, with the new keys in
//! the refreshed sections and everything else unchanged; a failed merge leaves the bytes as they were.
//!
//! The config files are also read as `-FromConfig` reads them, and the token cache files carry absurd
//! times and numbers. (The engine's own JSON files beside the token cache, the listing of accounts
//! and the learnt portal rates, are checked beside their readers, with damage from `hostile_json`.)
//!
//! Files are generated from a fixed seed (`SSOCREDS_FUZZ_SEED` and `SSOCREDS_FUZZ_FILES` change it and
//! the count; `SSOCREDS_FUZZ_KEEP` keeps the cases on disk), merged here, and checked by one Python process running `tests/python/botocore_file_oracle.py`
//! (Python's configparser, as botocore uses it). `PYTHON` names the interpreter, else `python3`, else
//! `python`; without one the test fails under CI and is skipped, saying so, elsewhere.

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use super::hostile_json::Rng;
use crate::error::Result;
use crate::secret::Secret;

/// The steps of a refresh on each kind of file: on bytes in memory (the same functions the file
/// functions call between reading and writing), and on a real file for every `ON_DISK_EVERY`th case and
/// every case that fails, to check that both give the same bytes and that a failure leaves the file
/// byte for byte as it was.
mod subject {
    use super::*;
    use crate::files::credentials::{self, ProfileCredentials};
    use crate::files::ini::SectionUpdate;
    use crate::files::token_cache::{self, CachedToken};

    pub(super) use crate::files::credentials::ProfileCredentials as Credentials;
    pub(super) use crate::files::ini::SectionUpdate as Update;
    pub(super) use crate::files::token_cache::CachedToken as Token;

    const ON_DISK_EVERY: usize = 40;

    fn on_disk(dir: &Path, before: &[u8], step: impl FnOnce(&Path) -> Result<()>) -> Result<Vec<u8>> {
        let path = dir.join("file");
        std::fs::write(&path, before).unwrap();
        let result = step(&path);
        let after = std::fs::read(&path).unwrap();
        result.map(|()| after)
    }

    /// The in-memory result, checked against the real file for failures and some other cases.
    fn checked(
        index: usize,
        dir: &Path,
        before: &[u8],
        in_memory: Result<Vec<u8>>,
        step: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<Vec<u8>> {
        if index.is_multiple_of(ON_DISK_EVERY) || in_memory.is_err() {
            let real = on_disk(dir, before, step);
            assert_eq!(real.as_ref().ok(), in_memory.as_ref().ok(), "case {index}: the file differs from the merge");
            if real.is_err() {
                assert_eq!(
                    std::fs::read(dir.join("file")).unwrap(),
                    before,
                    "case {index}: a failed merge changed the file"
                );
            }
        }
        in_memory
    }

    /// What a refresh does to the credentials file: read what is stored, then merge.
    pub fn refresh(index: usize, dir: &Path, before: &[u8], profiles: &[ProfileCredentials]) -> Result<Vec<u8>> {
        if let Ok(text) = std::str::from_utf8(before) {
            for profile in credentials::stored_in(text).values() {
                let _ = profile.is_current_for("123456789012", "ReadOnly", SystemTime::now());
            }
        }
        let in_memory = crate::files::merged_ini(before, &credentials::updates(profiles), Path::new("credentials"));
        checked(index, dir, before, in_memory, |path| {
            credentials::read_stored(path)?;
            credentials::merge(path, profiles)
        })
    }

    /// What a login with `-WriteSsoSession` does to ~/.aws/config.
    pub fn sso_session(index: usize, dir: &Path, before: &[u8], update: &SectionUpdate) -> Result<Vec<u8>> {
        let updates = std::slice::from_ref(update);
        read_profiles(dir, before);
        let in_memory = crate::files::merged_ini(before, updates, Path::new("config"));
        checked(index, dir, before, in_memory, |path| crate::files::config::merge_sections(path, updates))
    }

    /// What `-FromConfig` does with the config file: reads its SSO profiles and their sessions.
    fn read_profiles(dir: &Path, before: &[u8]) {
        let path = dir.join("config");
        std::fs::write(&path, before).unwrap();
        let env = crate::env::HostEnv::from_pairs([("AWS_CONFIG_FILE", path.display().to_string())]);
        if let Ok(selection) = crate::config_profiles::select(&env, &[]) {
            for profile in &selection.profiles {
                let _ = profile.session.as_ref().map(|&index| selection.sessions[index].describe());
            }
        }
    }

    /// What a login does to the token cache: read the token there, then write the new one.
    pub fn token(index: usize, dir: &Path, before: &[u8], token: &CachedToken) -> Result<Vec<u8>> {
        // What the engine does with a token it read: compares and writes its times.
        if let Some(read) = token_cache::parse(before) {
            let times = [Some(read.expires_at), read.registration_expires_at];
            for time in times.into_iter().flatten() {
                let _ = (crate::time::format_rfc3339(time), time > SystemTime::now() + Duration::from_secs(300));
            }
        }
        let in_memory = token_cache::contents(Some(before), token).map(|bytes| bytes.to_vec());
        checked(index, dir, before, in_memory, |path| {
            token_cache::read(path)?;
            token_cache::write(path, token)
        })
    }
}

const DEFAULT_SEED: u64 = 0x5eed_f11e_5afe;
const CREDENTIALS_FILES: usize = 12_000;
const CONFIG_FILES: usize = 3_000;
const TOKEN_FILES: usize = 3_000;
/// Of the credentials files, how many are random bytes rather than INI text.
const RANDOM_BYTE_FILES: usize = 1_000;

/// Names that the engine accepts as profile names (validate::profile_name).
const PROFILES: &[&str] = &[
    "default",
    "dev",
    "prod",
    "Dev",
    "dév",
    "a:b",
    "team x",
    "profile dev",
    "sso-session corp",
    "ünïcødé",
    "new-profile",
    "K\u{212A}",
    "日本",
];
/// Section names found in files, beyond the profiles.
const OTHER_SECTIONS: &[&str] =
    &["DEFAULT", "profile x y", "services s", " dev", "dev ", "sso-session Contoso", "default ", "a]b", "x\u{0}y"];
const ENVIRONMENTS: &[&str] = &["corp", "Contoso", "dév", "a:b", "x"];
const KEYS: &[&str] = &[
    "aws_access_key_id",
    "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key",
    "aws_session_token",
    "Aws_Session_Token",
    "aws_security_token",
    "AWS_SECURITY_TOKEN",
    "aws_account_id",
    "aws_credential_expiration",
    "aws_sso_role_name",
    "region",
    "output",
    "s3",
    "sso_start_url",
    "sso_region",
    "sso_registration_scopes",
    "sso_session",
    "sso_account_id",
    "sso_role_name",
    "aws_access_\u{212A}ey_id",
    "ключ",
    "key with spaces",
];
const EXPIRIES: &[&str] = &[
    "2026-11-23T10:00:00Z",
    "2099-11-23T10:00:00Z",
    "2099-11-23T10:00:00+01:00",
    "2099-11-23T10:00:00.123Z",
    "2099-11-23T10:00:00+0é:00",
    "2099-11-23T10:00:00ééé",
    "éééééé",
    "日本語テキスト",
    "2099-13-45T99:99:99Z",
    "not a time",
    "1700000000",
    "",
    "+01:00",
    "Z",
    "2099-11-23T10:00:00-05:00",
    "2099-11-23 10:00:00",
    "２０９９-11-23T10:00:00Z",
    "2099-11-23T10:00:00+01:0é",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-23:59",
    "0000-01-01T00:00:00+23:59",
    "0000-01-01T00:00:00Z",
    "+275760-09-13T00:00:00Z",
    "1970-01-01T00:00:00Z",
];
const VALUES: &[&str] = &[
    "x",
    "eu-west-1",
    "json",
    "ASIAOLD",
    "a ; not a comment",
    "# not a comment",
    "v\u{0}v",
    "ünïcødé",
    "ReadOnly",
    "123456789012",
    "a = b",
    "",
    "\u{3000}padded\u{3000}",
];
const DELIMITERS: &[&str] = &[" = ", "=", ":", " : ", "= ", " =", "==", "\t=\t", "=\u{a0}"];
const INDENTS: &[&str] = &[" ", "  ", "\t", "    ", "\u{3000}", "\u{a0}", "\u{1c}", "\u{c}", "\u{b}"];
const COMMENTS: &[&str] = &["# comment", "; comment", "  # indented", "#", "\t; x", "#[dev]", ";aws_access_key_id = X"];
const BLANKS: &[&str] = &["", " ", "\t", "\u{3000}", "\u{c}"];
const GARBAGE: &[&str] = &["weird line", "=novalue", ": x", "\u{0}", "[", "]", "[]", "\u{feff}", "\u{feff}[dev]"];
const ENDINGS: &[&str] = &["\n", "\r\n", "\r"];

fn header(rng: &mut Rng, name: &str) -> String {
    match rng.below(20) {
        0..=11 => format!("[{name}]"),
        12 => format!("[{name}] # note"),
        13 => format!("[{name}] ; note"),
        14 => format!("{}[{name}]", rng.pick(INDENTS)),
        15 => format!("[{name}]\u{3000}"),
        16 => format!("[{name}]x]"),
        17 => format!("[{name}"),
        18 => format!("[{name}]]"),
        _ => format!("[{name}] = 1"),
    }
}

fn value_for(rng: &mut Rng, key: &str) -> String {
    if rng.percent(1) {
        return "v".repeat(50_000 + rng.below(150_000));
    }
    if key.to_lowercase().contains("expiration") || rng.percent(5) {
        return rng.pick(EXPIRIES).to_string();
    }
    rng.pick(VALUES).to_string()
}

fn option(rng: &mut Rng, key: &str) -> String {
    let indent = if rng.percent(90) { "" } else { rng.pick(INDENTS) };
    format!("{indent}{key}{}{}", rng.pick(DELIMITERS), value_for(rng, key))
}

/// A credentials or config file: mostly what people and tools write, with odd but legal forms, and in a
/// third of the files, damage.
fn ini_file(rng: &mut Rng) -> Vec<u8> {
    let mut lines: Vec<String> = Vec::new();
    for _ in 0..rng.below(3) {
        let pool = if rng.percent(50) { COMMENTS } else { BLANKS };
        lines.push(rng.pick(pool).to_string());
    }
    let sections = rng.below(7);
    let mut used: Vec<String> = Vec::new();
    for _ in 0..sections {
        let pool = if rng.percent(80) { PROFILES } else { OTHER_SECTIONS };
        let mut name = rng.pick(pool).to_string();
        if used.contains(&name) && rng.percent(90) {
            continue;
        }
        if rng.percent(3) {
            name = format!("sso-session {}", rng.pick(ENVIRONMENTS));
        }
        used.push(name.clone());
        lines.push(header(rng, &name));
        let mut keys: Vec<&str> = Vec::new();
        for _ in 0..rng.below(8) {
            match rng.below(20) {
                0..=13 => {
                    let key = *rng.pick(KEYS);
                    if keys.iter().any(|k| k.to_lowercase() == key.to_lowercase()) && rng.percent(90) {
                        continue;
                    }
                    keys.push(key);
                    lines.push(option(rng, key));
                    if key == "s3" || rng.percent(5) {
                        lines.push(format!("{}max_concurrent_requests = 10", rng.pick(INDENTS)));
                    }
                }
                14 => {
                    lines.push(format!("{}{}", rng.pick(INDENTS), rng.pick(&["more", "k = v", "[dev]", "x:y", "# c"])))
                }
                15 | 16 => lines.push(rng.pick(COMMENTS).to_string()),
                _ => lines.push(rng.pick(BLANKS).to_string()),
            }
        }
    }
    let damaged = rng.percent(33);
    if damaged {
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(lines.len() + 1);
            let line = match rng.below(3) {
                0 => rng.pick(GARBAGE).to_string(),
                1 if !lines.is_empty() => lines[rng.below(lines.len())].clone(),
                _ => {
                    let name = *rng.pick(PROFILES);
                    header(rng, name)
                }
            };
            lines.insert(at, line);
        }
    }
    let ending_mode = rng.below(5);
    let mut bytes = Vec::new();
    if rng.percent(4) {
        bytes.extend_from_slice("\u{feff}".as_bytes());
    }
    let last_without_ending = rng.percent(20);
    for (i, line) in lines.iter().enumerate() {
        bytes.extend_from_slice(line.as_bytes());
        if i + 1 == lines.len() && last_without_ending {
            break;
        }
        let ending = match ending_mode {
            0..=2 => ENDINGS[ending_mode],
            _ => rng.pick(ENDINGS),
        };
        bytes.extend_from_slice(ending.as_bytes());
    }
    if damaged {
        match rng.below(4) {
            0 if !bytes.is_empty() => bytes.truncate(rng.below(bytes.len())),
            1 => {
                let at = rng.below(bytes.len() + 1);
                let junk = *rng.pick(&[0xFFu8, 0xC3, 0x00, 0xE3, 0x80, b'\r', b'\n', b'[', b']']);
                bytes.insert(at, junk);
            }
            _ => {}
        }
    }
    bytes
}

/// Random bytes, biased towards the ones that mean something in an INI or JSON file.
fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    const SIGNIFICANT: &[u8] = b"[]=:#; \t\r\n\0{}\",aZ09\xC3\xA9\xE3\x80\xFF\xFE";
    (0..rng.below(400)).map(|_| if rng.percent(80) { *rng.pick(SIGNIFICANT) } else { rng.next() as u8 }).collect()
}

fn credentials(rng: &mut Rng, index: usize) -> Vec<subject::Credentials> {
    let mut names: Vec<&str> = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let name = if rng.percent(2) { "DEFAULT" } else { rng.pick(PROFILES) };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .enumerate()
        .map(|(n, profile)| subject::Credentials {
            profile: profile.to_string(),
            account_id: format!("{:012}", 100_000_000_000u64 + n as u64),
            role_name: "ReadOnly".to_string(),
            access_key_id: format!("ASIAFUZZ{index:08}{n}"),
            secret_access_key: Secret::new(format!("fuzz/Secret+{index}=")),
            session_token: Secret::new(format!("IQoJb3JpZ2luX2Vj{index}//+AAA==")),
            expiration: SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000 + index as u64),
        })
        .collect()
}

const CREDENTIAL_KEYS: [&str; 6] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_account_id",
    "aws_credential_expiration",
    "aws_sso_role_name",
];

fn expected_credentials(credentials: &[subject::Credentials]) -> serde_json::Value {
    let mut refreshed = serde_json::Map::new();
    for c in credentials {
        let values = [
            c.access_key_id.clone(),
            c.secret_access_key.expose().to_string(),
            c.session_token.expose().to_string(),
            c.account_id.clone(),
            crate::time::format_rfc3339(c.expiration),
            c.role_name.clone(),
        ];
        let set: serde_json::Map<String, serde_json::Value> =
            CREDENTIAL_KEYS.iter().zip(values).map(|(k, v)| (k.to_string(), v.into())).collect();
        refreshed.insert(c.profile.clone(), serde_json::json!({ "set": set, "remove": ["aws_security_token"] }));
    }
    refreshed.into()
}

fn sso_session_update(rng: &mut Rng) -> subject::Update {
    subject::Update {
        section: format!("sso-session {}", rng.pick(ENVIRONMENTS)),
        set: vec![
            ("sso_start_url", "https://d-1234567890.awsapps.com/start".to_string()),
            ("sso_region", "eu-west-1".to_string()),
            ("sso_registration_scopes", "sso:account:access".to_string()),
        ],
        remove: Vec::new(),
        drop_when_emptied: false,
    }
}

/// A token cache file as the AWS CLI, other tools, a full disk or an editor may leave it.
fn token_file(rng: &mut Rng) -> Vec<u8> {
    let text_value = |rng: &mut Rng| -> serde_json::Value {
        match rng.below(10) {
            0 => serde_json::Value::Null,
            1 => 42.into(),
            2 => serde_json::json!(["a"]),
            3 => serde_json::json!({"a": 1}),
            4 => true.into(),
            5 => {
                let absurd: &&str = rng.pick(&["18446744073709551615", "-9223372036854775808", "1e308", "-1"]);
                serde_json::from_str(absurd).unwrap()
            }
            _ => rng.pick(VALUES).to_string().into(),
        }
    };
    let mut object = serde_json::Map::new();
    let fields = [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ];
    for field in fields {
        if rng.percent(15) {
            continue;
        }
        let value = if rng.percent(80) {
            match field {
                "expiresAt" | "registrationExpiresAt" => {
                    let t = *rng.pick(EXPIRIES);
                    if rng.percent(20) { format!("{}UTC", t.trim_end_matches('Z')) } else { t.to_string() }.into()
                }
                "startUrl" => "https://d-1234567890.awsapps.com/start".into(),
                "region" => "us-east-1".into(),
                _ => format!("{field}-value").into(),
            }
        } else {
            text_value(rng)
        };
        object.insert(field.to_string(), value);
    }
    for extra in ["scopes", "issuedAt", "x-tool", "ünïcødé"] {
        if rng.percent(25) {
            object.insert(extra.to_string(), serde_json::json!({"keep": [1, "two", null], "n": 3.5}));
        }
    }
    let mut bytes = if rng.percent(50) {
        serde_json::to_vec_pretty(&object).unwrap()
    } else {
        serde_json::to_vec(&object).unwrap()
    };
    match rng.below(12) {
        0 if !bytes.is_empty() => bytes.truncate(rng.below(bytes.len())),
        1 => bytes = random_bytes(rng),
        2 => bytes.splice(0..0, "\u{feff}".bytes()).for_each(drop),
        3 => {
            bytes = rng
                .pick(&["null", "[]", "\"x\"", "1e999", "", "{}", "{\"accessToken\": \"\u{0}\"}"])
                .as_bytes()
                .to_vec()
        }
        4 => bytes = "[".repeat(100_000).into_bytes(),
        _ => {}
    }
    bytes
}

fn new_token(index: usize) -> subject::Token {
    subject::Token {
        start_url: "https://d-1234567890.awsapps.com/start".into(),
        region: "eu-west-1".into(),
        access_token: Secret::new(format!("access-{index}")),
        expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000),
        refresh_token: Some(Secret::new(format!("refresh-{index}"))),
        client_id: Some("client".into()),
        client_secret: Some(Secret::new("client-secret")),
        registration_expires_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_950_000_000)),
    }
}

fn token_fields(token: &subject::Token) -> serde_json::Value {
    serde_json::json!({
        "startUrl": token.start_url,
        "region": token.region,
        "accessToken": token.access_token.expose(),
        "expiresAt": crate::time::format_rfc3339(token.expires_at),
        "refreshToken": token.refresh_token.as_ref().map(|s| s.expose()),
        "clientId": token.client_id,
        "clientSecret": token.client_secret.as_ref().map(|s| s.expose()),
        "registrationExpiresAt": token.registration_expires_at.map(crate::time::format_rfc3339),
    })
}

fn python() -> Option<String> {
    let candidates = match std::env::var("PYTHON") {
        Ok(python) if !python.trim().is_empty() => vec![python],
        _ => vec!["python3".to_string(), "python".to_string()],
    };
    candidates.into_iter().find(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()))
}

fn oracle_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/botocore_file_oracle.py")
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

struct Cases {
    dir: PathBuf,
    manifest: String,
    panics: Vec<String>,
}

impl Cases {
    fn add(
        &mut self,
        id: String,
        kind: &str,
        before: &[u8],
        outcome: std::thread::Result<Result<Vec<u8>>>,
        extra: serde_json::Value,
    ) {
        let after = match outcome {
            Err(payload) => {
                self.panics.push(format!("{id}: {}", panic_message(payload)));
                return;
            }
            Ok(result) => result,
        };
        std::fs::write(self.dir.join(format!("{id}.before")), before).unwrap();
        // A failure was checked on a real file: the bytes stayed as they were.
        if let Ok(bytes) = &after {
            std::fs::write(self.dir.join(format!("{id}.after")), bytes).unwrap();
        }
        let error = after.as_ref().err().map(|e| e.message.clone());
        let mut case = serde_json::json!({ "id": id, "kind": kind, "error": error.is_some(), "why": error });
        if let serde_json::Value::Object(fields) = extra {
            case.as_object_mut().unwrap().extend(fields);
        }
        writeln!(self.manifest, "{case}").unwrap();
    }
}

#[test]
fn botocore_reads_after_a_refresh_every_file_it_read_before() {
    let Some(python) = python() else {
        assert!(std::env::var_os("CI").is_none(), "CI is set but no Python was found (set PYTHON)");
        eprintln!("SKIPPED: no Python (python3 or python, or PYTHON) to read the files as botocore does");
        return;
    };
    let seed = std::env::var("SSOCREDS_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED);
    let scale = std::env::var("SSOCREDS_FUZZ_FILES").ok().and_then(|s| s.parse::<usize>().ok());
    let count = |default: usize| scale.map_or(default, |n| n * default / CREDENTIALS_FILES);
    let started = Instant::now();
    let out = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cases = Cases { dir: out.path().to_path_buf(), manifest: String::new(), panics: Vec::new() };
    let mut rng = Rng(seed);

    for index in 0..count(CREDENTIALS_FILES) {
        let before = if index < count(RANDOM_BYTE_FILES) { random_bytes(&mut rng) } else { ini_file(&mut rng) };
        let credentials = credentials(&mut rng, index);
        let outcome = catch_unwind(AssertUnwindSafe(|| subject::refresh(index, work.path(), &before, &credentials)));
        let extra = serde_json::json!({ "refreshed": expected_credentials(&credentials) });
        cases.add(format!("c{index:05}"), "ini", &before, outcome, extra);
    }
    for index in 0..count(CONFIG_FILES) {
        let before = ini_file(&mut rng);
        let update = sso_session_update(&mut rng);
        let outcome = catch_unwind(AssertUnwindSafe(|| subject::sso_session(index, work.path(), &before, &update)));
        let set: serde_json::Map<String, serde_json::Value> =
            update.set.iter().map(|(k, v)| (k.to_string(), v.clone().into())).collect();
        let extra = serde_json::json!({ "refreshed": { update.section.clone(): { "set": set, "remove": [] } } });
        cases.add(format!("s{index:05}"), "ini", &before, outcome, extra);
    }
    for index in 0..count(TOKEN_FILES) {
        let before = token_file(&mut rng);
        let token = new_token(index);
        let outcome = catch_unwind(AssertUnwindSafe(|| subject::token(index, work.path(), &before, &token)));
        let set: serde_json::Map<String, serde_json::Value> = token_fields(&token)
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        cases.add(format!("t{index:05}"), "token", &before, outcome, serde_json::json!({ "set": set }));
    }
    std::fs::write(out.path().join("cases.jsonl"), &cases.manifest).unwrap();
    let generated = started.elapsed();

    let output = Command::new(&python).arg(oracle_script()).arg(out.path()).output().unwrap();
    assert!(output.status.success(), "the oracle failed: {}", String::from_utf8_lossy(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    eprintln!(
        "seed {seed:#x}: {} files merged in {generated:?}, checked in {:?} more; {}",
        cases.manifest.lines().count(),
        started.elapsed() - generated,
        serde_json::json!({
            "checked": summary["checked"],
            "ini": summary["ini"],
            "ini_readable_before": summary["ini_readable_before"],
            "token": summary["token"],
            "refused": summary["refused"],
            "refused_readable": summary["refused_readable"],
            "failure_count": summary["failure_count"],
            "panics": cases.panics.len(),
        })
    );
    let failures = summary["failure_count"].as_u64().unwrap();
    let mut problems = String::new();
    for panic in cases.panics.iter().take(20) {
        writeln!(problems, "  panic: {panic}").unwrap();
    }
    for failure in summary["failures"].as_array().unwrap() {
        writeln!(problems, "  {}: {}", failure["id"].as_str().unwrap(), failure["problem"].as_str().unwrap()).unwrap();
    }
    let broken = !cases.panics.is_empty() || failures > 0;
    if broken || std::env::var_os("SSOCREDS_FUZZ_KEEP").is_some() {
        eprintln!("cases kept in {}", out.keep().display());
    }
    assert!(!broken, "{} panics and {failures} broken files:\n{problems}", cases.panics.len());
    let readable = summary["ini_readable_before"].as_u64().unwrap();
    assert!(readable * 3 >= summary["ini"].as_u64().unwrap(), "too few generated files are readable: {readable}");
}

/// Every profile merged at once (one pass over the file) writes the bytes that merging them one at a
/// time over the whole file writes, the way checked by botocore above, when the sections already in
/// the file come first. (Otherwise only the line ending of the blank line before a new section may
/// differ: one at a time, a new section is appended before a later update adds keys to the last one.)
#[test]
fn merging_every_profile_at_once_writes_what_one_at_a_time_writes() {
    use crate::files::ini::{apply, apply_one_at_a_time, section_names};
    let mut rng = Rng(DEFAULT_SEED ^ 0x0a11_a70c_e000_0001);
    let mut compared = 0;
    for _ in 0..3_000 {
        let Ok(text) = String::from_utf8(ini_file(&mut rng)) else { continue };
        let mut names: Vec<&str> = Vec::new();
        for _ in 0..1 + rng.below(8) {
            let name = rng.pick(PROFILES);
            if !names.contains(name) {
                names.push(name);
            }
        }
        let mut updates: Vec<subject::Update> = Vec::new();
        for name in names {
            let mut set = Vec::new();
            for key in CREDENTIAL_KEYS {
                if !rng.percent(20) {
                    set.push((key, format!("v{}", rng.below(9))));
                }
            }
            updates.push(subject::Update {
                section: name.to_string(),
                set,
                remove: vec!["aws_security_token"],
                drop_when_emptied: false,
            });
        }
        let existing = section_names(&text);
        updates.sort_by_key(|u| !existing.contains(&u.section));
        let (at_once, one_at_a_time) = (apply(&text, &updates), apply_one_at_a_time(&text, &updates));
        if at_once.as_ref().ok() != one_at_a_time.as_ref().ok() {
            // The files are long: show where they part.
            let (a, b) = (at_once.clone().unwrap_or_default(), one_at_a_time.clone().unwrap_or_default());
            let at = a.chars().zip(b.chars()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
            let around = |t: &str| t.chars().skip(at.saturating_sub(80)).take(200).collect::<String>();
            panic!(
                "the merges part at character {at}: at once {:?}, one at a time {:?} ({:?}, {:?}); updates {updates:?}",
                around(&a),
                around(&b),
                at_once.err(),
                one_at_a_time.err()
            );
        }
        compared += usize::from(at_once.is_ok());
    }
    assert!(compared > 1_000, "only {compared} files could be merged");
}
