//! The C entry points: the only `unsafe` code of the crate. Each one checks its pointers,
//! turns them into slices, and calls the safe operation in `api.rs` inside [`guard`], so no
//! panic unwinds into C and every failure is a status code with a message.
//!
//! The contract every caller keeps (stated in `detour.h`): a non-null pointer passed with a
//! length points to that many bytes (or elements) that stay valid and are not written by
//! anyone else during the call, and output buffers do not overlap inputs. A null pointer is
//! accepted only with a zero length.

use std::mem::{align_of, size_of};

use crate::compile::DetourDiagnostic;
use crate::request::{DetourCookie, DetourRequest, DetourSpan};
use crate::result::DetourResult;
use crate::status::{guard, with_last_error, Error};
use crate::{api, ABI_VERSION};

/// Checks what `slice::from_raw_parts` needs that a null check does not: alignment, and a
/// size that fits `isize`.
fn check_slice<T>(ptr: *const T, len: usize, what: &str) -> Result<(), Error> {
    if ptr.is_null() {
        return Err(Error::null(what));
    }
    if (ptr as usize) % align_of::<T>() != 0 {
        return Err(Error::invalid(format!("{what} is not aligned")));
    }
    if len.checked_mul(size_of::<T>()).is_none_or(|bytes| bytes > isize::MAX as usize) {
        return Err(Error::invalid(format!("{what}: {len} elements is too large")));
    }
    Ok(())
}

/// An input slice: empty when `len` is 0 (whatever `ptr` is), else `ptr` must be non-null.
///
/// # Safety
/// When `len > 0`, `ptr` points to `len` initialised values of `T` that stay valid and
/// unmodified for `'a` (the call).
unsafe fn input<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    check_slice(ptr, len, what)?;
    // SAFETY: non-null, aligned and size-checked above; the caller guarantees `len` readable,
    // initialised values that nobody writes during the call (the function's contract).
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An output byte buffer: empty when `len` is 0, else `ptr` must be non-null.
///
/// # Safety
/// When `len > 0`, `ptr` points to `len` writable bytes that nothing else reads or writes
/// during the call and that overlap no input.
unsafe fn output<'a>(ptr: *mut u8, len: usize, what: &str) -> Result<&'a mut [u8], Error> {
    if len == 0 {
        return Ok(&mut []);
    }
    check_slice(ptr, len, what)?;
    // SAFETY: non-null and size-checked above (bytes need no alignment); the caller guarantees
    // `len` writable bytes, exclusively ours for the call. The bytes may be uninitialised; we
    // only write them (`copy_from_slice`) and never read them.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// Stores `value` through an out-pointer.
///
/// # Safety
/// `ptr`, when non-null, points to writable memory for one `T`.
unsafe fn store<T>(ptr: *mut T, value: T, what: &str) -> Result<(), Error> {
    check_slice(ptr.cast_const(), 1, what)?;
    // SAFETY: non-null and aligned (checked above), writable by the caller's contract.
    // `write` does not read or drop the old contents, which may be uninitialised.
    unsafe { ptr.write(value) };
    Ok(())
}

/// Reads one `T` through an in-pointer.
///
/// # Safety
/// `ptr`, when non-null, points to an initialised `T`.
unsafe fn load<T: Copy>(ptr: *const T, what: &str) -> Result<T, Error> {
    check_slice(ptr, 1, what)?;
    // SAFETY: non-null and aligned (checked above); the caller guarantees an initialised `T`.
    // `T` is one of our `repr(C)` structs of integers, valid for every bit pattern.
    Ok(unsafe { ptr.read() })
}

/// The version of this ABI; a binding checks it once when loading the library. Also the
/// cheapest call there is, used to measure the cost of crossing the boundary.
#[no_mangle]
pub extern "C" fn detour_abi_version() -> u32 {
    let mut version = 0;
    guard(|| {
        version = ABI_VERSION;
        Ok(())
    });
    version
}

/// Copies the message of this thread's last failed call into `buf` (up to `cap` bytes, not
/// NUL-terminated) and stores its full length in `*len`. `buf` may be null when `cap` is 0.
///
/// # Safety
/// `buf` holds `cap` writable bytes; `len` points to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn detour_last_error_message(buf: *mut u8, cap: usize, len: *mut usize) -> i32 {
    guard(|| {
        // SAFETY: the function's contract, passed on.
        let out = unsafe { output(buf, cap, "buf") }?;
        let full = with_last_error(|message| {
            let n = message.len().min(out.len());
            if let (Some(dest), Some(src)) = (out.get_mut(..n), message.as_bytes().get(..n)) {
                dest.copy_from_slice(src);
            }
            message.len()
        });
        // SAFETY: the function's contract, passed on.
        unsafe { store(len, full, "len") }
    })
}

/// Opens a matcher from input bytes with `open` and stores its handle in `*out`.
///
/// # Safety
/// `bytes` holds `len` readable bytes; `out` points to a writable `uint64_t`.
unsafe fn open_into(
    bytes: *const u8,
    len: usize,
    what: &str,
    out: *mut u64,
    open: fn(&[u8]) -> Result<u64, Error>,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, passed on.
        let bytes = unsafe { input(bytes, len, what) }?;
        if out.is_null() {
            return Err(Error::null("out")); // checked before opening, so no handle leaks
        }
        let handle = open(bytes)?;
        // SAFETY: the caller's contract, passed on.
        unsafe { store(out, handle, "out") }
    })
}

