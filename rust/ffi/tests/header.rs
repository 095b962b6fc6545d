//! The committed header is what cbindgen generates from the source: the C ABI cannot drift.
//! Regenerate with `SSOCREDS_UPDATE_HEADER=1 cargo test -p ssocreds-ffi --test header`.

use std::path::Path;

#[test]
fn committed_header_matches_the_source() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let header_path = crate_dir.join("include/ssocreds.h");
    if std::env::var_os("SSOCREDS_UPDATE_HEADER").is_some() {
        std::fs::write(&header_path, &generated).unwrap();
    }
    let committed = std::fs::read(&header_path).unwrap_or_default();
    assert!(
        with_lf_endings(&committed) == with_lf_endings(&generated),
        "include/ssocreds.h is out of date; run SSOCREDS_UPDATE_HEADER=1 cargo test -p ssocreds-ffi --test header"
    );
}

/// The text with CRLF line endings made LF: a checkout that converted them (a Windows one without
/// `.gitattributes`) holds the same header. Only the line endings are forgiven, not a lone CR.
fn with_lf_endings(text: &[u8]) -> Vec<u8> {
    let mut lf = Vec::with_capacity(text.len());
    for (at, &byte) in text.iter().enumerate() {
        if !(byte == b'\r' && text.get(at + 1) == Some(&b'\n')) {
            lf.push(byte);
        }
    }
    lf
}

#[test]
fn a_header_checked_out_with_crlf_endings_is_the_same_header() {
    assert_eq!(with_lf_endings(b"int a;\r\n\r\nint b;\n"), b"int a;\n\nint b;\n");
    assert_eq!(with_lf_endings(b"int a;\rint b;"), b"int a;\rint b;", "a lone CR is a difference");
}

#[test]
fn header_declares_every_documented_function() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/ssocreds.h")).unwrap();
    for function in [
        "const char *ssocreds_version(void)",
        "int ssocreds_abi_version(void)",
        "char *ssocreds_run_start(const char *request_json)",
        "char *ssocreds_run_next(const char *request_json)",
        "char *ssocreds_run_answer(const char *request_json)",
        "char *ssocreds_run_cancel(const char *request_json)",
        "char *ssocreds_login_start(const char *request_json)",
        "char *ssocreds_login_poll(const char *request_json)",
        "char *ssocreds_login_cancel(const char *request_json)",
        "char *ssocreds_refresh(const char *request_json)",
        "char *ssocreds_refresh_start(const char *request_json)",
        "char *ssocreds_refresh_poll(const char *request_json)",
        "char *ssocreds_refresh_cancel(const char *request_json)",
        "char *ssocreds_config_sessions(const char *request_json)",
        "char *ssocreds_discover(const char *request_json)",
        "char *ssocreds_session_status(const char *request_json)",
        "char *ssocreds_logout(const char *request_json)",
        "char *ssocreds_set_environment(const char *request_json)",
        "void ssocreds_string_free(char *s)",
    ] {
        assert!(header.contains(function), "the header lacks `{function}`");
    }
}
