//! The C ABI's behaviour, called from Rust exactly as C calls it: matching, outcomes, buffers,
//! null pointers, compilation diagnostics, and frees and swaps racing matches.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use detour_capi::ffi::*;
use detour_capi::*;

/// A request built the way a binding builds one: every string in one text buffer.
#[derive(Default)]
struct Req {
    text: Vec<u8>,
    request: DetourRequest,
    cookies: Vec<DetourCookie>,
}

impl Req {
    fn span(&mut self, s: &[u8]) -> DetourSpan {
        let span = DetourSpan { offset: self.text.len() as u32, len: s.len() as u32 };
        self.text.extend_from_slice(s);
        span
    }

    fn url(url: &str) -> Req {
        let mut r = Req::default();
        r.request.url = r.span(url.as_bytes());
        r
    }

    fn cookie(mut self, name: &str, value: &str) -> Req {
        let cookie = DetourCookie { name: self.span(name.as_bytes()), value: self.span(value.as_bytes()) };
        self.cookies.push(cookie);
        self
    }

    fn country(mut self, country: &str) -> Req {
        self.request.country = self.span(country.as_bytes());
        self.request.flags |= DETOUR_REQUEST_COUNTRY;
        self
    }
}

/// What a match answered, with its strings.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Code(i32),
    NoMatch,
    Denied,
    TooLong { rule: u32, line: u32, file: String },
    Matched { status: u32, to: String, target: String, file: String, line: u32, rule: u32, force: bool },
}

fn match_with(handle: u64, req: &Req, out: &mut [u8]) -> (i32, DetourResult) {
    let mut result = DetourResult::default();
    // SAFETY: every pointer is to live memory of the stated length.
    let code = unsafe {
        detour_matcher_match(
            handle,
            &req.request,
            req.text.as_ptr(),
            req.text.len(),
            req.cookies.as_ptr(),
            req.cookies.len(),
            &mut result,
            out.as_mut_ptr(),
            out.len(),
        )
    };
    (code, result)
}

fn answer(handle: u64, req: &Req) -> Answer {
    let mut out = vec![0u8; 4096];
    let (code, r) = match_with(handle, req, &mut out);
    if code != DETOUR_OK {
        return Answer::Code(code);
    }
    let s = |span: DetourSpan| {
        String::from_utf8_lossy(&out[span.offset as usize..(span.offset + span.len) as usize]).into_owned()
    };
    match r.outcome {
        DETOUR_NO_MATCH => Answer::NoMatch,
        DETOUR_DENIED => Answer::Denied,
        DETOUR_TOO_LONG => Answer::TooLong { rule: r.rule, line: r.line, file: s(r.file) },
        DETOUR_MATCHED => Answer::Matched {
            status: r.status,
            to: s(r.to),
            target: s(r.target),
            file: s(r.file),
            line: r.line,
            rule: r.rule,
            force: r.force != 0,
        },
        other => panic!("unknown outcome {other}"),
    }
}

fn compile(rules: &str) -> Vec<u8> {
    let rules = detour_rules::parse_redirects(rules.as_bytes(), "_redirects").rules;
    detour_compiler::compile(&rules).expect("compile")
}

fn open(blob: &[u8]) -> u64 {
    let mut handle = 0;
    // SAFETY: live slice and out-pointer.
    assert_eq!(unsafe { detour_matcher_from_bytes(blob.as_ptr(), blob.len(), &mut handle) }, DETOUR_OK);
    handle
}

fn matched(status: u32, to: &str, target: &str, line: u32, rule: u32) -> Answer {
    let (to, target, file) = (to.to_string(), target.to_string(), "_redirects".to_string());
    Answer::Matched { status, to, target, file, line, rule, force: false }
}

const RULES: &str = "/blog/* /news/:splat 301\n/g/:a/:b/:c /:c:c:c:c/:b:b:b:b/:a:a:a:a 301\n\
                     /c /cookie 302 Cookie=session\n/geo /at 302 Country=at\n/old /new 302\n";

