//! The framework's ceiling: an axum server whose one handler does nothing
//! (`GET /` answers 200 with an empty body). `benches/postgis_compare.sh`
//! measures it with wrk beside `GET /v1/lookup`, same machine, same load.
//!
//! `cargo run --release --example ceiling -- [ADDR]` (default 127.0.0.1:0);
//! prints `listening on http://ADDR` once bound.

use axum::{routing::get, Router};

/// The same allocator as the `feedmap` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let app = Router::new().route("/", get(|| async {}));
    axum::serve(listener, app).await
}
