//! The operations behind the C entry points, in safe Rust over slices: the handle tables, open,
//! swap, free, match and compile. `ffi.rs` only turns pointers into slices and calls these.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

use detour_runtime::{Blob, MatchOptions, Matcher, Scratch};

use crate::compile::{write_diagnostic, Compilation, DetourDiagnostic};
use crate::handle::{Kind, Table, TableFull};
use crate::request::{cookie_pairs, runtime_request, DetourCookie, DetourRequest, INLINE_COOKIES};
use crate::result::{write_outcome, DetourResult};
use crate::status::{Error, DETOUR_ERR_RULES, DETOUR_ERR_TABLE_FULL};

static MATCHERS: Table<Matcher> = Table::new(Kind::Matcher);
static COMPILATIONS: Table<Compilation> = Table::new(Kind::Compilation);

thread_local! {
    /// One scratch per thread, reused by every match on it: no allocation per match.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

impl From<TableFull> for Error {
    fn from(_: TableFull) -> Error {
        Error::new(DETOUR_ERR_TABLE_FULL, "every handle slot is in use: free handles you no longer need")
    }
}

/// A path from bytes: any bytes on Unix, UTF-8 elsewhere.
fn path_of(bytes: &[u8]) -> Result<PathBuf, Error> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes).map(PathBuf::from).map_err(|_| Error::invalid("the path is not UTF-8"))
    }
}

fn load_path(path: &[u8]) -> Result<Matcher, Error> {
    Ok(Matcher::new(crate::ffi::mapped_blob(&path_of(path)?)?, MatchOptions::default()))
}

fn load_bytes(blob: &[u8]) -> Result<Matcher, Error> {
    Ok(Matcher::new(Blob::from_bytes(blob)?, MatchOptions::default()))
}

/// Maps a blob file; returns a matcher handle.
pub(crate) fn open_path(path: &[u8]) -> Result<u64, Error> {
    Ok(MATCHERS.insert(load_path(path)?)?)
}

/// Copies and validates a blob; returns a matcher handle.
pub(crate) fn open_bytes(blob: &[u8]) -> Result<u64, Error> {
    Ok(MATCHERS.insert(load_bytes(blob)?)?)
}

/// Replaces a live handle's rules. The new blob is loaded first, so a bad blob leaves the old
/// rules in place; calls in flight finish on the rules they started with.
fn swap(handle: u64, load: impl FnOnce() -> Result<Matcher, Error>) -> Result<(), Error> {
    // A stale handle is reported as such even when the blob is also bad.
    if MATCHERS.get(handle).is_none() {
        return Err(Error::stale());
    }
    let old = MATCHERS.replace(handle, load()?).ok_or_else(Error::stale)?;
    drop(old); // unmapped here, outside the slot's lock, unless a match still holds it
    Ok(())
}

pub(crate) fn swap_path(handle: u64, path: &[u8]) -> Result<(), Error> {
    swap(handle, || load_path(path))
}

pub(crate) fn swap_bytes(handle: u64, blob: &[u8]) -> Result<(), Error> {
    swap(handle, || load_bytes(blob))
}

pub(crate) fn free_matcher(handle: u64) -> Result<(), Error> {
    MATCHERS.remove(handle).map(drop).ok_or_else(Error::stale)
}

/// Matches one request into `result`, its strings copied into `out`.
pub(crate) fn match_request(
    handle: u64,
    req: &DetourRequest,
    text: &[u8],
    cookies: &[DetourCookie],
    result: &mut DetourResult,
    out: &mut [u8],
) -> Result<(), Error> {
    let matcher: Arc<Matcher> = MATCHERS.get(handle).ok_or_else(Error::stale)?;
    let mut inline = [("", ""); INLINE_COOKIES];
    let mut spilled = Vec::new();
    let pairs = match inline.get_mut(..cookies.len()) {
        Some(pairs) => pairs,
        None => {
            spilled.resize(cookies.len(), ("", ""));
            &mut spilled[..]
        }
    };
    cookie_pairs(cookies, text, pairs)?;
    let request = runtime_request(req, text, pairs)?;
    let mut find = |scratch: &mut Scratch| write_outcome(&matcher.find(&request, scratch), result, out);
    match SCRATCH.try_with(|s| s.try_borrow_mut().map(|mut s| find(&mut s))) {
        Ok(Ok(written)) => written,
        // The thread is being torn down (or, impossibly, re-entered): a scratch of its own.
        _ => find(&mut Scratch::new()),
    }
}

/// Stores a compilation; succeeds only when no rule has an error, but the handle is returned
/// either way so the diagnostics can be read.
fn store(compilation: Compilation) -> Result<u64, (u64, Error)> {
    let errors: Vec<String> =
        compilation.diagnostics.iter().filter(|d| d.is_error()).map(ToString::to_string).collect();
    let failed = compilation.has_errors();
    let handle = COMPILATIONS.insert(compilation).map_err(|e| (0, e.into()))?;
    if failed {
        let message = format!("the rules have {} error(s):\n{}", errors.len(), errors.join("\n"));
        return Err((handle, Error::new(DETOUR_ERR_RULES, message)));
    }
    Ok(handle)
}

pub(crate) fn compile_text(text: &[u8], file_name: &[u8]) -> Result<u64, (u64, Error)> {
    let name = std::str::from_utf8(file_name).map_err(|_| (0, Error::invalid("the file name is not UTF-8")))?;
    store(Compilation::from_text(text, name).map_err(|e| (0, e))?)
}

pub(crate) fn compile_files(paths: &[&str]) -> Result<u64, (u64, Error)> {
    store(Compilation::from_files(paths).map_err(|e| (0, e))?)
}

fn compilation(handle: u64) -> Result<Arc<Compilation>, Error> {
    COMPILATIONS.get(handle).ok_or_else(Error::stale)
}

/// Copies the blob into `out` when it fits; returns its length either way.
pub(crate) fn compilation_blob(handle: u64, out: &mut [u8]) -> (usize, Result<(), Error>) {
    let c = match compilation(handle) {
        Ok(c) => c,
        Err(e) => return (0, Err(e)),
    };
    let Some(dest) = out.get_mut(..c.blob.len()) else {
        return (c.blob.len(), Err(Error::too_small(c.blob.len(), out.len())));
    };
    dest.copy_from_slice(&c.blob);
    (c.blob.len(), Ok(()))
}

pub(crate) fn diagnostic_count(handle: u64) -> Result<usize, Error> {
    Ok(compilation(handle)?.diagnostics.len())
}

pub(crate) fn diagnostic(
    handle: u64,
    index: usize,
    result: &mut DetourDiagnostic,
    out: &mut [u8],
) -> Result<(), Error> {
    let c = compilation(handle)?;
    let count = c.diagnostics.len();
    let d = c.diagnostics.get(index).ok_or_else(|| Error::invalid(format!("diagnostic {index} of {count}")))?;
    write_diagnostic(d, result, out)
}

pub(crate) fn free_compilation(handle: u64) -> Result<(), Error> {
    COMPILATIONS.remove(handle).map(drop).ok_or_else(Error::stale)
}
