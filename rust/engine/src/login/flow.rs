//! Which login flow: the authorization code with PKCE (what `aws sso login` does by default since
//! AWS CLI 2.22) wherever a browser on this machine can come back to a loopback redirect, else the
//! device code, which the user approves on any device. The caller may say which; otherwise the
//! environment decides, and the answer says why the device code was chosen.

use std::path::Path;

use crate::api::LoginStartRequest;
use crate::env::HostEnv;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    AuthorizationCode,
    DeviceCode,
}

/// The flow of one login, and why the device code was chosen when nobody asked for it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Choice {
    pub flow: Flow,
    pub reason: Option<String>,
}

/// Set by the PowerShell module when it runs in a PowerShell remoting session (`Enter-PSSession`,
/// `Invoke-Command`): its host is `ServerRemoteHost`, and no variable of the process says so.
pub(crate) const POWERSHELL_REMOTING: &str = "SSOCREDS_POWERSHELL_REMOTING";

/// Files that exist inside a container: Docker's and Podman's.
const CONTAINER_FILES: [&str; 2] = ["/.dockerenv", "/run/.containerenv"];

pub(super) fn choose(request: &LoginStartRequest, env: &HostEnv) -> Choice {
    match request.use_device_code {
        Some(true) => Choice { flow: Flow::DeviceCode, reason: None },
        Some(false) => Choice { flow: Flow::AuthorizationCode, reason: None },
        None => match no_loopback_browser(request.no_browser, env) {
            Some(reason) => {
                tracing::debug!(reason, "choosing the device code flow");
                Choice { flow: Flow::DeviceCode, reason: Some(reason) }
            }
            None => Choice { flow: Flow::AuthorizationCode, reason: None },
        },
    }
}

/// Why a browser cannot come back to a loopback redirect of this process, if it cannot: none
/// will be opened, or the one the user has runs on another machine (PowerShell remoting, SSH,
/// including Windows' OpenSSH server, which sets the same variables) or outside this container,
/// or there is no desktop for one here.
fn no_loopback_browser(no_browser: bool, env: &HostEnv) -> Option<String> {
    if no_browser {
        return Some("noBrowser: no browser is opened on this machine, so the login is approved on any device".into());
    }
    if env.get(POWERSHELL_REMOTING).is_some() {
        return Some(
            "a PowerShell remoting session: a browser on the machine you sit at cannot reach a loopback redirect on this one"
                .into(),
        );
    }
    if let Some(variable) = ["SSH_CONNECTION", "SSH_TTY"].into_iter().find(|v| env.get(v).is_some()) {
        return Some(format!(
            "an SSH session ({variable} is set): a browser on the machine you sit at cannot reach a loopback redirect on this one"
        ));
    }
    if let Some(marker) = container_marker(env) {
        return Some(format!(
            "a container ({marker}): a browser outside it cannot reach a loopback redirect inside it"
        ));
    }
    let has_desktop_always = matches!(env.os(), "windows" | "macos");
    if !has_desktop_always && env.get("DISPLAY").is_none() && env.get("WAYLAND_DISPLAY").is_none() {
        return Some(
            "no DISPLAY or WAYLAND_DISPLAY: a browser on this machine cannot reach a loopback redirect".into(),
        );
    }
    None
}

/// What shows that this process runs in a container, if anything does.
fn container_marker(env: &HostEnv) -> Option<String> {
    if let Some(file) = CONTAINER_FILES.into_iter().find(|f| env.file_exists(Path::new(f))) {
        return Some(format!("{file} exists"));
    }
    ["container", "KUBERNETES_SERVICE_HOST"].into_iter().find(|v| env.get(v).is_some()).map(|v| format!("{v} is set"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(env: HostEnv, use_device_code: Option<bool>, no_browser: bool) -> Choice {
        let request = LoginStartRequest { use_device_code, no_browser, ..Default::default() };
        choose(&request, &env)
    }

    fn linux_desktop() -> HostEnv {
        HostEnv::from_pairs([("DISPLAY", ":0")]).with_os("linux")
    }

    #[test]
    fn a_desktop_gets_the_authorization_code() {
        assert_eq!(choice(linux_desktop(), None, false), Choice { flow: Flow::AuthorizationCode, reason: None });
        let wayland = HostEnv::from_pairs([("WAYLAND_DISPLAY", "wayland-0")]).with_os("freebsd");
        assert_eq!(choice(wayland, None, false).flow, Flow::AuthorizationCode);
        for os in ["windows", "macos"] {
            let desktop = HostEnv::from_pairs([("HOME", "/h")]).with_os(os);
            assert_eq!(choice(desktop, None, false).flow, Flow::AuthorizationCode, "{os} needs no DISPLAY");
        }
    }

    #[test]
    fn each_rule_picks_the_device_code_and_says_why() {
        let cases = [
            (HostEnv::from_pairs([("HOME", "/h")]).with_os("linux"), false, "no DISPLAY or WAYLAND_DISPLAY"),
            (linux_desktop(), true, "noBrowser"),
            (
                HostEnv::from_pairs([("SSH_CONNECTION", "10.0.0.1 5 10.0.0.2 22")]).with_os("macos"),
                false,
                "SSH_CONNECTION",
            ),
            (HostEnv::from_pairs([("SSH_TTY", "/dev/pts/1"), ("DISPLAY", ":0")]).with_os("linux"), false, "SSH_TTY"),
            (
                HostEnv::from_pairs([("SSH_CLIENT", "10.0.0.1 5 22"), ("SSH_CONNECTION", "10.0.0.1 5 10.0.0.2 22")])
                    .with_os("windows"),
                false,
                "SSH_CONNECTION",
            ),
            (
                HostEnv::from_pairs([(POWERSHELL_REMOTING, "1")]).with_os("windows"),
                false,
                "a PowerShell remoting session",
            ),
            (linux_desktop().with_files(["/.dockerenv"]), false, "/.dockerenv exists"),
            (linux_desktop().with_files(["/run/.containerenv"]), false, "/run/.containerenv exists"),
            (
                HostEnv::from_pairs([("container", "podman"), ("DISPLAY", ":0")]).with_os("linux"),
                false,
                "container is set",
            ),
            (HostEnv::from_pairs([("KUBERNETES_SERVICE_HOST", "10.96.0.1")]).with_os("windows"), false, "KUBERNETES"),
        ];
        for (env, no_browser, why) in cases {
            let chosen = choice(env, None, no_browser);
            assert_eq!(chosen.flow, Flow::DeviceCode, "{why}");
            let reason = chosen.reason.unwrap();
            assert!(reason.contains(why) && reason.contains("loopback") || why == "noBrowser", "{reason}");
        }
    }

    #[test]
    fn an_explicit_choice_wins_and_has_no_reason() {
        let headless = HostEnv::from_pairs([("SSH_TTY", "/dev/pts/1")]).with_os("linux").with_files(["/.dockerenv"]);
        assert_eq!(choice(headless, Some(false), true), Choice { flow: Flow::AuthorizationCode, reason: None });
        assert_eq!(choice(linux_desktop(), Some(true), false), Choice { flow: Flow::DeviceCode, reason: None });
    }
}
