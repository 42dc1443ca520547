//! The C ABI adds no allocation per match: a counting global allocator (`stats_alloc`) counts
//! every allocation while `detour_matcher_match` answers the 1k workload's requests (with
//! cookies, a country and a language) once the thread's scratch is warm. Runs on the main
//! thread (`harness = false`): the counter is process-wide.

use detour_capi::ffi::{detour_matcher_free, detour_matcher_from_bytes, detour_matcher_match};
use detour_capi::*;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// One request packed as a binding packs it.
struct Packed {
    text: Vec<u8>,
    request: DetourRequest,
    cookies: Vec<DetourCookie>,
}

fn span(text: &mut Vec<u8>, s: &str) -> DetourSpan {
    let span = DetourSpan { offset: text.len() as u32, len: s.len() as u32 };
    text.extend_from_slice(s.as_bytes());
    span
}

fn pack(url: &str) -> Packed {
    let mut text = Vec::new();
    let mut request = DetourRequest { url: span(&mut text, url), ..DetourRequest::default() };
    request.country = span(&mut text, "at");
    request.language = span(&mut text, "fr-CA,fr;q=0.9");
    request.flags = DETOUR_REQUEST_COUNTRY | DETOUR_REQUEST_LANGUAGE;
    let cookies = vec![DetourCookie { name: span(&mut text, "session"), value: span(&mut text, "1") }];
    Packed { text, request, cookies }
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workload = root.join("fixtures/workloads/1k");
    let rules = std::fs::read(workload.join("_redirects")).expect("the 1k workload");
    let blob = detour_compiler::compile(&detour_rules::parse_redirects(&rules, "_redirects").rules).expect("compile");
    let requests = std::fs::read_to_string(workload.join("requests.jsonl")).expect("requests");
    let packed: Vec<Packed> =
        requests.lines().filter_map(|l| l.split("\"url\": \"").nth(1)?.split('"').next()).map(pack).collect();
    let mut handle = 0;
    // SAFETY: live slice and out-pointer.
    assert_eq!(unsafe { detour_matcher_from_bytes(blob.as_ptr(), blob.len(), &mut handle) }, DETOUR_OK);
    let mut out = vec![0u8; 4096];
    let mut result = DetourResult::default();
    let mut matched = 0;
    let mut run = |matched: &mut usize| {
        for p in &packed {
            // SAFETY: every pointer is to live memory of the stated length.
            let code = unsafe {
                detour_matcher_match(
                    handle,
                    &p.request,
                    p.text.as_ptr(),
                    p.text.len(),
                    p.cookies.as_ptr(),
                    p.cookies.len(),
                    &mut result,
                    out.as_mut_ptr(),
                    out.len(),
                )
            };
            assert_eq!(code, DETOUR_OK);
            *matched += usize::from(result.outcome == DETOUR_MATCHED);
        }
    };
    run(&mut matched); // warms the thread's scratch
    let region = Region::new(GLOBAL);
    run(&mut matched);
    let change = region.change();
    let allocations = change.allocations + change.reallocations;
    assert_eq!(allocations, 0, "{} matches through the C ABI allocated {allocations} time(s)", packed.len());
    assert!(packed.len() >= 2000 && matched > 1000, "{} requests, {matched} matched", packed.len());
    let region = Region::new(GLOBAL);
    drop(std::hint::black_box(vec![1u8; 64]));
    assert!(region.change().allocations >= 1, "the counter counts");
    assert_eq!(detour_matcher_free(handle), DETOUR_OK);
    println!("no_alloc: {} matches through detour_matcher_match, 0 allocations", packed.len());
}