#[test]
fn answers_carry_every_outcome_and_field() {
    let h = open(&compile(RULES));
    assert_eq!(
        answer(h, &Req::url("https://Example.com/blog/a%3Fb?x=1#f")),
        matched(301, "/news/a?b", "/news/a%3Fb?x=1", 1, 0)
    );
    assert_eq!(answer(h, &Req::url("/nothing")), Answer::NoMatch);
    let long = format!("/g/{}/{}/{}", ":b".repeat(8), ":c".repeat(8), "x".repeat(64));
    let too_long = Answer::TooLong { rule: 1, line: 2, file: "_redirects".to_string() };
    assert_eq!(answer(h, &Req::url(&long)), too_long);
    assert_eq!(answer(h, &Req::url("/c")), Answer::NoMatch);
    assert_eq!(answer(h, &Req::url("/c").cookie("session", "1")), matched(302, "/cookie", "/cookie", 3, 2));
    assert_eq!(answer(h, &Req::url("/geo").country("AT")), matched(302, "/at", "/at", 4, 3));
    assert_eq!(answer(h, &Req::url("/geo")), Answer::NoMatch);
    assert_eq!(detour_matcher_free(h), DETOUR_OK);
}

#[test]
fn scheme_host_path_and_query_may_be_given_apart() {
    let h = open(&compile(RULES));
    let mut r = Req::default();
    r.request.host = r.span(b"example.com");
    r.request.path = r.span("/blog/café".as_bytes());
    r.request.query = r.span(b"q=1");
    assert_eq!(answer(h, &r), matched(301, "/news/café", "/news/caf%C3%A9?q=1", 1, 0));
    r.request.url = r.request.path;
    assert_eq!(answer(h, &r), Answer::Code(DETOUR_ERR_INVALID_ARGUMENT), "url and parts together");
    detour_matcher_free(h);
}

#[test]
fn more_cookies_than_fit_inline_are_still_read() {
    let h = open(&compile(RULES));
    let mut r = Req::url("/c");
    for i in 0..100 {
        r = r.cookie(&format!("other{i}"), "x");
    }
    assert_eq!(answer(h, &r), Answer::NoMatch);
    assert_eq!(answer(h, &r.cookie("session", "1")), matched(302, "/cookie", "/cookie", 3, 2));
    detour_matcher_free(h);
}

#[test]
fn a_short_output_buffer_reports_the_size_needed() {
    let h = open(&compile(RULES));
    let req = Req::url("/blog/abc");
    let (code, result) = match_with(h, &req, &mut [0u8; 4]);
    assert_eq!(code, DETOUR_ERR_BUFFER_TOO_SMALL);
    assert_eq!(result.needed, "/news/abc".len() * 2 + "_redirects".len());
    let (code, _) = match_with(h, &req, &mut vec![0u8; result.needed]);
    assert_eq!(code, DETOUR_OK);
    detour_matcher_free(h);
}

