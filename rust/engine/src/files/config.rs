//! The AWS config file (`~/.aws/config`): where it is, and the `[sso-session <name>]` section written
//! so that the AWS CLI v2 and the SDKs share this tool's login. Every other byte of the file is kept.

use std::path::{Path, PathBuf};

use super::ini::SectionUpdate;
use super::paths;
use crate::env::Env;
use crate::error::Result;

/// `AWS_CONFIG_FILE` (a leading `~` expanded), else `~/.aws/config`.
pub(crate) fn resolve_path(env: &Env) -> Result<PathBuf> {
    match env.get("AWS_CONFIG_FILE") {
        Some(path) => paths::expand_home(&path, env, "AWS_CONFIG_FILE"),
        None => paths::under_home(env, &[".aws", "config"], "the AWS config file"),
    }
}

/// Applies `updates` to the config file with the same guarantees as the credentials file: locked,
/// atomic, unchanged when it fails.
pub(crate) fn merge_sections(path: &Path, updates: &[SectionUpdate]) -> Result<()> {
    super::merge_ini(path, updates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_file_is_aws_config_file_else_in_the_home_folder() {
        let env = Env::from_pairs([("HOME", "/home/u"), ("USERPROFILE", "/home/u"), ("AWS_CONFIG_FILE", "~/c")]);
        assert_eq!(resolve_path(&env).unwrap(), PathBuf::from("/home/u/c"));
        let env = Env::from_pairs([("HOME", "/home/u"), ("USERPROFILE", "/home/u")]);
        assert_eq!(resolve_path(&env).unwrap(), PathBuf::from("/home/u/.aws/config"));
        assert!(resolve_path(&Env::from_pairs::<&str, &str>([])).is_err());
    }

    #[test]
    fn an_sso_session_is_written_keeping_every_other_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        // Mostly CRLF, with two lone CRs: new lines take CRLF, old lines keep their own ending.
        let before = "[default]\r\nregion = eu-west-1\r\n[profile x]\r\ns3 =\r  max_concurrent_requests = 10\r";
        std::fs::write(&path, before).unwrap();
        let update = SectionUpdate {
            section: "sso-session corp".into(),
            set: vec![
                ("sso_start_url", "https://d-1234567890.awsapps.com/start".into()),
                ("sso_region", "eu-west-1".into()),
            ],
            remove: Vec::new(),
        };
        merge_sections(&path, std::slice::from_ref(&update)).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            after,
            format!("{before}\r\n[sso-session corp]\r\nsso_start_url = https://d-1234567890.awsapps.com/start\r\nsso_region = eu-west-1\r\n")
        );
    }
}
