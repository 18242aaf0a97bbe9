//! The emulator's connections: a listener that sheds what a server should shed.
//!
//! - A connection limit: past it, a connection gets a `503` envelope and is closed, so a flood of
//!   idle sockets cannot use up the process's descriptors and leave everyone unanswered.
//! - Read deadlines per connection: the request head must arrive within `header` (counted from
//!   the connection's start or from the request's first byte), a kept-alive connection may sit
//!   idle between requests for `idle`. (The body's deadline is the handler's: see `server.rs`.)
//! - Hyper answers malformed requests (400, 414, 431) itself, with an empty body; those answers
//!   are rewritten on their way out into the API's error envelope.
//! - On shutdown, connections still open after the grace period are cut.
//!
//! hyper's own `header_read_timeout` also runs while a kept-alive connection waits for its next
//! request, so it cannot tell "slow head" from "idle"; the stream below tracks both itself.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::failure::Failure;
use super::log;

/// How long a client may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From a connection's start (or a request's first byte) to the end of the request head.
    pub header: Duration,
    /// From the end of the head to the end of the body.
    pub body: Duration,
    /// Between requests on a kept-alive connection.
    pub idle: Duration,
    /// Connections open at once; more are answered 503 and closed.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            idle: Duration::from_secs(60),
            max_connections: 200,
        }
    }
}

/// Accepts connections for axum, within [`Limits`].
pub(crate) struct GuardedListener {
    inner: TcpListener,
    limits: Limits,
    open: Arc<AtomicUsize>,
    /// Cancelled when the server gives up waiting for open connections at shutdown.
    cut: CancellationToken,
    refusals: Warning,
    failed_accepts: Warning,
}

impl GuardedListener {
    pub(crate) fn new(inner: TcpListener, limits: Limits, cut: CancellationToken) -> Self {
        GuardedListener {
            inner,
            limits,
            open: Arc::new(AtomicUsize::new(0)),
            cut,
            refusals: Warning::default(),
            failed_accepts: Warning::default(),
        }
    }
}

/// A warning that may recur many times a second (a flood of connections): logged at most once a
/// second, with the count of times since the last line, so the log cannot become the flood.
#[derive(Default)]
struct Warning {
    since_logged: u64,
    logged_at: Option<Instant>,
}

impl Warning {
    /// Counts one more; the count to log when a line is due.
    fn count(&mut self) -> Option<u64> {
        self.since_logged += 1;
        let now = Instant::now();
        if self
            .logged_at
            .is_some_and(|at| now.duration_since(at) < Duration::from_secs(1))
        {
            return None;
        }
        self.logged_at = Some(now);
        Some(std::mem::take(&mut self.since_logged))
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (GuardedStream, SocketAddr) {
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) {
                        if let Some(times) = self.failed_accepts.count() {
                            tracing::warn!(
                                target: log::CONNECTIONS,
                                "cannot accept connections ({times} time(s) since the last line): {e}; retrying"
                            );
                        }
                        // Out of descriptors (EMFILE) and the like: wait for some to close.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            };
            if self.open.load(Ordering::Acquire) >= self.limits.max_connections {
                if let Some(times) = self.refusals.count() {
                    tracing::warn!(
                        target: log::CONNECTIONS,
                        "refused {times} connection(s) with a 503: all {} allowed were open",
                        self.limits.max_connections
                    );
                }
                tokio::spawn(refuse(stream, self.limits.max_connections));
                continue;
            }
            self.open.fetch_add(1, Ordering::AcqRel);
            let _ = stream.set_nodelay(true);
            let stream = GuardedStream {
                inner: stream,
                limits: self.limits,
                phase: Phase::Head,
                since: Instant::now(),
                head_end: 0,
                deadline: Box::pin(tokio::time::sleep(self.limits.header)),
                cut: Box::pin(self.cut.clone().cancelled_owned()),
                rewrite: None,
                open: self.open.clone(),
            };
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// Answers a connection over the limit with a 503 envelope and closes it.
async fn refuse(mut stream: TcpStream, limit: usize) {
    let failure = Failure::new(
        503,
        5000,
        format!("Too many connections: this emulator serves at most {limit} at once."),
    )
    .with_cause(
        "Close idle connections, or start `segscope serve` with a higher --max-connections.",
    );
    let bytes = envelope_response(&failure, "retry-after: 1\r\n");
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    })
    .await;
}

/// A whole HTTP/1.1 response carrying the failure's envelope; the connection closes after it.
fn envelope_response(failure: &Failure, extra_headers: &str) -> Vec<u8> {
    let body = failure.to_json();
    let reason = axum::http::StatusCode::from_u16(failure.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra_headers}\r\n{body}",
        failure.status,
        body.len()
    )
    .into_bytes()
}