#[test]
fn null_pointers_and_bad_spans_are_errors() {
    let h = open(&compile(RULES));
    let req = Req::url("/old");
    let mut result = DetourResult::default();
    let mut out = [0u8; 64];
    // SAFETY: the pointers that are not null are live.
    unsafe {
        let text = req.text.as_ptr();
        let n = req.text.len();
        let null_request =
            detour_matcher_match(h, std::ptr::null(), text, n, std::ptr::null(), 0, &mut result, out.as_mut_ptr(), 64);
        assert_eq!(null_request, DETOUR_ERR_NULL_POINTER);
        let null_text = detour_matcher_match(
            h,
            &req.request,
            std::ptr::null(),
            n,
            std::ptr::null(),
            0,
            &mut result,
            out.as_mut_ptr(),
            64,
        );
        assert_eq!(null_text, DETOUR_ERR_NULL_POINTER);
        let null_cookies =
            detour_matcher_match(h, &req.request, text, n, std::ptr::null(), 3, &mut result, out.as_mut_ptr(), 64);
        assert_eq!(null_cookies, DETOUR_ERR_NULL_POINTER);
        let null_result = detour_matcher_match(
            h,
            &req.request,
            text,
            n,
            std::ptr::null(),
            0,
            std::ptr::null_mut(),
            out.as_mut_ptr(),
            64,
        );
        assert_eq!(null_result, DETOUR_ERR_NULL_POINTER);
        let null_out =
            detour_matcher_match(h, &req.request, text, n, std::ptr::null(), 0, &mut result, std::ptr::null_mut(), 64);
        assert_eq!(null_out, DETOUR_ERR_NULL_POINTER);
        assert_eq!(detour_matcher_open(std::ptr::null(), 3, &mut 0), DETOUR_ERR_NULL_POINTER);
        assert_eq!(detour_matcher_from_bytes(b"x".as_ptr(), 1, std::ptr::null_mut()), DETOUR_ERR_NULL_POINTER);
        let mut len = 0;
        assert_eq!(detour_last_error_message(std::ptr::null_mut(), 0, &mut len), DETOUR_OK);
        assert!(len > 0, "the last error is kept");
    }
    let mut bad = Req::url("/old");
    bad.request.url.len = 1000;
    assert_eq!(answer(h, &bad), Answer::Code(DETOUR_ERR_INVALID_ARGUMENT));
    detour_matcher_free(h);
}

#[test]
fn bad_blobs_and_missing_files_are_errors_that_name_the_problem() {
    let mut h = 0;
    // SAFETY: live slices and out-pointers.
    unsafe {
        assert_eq!(detour_matcher_from_bytes(b"not a blob".as_ptr(), 10, &mut h), DETOUR_ERR_INVALID_BLOB);
        let path = b"/nonexistent/site.detour";
        assert_eq!(detour_matcher_open(path.as_ptr(), path.len(), &mut h), DETOUR_ERR_IO);
        let mut message = [0u8; 256];
        let mut len = 0;
        detour_last_error_message(message.as_mut_ptr(), message.len(), &mut len);
        assert!(String::from_utf8_lossy(&message[..len]).contains("/nonexistent/site.detour"));
    }
    let live = open(&compile(RULES));
    // SAFETY: live slice.
    let swapped = unsafe { detour_matcher_swap_bytes(live, b"junk".as_ptr(), 4) };
    assert_eq!(swapped, DETOUR_ERR_INVALID_BLOB);
    assert_eq!(answer(live, &Req::url("/old")), matched(302, "/new", "/new", 5, 4), "a failed swap keeps the rules");
    detour_matcher_free(live);
}

#[test]
fn diagnostics_come_back_as_data() {
    let text = b"/ok /fine 301\n/bad\n";
    let mut c = 0;
    // SAFETY: live slices and out-pointers throughout.
    unsafe {
        let code = detour_compile_text(text.as_ptr(), text.len(), b"_redirects".as_ptr(), 10, &mut c);
        assert_eq!(code, DETOUR_ERR_RULES);
        let mut count = 0;
        assert_eq!(detour_compilation_diagnostic_count(c, &mut count), DETOUR_OK);
        assert_eq!(count, 1);
        let mut d = DetourDiagnostic::default();
        let mut buf = [0u8; 512];
        assert_eq!(detour_compilation_diagnostic(c, 0, &mut d, buf.as_mut_ptr(), buf.len()), DETOUR_OK);
        let s =
            |span: DetourSpan| String::from_utf8_lossy(&buf[span.offset as usize..][..span.len as usize]).into_owned();
        assert_eq!((d.severity, d.line, s(d.file)), (DETOUR_SEVERITY_ERROR, 2, "_redirects".to_string()));
        assert!(s(d.message).contains("missing destination"), "{}", s(d.message));
        assert_eq!(
            detour_compilation_diagnostic(c, 1, &mut d, buf.as_mut_ptr(), buf.len()),
            DETOUR_ERR_INVALID_ARGUMENT
        );
        let mut len = 99;
        assert_eq!(detour_compilation_blob(c, std::ptr::null_mut(), 0, &mut len), DETOUR_OK);
        assert_eq!(len, 0, "no blob when a rule has an error");
        assert_eq!(detour_compilation_free(c), DETOUR_OK);
    }
}

