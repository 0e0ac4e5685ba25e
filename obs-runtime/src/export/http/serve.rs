//! The accept loop and connections: a bounded set where a newcomer at
//! capacity evicts the oldest connection that is idle or has had an answer
//! already (a client stuck not reading, or pipelining on), waits for one to
//! become so until its header deadline, or else gets `503`; a write deadline
//! per connection; graceful shutdown with a grace period.

use super::respond::{route, Scrapes};
use super::Config;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify};
use tokio::time::Sleep;

const UNAVAILABLE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 12\r\nconnection: close\r\nretry-after: 1\r\n\r\nat capacity\n";

/// What admission knows of one open connection.
#[derive(Default)]
struct Slot {
    answering: AtomicBool,
    answered: AtomicBool,
    evict: Notify,
}

impl Slot {
    fn evictable(&self) -> bool {
        !self.answering.load(Ordering::Acquire) || self.answered.load(Ordering::Acquire)
    }
}

/// The open connections, oldest first, and a signal when one ends a request
/// or closes.
#[derive(Default)]
struct Slots {
    open: Mutex<Vec<Arc<Slot>>>,
    changed: Notify,
}

impl Slots {
    /// A slot for a newcomer, evicting if at capacity; `None` when every
    /// connection stays busy with its first request until `patience` ends.
    async fn admit(&self, max: usize, patience: Duration) -> Option<Arc<Slot>> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
                // A slot whose connection ended holds the only reference left.
                open.retain(|slot| Arc::strong_count(slot) > 1);
                let room = open.len() < max
                    || match open.iter().position(|slot| slot.evictable()) {
                        Some(oldest) => {
                            open.remove(oldest).evict.notify_one();
                            true
                        }
                        None => false,
                    };
                if room {
                    let slot = Arc::new(Slot::default());
                    open.push(slot.clone());
                    return Some(slot);
                }
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return None;
            }
        }
    }
}

pub(super) async fn serve(
    listener: std::net::TcpListener,
    config: Config,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    let config = Arc::new(config);
    let scrapes = Arc::new(Scrapes::default());
    let (closing, shutdown) = watch::channel(false);
    let slots = Arc::new(Slots::default());
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors or a reset before accept: back off
                // briefly rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(admit_and_serve(
            stream,
            slots.clone(),
            config.clone(),
            scrapes.clone(),
            shutdown.clone(),
        ));
    }
    drop(listener);
    let _ = closing.send(true);
    let grace = config.shutdown_grace + Duration::from_millis(100);
    let _ = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.shutdown().await;
}

async fn admit_and_serve(
    mut stream: TcpStream,
    slots: Arc<Slots>,
    config: Arc<Config>,
    scrapes: Arc<Scrapes>,
    shutdown: watch::Receiver<bool>,
) {
    let admitted = slots
        .admit(config.max_connections, config.header_read_timeout)
        .await;
    match admitted {
        Some(slot) => connection(stream, slot, &slots, config, scrapes, shutdown).await,
        None => {
            // Answer, then read what the client sent (bounded) before closing,
            // so the close is not a reset that could discard the answer.
            let refusal = async {
                stream.write_all(UNAVAILABLE).await?;
                stream.shutdown().await?;
                let mut sink = [0; 4096];
                let mut left = config.max_header_bytes;
                while left > 0 {
                    match stream.read(&mut sink).await? {
                        0 => break,
                        n => left = left.saturating_sub(n),
                    }
                }
                io::Result::Ok(())
            };
            let _ = tokio::time::timeout(config.write_timeout, refusal).await;
        }
    }
}

async fn connection(
    stream: TcpStream,
    slot: Arc<Slot>,
    slots: &Slots,
    config: Arc<Config>,
    scrapes: Arc<Scrapes>,
    mut shutdown: watch::Receiver<bool>,
) {
    // The connection and its service's references to the slot end here.
    {
        let service = service_fn(|request| {
            let (config, scrapes, slot) = (config.clone(), scrapes.clone(), slot.clone());
            async move {
                slot.answering.store(true, Ordering::Release);
                let response = route(&config.registry, &scrapes, config.catalog, &request).await;
                slot.answered.store(true, Ordering::Release);
                slot.answering.store(false, Ordering::Release);
                slots.changed.notify_waiters();
                Ok::<_, Infallible>(response)
            }
        });
        let io = WriteDeadline {
            inner: stream,
            timeout: config.write_timeout,
            sleep: None,
        };
        let connection = http1::Builder::new()
            // A client may shut down its side after sending the request and
            // still expect the answer; without this, an end of input read
            // before the answer is written closes the connection unanswered.
            .half_close(true)
            .timer(TokioTimer::new())
            .header_read_timeout(config.header_read_timeout)
            .max_buf_size(config.max_header_bytes)
            .serve_connection(TokioIo::new(io), service);
        tokio::pin!(connection);
        tokio::select! {
            _ = &mut connection => {}
            _ = tokio::time::sleep(config.connection_timeout) => {}
            _ = slot.evict.notified() => {}
            _ = shutdown.changed() => {
                connection.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(config.shutdown_grace, connection).await;
            }
        }
    }
    drop(slot);
    slots.changed.notify_waiters();
}

/// A stream whose writes fail with `TimedOut` once they have made no
/// progress for `timeout`: a client that never reads is cut off.
struct WriteDeadline {
    inner: TcpStream,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl WriteDeadline {
    fn deadline<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.sleep = None;
            return polled;
        }
        let timeout = self.timeout;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.deadline(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.deadline(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.deadline(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.deadline(cx, polled)
    }
}