/// Where a connection is in its request cycle, for its read deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for (the rest of) a request head: `limits.header` from `since`.
    Head,
    /// The head is in; the request is the handler's (which bounds the body read itself).
    Busy,
    /// An answer went out; waiting for the next request: `limits.idle` from `since`.
    Idle,
}

/// A connection with read deadlines, cut at shutdown, counted while open.
pub(crate) struct GuardedStream {
    inner: TcpStream,
    limits: Limits,
    phase: Phase,
    since: Instant,
    /// How much of `\r\n\r\n` the head's bytes end with so far.
    head_end: usize,
    deadline: Pin<Box<Sleep>>,
    cut: Pin<Box<WaitForCancellationFutureOwned>>,
    /// An empty-bodied error answer from hyper, replaced by an envelope, being written.
    rewrite: Option<Rewrite>,
    open: Arc<AtomicUsize>,
}

struct Rewrite {
    bytes: Vec<u8>,
    written: usize,
    /// The length of hyper's original write, reported back once the replacement is out.
    stands_for: usize,
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl GuardedStream {
    fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Head => Some(self.since + self.limits.header),
            Phase::Idle => Some(self.since + self.limits.idle),
            Phase::Busy => None,
        }
    }

    /// Follows the request cycle through bytes read: the first byte starts a head, `\r\n\r\n`
    /// ends it.
    fn saw(&mut self, bytes: &[u8]) {
        const END: &[u8] = b"\r\n\r\n";
        if bytes.is_empty() {
            return;
        }
        if self.phase == Phase::Idle {
            self.phase = Phase::Head;
            self.since = Instant::now();
            self.head_end = 0;
        }
        if self.phase != Phase::Head {
            return;
        }
        for &b in bytes {
            self.head_end = if b == END[self.head_end] {
                self.head_end + 1
            } else if b == b'\r' {
                1
            } else {
                0
            };
            if self.head_end == END.len() {
                self.phase = Phase::Busy;
                return;
            }
        }
    }

    /// Errors once the connection is cut or its deadline has passed; registers for both.
    fn poll_expiry(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        if self.cut.as_mut().poll(cx).is_ready() {
            return Some(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the server is shutting down",
            ));
        }
        let deadline = self.deadline()?;
        if self.deadline.deadline() != deadline {
            self.deadline.as_mut().reset(deadline);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Some(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client was too slow or idle for too long",
            ));
        }
        None
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.saw(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match this.poll_expiry(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.cut.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the server is shutting down",
            )));
        }
        if this.rewrite.is_none()
            && let Some(bytes) = envelope_for_bare_error(buf)
        {
            this.rewrite = Some(Rewrite {
                bytes,
                written: 0,
                stands_for: buf.len(),
            });
        }
        if let Some(rewrite) = &mut this.rewrite {
            while rewrite.written < rewrite.bytes.len() {
                let n = ready!(
                    Pin::new(&mut this.inner).poll_write(cx, &rewrite.bytes[rewrite.written..])
                )?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                rewrite.written += n;
            }
            let n = rewrite.stands_for;
            this.rewrite = None;
            this.answered();
            return Poll::Ready(Ok(n));
        }
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        this.answered();
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl GuardedStream {
    /// An answer is going out: the connection is idle (until the next request's first byte).
    fn answered(&mut self) {
        self.phase = Phase::Idle;
        self.since = Instant::now();
    }
}

/// When `head` is a whole bodiless error answer written by hyper itself (a request it could not
/// parse: 400, 414, 431), the same answer with the API's error envelope. The emulator's own
/// error answers always carry an envelope, so a bare one can only be hyper's.
fn envelope_for_bare_error(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    if !(400..600).contains(&status) || !text.ends_with("\r\n\r\n") {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") && lower.contains("\r\ncontent-length:") {
        return None;
    }
    if lower.contains("\r\ntransfer-encoding:") {
        return None;
    }
    let (message, cause) = match status {
        414 => (
            "The request URI is too long.",
            "Send the request's data in its body.",
        ),
        431 => (
            "The request's header fields are too large.",
            "Send fewer or shorter headers.",
        ),
        _ => (
            "The request is not valid HTTP.",
            "The request line or a header could not be read.",
        ),
    };
    let code = if status == 400 { 1000 } else { 1002 };
    Some(envelope_response(
        &Failure::new(status, code, message).with_cause(cause),
        "",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_errors_get_an_envelope_and_answers_with_bodies_are_left_alone() {
        let bare =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(envelope_for_bare_error(bare).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
        let body: serde_json::Value =
            serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["status_code"], 431);
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n";
        assert!(envelope_for_bare_error(ours).is_none());
        assert!(envelope_for_bare_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
