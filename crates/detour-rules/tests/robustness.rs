//! No input panics the parsers: arbitrary bytes, huge lines, invalid UTF-8; limits are enforced
//! with clear errors; what parses renders back to a line that parses to the same rule.

use detour_rules::{limits, parse_json, parse_netlify_toml, parse_redirects, Problem};
use proptest::prelude::*;

fn problems(text: &[u8]) -> Vec<Problem> {
    parse_redirects(text, "_redirects").diagnostics.into_iter().map(|d| d.problem).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_redirects(&bytes, "_redirects");
        let _ = parse_netlify_toml(&bytes, "netlify.toml");
        let _ = parse_json(&bytes, "rules.json");
    }

    #[test]
    fn rule_like_lines_never_panic_and_round_trip(
        tokens in proptest::collection::vec(
            prop_oneof![
                Just("/a".to_string()), Just("/*".to_string()), Just("/:x".to_string()),
                Just("/a/b*".to_string()), Just("301".to_string()), Just("200!".to_string()),
                Just("id=:id".to_string()), Just("Country=us,ca".to_string()), Just("Role=admin".to_string()),
                Just("https://h.example/p".to_string()), Just("#c".to_string()), Just("!".to_string()),
                Just("Sign=S".to_string()), Just("q=a+b".to_string()), "[ -~]{0,6}",
            ],
            1..7,
        )
    ) {
        let line = tokens.join(" ");
        let parsed = parse_redirects(line.as_bytes(), "_redirects");
        for rule in &parsed.rules {
            let again = parse_redirects(rule.to_redirects_line().as_bytes(), "_redirects");
            prop_assert_eq!(again.rules.len(), 1, "{} -> {}", line, rule.to_redirects_line());
            let mut a = again.rules[0].clone();
            a.source = rule.source.clone();
            prop_assert_eq!(&a, rule);
        }
    }
}

#[test]
fn a_ten_megabyte_line_is_an_error_not_a_hang() {
    let mut line = b"/a".to_vec();
    line.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    line.extend_from_slice(b" /b\n/ok /fine\n");
    let parsed = parse_redirects(&line, "_redirects");
    assert_eq!(parsed.rules.len(), 1);
    assert!(matches!(parsed.diagnostics[0].problem, Problem::LineTooLong(n) if n > 10_000_000));
    assert_eq!(parsed.diagnostics[0].line, 1);
    assert!(parsed.diagnostics[0].source_line.as_ref().unwrap().chars().count() <= 161);
}

#[test]
fn invalid_utf8_is_reported_per_line() {
    let parsed = parse_redirects(b"/ok /a\n/\xff\xfe /b\n/ok2 /c\n", "_redirects");
    assert_eq!(parsed.rules.len(), 2);
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!((parsed.diagnostics[0].line, &parsed.diagnostics[0].problem), (2, &Problem::InvalidUtf8));
    let toml = parse_netlify_toml(b"[[redirects]]\nfrom = \"/\xff\"\n", "netlify.toml");
    assert_eq!((toml.diagnostics[0].line, &toml.diagnostics[0].problem), (2, &Problem::InvalidUtf8));
}

#[test]
fn limits_are_enforced_with_clear_errors() {
    let long_from = format!("/{} /t", "a".repeat(limits::MAX_URL_BYTES));
    assert!(matches!(problems(long_from.as_bytes())[0], Problem::UrlTooLong { field: "from", .. }));
    let long_to = format!("/f /{}", "a".repeat(limits::MAX_URL_BYTES));
    assert!(matches!(problems(long_to.as_bytes())[0], Problem::UrlTooLong { field: "to", .. }));
    let segments = format!("{} /t", "/s".repeat(limits::MAX_PATTERN_SEGMENTS + 1));
    assert_eq!(problems(segments.as_bytes()), vec![Problem::TooManySegments(limits::MAX_PATTERN_SEGMENTS + 1)]);
    let wildcards = format!("{} /t", "/*".repeat(limits::MAX_WILDCARDS + 1));
    assert_eq!(problems(wildcards.as_bytes()), vec![Problem::TooManyWildcards(limits::MAX_WILDCARDS + 1)]);
    let captures = format!("{} /t", (0..=limits::MAX_CAPTURES).map(|i| format!("/:p{i}")).collect::<String>());
    assert_eq!(problems(captures.as_bytes()), vec![Problem::TooManyCaptures(limits::MAX_CAPTURES + 1)]);
    let values = (0..=limits::MAX_LIST_ITEMS).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
    let conds = format!("/c /t 302 Country={values}");
    assert!(matches!(problems(conds.as_bytes())[0], Problem::TooManyItems { .. }));
    let query =
        format!("/q {} /t", (0..=limits::MAX_LIST_ITEMS).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(" "));
    assert!(matches!(problems(query.as_bytes())[0], Problem::TooManyItems { .. }));
}

#[test]
fn problem_messages_quote_the_mistake_and_say_what_to_write() {
    // (line, the token the message must quote, the fix it must suggest)
    let cases: [(&[u8], &str, &str); 5] = [
        (b"/a /b 30x", "`30x`", "three digits"),
        (b"/a", "missing destination", "2xx status"),
        (b"/a /b 302 X=y", "`X`", "Country, Language, Role, Cookie or Sign"),
        (b"/a /b Country=us", "`Country=us`", "explicit status"),
        (b"/q?x=1 /b", "`?`", "`key=value`"),
    ];
    for (line, quoted, fix) in cases {
        let found = problems(line);
        assert_eq!(found.len(), 1, "{}", String::from_utf8_lossy(line));
        let message = found[0].to_string();
        assert!(message.contains(quoted) && message.contains(fix), "{message}");
    }
}

#[test]
fn more_rules_than_the_limit_are_reported_not_dropped_silently() {
    let mut text = Vec::with_capacity((limits::MAX_RULES + 2) * 6);
    for _ in 0..=limits::MAX_RULES {
        text.extend_from_slice(b"/a /b\n");
    }
    let parsed = parse_redirects(&text, "_redirects");
    assert_eq!(parsed.rules.len(), limits::MAX_RULES);
    let last = parsed.diagnostics.last().expect("a diagnostic");
    assert_eq!((&last.problem, last.line), (&Problem::TooManyRules, limits::MAX_RULES as u32 + 1));
}