/// Maps the blob file at `path` (`path_len` bytes, not NUL-terminated), validates it and stores
/// a new matcher handle in `*out`. Free it with `detour_matcher_free`.
///
/// # Safety
/// `path` holds `path_len` readable bytes; `out` points to a writable `uint64_t`. The file is
/// memory-mapped: it must not be modified or truncated while the matcher lives (deploy a new blob
/// by writing another file and renaming it over this one; `detour_matcher_from_bytes` copies).
#[no_mangle]
pub unsafe extern "C" fn detour_matcher_open(path: *const u8, path_len: usize, out: *mut u64) -> i32 {
    // SAFETY: the function's contract, passed on.
    unsafe { open_into(path, path_len, "path", out, api::open_path) }
}

/// Maps a blob file for `detour_matcher_open` and `detour_matcher_swap_path`.
pub(crate) fn mapped_blob(path: &std::path::Path) -> Result<detour_runtime::Blob, detour_runtime::LoadError> {
    // SAFETY: the contract of both entry points (their `# Safety` sections, and `detour.h`): the
    // caller does not modify or truncate the file while the matcher lives.
    unsafe { detour_runtime::Blob::map(path) }
}

/// Copies and validates the blob in `blob` and stores a new matcher handle in `*out`.
///
/// # Safety
/// `blob` holds `len` readable bytes; `out` points to a writable `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn detour_matcher_from_bytes(blob: *const u8, len: usize, out: *mut u64) -> i32 {
    // SAFETY: the function's contract, passed on.
    unsafe { open_into(blob, len, "blob", out, api::open_bytes) }
}

/// Atomically replaces the rules of a live matcher with the blob file at `path`. On any error
/// the old rules stay. Matches in flight finish with the rules they started with.
///
/// # Safety
/// `path` holds `path_len` readable bytes. The file is memory-mapped, as with
/// `detour_matcher_open`: it must not be modified or truncated while the matcher uses it.
#[no_mangle]
pub unsafe extern "C" fn detour_matcher_swap_path(handle: u64, path: *const u8, path_len: usize) -> i32 {
    guard(|| {
        // SAFETY: the function's contract, passed on.
        let path = unsafe { input(path, path_len, "path") }?;
        api::swap_path(handle, path)
    })
}

/// Atomically replaces the rules of a live matcher with the blob in `blob` (copied).
///
/// # Safety
/// `blob` holds `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn detour_matcher_swap_bytes(handle: u64, blob: *const u8, len: usize) -> i32 {
    guard(|| {
        // SAFETY: the function's contract, passed on.
        let blob = unsafe { input(blob, len, "blob") }?;
        api::swap_bytes(handle, blob)
    })
}

/// Frees a matcher handle. Every later use of it (and a second free) is
/// `DETOUR_ERR_STALE_HANDLE`; matches in flight finish first with the rules they hold.
#[no_mangle]
pub extern "C" fn detour_matcher_free(handle: u64) -> i32 {
    guard(|| api::free_matcher(handle))
}

/// Matches one request. `request`'s spans and `cookies`' spans point into `text`; the result's
/// strings are copied into `out` (`out_cap` bytes; 4 KiB fits nearly every answer, and
/// `DETOUR_ERR_BUFFER_TOO_SMALL` sets `result->needed`). Nothing is allocated for requests with
/// up to 32 cookies. `*result` is written whenever `result` is non-null, also on errors.
///
/// # Safety
/// `request` points to a `DetourRequest`; `text` holds `text_len` readable bytes; `cookies`
/// holds `cookie_count` `DetourCookie`s; `result` points to a writable `DetourResult`; `out`
/// holds `out_cap` writable bytes overlapping no input.
#[no_mangle]
pub unsafe extern "C" fn detour_matcher_match(
    handle: u64,
    request: *const DetourRequest,
    text: *const u8,
    text_len: usize,
    cookies: *const DetourCookie,
    cookie_count: usize,
    result: *mut DetourResult,
    out: *mut u8,
    out_cap: usize,
) -> i32 {
    guard(|| {
        // SAFETY (all four): the function's contract, passed on.
        let request = unsafe { load(request, "request") }?;
        let text = unsafe { input(text, text_len, "text") }?;
        let cookies = unsafe { input(cookies, cookie_count, "cookies") }?;
        let out = unsafe { output(out, out_cap, "out") }?;
        if result.is_null() {
            return Err(Error::null("result"));
        }
        let mut local = DetourResult::default();
        let matched = api::match_request(handle, &request, text, cookies, &mut local, out);
        // SAFETY: the function's contract, passed on.
        unsafe { store(result, local, "result") }?;
        matched
    })
}

