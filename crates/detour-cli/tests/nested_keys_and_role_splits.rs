//! Nested index keys (child links) and Role splits: hand-picked
//! rule sets (percent-encoded `/`, empty segments, host scopes, keys deeper than 63 and 128
//! segments, 8+ Role rules per key with conditions, loop guards, forced rules) and a small
//! property test over the same alphabets, each answered by the compiled engine exactly as the
//! reference in every index layout (`detour_testkit::differential::compare`).

use detour_testkit::differential::*;

fn reqs(paths: &[&str]) -> Vec<RequestSpec> {
    let mut out = Vec::new();
    for p in paths {
        for origin in ["", "https://h.test"] {
            for (admin, asset) in [(false, false), (true, false), (true, true), (false, true)] {
                out.push(RequestSpec {
                    url: format!("{origin}{p}"),
                    country: Some("us"),
                    language: None,
                    cookies: vec![],
                    admin,
                    asset,
                    cookie_header: false,
                });
            }
        }
    }
    out
}

fn agrees_in_every_layout(name: &str, rules: &[String], paths: &[&str]) -> bool {
    match compare(rules, &reqs(paths)) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("=== {name}\n{e}\n");
            false
        }
    }
}

fn rule_lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).filter(|x| !x.is_empty()).collect()
}

#[test]
fn hand_written_key_shapes_answer_as_the_reference() {
    let mut ok = true;
    let deep = |n: usize| (0..n).map(|i| format!("s{}", i % 3)).collect::<Vec<_>>().join("/");
    let d70 = deep(70);
    let d130 = deep(130);
    let d64 = deep(64);
    let d63 = deep(63);
    let sets: Vec<(&str, String, Vec<String>)> = vec![
        (
            "pct2f",
            "/a%2Fb/c /x 301\n/a/* /y 301\n/a/b/* /z 301\n/a/q/r /w 301\n".into(),
            vec!["/a%2Fb/c".into(), "/a/b/c".into(), "/a%2fb/c".into(), "/a/b%2Fc".into(), "/a/q/r".into()],
        ),
        (
            "pct2f_b",
            "/a/b%2Fc /x 301\n/a /y 301\n/a/d /z 301\n".into(),
            vec!["/a/b%2Fc".into(), "/a/b/c".into(), "/a/d".into(), "/a/b%2fc".into()],
        ),
        (
            "pct2f_c",
            "/a/b/c /x 301\n/a/b%2Fc /q 301\n/a/b /y 301\n".into(),
            vec!["/a/b%2Fc".into(), "/a/b/c".into(), "/a/b".into()],
        ),
        (
            "host",
            "https://h.test/a/b/* /x 301\n/a/* /y 301\n/a/c/* /z 301\n/a/b/c /w 301\n".into(),
            vec!["/a/b/c".into(), "/a/c/d".into(), "/a/b".into(), "/a/b/c/d".into()],
        ),
        (
            "host2",
            "/a/b/* /y 301\nhttps://h.test/a/* /x 301\nhttps://h.test/a/c/d /z 301\n".into(),
            vec!["/a/b/c".into(), "/a/c/d".into(), "/a/c".into()],
        ),
        (
            "empty",
            "/a//b /x 301\n/a/* /y 301\n/a/c/b /z 301\n/a/ /t 301\n".into(),
            vec![
                "/a//b".into(),
                "/a/b".into(),
                "/a/c/b".into(),
                "/a/".into(),
                "/a".into(),
                "/a//".into(),
                "//a//b".into(),
            ],
        ),
        (
            "exactdeep",
            "/a/* /y 301\n/a/b /x 301\n/a/b/c/d/* /z 301\n".into(),
            vec!["/a/b/c".into(), "/a/b".into(), "/a/b/c/d/e".into(), "/a/b/".into()],
        ),
        (
            "star",
            "/a/b*c/d /x 301\n/a/* /y 301\n/a/bxc/d /z 301\n".into(),
            vec!["/a/b*c/d".into(), "/a/bxc/d".into(), "/a/b%2Ac/d".into()],
        ),
        (
            "nonascii",
            "/é/ü/* /x 301\n/é/* /y 301\n/%C3%A9/x /z 301\n".into(),
            vec!["/é/ü/a".into(), "/%C3%A9/%C3%BC/a".into(), "/%C3%A9/x".into(), "/é/x".into(), "/%c3%a9/x".into()],
        ),
        (
            "placeholder",
            "/:x/b/c /p 301\n/a/b/* /l 301\n/a/* /m 301\n/a/b/c/d /n 301\n".into(),
            vec!["/a/b/c".into(), "/z/b/c".into(), "/a/b/c/d".into(), "/a/q".into()],
        ),
        (
            "diverge",
            "/a/b/c/d /1 301\n/a/b/* /2 301\n/a/x/* /3 301\n/a/b/c/* /4 301\n/a /5 301\n".into(),
            vec!["/a/b/c/d".into(), "/a/b/c/e".into(), "/a/b/x".into(), "/a/x/y".into(), "/a".into(), "/a/".into()],
        ),
        (
            "dups",
            "/a/b/* /1 301\n/a/b/* /2 302\n/a/* /3 301\n/a/b /4 301\n/a/b /5 301\n".into(),
            vec!["/a/b".into(), "/a/b/c".into(), "/a/c".into()],
        ),
        (
            "trailing",
            "/a/b/ /1 301\n/a/* /2 301\n/a/b/c/ /3 301\n".into(),
            vec!["/a/b".into(), "/a/b/".into(), "/a/b/c".into(), "/a/b/c/".into(), "/a/b//".into()],
        ),
        ("case", "/A/b/* /1 301\n/a/* /2 301\n".into(), vec!["/a/b/c".into(), "/A/b/c".into(), "/A/B/c".into()]),
        (
            "deep63",
            format!(
                "/{d63}/* /1 301\n/{d64}/* /2 301\n/{d70}/* /3 301\n/s0/* /4 301\n/{d130}/* /5 301\n/{d64} /6 301\n"
            ),
            vec![
                format!("/{d63}/x"),
                format!("/{d64}/x"),
                format!("/{d64}"),
                format!("/{d70}/x"),
                format!("/{d70}"),
                format!("/{d130}/x"),
                format!("/{}", deep(129)),
                format!("/{}", deep(128)),
                format!("/{}/zz", deep(66)),
            ],
        ),
        (
            "deepexact",
            format!("/{d70} /1 301\n/{d64}/* /2 301\n/s0/* /4 301\n/{} /3 301\n", deep(130)),
            vec![
                format!("/{d70}"),
                format!("/{d70}/x"),
                format!("/{}", deep(69)),
                format!("/{}", deep(130)),
                format!("/{}", deep(131)),
                format!("/{}", deep(129)),
            ],
        ),
        (
            "deepdiverge",
            format!("/{d70}/* /1 301\n/{}/x/* /2 301\n/s0/* /4 301\n", deep(66)),
            vec![
                format!("/{d70}/q"),
                format!("/{}/x/y", deep(66)),
                format!("/{}/x", deep(66)),
                format!("/{}/y/z", deep(67)),
            ],
        ),
    ];
    for (name, text, paths) in &sets {
        let p: Vec<&str> = paths.iter().map(String::as_str).collect();
        ok &= agrees_in_every_layout(name, &rule_lines(text), &p);
    }
    assert!(ok);
}

