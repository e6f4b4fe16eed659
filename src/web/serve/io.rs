//! The socket as hyper sees it: closes a connection whose first bytes do not come in time
//! and holds its [`Permit`] for as long as the connection (or the WebSocket it became)
//! lives.
//!
//! hyper's own `header_read_timeout` covers HTTP/1 once the protocol is known (and the
//! idle time between keep-alive requests), but the HTTP/1-or-2 detection before it waits
//! for bytes forever: a client that connects and stays silent would keep its socket.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::conns::Permit;

/// Bytes after which the protocol is known (the HTTP/2 preface is 24 bytes) and hyper's
/// timeouts take over.
const FIRST_BYTES: usize = 24;

/// A connection's stream with a deadline for its first bytes.
pub struct Guarded<I> {
    io: I,
    first_bytes: Option<Pin<Box<Sleep>>>,
    read: usize,
    _permit: Option<Permit>,
}

impl<I> Guarded<I> {
    /// `io` must send its first bytes within `timeout`.
    pub fn new(io: I, timeout: Duration, permit: Option<Permit>) -> Guarded<I> {
        Guarded {
            io,
            first_bytes: Some(Box::pin(tokio::time::sleep(timeout))),
            read: 0,
            _permit: permit,
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Guarded<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.first_bytes.is_some() {
                    this.read += buf.filled().len() - before;
                    if this.read >= FIRST_BYTES {
                        this.first_bytes = None;
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let expired = this
                    .first_bytes
                    .as_mut()
                    .is_some_and(|d| d.as_mut().poll(cx).is_ready());
                if expired {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "request not sent in time",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Guarded<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn silence_times_out_until_the_first_bytes_came() {
        let (client, server) = tokio::io::duplex(1024);
        let mut g = Guarded::new(server, Duration::from_secs(5), None);
        let mut buf = [0u8; 64];
        let e = g.read(&mut buf).await.expect_err("silent client");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);

        let (mut client2, server) = tokio::io::duplex(1024);
        let mut g = Guarded::new(server, Duration::from_secs(5), None);
        client2
            .write_all(&[b'x'; FIRST_BYTES])
            .await
            .expect("write");
        assert_eq!(g.read(&mut buf).await.expect("read"), FIRST_BYTES);
        tokio::time::advance(Duration::from_secs(60)).await;
        client2.write_all(b"late").await.expect("write");
        assert_eq!(g.read(&mut buf).await.expect("no deadline any more"), 4);
        drop(client);
    }
}
