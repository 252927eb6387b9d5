//! The widget's server side: `/embed.js` and `/embed` are served, and the
//! public reads answer pages on other origins (CORS) as `--cors-origins`
//! allows, while writes and secured reads never do. (The widget itself
//! runs in a real browser in tests/browser.rs.)

use crate::common;

use crate::common::{call, Server, PLANNER};

/// A header of `r`, as text.
fn header(r: &common::Reply, name: &str) -> Option<String> {
    r.headers.get(name).map(|v| v.to_str().unwrap().to_string())
}

fn allow_origin(r: &common::Reply) -> Option<String> {
    header(r, "access-control-allow-origin")
}

/// A browser's preflight from `origin` for a `method` request to `path`.
fn preflight(base: &str, path: &str, origin: &str, method: &str) -> common::Reply {
    call(
        base,
        "OPTIONS",
        path,
        None,
        None,
        &[
            ("origin", origin),
            ("access-control-request-method", method),
        ],
    )
}

#[test]
fn public_reads_answer_any_origin_by_default_writes_none() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    let from = [("origin", "https://parish.example")];
    for path in [
        "/v1/feeds/lookup?postcode=DV1+1AA",
        "/v1/lookup?lat=54.79&lon=2.07",
        "/police-api/forces",
        "/embed.js",
    ] {
        let r = call(&server.base, "GET", path, None, None, &from);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(allow_origin(&r).as_deref(), Some("*"), "{path}");
    }
    // A preflight is answered for GET.
    let r = preflight(
        &server.base,
        "/v1/feeds/lookup",
        "https://parish.example",
        "GET",
    );
    assert!(r.status < 300, "{}", r.status);
    assert_eq!(allow_origin(&r).as_deref(), Some("*"));
    // The whole policy on the preflight: GET and HEAD, cached an hour.
    assert_eq!(
        header(&r, "access-control-allow-methods").as_deref(),
        Some("GET,HEAD")
    );
    assert_eq!(
        header(&r, "access-control-max-age").as_deref(),
        Some("3600")
    );
    assert_eq!(
        header(&r, "access-control-allow-headers").as_deref(),
        Some("accept")
    );
    // Writes and secured reads: no CORS headers, whoever asks.
    let r = call(
        &server.base,
        "POST",
        "/v1/decisions",
        Some(PLANNER),
        Some(&serde_json::json!({})),
        &from,
    );
    assert!(allow_origin(&r).is_none(), "{:?}", r.headers);
    let r = preflight(
        &server.base,
        "/v1/decisions",
        "https://parish.example",
        "POST",
    );
    // (Its GET is a public read, so the preflight is answered, for GET and
    // HEAD only: a browser then refuses to send the POST.)
    let methods = r
        .headers
        .get("access-control-allow-methods")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(!methods.contains("POST"), "{methods}");
    let r = call(&server.base, "GET", "/v1/me", Some(PLANNER), None, &from);
    assert_eq!(r.status, 200);
    assert!(allow_origin(&r).is_none(), "{:?}", r.headers);
}

#[test]
fn listed_origins_only_when_configured() {
    let server = Server::start_with(
        &common::demo_region(),
        &["--cors-origins", "https://a.example,http://127.0.0.1:9999"],
    );
    let path = "/v1/feeds/lookup?postcode=DV1+1AA";
    for (origin, allowed) in [
        ("https://a.example", true),
        ("http://127.0.0.1:9999", true),
        ("https://b.example", false),
    ] {
        let r = call(&server.base, "GET", path, None, None, &[("origin", origin)]);
        // A site not listed is told so, in an answer its page can read.
        assert_eq!(r.status, if allowed { 200 } else { 403 }, "{origin}");
        assert_eq!(allow_origin(&r).as_deref(), Some(origin), "{origin}");
        if !allowed {
            assert_eq!(
                r.json["type"], "urn:feedmap:problem:origin-not-allowed",
                "{}",
                r.json
            );
            assert!(r.json["detail"]
                .as_str()
                .unwrap()
                .contains("--cors-origins"));
        }
        // The answer varies by origin, and caches are told so.
        let vary = r
            .headers
            .get("vary")
            .map(|v| v.to_str().unwrap().to_lowercase());
        assert!(
            vary.is_some_and(|v| v.contains("origin")),
            "{:?}",
            r.headers
        );
    }
    // A listed origin's preflight.
    let r = preflight(&server.base, path, "https://a.example", "GET");
    assert!(r.status < 300, "{}", r.status);
    assert_eq!(allow_origin(&r).as_deref(), Some("https://a.example"));
    assert!(r.headers.get("access-control-allow-methods").is_some());
}

