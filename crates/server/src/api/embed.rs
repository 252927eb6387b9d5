//! The embeddable widget: `/embed.js` (one script tag puts a postcode or
//! place box and its feeds on any page; see `web/embed.js`) and `/embed`,
//! the same in a page of its own for an iframe (`/embed?postcode=…` looks
//! that postcode up at once). Both are static: the postcode is read by the
//! script from the page's URL, never written into the page by the server.

use super::problem::ApiProblem;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The widget's script.
pub const EMBED_JS: &str = include_str!("../../../../web/embed.js");

/// The iframe page: a heading and the widget.
const EMBED_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your local police feeds</title>
<style>body{margin:0;padding:.5rem;font-family:system-ui,sans-serif;color:#1b1b1b;background:#fff}h1{font-size:1.15rem;margin:0 0 .5rem}</style>
</head>
<body>
<main>
<h1>Your local police feeds</h1>
<script src="embed.js" data-postcode-box data-from-url></script>
</main>
</body>
</html>
"#;

/// `GET /embed.js`.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        EMBED_JS,
    )
        .into_response()
}

/// `GET /embed[?postcode=]`. Other parameters — the `utm_source` or
/// `fbclid` a council's link or a share adds — are ignored: the page is
/// the same whatever they say.
pub async fn page() -> Result<Response, ApiProblem> {
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        EMBED_HTML,
    )
        .into_response())
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::{query, with_example};
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get("/embed.js", "The widget: `<script src=\"…/embed.js\" data-postcode-box></script>` puts a postcode or place box and its feeds on any page", routing::get(script))
            .media("text/javascript"),
        cx.get("/embed", "The widget in a page of its own, for an iframe; ?postcode= looks one up at once", routing::get(page))
            .media("text/html")
            .params(vec![with_example(query("postcode", "a postcode to look up at once", json!({"type": "string"})), cx.ex.postcode.clone().map(|p| json!(p)))]),
    ]
}
