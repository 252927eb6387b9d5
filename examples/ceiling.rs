//! The framework's ceiling: an axum server whose one handler does no work
//! (every path answers 200, with an empty body by default).
//! `benches/postgis_compare.sh` measures it with wrk beside
//! `GET /v1/lookup`, same machine, same wrk script (so the load generator
//! costs the same), and once more answering a fixed JSON body the size of
//! a lookup answer: that second figure is what the response's size alone
//! costs, before any lookup.
//!
//! `cargo run --release --example ceiling -- [ADDR] [BODY_BYTES]` (default
//! 127.0.0.1:0 and 0); prints `listening on http://ADDR` once bound.

use axum::http::header;
use axum::Router;

/// The same allocator as the `feedmap` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".into());
    let bytes: usize = match args.next() {
        None => 0,
        Some(n) => n
            .parse()
            .map_err(|e| std::io::Error::other(format!("BODY_BYTES {n:?}: {e}")))?,
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let app = if bytes == 0 {
        Router::new().fallback(|| async {})
    } else {
        // A JSON string of `bytes` bytes in all, quotes included.
        let body = format!("\"{}\"", "x".repeat(bytes.saturating_sub(2)));
        Router::new().fallback(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        })
    };
    axum::serve(listener, app).await
}
