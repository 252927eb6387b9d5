//! Accepting connections so that bad clients cannot wear the server down:
//! a cap on open connections (a client over it waits in the kernel's
//! backlog, not in the server's memory), a header-read timeout that also
//! closes idle keep-alive connections (hyper's, which starts whenever the
//! server waits for a request head), and graceful shutdown. Each
//! connection is HTTP/1.1 served by hyper with the axum router, which sees
//! the peer's address as [`ConnectInfo`].
//!
//! Per-client rate limiting sits in the router ([`RateLimit`]): the
//! public reads are limited per client IP address with a GCRA limiter
//! (`governor`), a client over its rate getting 429 with `Retry-After`.

use super::problem::ApiProblem;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How connections are bounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Longest wait for a whole request head, and for the next request on
    /// an idle keep-alive connection; then the connection is closed.
    pub header_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Which connections' requests carry the client's address
    /// ([`ConnectInfo`], what the rate limit reads).
    pub peers: Peers,
}

/// Whose requests carry the client's address: only those the rate limit
/// applies to, so the others skip the per-request insert.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Peers {
    /// Every client's.
    All,
    /// Every client's but loopback ones'.
    Remote,
}

/// Serves `app` on `listener` within `limits` until `shutdown`
/// completes, then lets open connections finish (at most 10 s).
pub async fn serve<S, B>(
    listener: TcpListener,
    app: S,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()>
where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::http::Response<B>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let accept = Accept::new(limits);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer, permit) = tokio::select! {
            a = accept.next(&listener) => a?,
            () = &mut shutdown => break,
        };
        let conn = accept.connection(stream, peer, app.clone());
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("connections still open after 10 s; stopping anyway");
        }
    }
    Ok(())
}

/// Answers [`super::starting::Starting`] on `listener` (liveness yes,
/// readiness and everything else 503, each connection closed after its
/// answer) while `work` runs; then `work`'s outcome. So the server
/// listens, and says it is not ready, while its region loads.
pub async fn starting<F: std::future::Future>(
    listener: &TcpListener,
    limits: Limits,
    work: F,
) -> std::io::Result<F::Output> {
    let accept = Accept::new(limits);
    tokio::pin!(work);
    loop {
        let (stream, peer, permit) = tokio::select! {
            out = &mut work => return Ok(out),
            a = accept.next(listener) => a?,
        };
        let conn = accept.connection(stream, peer, super::starting::Starting);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            drop(permit);
        });
    }
}

/// Accepting connections within [`Limits`].
struct Accept {
    limits: Limits,
    permits: Arc<Semaphore>,
    http: hyper::server::conn::http1::Builder,
}

impl Accept {
    fn new(limits: Limits) -> Accept {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .keep_alive(true);
        Accept {
            limits,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            http,
        }
    }

    /// The next connection, once one is allowed (a permit: held while it
    /// is open).
    async fn next(
        &self,
        listener: &TcpListener,
    ) -> std::io::Result<(
        tokio::net::TcpStream,
        SocketAddr,
        tokio::sync::OwnedSemaphorePermit,
    )> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(std::io::Error::other)?;
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok((stream, peer, permit));
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// `stream` served by `app`, its requests carrying the peer's address
    /// when [`Limits::peers`] says so.
    fn connection<S, B>(
        &self,
        stream: tokio::net::TcpStream,
        peer: SocketAddr,
        app: S,
    ) -> impl hyper_util::server::graceful::GracefulConnection<Error = hyper::Error> + Send + 'static
    where
        S: tower::Service<
                axum::extract::Request,
                Response = axum::http::Response<B>,
                Error = Infallible,
            > + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        B: hyper::body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let tag = self.limits.peers.tags(peer.ip());
        let service = tower::ServiceExt::map_request(
            app,
            move |req: axum::http::Request<hyper::body::Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                if tag {
                    req.extensions_mut().insert(ConnectInfo(peer));
                }
                req
            },
        );
        self.http.serve_connection(
            hyper_util::rt::TokioIo::new(stream),
            hyper_util::service::TowerToHyperService::new(service),
        )
    }
}

impl Peers {
    /// Whether requests from `ip` carry its address.
    pub fn tags(self, ip: IpAddr) -> bool {
        match self {
            Peers::All => true,
            Peers::Remote => !ip.is_loopback(),
        }
    }
}

/// A per-client rate limit on the public reads.
#[derive(Debug)]
pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    loopback: bool,
    per_second: u32,
    burst: u32,
}

impl RateLimit {
    /// `per_second` requests per client on average, bursts of `burst`;
    /// loopback clients are limited only when `loopback` is set. `None`
    /// when `per_second` is 0 (no limit).
    pub fn new(per_second: u32, burst: u32, loopback: bool) -> Option<RateLimit> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(1)).expect("at least 1");
        Some(RateLimit {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            loopback,
            per_second: rate.get(),
            burst: burst.get(),
        })
    }

    /// The limit as the IETF RateLimit header fields give it (draft
    /// `draft-ietf-httpapi-ratelimit-headers`, the widely read three-field
    /// form): a burst of `RateLimit-Limit` requests, none remaining, a
    /// request allowed again after `RateLimit-Reset` seconds; and the
    /// policy: that burst over the seconds it takes to refill.
    pub fn headers(&self, wait_secs: u64) -> [(HeaderName, String); 4] {
        let window = self.burst.div_ceil(self.per_second).max(1);
        [
            (
                HeaderName::from_static("ratelimit-limit"),
                self.burst.to_string(),
            ),
            (HeaderName::from_static("ratelimit-remaining"), "0".into()),
            (
                HeaderName::from_static("ratelimit-reset"),
                wait_secs.to_string(),
            ),
            (
                HeaderName::from_static("ratelimit-policy"),
                format!("{};w={window}", self.burst),
            ),
        ]
    }

    /// `Ok` when `peer` may make one more request now, else how long to
    /// wait.
    pub fn check(&self, peer: IpAddr) -> Result<(), Duration> {
        if peer.is_loopback() && !self.loopback {
            return Ok(());
        }
        self.limiter
            .check_key(&peer)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets clients that are back at a full burst (bounds the memory a
    /// flood of addresses can take).
    pub fn tidy(&self) {
        self.limiter.retain_recent();
    }
}

/// The 429 problem, with `Retry-After` in whole seconds (at least 1).
pub fn too_many(wait: Duration, limit: &RateLimit) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut r = ApiProblem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("this client is over its request rate; try again in {secs} s"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    for (name, value) in limit.headers(secs) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}

/// The client's address of a request (`None` when served without
/// [`serve`], as in-process tests do).
pub fn peer_of<B>(req: &axum::http::Request<B>) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}
