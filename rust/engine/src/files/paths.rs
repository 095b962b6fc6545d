//! Where the AWS files are: the home folder as the AWS CLI finds it, `~` expansion, private folders and
//! symbolic links.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{Error, Result};

/// The user's home folder as the AWS CLI finds it (Python's `os.path.expanduser`): on Windows
/// `USERPROFILE`, then `HOME`; elsewhere `HOME`, then `USERPROFILE`.
pub(crate) fn home_dir(env: &Env) -> Option<PathBuf> {
    home_dir_for(env, cfg!(windows))
}

fn home_dir_for(env: &Env, windows: bool) -> Option<PathBuf> {
    let order = if windows { ["USERPROFILE", "HOME"] } else { ["HOME", "USERPROFILE"] };
    order.iter().find_map(|name| env.get(name)).map(PathBuf::from)
}

/// `<home>/<parts...>`, or an error naming `what` when there is no home folder.
pub(crate) fn under_home(env: &Env, parts: &[&str], what: &str) -> Result<PathBuf> {
    let home = home_dir(env)
        .ok_or_else(|| Error::invalid_input(format!("cannot find {what}: neither HOME nor USERPROFILE is set")))?;
    Ok(parts.iter().fold(home, |path, part| path.join(part)))
}

/// `path` with a leading `~` (alone, or before `/` or `\`) replaced by the home folder.
pub(crate) fn expand_home(path: &str, env: &Env, what: &str) -> Result<PathBuf> {
    match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
            let home = home_dir(env).ok_or_else(|| {
                Error::invalid_input(format!("{what} starts with ~ but neither HOME nor USERPROFILE is set"))
            })?;
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

    #[test]
    fn the_home_folder_is_found_as_the_aws_cli_finds_it() {
        let both = Env::from_pairs([("HOME", "/home/u"), ("USERPROFILE", "C:\\Users\\u")]);
        assert_eq!(home_dir_for(&both, true), Some(PathBuf::from("C:\\Users\\u")));
        assert_eq!(home_dir_for(&both, false), Some(PathBuf::from("/home/u")));
        let home_only = Env::from_pairs([("HOME", "/home/u")]);
        assert_eq!(home_dir_for(&home_only, true), Some(PathBuf::from("/home/u")));
        let profile_only = Env::from_pairs([("USERPROFILE", "C:\\Users\\u")]);
        assert_eq!(home_dir_for(&profile_only, false), Some(PathBuf::from("C:\\Users\\u")));
        assert_eq!(home_dir_for(&Env::from_pairs([("HOME", "  ")]), false), None);
    }

    #[test]
    fn a_leading_tilde_is_the_home_folder() {
        let env = Env::from_pairs([("HOME", "/home/u"), ("USERPROFILE", "/home/u")]);
        assert_eq!(expand_home("~/a/b", &env, "x").unwrap(), PathBuf::from("/home/u/a/b"));
        assert_eq!(expand_home("~", &env, "x").unwrap(), PathBuf::from("/home/u"));
        assert_eq!(expand_home("~other/a", &env, "x").unwrap(), PathBuf::from("~other/a"));
        assert!(expand_home("~/a", &Env::from_pairs::<&str, &str>([]), "x").is_err());
    }
}