#[test]
fn a_bad_origin_setting_is_refused_by_name() {
    let out = common::feedmap(&[
        "serve",
        "--region",
        common::demo_region().to_str().unwrap(),
        "--cors-origins",
        "https://a.example/page",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--cors-origins") && err.contains("https://a.example/page"),
        "{err}"
    );
}

#[test]
fn the_widget_and_its_page_are_served() {
    let server = Server::start(&common::demo_region());
    let r = reqwest::blocking::get(format!("{}/embed.js", server.base)).unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let js = r.text().unwrap();
    assert!(js.contains("data-postcode-box") && js.contains("/v1/feeds/lookup?q="));
    let r = reqwest::blocking::get(format!(
        "{}/embed?postcode=%3Cscript%3Ealert(1)%3C/script%3E",
        server.base
    ))
    .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    // The postcode is read by the script from the URL, never written into
    // the page.
    assert!(!html.contains("alert(1)"), "{html}");
    assert!(html.contains(r#"<script src="embed.js" data-postcode-box data-from-url>"#));
    assert!(html.contains(r#"<html lang="en">"#));
    // Tracking parameters a council's link or a share adds are ignored.
    let r = reqwest::blocking::get(format!(
        "{}/embed?postcode=DV1+1AA&utm_source=council&fbclid=abc",
        server.base
    ))
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("data-from-url"));
}

/// Every answer to an allowed site carries its origin — errors, a 404 of
/// no route, and the rate limit's 429 with the RateLimit fields it may
/// read — so a page can say what went wrong; the server's own pages are
/// never refused; writes from elsewhere are not answered for a page.
#[test]
fn every_answer_to_an_allowed_site_is_readable_by_it() {
    let server = Server::start_with(
        &common::demo_region(),
        &[
            "--cors-origins",
            "https://council.example",
            "--rate-limit",
            "1",
            "--rate-limit-burst",
            "3",
            "--rate-limit-loopback",
        ],
    );
    let from = [("origin", "https://council.example")];
    let r = call(
        &server.base,
        "GET",
        "/v1/feeds/lookup?postcode=ZZ9+9ZZ",
        None,
        None,
        &from,
    );
    assert_eq!(r.status, 404, "{}", r.json);
    assert_eq!(allow_origin(&r).as_deref(), Some("https://council.example"));
    let r = call(&server.base, "GET", "/no/such/route", None, None, &from);
    assert_eq!(r.status, 404);
    assert_eq!(allow_origin(&r).as_deref(), Some("https://council.example"));
    // Over the burst: 429, readable, with how long to wait.
    let limited = (0..10)
        .map(|_| {
            call(
                &server.base,
                "GET",
                "/v1/feeds/lookup?postcode=DV1+1AA",
                None,
                None,
                &from,
            )
        })
        .find(|r| r.status == 429)
        .expect("a 429 within ten requests at a burst of 3");
    assert_eq!(
        allow_origin(&limited).as_deref(),
        Some("https://council.example")
    );
    let wait: u64 = header(&limited, "retry-after").unwrap().parse().unwrap();
    assert!(wait >= 1);
    assert_eq!(header(&limited, "ratelimit-limit").as_deref(), Some("3"));
    assert_eq!(
        header(&limited, "ratelimit-remaining").as_deref(),
        Some("0")
    );
    assert_eq!(header(&limited, "ratelimit-reset"), Some(wait.to_string()));
    assert_eq!(
        header(&limited, "ratelimit-policy").as_deref(),
        Some("3;w=3")
    );
    let exposed = header(&limited, "access-control-expose-headers").unwrap();
    assert!(
        exposed.contains("Retry-After") && exposed.contains("RateLimit-Reset"),
        "{exposed}"
    );
    std::thread::sleep(std::time::Duration::from_secs(wait + 1));
    // The server's own page asks with its own origin: never refused.
    let own = server.base.clone();
    let r = call(
        &server.base,
        "GET",
        "/map/config.json",
        None,
        None,
        &[("origin", own.as_str())],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    // A write from another site is not refused as a read is (it needs a
    // token, and gets no CORS headers).
    let r = call(
        &server.base,
        "POST",
        "/v1/decisions",
        None,
        Some(&serde_json::json!({})),
        &[("origin", "https://elsewhere.example")],
    );
    assert_eq!(r.status, 401, "{}", r.json);
    assert!(allow_origin(&r).is_none());
}
