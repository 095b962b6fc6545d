//! Where the AWS files are: the home folder as the AWS CLI finds it, `~` expansion, private folders and
//! symbolic links.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::env::HostEnv;
use crate::error::{Error, Result};

/// The user's home folder as the AWS CLI finds it (botocore's `os.path.expanduser`, Python 3.8 and
/// later). On Windows: `USERPROFILE`, else `HOMEDRIVE` + `HOMEPATH`; Python ignores `HOME` there,
/// so it comes last, where the AWS CLI would find no home at all (the Rust SDK reads it first).
/// Elsewhere: `HOME`, else `USERPROFILE`.
pub(crate) fn home_dir(env: &HostEnv) -> Option<PathBuf> {
    if env.os() != "windows" {
        return ["HOME", "USERPROFILE"].iter().find_map(|name| env.get(name)).map(PathBuf::from);
    }
    let home_drive_path = || env.get("HOMEPATH").map(|path| env.get("HOMEDRIVE").unwrap_or_default() + &path);
    env.get("USERPROFILE").or_else(home_drive_path).or_else(|| env.get("HOME")).map(PathBuf::from)
}

/// The variables [`home_dir`] reads, for an error saying none is set.
fn home_variables(env: &HostEnv) -> &'static str {
    if env.os() == "windows" {
        "none of USERPROFILE, HOMEPATH (with HOMEDRIVE) and HOME is set"
    } else {
        "neither HOME nor USERPROFILE is set"
    }
}

/// `<home>/<parts...>`, or an error naming `what` when there is no home folder.
pub(crate) fn under_home(env: &HostEnv, parts: &[&str], what: &str) -> Result<PathBuf> {
    let home =
        home_dir(env).ok_or_else(|| Error::invalid_input(format!("cannot find {what}: {}", home_variables(env))))?;
    Ok(parts.iter().fold(home, |path, part| path.join(part)))
}

/// `path` with a leading `~` (alone, or before `/` or `\`) replaced by the home folder.
pub(crate) fn expand_home(path: &str, env: &HostEnv, what: &str) -> Result<PathBuf> {
    match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
            let home = home_dir(env)
                .ok_or_else(|| Error::invalid_input(format!("{what} starts with ~ but {}", home_variables(env))))?;
            Ok(home.join(rest.trim_start_matches(['/', '\\'])))
        }
        _ => Ok(PathBuf::from(path)),
    }
}

/// Creates `folder` and its parents, private to the user (0700 on Unix) where they are new.
pub(crate) fn create_private_dir(folder: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

/// The file a symbolic link points to (so that writing replaces the target and the link stays), else
/// `path` itself.
pub(crate) fn follow_link(path: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).map_err(|e| Error::io("cannot follow the link", path, &e))
        }
        _ => Ok(path.to_path_buf()),
    }
}

/// The folder holding `path` ("." for a bare file name).
pub(crate) fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home_on(os: &str, pairs: &[(&str, &str)]) -> Option<PathBuf> {
        home_dir(&HostEnv::from_pairs(pairs.iter().copied()).with_os(os))
    }

    #[test]
    fn the_home_folder_is_found_as_the_aws_cli_finds_it() {
        let all =
            [("HOME", "/home/u"), ("USERPROFILE", "C:\\Users\\u"), ("HOMEDRIVE", "D:"), ("HOMEPATH", "\\Home\\u")];
        assert_eq!(home_on("windows", &all), Some(PathBuf::from("C:\\Users\\u")));
        assert_eq!(home_on("linux", &all), Some(PathBuf::from("/home/u")));
        // botocore on Windows: USERPROFILE, else HOMEDRIVE + HOMEPATH (HOMEPATH alone is enough);
        // HOME only when neither is there.
        assert_eq!(
            home_on("windows", &all[..1].iter().chain(&all[2..]).copied().collect::<Vec<_>>()),
            Some(PathBuf::from("D:\\Home\\u"))
        );
        assert_eq!(home_on("windows", &[("HOMEPATH", "\\Home\\u")]), Some(PathBuf::from("\\Home\\u")));
        assert_eq!(home_on("windows", &[("HOME", "/home/u"), ("HOMEDRIVE", "D:")]), Some(PathBuf::from("/home/u")));
        assert_eq!(
            home_on("macos", &[("USERPROFILE", "C:\\Users\\u"), ("HOMEPATH", "\\x")]),
            Some(PathBuf::from("C:\\Users\\u"))
        );
        assert_eq!(home_on("linux", &[("HOMEDRIVE", "D:"), ("HOMEPATH", "\\x"), ("HOME", "  ")]), None);
    }

    #[test]
    fn no_home_says_which_variables_were_looked_at() {
        let message = |os: &str| {
            under_home(&HostEnv::from_pairs([("HOMEDRIVE", "D:")]).with_os(os), &[".aws"], "the AWS config file")
                .unwrap_err()
                .to_string()
        };
        assert!(
            message("windows").contains(
                "cannot find the AWS config file: none of USERPROFILE, HOMEPATH (with HOMEDRIVE) and HOME is set"
            ),
            "{}",
            message("windows")
        );
        assert!(message("linux").contains("neither HOME nor USERPROFILE is set"), "{}", message("linux"));
    }

    #[test]
    fn a_leading_tilde_is_the_home_folder() {
        let env = HostEnv::from_pairs([("HOME", "/home/u"), ("USERPROFILE", "/home/u")]);
        assert_eq!(expand_home("~/a/b", &env, "x").unwrap(), PathBuf::from("/home/u/a/b"));
        assert_eq!(expand_home("~", &env, "x").unwrap(), PathBuf::from("/home/u"));
        assert_eq!(expand_home("~other/a", &env, "x").unwrap(), PathBuf::from("~other/a"));
        assert!(expand_home("~/a", &HostEnv::from_pairs::<&str, &str>([]), "x").is_err());
    }
}
