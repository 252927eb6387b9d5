//! Request ids: every request gets one in `X-Request-ID` — the one a proxy
//! in front sent (up to 128 characters of letters, digits and `-_.:=+/@`),
//! else one made here — answered back in the same header, and held in a
//! thread-local while the request's future is polled ([`with_current`]),
//! where the log formatter finds it: every log line written while
//! answering the request, text or JSON, carries it.
//!
//! Made ids are this process's random prefix and a counter
//! (`5f0c2a91-1b`): unique across restarts and replicas for practical
//! purposes. Every lookup passes here, so it is one small service with a
//! named future ([`WithIds`]), writing the id without formatting
//! machinery and storing nothing in the request's extensions. A tracing
//! span per request would carry the id too, but recording one costs
//! every lookup a tenth of its throughput whether anything is logged or
//! not; the thread-local costs two swaps per call and poll.

use axum::http::{HeaderName, HeaderValue, Request, Response};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// The header: `X-Request-ID`.
pub static HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a request.
pub const MAX_LEN: usize = 128;

/// Makes request ids: a random prefix per process and a counter.
#[derive(Debug, Clone)]
pub struct MakeId {
    prefix: u32,
    next: Arc<AtomicU64>,
}

impl Default for MakeId {
    fn default() -> Self {
        MakeId::new()
    }
}

impl MakeId {
    /// A new sequence, with a random prefix (the process id where there
    /// is no randomness).
    pub fn new() -> MakeId {
        let mut bytes = [0u8; 4];
        let prefix = match getrandom::fill(&mut bytes) {
            Ok(()) => u32::from_le_bytes(bytes),
            Err(_) => std::process::id(),
        };
        MakeId {
            prefix,
            next: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The next id, as text: `PREFIX-N`, both lowercase hex.
    fn next(&self) -> ([u8; 25], usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut out = [0u8; 25];
        for (i, shift) in (0..8).rev().enumerate() {
            out[i] = HEX[((self.prefix >> (shift * 4)) & 0xf) as usize];
        }
        out[8] = b'-';
        let digits = (64 - n.leading_zeros()).div_ceil(4).max(1) as usize;
        for i in 0..digits {
            out[9 + i] = HEX[((n >> ((digits - 1 - i) * 4)) & 0xf) as usize];
        }
        (out, 9 + digits)
    }
}

/// Whether a request's own id is taken: 1 to [`MAX_LEN`] letters, digits
/// and `-_.:=+/@` (else one is made, so a log line never carries a
/// client's arbitrary text, and the id needs no quoting in JSON or text).
fn acceptable(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LEN
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.:=+/@".contains(c))
}

thread_local! {
    /// The id of the request whose future this thread is polling.
    static CURRENT: std::cell::RefCell<Option<HeaderValue>> =
        const { std::cell::RefCell::new(None) };
}

/// `f` with the id of the request being answered on this thread, if any
/// (`None` outside a request, and in blocking tasks a request started).
pub fn with_current<T>(f: impl FnOnce(Option<&str>) -> T) -> T {
    CURRENT.with(|c| match c.try_borrow() {
        Ok(id) => f(id.as_ref().and_then(|v| v.to_str().ok())),
        Err(_) => f(None),
    })
}

/// Swaps `id` into [`CURRENT`] and, when dropped, back out.
struct Current<'a>(&'a mut Option<HeaderValue>);

impl<'a> Current<'a> {
    fn enter(id: &'a mut Option<HeaderValue>) -> Current<'a> {
        CURRENT.with(|c| {
            if let Ok(mut c) = c.try_borrow_mut() {
                std::mem::swap(&mut *c, id);
            }
        });
        Current(id)
    }
}

impl Drop for Current<'_> {
    fn drop(&mut self) {
        CURRENT.with(|c| {
            if let Ok(mut c) = c.try_borrow_mut() {
                std::mem::swap(&mut *c, self.0);
            }
        });
    }
}

/// `S` with request ids: the request's own or a new one, current while
/// `S` is called and polled ([`with_current`]), and on its answer.
#[derive(Debug, Clone)]
pub struct WithIds<S> {
    inner: S,
    make: MakeId,
}

/// `app` behind request ids ([`WithIds`]).
pub fn with_ids<S>(app: S) -> WithIds<S> {
    WithIds {
        inner: app,
        make: MakeId::new(),
    }
}

pin_project_lite::pin_project! {
    /// The answer of [`WithIds`]: the inner one with the id.
    pub struct WithIdsFuture<F> {
        #[pin]
        inner: F,
        id: Option<HeaderValue>,
    }
}

impl<F, B, E> Future for WithIdsFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let current = Current::enter(this.id);
        let answer = this.inner.poll(cx);
        drop(current);
        let mut answer = std::task::ready!(answer);
        if let (Ok(answer), Some(id)) = (&mut answer, this.id.take()) {
            answer.headers_mut().entry(&HEADER).or_insert(id);
        }
        Poll::Ready(answer)
    }
}

impl<S, ReqB, ResB> tower::Service<Request<ReqB>> for WithIds<S>
where
    S: tower::Service<Request<ReqB>, Response = Response<ResB>>,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = WithIdsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqB>) -> Self::Future {
        let id = match req.headers().get(&HEADER) {
            Some(v) if acceptable(v) => v.clone(),
            _ => {
                // A request's id that is not taken is not passed on.
                req.headers_mut().remove(&HEADER);
                let (text, len) = self.make.next();
                // Hex digits and a dash: always a valid header value.
                HeaderValue::from_bytes(&text[..len])
                    .unwrap_or_else(|_| HeaderValue::from_static("0"))
            }
        };
        // Set while the inner services are called too: the trace layer
        // logs the request's start there.
        let mut id = Some(id);
        let current = Current::enter(&mut id);
        let inner = self.inner.call(req);
        drop(current);
        WithIdsFuture { inner, id }
    }
}

/// The span of one request for the trace layer's own lines (`RUST_LOG=
/// tower_http=debug`: a line when a request starts and one when it is
/// answered): `request` with its method and path, without the query
/// string, which may hold a resident's postcode or position. A debug span
/// in the trace layer's name, so it is recorded exactly when those lines
/// are written (and costs nothing otherwise); the request id is on every
/// line anyway ([`with_current`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpan;

impl<B> tower_http::trace::MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &Request<B>) -> tracing::Span {
        tracing::debug_span!(
            target: "tower_http::trace::make_span",
            "request",
            method = %req.method(),
            path = req.uri().path(),
        )
    }
}
