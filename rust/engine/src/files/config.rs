//! The AWS config file (`~/.aws/config`): where it is, its profiles and sso-sessions as botocore
//! reads them (`-FromConfig` only reads it), and the `[sso-session <name>]` section written so that
//! the AWS CLI v2 and the SDKs share this tool's login. Every other byte of the file is kept.

use std::path::{Path, PathBuf};

use super::ini::{self, SectionUpdate};
use super::paths;
use super::profile_map::ProfileMap;
use crate::env::HostEnv;
use crate::error::{Error, Result};

/// `AWS_CONFIG_FILE` (a leading `~` expanded), else `~/.aws/config`.
pub(crate) fn resolve_path(env: &HostEnv) -> Result<PathBuf> {
    match env.get("AWS_CONFIG_FILE") {
        Some(path) => paths::expand_home(&path, env, "AWS_CONFIG_FILE"),
        None => paths::under_home(env, &[".aws", "config"], "the AWS config file"),
    }
}

/// The profiles and sso-sessions of the config file at `path`, as botocore reads them; a missing
/// file has none. Refused when botocore would refuse the file, naming the line at fault: the AWS CLI
/// cannot use any of its profiles then either.
pub(crate) fn read_profile_map(path: &Path) -> Result<ProfileMap> {
    let text = super::read_ini(path)?;
    if let Some(problem) = ini::unreadable(&text) {
        return Err(Error::invalid_input(format!(
            "the AWS config file {} cannot be read (the AWS CLI refuses it too): {problem}",
            path.display()
        )));
    }
    Ok(ProfileMap::build(ini::parse_in_order(&text)))
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
        let env = HostEnv::from_pairs([("HOME", "/home/u"), ("USERPROFILE", "/home/u"), ("AWS_CONFIG_FILE", "~/c")]);
        assert_eq!(resolve_path(&env).unwrap(), PathBuf::from("/home/u/c"));
        let env = HostEnv::from_pairs([("HOME", "/home/u"), ("USERPROFILE", "/home/u")]);
        assert_eq!(resolve_path(&env).unwrap(), PathBuf::from("/home/u/.aws/config"));
        assert!(resolve_path(&HostEnv::from_pairs::<&str, &str>([])).is_err());
    }

    #[test]
    fn a_config_file_botocore_refuses_is_refused_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        assert_eq!(read_profile_map(&path).unwrap(), ProfileMap::default(), "no file, no profiles");
        for (text, says) in [
            ("region = x\n[default]\n", "line 1 comes before the first [section] header"),
            ("[default]\nregion\n", "line 2 is neither"),
            ("[profile a]\n[profile b]\n[profile a]\n", "line 3 opens the section [profile a] a second time"),
            ("[profile a]\nSSO_region = x\nsso_region = y\n", "line 3 sets 'sso_region' a second time in [profile a]"),
            ("[profile a]\ns3 =\n  no equals sign\n", "the value of 's3' in [profile a]"),
        ] {
            std::fs::write(&path, text).unwrap();
            let error = read_profile_map(&path).unwrap_err();
            assert!(error.message.contains(says) && error.message.contains("config"), "{text:?}: {error}");
        }
        std::fs::write(&path, "[DEFAULT]\ns3 =\n  unread block\n[profile a]\ns3 = own\n").unwrap();
        assert!(read_profile_map(&path).is_ok(), "a [DEFAULT] block that no section inherits is never parsed");
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
            drop_when_emptied: false,
        };
        merge_sections(&path, std::slice::from_ref(&update)).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            after,
            format!("{before}\r\n[sso-session corp]\r\nsso_start_url = https://d-1234567890.awsapps.com/start\r\nsso_region = eu-west-1\r\n")
        );
    }
}
