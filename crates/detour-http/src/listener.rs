//! The accept loop of `detour serve`: a connection cap, accept errors retried with backoff, and
//! per connection a header-read timeout and an idle timeout.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::Service;

use crate::body::{Body, BoxError};

/// Limits on the connections `detour serve` accepts.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, counted from the moment the
    /// connection waits for a request: on a kept-alive HTTP/1 connection this is also how long
    /// it may stay silent between requests.
    pub header_read_timeout: Duration,
    /// How long a connection may go without moving a byte either way while no request on it
    /// waits for its answer (a silent new connection, a stalled body, a client that stops
    /// reading); it is then closed.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            max_connections: 512,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// The longest pause between two attempts after `accept` failed (out of descriptors, say).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
const FIRST_ACCEPT_BACKOFF: Duration = Duration::from_millis(5);

/// Accepts connections for as long as the future runs; an error of `accept` (out of file
/// descriptors, a connection reset before it was accepted) is logged and retried, never fatal.
pub async fn accept_loop<S>(listener: TcpListener, service: S, limits: ConnectionLimits)
where
    S: Service<Request<hyper::body::Incoming>, Response = Response<Body>> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let mut backoff = FIRST_ACCEPT_BACKOFF;
    loop {
        // Waiting here leaves further clients in the kernel's backlog, holding no descriptor.
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { return };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::error!(error = %e, retry_in = ?backoff, "accept failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                continue;
            }
        };
        backoff = FIRST_ACCEPT_BACKOFF;
        let conn = Connection { builder: Arc::clone(&builder), idle_timeout: limits.idle_timeout, _permit: permit };
        tokio::spawn(conn.serve(stream, service.clone()));
    }
}

type AnswerFuture = Pin<Box<dyn std::future::Future<Output = Result<Response<Body>, BoxError>> + Send>>;

/// One accepted connection; its permit returns to the cap when it ends.
struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    idle_timeout: Duration,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve<S>(self, stream: TcpStream, service: S)
    where
        S: Service<Request<hyper::body::Incoming>, Response = Response<Body>> + Clone + Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        // Small responses must not wait for Nagle's algorithm and the peer's delayed ACK.
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched { inner: stream, activity: Arc::clone(&activity) });
        let handler = TowerToHyperService::new(Tracked { inner: service, activity: Arc::clone(&activity) });
        let conn = self.builder.serve_connection(io, handler);
        tokio::pin!(conn);
        loop {
            let Some(wait) = activity.time_left(self.idle_timeout) else {
                tracing::debug!("idle connection closed");
                return;
            };
            tokio::select! {
                ended = &mut conn => {
                    if let Err(e) = ended {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// The service, counting the requests that await their answer.
#[derive(Clone)]
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Service<Request<hyper::body::Incoming>> for Tracked<S>
where
    S: Service<Request<hyper::body::Incoming>, Response = Response<Body>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = AnswerFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<hyper::body::Incoming>) -> AnswerFuture {
        let busy = self.activity.begin_request();
        let answer = self.inner.call(req);
        Box::pin(async move {
            let answer = answer.await;
            drop(busy);
            answer.map_err(Into::into)
        })
    }
}

/// When a connection last moved a byte, and how many of its requests await their answer.
struct Activity {
    opened: Instant,
    last_io_ms: AtomicU64,
    answering: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity { opened: Instant::now(), last_io_ms: AtomicU64::new(0), answering: AtomicUsize::new(0) }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self) {
        self.last_io_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    fn begin_request(self: &Arc<Self>) -> Answering {
        self.answering.fetch_add(1, Ordering::Relaxed);
        Answering(Arc::clone(self))
    }

    /// How long until the connection counts as idle, or `None` when it is idle now. A request
    /// waiting for its answer (a slow upstream) keeps the connection open; its proxy timeout
    /// bounds the wait.
    fn time_left(&self, idle_timeout: Duration) -> Option<Duration> {
        if self.answering.load(Ordering::Relaxed) > 0 {
            return Some(idle_timeout);
        }
        let idle = Duration::from_millis(self.now_ms().saturating_sub(self.last_io_ms.load(Ordering::Relaxed)));
        idle_timeout.checked_sub(idle).filter(|left| !left.is_zero())
    }
}

/// A request being answered; dropping it (answered or cancelled) ends it.
struct Answering(Arc<Activity>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A stream that records each time bytes move.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
