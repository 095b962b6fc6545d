//! The one place with `unsafe`: reading the caller's C string, handing out and taking back the
//! library's strings, and the panic boundary every exported function runs inside.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use ssocreds_engine::{Error, ErrorCode, Result};

/// Larger requests are refused: 10,000 accounts fit with room to spare.
pub(crate) const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Runs `operation` on the parsed request and returns the JSON envelope as a new C string. Never
/// returns NULL and never lets a panic unwind into the caller.
pub fn call<Req, Res>(request: *const c_char, operation: impl FnOnce(Req) -> Result<Res>) -> *mut c_char
where
    Req: DeserializeOwned,
    Res: Serialize,
{
    silence_panic_messages();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the contract of every exported function is that `request` is NULL or a
        // NUL-terminated string that stays valid for the duration of the call.
        let text = unsafe { read_request(request) }?;
        let parsed: Req =
            serde_json::from_str(text).map_err(|e| Error::invalid_input(format!("the request is not valid: {e}")))?;
        operation(parsed).and_then(|result| serde_json::to_value(result).map_err(internal))
    }));
    let envelope = match outcome {
        Ok(Ok(result)) => format!("{{\"ok\":true,\"result\":{result}}}"),
        Ok(Err(error)) => error_envelope(&error),
        Err(payload) => {
            error_envelope(&Error::new(ErrorCode::Panic, format!("internal error: {}", panic_message(&payload))))
        }
    };
    into_c_string(envelope)
}

/// `ok` comes first, as documented, so a caller can test the prefix of the string.
fn error_envelope(error: &Error) -> String {
    let error = json!({ "code": error.code.as_str(), "message": error.message });
    format!("{{\"ok\":false,\"error\":{error}}}")
}

fn internal(e: serde_json::Error) -> Error {
    Error::new(ErrorCode::Panic, format!("the result could not be encoded: {e}"))
}

/// # Safety
/// `request` must be NULL or point to a NUL-terminated string valid for the whole call.
unsafe fn read_request<'a>(request: *const c_char) -> Result<&'a str> {
    if request.is_null() {
        return Err(Error::invalid_input("the request is NULL; pass a JSON object"));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract above.
    let bytes = unsafe { CStr::from_ptr(request) }.to_bytes();
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(Error::invalid_input(format!(
            "the request is {} bytes; at most {MAX_REQUEST_BYTES} are accepted",
            bytes.len()
        )));
    }
    std::str::from_utf8(bytes)
        .map_err(|e| Error::invalid_input(format!("the request is not UTF-8 (bad byte at offset {})", e.valid_up_to())))
}

/// Hands a string to the caller, who must give it back to [`free_c_string`].
fn into_c_string(text: String) -> *mut c_char {
    // JSON escapes every control character, so an interior NUL cannot occur; the fallback is
    // there so that this function can never fail.
    CString::new(text)
        .unwrap_or_else(|_| {
            CString::from(
                c"{\"ok\":false,\"error\":{\"code\":\"Panic\",\"message\":\"internal error: NUL in output\"}}",
            )
        })
        .into_raw()
}

/// # Safety
/// `s` must be NULL or a pointer returned by this library and not freed before.
pub unsafe fn free_c_string(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: `s` came from `CString::into_raw` in `into_c_string` and is freed once.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// Panics are reported in the error envelope; the default hook would also print them on the
/// host's stderr (a PowerShell console). This hook belongs to this library's copy of std only.
fn silence_panic_messages() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
