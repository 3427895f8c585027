//! The agent stream: the stdio of a `docker exec` as one `AsyncRead + AsyncWrite`.
//!
//! Reads yield the exec's stdout only (the engine multiplexes stdout and stderr on one
//! connection when there is no TTY); stderr lines are logged. Writes go to its stdin;
//! `shutdown` half-closes the connection, which the engine turns into EOF on stdin.
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bollard::container::LogOutput;
use bytes::{Buf, Bytes};
use futures_util::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Largest frame bollard buffers from the exec's output.
pub(crate) const OUTPUT_CAPACITY: usize = 64 * 1024;
/// A stderr line longer than this is logged in pieces.
const MAX_STDERR_LINE: usize = 8 * 1024;

type Output = Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;
type Input = Pin<Box<dyn AsyncWrite + Send>>;

pub(crate) struct ExecStream {
    sandbox: String,
    output: Output,
    input: Input,
    /// Stdout bytes received but not yet read.
    pending: Bytes,
    /// An incomplete stderr line.
    stderr: Vec<u8>,
    eof: bool,
}

impl ExecStream {
    pub(crate) fn new(sandbox: &str, output: Output, input: Input) -> Self {
        Self {
            sandbox: sandbox.to_owned(),
            output,
            input,
            pending: Bytes::new(),
            stderr: Vec::new(),
            eof: false,
        }
    }

    fn log_stderr(&mut self, chunk: &[u8]) {
        self.stderr.extend_from_slice(chunk);
        while let Some(end) = self.stderr.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.stderr.drain(..=end).collect();
            self.log_line(&line[..end]);
        }
        if self.stderr.len() > MAX_STDERR_LINE {
            let line = std::mem::take(&mut self.stderr);
            self.log_line(&line);
        }
    }

    fn log_line(&self, line: &[u8]) {
        tracing::info!(sandbox = %self.sandbox, "agent attach: {}", String::from_utf8_lossy(line));
    }
}

impl AsyncRead for ExecStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if !this.pending.is_empty() {
                let n = this.pending.len().min(buf.remaining());
                buf.put_slice(&this.pending[..n]);
                this.pending.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            match this.output.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(LogOutput::StdOut { message })))
                | Poll::Ready(Some(Ok(LogOutput::Console { message }))) => this.pending = message,
                Poll::Ready(Some(Ok(LogOutput::StdErr { message }))) => this.log_stderr(&message),
                Poll::Ready(Some(Ok(LogOutput::StdIn { .. }))) => {}
                Poll::Ready(Some(Err(e))) => {
                    this.eof = true;
                    return Poll::Ready(Err(io::Error::other(e)));
                }
                Poll::Ready(None) => {
                    this.eof = true;
                    if !this.stderr.is_empty() {
                        let line = std::mem::take(&mut this.stderr);
                        this.log_line(&line);
                    }
                }
            }
        }
    }
}

impl AsyncWrite for ExecStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.input.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.input.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.input.as_mut().poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.input.as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.input.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn reads_stdout_only_and_ends() {
        let items: Vec<Result<LogOutput, bollard::errors::Error>> = vec![
            Ok(LogOutput::StdOut {
                message: Bytes::from_static(b"hel"),
            }),
            Ok(LogOutput::StdErr {
                message: Bytes::from_static(b"warn: x\npart"),
            }),
            Ok(LogOutput::StdOut {
                message: Bytes::from_static(b"lo"),
            }),
        ];
        let output: Output = Box::pin(futures_util::stream::iter(items));
        let input: Input = Box::pin(tokio::io::sink());
        let mut s = ExecStream::new("t", output, input);
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"hello");
    }
}