/// Reads the rule files named by `paths` (spans into `text`, UTF-8, in priority order; the
/// format follows each name: `*.toml`, `*.json`, else `_redirects`) and compiles them as one
/// site. Stores a compilation handle in `*out` on `DETOUR_OK` and on `DETOUR_ERR_RULES` (a rule
/// has an error: no blob, read the diagnostics); free it with `detour_compilation_free`.
///
/// # Safety
/// `paths` holds `count` `DetourSpan`s; `text` holds `text_len` readable bytes; `out` points to
/// a writable `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn detour_compile_files(
    paths: *const DetourSpan,
    count: usize,
    text: *const u8,
    text_len: usize,
    out: *mut u64,
) -> i32 {
    guard(|| {
        // SAFETY (both): the function's contract, passed on.
        let spans = unsafe { input(paths, count, "paths") }?;
        let text = unsafe { input(text, text_len, "text") }?;
        let names = spans.iter().map(|&s| crate::request::span_text(text, s, "path")).collect::<Result<Vec<_>, _>>()?;
        // SAFETY: the function's contract, passed on.
        unsafe { store_compilation(api::compile_files(&names), out) }
    })
}

/// Compiles rule text (`len` bytes) as the file `file_name` (its name picks the format and
/// appears in diagnostics and answers). `*out` as for `detour_compile_files`.
///
/// # Safety
/// `text` holds `len` readable bytes, `file_name` `name_len`; `out` points to a writable
/// `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn detour_compile_text(
    text: *const u8,
    len: usize,
    file_name: *const u8,
    name_len: usize,
    out: *mut u64,
) -> i32 {
    guard(|| {
        // SAFETY (both): the function's contract, passed on.
        let text = unsafe { input(text, len, "text") }?;
        let name = unsafe { input(file_name, name_len, "file_name") }?;
        // SAFETY: the function's contract, passed on.
        unsafe { store_compilation(api::compile_text(text, name), out) }
    })
}

/// Stores the handle of a compilation, also one whose rules have errors.
///
/// # Safety
/// `out`, when non-null, points to a writable `uint64_t`.
unsafe fn store_compilation(compiled: Result<u64, (u64, Error)>, out: *mut u64) -> Result<(), Error> {
    if out.is_null() {
        // Nowhere to put the handle: do not leak it.
        let handle = compiled.as_ref().map_or_else(|(h, _)| *h, |h| *h);
        let _ = api::free_compilation(handle);
        return Err(Error::null("out"));
    }
    let (handle, result) = match compiled {
        Ok(handle) => (handle, Ok(())),
        Err((handle, error)) => (handle, Err(error)),
    };
    // SAFETY: the function's contract, passed on.
    unsafe { store(out, handle, "out") }?;
    result
}

/// Copies the compiled blob into `buf` (`cap` bytes) and stores its length in `*len`; with a
/// smaller `cap` (0 and a null `buf` to ask), `DETOUR_ERR_BUFFER_TOO_SMALL` and only `*len`.
/// The blob is empty when a rule has an error.
///
/// # Safety
/// `buf` holds `cap` writable bytes; `len` points to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn detour_compilation_blob(handle: u64, buf: *mut u8, cap: usize, len: *mut usize) -> i32 {
    guard(|| {
        // SAFETY: the function's contract, passed on.
        let out = unsafe { output(buf, cap, "buf") }?;
        if len.is_null() {
            return Err(Error::null("len"));
        }
        let (full, copied) = api::compilation_blob(handle, out);
        // SAFETY: the function's contract, passed on.
        unsafe { store(len, full, "len") }?;
        copied
    })
}

/// Stores the number of diagnostics (errors and warnings) in `*count`.
///
/// # Safety
/// `count` points to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn detour_compilation_diagnostic_count(handle: u64, count: *mut usize) -> i32 {
    guard(|| {
        if count.is_null() {
            return Err(Error::null("count"));
        }
        let n = api::diagnostic_count(handle)?;
        // SAFETY: the function's contract, passed on.
        unsafe { store(count, n, "count") }
    })
}

/// Fills `*diagnostic` with diagnostic `index` (in file and line order), its file name and
/// message copied into `buf` (`DETOUR_ERR_BUFFER_TOO_SMALL` sets `diagnostic->needed`).
///
/// # Safety
/// `diagnostic` points to a writable `DetourDiagnostic`; `buf` holds `cap` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn detour_compilation_diagnostic(
    handle: u64,
    index: usize,
    diagnostic: *mut DetourDiagnostic,
    buf: *mut u8,
    cap: usize,
) -> i32 {
    guard(|| {
        // SAFETY: the function's contract, passed on.
        let out = unsafe { output(buf, cap, "buf") }?;
        if diagnostic.is_null() {
            return Err(Error::null("diagnostic"));
        }
        let mut local = DetourDiagnostic::default();
        let written = api::diagnostic(handle, index, &mut local, out);
        // SAFETY: the function's contract, passed on.
        unsafe { store(diagnostic, local, "diagnostic") }?;
        written
    })
}

/// Frees a compilation handle; later uses are `DETOUR_ERR_STALE_HANDLE`.
#[no_mangle]
pub extern "C" fn detour_compilation_free(handle: u64) -> i32 {
    guard(|| api::free_compilation(handle))
}