#[test]
fn rule_files_compile_to_the_blob_the_compiler_writes() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("abi-compile-files");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_redirects"), RULES).unwrap();
    let path = dir.join("_redirects").display().to_string();
    let mut c = 0;
    // SAFETY: live slices and out-pointers throughout.
    let blob = unsafe {
        let spans = [DetourSpan { offset: 0, len: path.len() as u32 }];
        assert_eq!(detour_compile_files(spans.as_ptr(), 1, path.as_ptr(), path.len(), &mut c), DETOUR_OK);
        let mut len = 0;
        assert_eq!(detour_compilation_blob(c, std::ptr::null_mut(), 0, &mut len), DETOUR_ERR_BUFFER_TOO_SMALL);
        let mut blob = vec![0u8; len];
        assert_eq!(detour_compilation_blob(c, blob.as_mut_ptr(), len, &mut len), DETOUR_OK);
        detour_compilation_free(c);
        let missing = b"/nonexistent/_redirects";
        let spans = [DetourSpan { offset: 0, len: missing.len() as u32 }];
        assert_eq!(detour_compile_files(spans.as_ptr(), 1, missing.as_ptr(), missing.len(), &mut c), DETOUR_ERR_IO);
        blob
    };
    assert_eq!(blob, compile(RULES));
}

/// A free racing matches on other threads: every call answers correctly or reports the handle
/// stale; none sees freed rules (the in-flight `Arc` keeps them).
#[test]
fn a_free_racing_matches_is_safe() {
    for _ in 0..20 {
        let h = open(&compile(RULES));
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut stale = 0;
                    while !stop.load(Ordering::Relaxed) || stale == 0 {
                        match answer(h, &Req::url("/old")) {
                            Answer::Code(DETOUR_ERR_STALE_HANDLE) => stale += 1,
                            other => assert_eq!(other, matched(302, "/new", "/new", 5, 4)),
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(detour_matcher_free(h), DETOUR_OK);
        stop.store(true, Ordering::Relaxed);
        threads.into_iter().for_each(|t| t.join().expect("no matcher thread panicked"));
    }
}

/// Swaps racing matches: every answer is the old rules' or the new rules', never a mix.
#[test]
fn a_swap_is_atomic_for_matches_in_flight() {
    let (a, b) = (compile("/x /from-a 301\n"), compile("/y /other 302\n/x /from-b 302\n"));
    let h = open(&a);
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let got = answer(h, &Req::url("/x"));
                    assert!(
                        got == matched(301, "/from-a", "/from-a", 1, 0)
                            || got == matched(302, "/from-b", "/from-b", 2, 1),
                        "{got:?}"
                    );
                }
            })
        })
        .collect();
    for i in 0..500 {
        let blob = if i % 2 == 0 { &b } else { &a };
        // SAFETY: live slice.
        assert_eq!(unsafe { detour_matcher_swap_bytes(h, blob.as_ptr(), blob.len()) }, DETOUR_OK);
    }
    stop.store(true, Ordering::Relaxed);
    threads.into_iter().for_each(|t| t.join().expect("no matcher thread panicked"));
    detour_matcher_free(h);
}

#[test]
fn the_abi_version_is_the_header_constant() {
    assert_eq!(detour_abi_version(), DETOUR_ABI_VERSION);
}
