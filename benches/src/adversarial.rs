//! Rule sets shaped to defeat an index (many rules sharing what the index keys on), each with
//! the worst request we can construct for it, and a realistic migration site. Issue 12's
//! families; `benches/adversarial.rs` times them at 10k and 100k rules against the reference.

use detour_cli::requests::Request as RefRequest;

/// One adversarial family: its rules and its worst request.
pub struct Family {
    pub name: &'static str,
    pub rules: String,
    pub worst: RefRequest,
}

fn request(url: &str) -> RefRequest {
    RefRequest::from_url(url)
}

/// Every family at `n` rules.
pub fn families(n: usize) -> Vec<Family> {
    let last = n - 1;
    let lines = |f: &dyn Fn(usize) -> String| (0..n).map(|i| f(i) + "\n").collect::<String>();
    let mut country = request("/p");
    country.country = Some(format!("c{last}"));
    let mut query = request(&format!("/search?{}", "pad=xxxxxxxxxxxxxxxxxxxxxxxxxx&".repeat(140)));
    query.query.extend_from_slice(format!("q={last}").as_bytes());
    let depths = 100;
    let per_depth = n / depths;
    let deep_rules: String = (1..=depths)
        .flat_map(|d| (0..per_depth).map(move |j| format!("{}/* /t/{d}/{j} 301 Country=c{j}\n", "/s".repeat(d))))
        .collect();
    let mut deep = request(&"/s".repeat(111));
    deep.country = Some(format!("c{}", per_depth - 1));
    let mut deep_miss = request(&"/s".repeat(111));
    deep_miss.country = Some("zz".to_string());
    vec![
        Family {
            name: "shared_head_wildcard",
            rules: lines(&|i| format!("/a/*/x{i} /t/{i} 301")),
            worst: request(&format!("/a/q/x{last}")),
        },
        Family {
            name: "leading_wildcard",
            rules: lines(&|i| format!("/*/x{i} /t/{i} 301")),
            worst: request(&format!("/q/x{last}")),
        },
        Family {
            name: "prefix_folder",
            rules: lines(&|i| format!("/files/report-{i}-* /r/{i}/:splat 301")),
            worst: request(&format!("/files/report-{last}-x")),
        },
        Family {
            name: "lang_wildcard",
            rules: lines(&|i| format!("/:lang/*/p{i} /t/:lang/{i} 301")),
            worst: request(&format!("/en/a/p{last}")),
        },
        Family { name: "country_one_path", rules: lines(&|i| format!("/p /t/{i} 302 Country=c{i}")), worst: country },
        Family { name: "query_4kb", rules: lines(&|i| format!("/search q={i} /t/{i} 301")), worst: query },
        Family { name: "splat_depths", rules: deep_rules.clone(), worst: deep },
        Family { name: "splat_depths_miss", rules: deep_rules, worst: deep_miss },
    ]
}

/// A site migrated from an old CMS: locale placeholders, trailing-slash variants, mid-path splats,
/// query groups (`/item.php id=N`), country and language groups, and a catch-all; `n` rules and
/// `requests` requests hitting them (and missing) in a mixed order.
pub fn migration_site(n: usize, requests: usize) -> (String, Vec<RefRequest>) {
    let locales = ["en", "de", "fr", "es", "it", "nl", "pt", "ja"];
    let mut rules = String::new();
    let mut hits = Vec::new();
    let mut i = 0;
    while i < n {
        let k = i / 8;
        let rule = match i % 8 {
            0 => {
                hits.push(format!("/{}/products/item-{k}", locales[k % 8]));
                format!("/:lang/products/item-{k} /:lang/shop/item-{k} 301")
            }
            1 => {
                hits.push(format!("/blog/{k}/post-title/"));
                format!("/blog/{k}/* /articles/{k}/:splat 301")
            }
            2 => {
                hits.push(format!("/item.php?id={k}"));
                format!("/item.php id={k} /items/{k} 301")
            }
            3 => {
                hits.push(format!("/docs/v1/a/b/page-{k}"));
                format!("/docs/*/page-{k} /docs/latest/page-{k} 301")
            }
            4 => {
                hits.push(format!("/about-{k}/"));
                format!("/about-{k}/ /company/about-{k} 301")
            }
            5 => {
                hits.push(format!("/category.php?cat={k}&page=2"));
                format!("/category.php cat={k} page=:p /c/{k}/:p 301")
            }
            6 => {
                hits.push(format!("/store-{k}"));
                format!("/store-{k} /store-{k}/{} 302 Country={}", locales[k % 8], locales[(k + 1) % 8])
            }
            _ => {
                hits.push(format!("/media/img-{k}-large.jpg"));
                format!("/media/img-{k}-* /cdn/img-{k}/:splat 200")
            }
        };
        rules.push_str(&rule);
        rules.push('\n');
        i += 1;
    }
    rules.push_str("/* /index.html 200\n");
    let mut out = Vec::with_capacity(requests);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for r in 0..requests {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let url = if r % 4 == 3 {
            format!("/nothing/here-{}", state % 100_000)
        } else {
            hits[(state % hits.len() as u64) as usize].clone()
        };
        let mut req = request(&url);
        if r % 3 == 0 {
            req.country = Some(locales[(state % 8) as usize].to_string());
        }
        out.push(req);
    }
    (rules, out)
}
