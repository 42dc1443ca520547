//! Status codes, the error type behind them, the thread's last error message, and the guard
//! that every entry point runs its body in.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Success.
pub const DETOUR_OK: i32 = 0;
/// The handle was freed, was never issued (zero, forged, random), or is of another kind.
pub const DETOUR_ERR_STALE_HANDLE: i32 = 1;
/// A pointer argument was null where data was required.
pub const DETOUR_ERR_NULL_POINTER: i32 = 2;
/// An argument is malformed: a span outside its text, or text that must be UTF-8 and is not.
pub const DETOUR_ERR_INVALID_ARGUMENT: i32 = 3;
/// A file could not be read or mapped.
pub const DETOUR_ERR_IO: i32 = 4;
/// The bytes are not a valid blob of this format version.
pub const DETOUR_ERR_INVALID_BLOB: i32 = 5;
/// The rules have errors: the compilation holds the diagnostics and no blob.
pub const DETOUR_ERR_RULES: i32 = 6;
/// The caller's buffer is too small; the `needed` field (or out-length) says how large it must be.
pub const DETOUR_ERR_BUFFER_TOO_SMALL: i32 = 7;
/// Every handle slot is in use.
pub const DETOUR_ERR_TABLE_FULL: i32 = 8;
/// A bug in detour: a panic was caught at the boundary. The handle stays usable.
pub const DETOUR_ERR_PANIC: i32 = 9;

/// Why a call failed: a status code and a message for [`crate::ffi::detour_last_error_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// One of the `DETOUR_ERR_*` codes.
    pub code: i32,
    /// What went wrong, for people.
    pub message: String,
}

impl Error {
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Error {
        Error { code, message: message.into() }
    }

    pub(crate) fn stale() -> Error {
        Error::new(DETOUR_ERR_STALE_HANDLE, "stale handle: freed, never issued, or of another kind")
    }

    pub(crate) fn null(what: &str) -> Error {
        Error::new(DETOUR_ERR_NULL_POINTER, format!("{what} is a null pointer"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::new(DETOUR_ERR_INVALID_ARGUMENT, message)
    }

    pub(crate) fn too_small(needed: usize, have: usize) -> Error {
        Error::new(DETOUR_ERR_BUFFER_TOO_SMALL, format!("the buffer holds {have} bytes; {needed} are needed"))
    }
}

impl From<detour_runtime::LoadError> for Error {
    fn from(e: detour_runtime::LoadError) -> Error {
        let code = match e {
            detour_runtime::LoadError::Io { .. } => DETOUR_ERR_IO,
            _ => DETOUR_ERR_INVALID_BLOB,
        };
        Error::new(code, e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The message of the thread's last failed call (empty before any failure).
pub(crate) fn with_last_error<R>(f: impl FnOnce(&str) -> R) -> R {
    LAST_ERROR.with(|last| f(&last.borrow()))
}

fn set_last_error(message: String) {
    // A thread being torn down has no last error to keep; dropping the message is all we can do.
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = message);
}

/// Runs an entry point's body: a panic becomes `DETOUR_ERR_PANIC` instead of unwinding into
/// foreign frames, and a failure's message is kept as the thread's last error.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Error>) -> i32 {
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return DETOUR_OK,
        Ok(Err(e)) => e,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Error::new(DETOUR_ERR_PANIC, format!("internal error (panic caught at the C boundary): {what}"))
        }
    };
    set_last_error(error.message);
    error.code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_status_code_and_a_message() {
        let code = guard(|| panic!("boom"));
        assert_eq!(code, DETOUR_ERR_PANIC);
        with_last_error(|m| assert!(m.contains("boom"), "{m}"));
    }

    #[test]
    fn a_failure_keeps_its_message_until_the_next_failure() {
        assert_eq!(guard(|| Err(Error::invalid("first"))), DETOUR_ERR_INVALID_ARGUMENT);
        assert_eq!(guard(|| Ok(())), DETOUR_OK);
        with_last_error(|m| assert_eq!(m, "first"));
    }
}