fn many(prefix: &str, n: usize, tail: &str) -> String {
    (0..n).map(|i| format!("{prefix} /t{i} 301 Role=r{i}{tail}\n")).collect()
}

#[test]
fn hand_written_role_splits_answer_as_the_reference() {
    let mut ok = true;
    let admin_mid = format!("{}/p/* /adm 301 Role=admin\n{}", many("/p/*", 5, ""), many("/p/*", 5, ""));
    let deep_keys: String = (1..=10)
        .map(|d| {
            let key = vec!["a"; d].join("/");
            many(&format!("/{key}/*"), 8, "")
        })
        .collect();
    let sets: Vec<(&str, String, Vec<&str>)> = vec![
        ("r_basic", format!("{admin_mid}/* /fallback 302\n"), vec!["/p/x", "/p", "/p/", "/q", "/p/x/y"]),
        (
            "r_country",
            format!(
                "{}{}/p/* /adm 301 Role=admin Country=de\n/* /fb 302\n",
                many("/p/*", 4, " Country=de"),
                many("/p/*", 5, " Language=fr")
            ),
            vec!["/p/x", "/q"],
        ),
        (
            "r_exact_splat",
            format!("{}{}/p /e 301 Role=admin\n/p/* /s 301 Role=admin\n", many("/p", 8, ""), many("/p/*", 8, "")),
            vec!["/p", "/p/x", "/p/"],
        ),
        (
            "r_exact_only_deeper",
            format!("{}/p/* /s 301 Role=admin\n/* /fb 302\n", many("/p/q", 9, "")),
            vec!["/p/q", "/p/q/r", "/p/x"],
        ),
        ("r_loop", format!("{}/p/* /p/:splat/ 301\n/* /fb 302\n", many("/p/*", 8, "")), vec!["/p/x", "/p/x/", "/p"]),
        ("r_loop2", format!("{}/p/* /p/:splat 301\n/* /fb 302\n", many("/p/*", 8, "")), vec!["/p/x", "/p/x/", "/p"]),
        (
            "r_loop_role",
            format!("{}/p/* /p/:splat 301 Role=admin\n/* /fb 302\n", many("/p/*", 8, "")),
            vec!["/p/x", "/p"],
        ),
        (
            "r_force_mix",
            format!(
                "{}{}/p/* /adm 301! Role=admin\n",
                many("/p/*", 4, ""),
                (0..5).map(|i| format!("/p/* /f{i} 301! Role=f{i}\n")).collect::<String>()
            ),
            vec!["/p/x", "/p"],
        ),
        (
            "r_force_mix2",
            format!(
                "{}{}/p/* /adm 301 Role=admin\n/* /fb 200!\n",
                (0..5).map(|i| format!("/p/* /f{i} 301! Role=f{i}\n")).collect::<String>(),
                many("/p/*", 4, "")
            ),
            vec!["/p/x", "/p"],
        ),
        ("r_force_unforced_only", format!("{}/* /fb 200!\n", many("/p/*", 9, "")), vec!["/p/x"]),
        (
            "r_multi",
            (0..9).map(|i| format!("/p/* /t{i} 301 Role=r{i},x{i}\n")).collect::<String>()
                + "/p/* /a 301 Role=zz,admin\n",
            vec!["/p/x"],
        ),
        ("r_host", format!("{}/p/* /adm 301 Role=admin\n", many("https://h.test/p/*", 8, "")), vec!["/p/x", "/p"]),
        (
            "r_host2",
            format!(
                "{}https://h.test/p/* /adm 301 Role=admin\n{}",
                many("/p/*", 8, ""),
                many("https://h.test/p/*", 8, "")
            ),
            vec!["/p/x", "/p"],
        ),
        ("r_deep", format!("{deep_keys}/* /fb 302\n"), vec!["/a/a/a/a/a/a/a/a/a/a/x", "/a/a/a/a/a/a/a/a/a/a", "/a/x"]),
        (
            "r_deep_admin",
            format!("{deep_keys}/a/a/a/a/a/a/a/a/a/a/a/* /adm 302 Role=admin\n"),
            vec!["/a/a/a/a/a/a/a/a/a/a/a/x", "/a/x"],
        ),
        (
            "r_case",
            format!("{}/p/* /adm 301 Role=ADMIN\n/p/* /adm2 301 Role=admin\n", many("/p/*", 8, "")),
            vec!["/p/x"],
        ),
        ("r_cookie", format!("{}/p/* /adm 301 Role=admin Cookie=c\n", many("/p/*", 8, " Cookie=c")), vec!["/p/x"]),
        (
            "r_trailing",
            format!("{}/p/ /adm 301 Role=admin\n/* /fb 302\n", many("/p/", 8, "")),
            vec!["/p/", "/p", "/p/x"],
        ),
        (
            "r_placeholder",
            format!("{}/:x/* /adm 301 Role=admin\n/* /fb 302\n", many("/:x/*", 8, "")),
            vec!["/p/x", "/p"],
        ),
        (
            "r_query",
            format!("{}/p/* q=1 /adm 301 Role=admin\n/* /fb 302\n", many("/p/* q=1", 8, "")),
            vec!["/p/x?q=1", "/p/x"],
        ),
        (
            "r_dup_roles",
            (0..9).map(|i| format!("/p/* /t{i} 301 Role=admin,r{i}\n")).collect::<String>() + &many("/p/*", 8, ""),
            vec!["/p/x"],
        ),
        ("r_status200", format!("{}/p/* /adm 200 Role=admin\n", many("/p/*", 8, "")), vec!["/p/x"]),
        (
            "r_pct",
            format!("{}/p%41/* /adm 301 Role=admin\n/* /fb 302\n", many("/p%41/*", 8, "")),
            vec!["/pA/x", "/p%41/x", "/p%2541/x"],
        ),
    ];
    for (name, text, paths) in &sets {
        ok &= agrees_in_every_layout(name, &rule_lines(text), paths);
    }
    assert!(ok);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const SEGS: &[&str] = &["a", "b", "", "a%2Fb", "*", ":x", "a*", "é"];
    const REQ: &[&str] = &["a", "b", "", "a%2Fb", "c", "%61", "é", "a*"];
    const TAIL: &[&str] = &[
        "",
        " Role=admin",
        " Role=r1",
        " Role=r1,admin",
        " Role=r2 Country=us",
        "! Role=r3",
        "!",
        " Role=admin Country=de",
    ];
    const TO: &[&str] = &["/t", "/a/:splat", "/:splat", "/b/:splat/x"];

    fn line() -> impl Strategy<Value = String> {
        (
            prop::bool::weighted(0.2),
            prop::collection::vec(prop::sample::select(SEGS), 0..6),
            prop::sample::select(TO),
            prop::sample::select(&["301", "200", "302"][..]),
            prop::sample::select(TAIL),
            prop::bool::weighted(0.5),
        )
            .prop_map(|(host, segs, to, st, tail, splat)| {
                let mut p = segs.join("/");
                if splat {
                    p.push_str("/*");
                }
                format!("{}/{p} {to} {st}{tail}", if host { "https://h.test" } else { "" })
            })
    }

    fn req() -> impl Strategy<Value = RequestSpec> {
        (
            prop::collection::vec(prop::sample::select(REQ), 0..8),
            prop::bool::ANY,
            prop::bool::ANY,
            prop::bool::weighted(0.2),
            prop::bool::ANY,
        )
            .prop_map(|(segs, host, admin, asset, slash)| {
                let mut url = format!("{}/{}", if host { "https://h.test" } else { "" }, segs.join("/"));
                if slash {
                    url.push('/');
                }
                RequestSpec {
                    url,
                    country: Some("us"),
                    language: None,
                    cookies: vec![],
                    admin,
                    asset,
                    cookie_header: false,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(500), failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn chains_and_roles(lines in prop::collection::vec(line(), 1..30), reqs in prop::collection::vec(req(), 1..20)) {
            if let Err(e) = compare(&lines, &reqs) { prop_assert!(false, "{}", e); }
        }
    }
}

mod support;

mod role_fuzz {
    use detour_testkit::differential::layouts;
    use detour_testkit::engines::{self, Roles};
    use proptest::prelude::*;

    const FROM: &[&str] = &[
        "/p/*",
        "/p",
        "/p/q/*",
        "/p/q",
        "https://h.test/p/*",
        "https://h.test/p",
        "/*",
        "/p/:x",
        "/p/* q=1",
        "/p/q/r/*",
    ];
    const TO: &[&str] = &["/t", "/p/:splat", "/x/:splat", "/p/q/:splat"];
    const STATUS: &[&str] = &["301", "200", "302", "301!", "200!"];
    const ROLES: &[&str] = &["r0", "r1", "r2", "r3", "r0,r1", "r2,r3,r0"];
    const CONDS: &[&str] = &["", "", "", " Country=us", " Country=de", " Language=fr"];

    fn line() -> impl Strategy<Value = String> {
        (
            prop::sample::select(FROM),
            prop::sample::select(TO),
            prop::sample::select(STATUS),
            prop::option::weighted(0.85, prop::sample::select(ROLES)),
            prop::sample::select(CONDS),
        )
            .prop_map(|(from, to, status, role, cond)| {
                let role = role.map_or(String::new(), |r| format!(" Role={r}"));
                format!("{from} {to} {status}{role}{cond}")
            })
    }

    #[derive(Debug, Clone)]
    struct Req {
        url: String,
        roles: Option<Vec<&'static str>>,
        asset: bool,
        country: &'static str,
    }

    fn req() -> impl Strategy<Value = Req> {
        (
            prop::sample::select(&["/p", "/p/", "/p/x", "/p/q", "/p/q/x", "/p/q/r", "/z", "/p/x?q=1"][..]),
            prop::bool::ANY,
            prop::option::weighted(0.8, prop::sample::subsequence(vec!["r0", "r1", "r2", "r3", "r4"], 0..5)),
            prop::bool::weighted(0.3),
            prop::sample::select(&["us", "de"][..]),
        )
            .prop_map(|(path, host, roles, asset, country)| Req {
                url: format!("{}{path}", if host { "https://h.test" } else { "" }),
                roles,
                asset,
                country,
            })
    }

    fn request(r: &Req) -> detour_reference::Request {
        let mut req = detour_reference::Request::from_url(&r.url);
        req.asset_exists = r.asset;
        req.country = Some(r.country.to_string());
        if let Some(roles) = &r.roles {
            let spec = serde_json::json!({"claims": {"exp": 4102444800u64, "app_metadata": {"roles": roles}}});
            req.cookies.push(("nf_jwt".to_string(), super::support::jwt::token(&spec, "s")));
        }
        req
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(300),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        #[test]
        fn role_splits_answer_as_the_reference(
            lines in prop::collection::vec(line(), 8..40),
            reqs in prop::collection::vec(req(), 1..16),
            secret in prop::bool::weighted(0.9),
        ) {
            let text = lines.join("\n");
            let rules = detour_rules::parse_redirects(text.as_bytes(), "_redirects").rules;
            let roles = Roles { secret: secret.then(|| "s".to_string()), claim: None };
            for layout in layouts() {
                let m = engines::matcher(&rules, &layout, &roles);
                for r in &reqs {
                    let q = request(r);
                    let want = engines::reference(&rules, &q, &roles);
                    let got = engines::compiled(&m, &q);
                    prop_assert_eq!(&got, &want, "rules:\n{}\nrequest {:?} {:?}", text, r, layout);
                }
            }
        }
    }
}

#[test]
fn very_deep_keys_answer_as_the_reference() {
    let seg = |n: usize, s: &str| vec![s; n].join("/");
    let rules = rule_lines(&format!(
        "/{a200}/* /1 301\n/{a127}/:x/* /2 301\n/{a128}/* /3 301\n/{a129} /4 301\n/:y/{a130}/* /5 301\n/{a64}/b/* /6 301\n/{a63}/* /7 301 Role=admin\n/{a62}/a/:z /8 301\n",
        a200 = seg(200, "a"),
        a127 = seg(127, "a"),
        a128 = seg(128, "a"),
        a129 = seg(129, "a"),
        a130 = seg(130, "a"),
        a64 = seg(64, "a"),
        a63 = seg(63, "a"),
        a62 = seg(62, "a"),
    ));
    let paths: Vec<String> = [62, 63, 64, 65, 127, 128, 129, 130, 131, 199, 200, 201, 300]
        .iter()
        .flat_map(|&n| [format!("/{}", seg(n, "a")), format!("/{}/x", seg(n, "a")), format!("/{}/b/x", seg(n, "a"))])
        .collect();
    let p: Vec<&str> = paths.iter().map(String::as_str).collect();
    assert!(agrees_in_every_layout("very_deep", &rules, &p));
}

mod deep_fuzz {
    use super::*;
    use proptest::prelude::*;

    fn path(max: usize) -> impl Strategy<Value = String> {
        (prop::collection::vec(prop::sample::select(&["a", "a", "a", "b", ""][..]), 0..max), prop::bool::ANY).prop_map(
            |(segs, head)| {
                // Mostly long runs of `a`, so keys nest deep (past the 63-segment depth bit).
                let run = if head { "a/".repeat(60) } else { String::new() };
                format!("/{run}{}", segs.join("/"))
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(100),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        #[test]
        fn deep_nested_keys_answer_as_the_reference(
            rules in prop::collection::vec((path(12), prop::bool::ANY, prop::bool::weighted(0.2), prop::sample::select(&["", " Role=admin", " Role=r1"][..])), 1..20),
            reqs in prop::collection::vec(path(14), 1..10),
        ) {
            let lines: Vec<String> = rules
                .iter()
                .map(|(p, splat, host, role)| {
                    format!("{}{p}{} /t 301{role}", if *host { "https://h.test" } else { "" }, if *splat { "/*" } else { "" })
                })
                .collect();
            let paths: Vec<&str> = reqs.iter().map(String::as_str).collect();
            prop_assert!(agrees_in_every_layout("deep_fuzz", &lines, &paths));
        }
    }
}
