//! How the proxy reaches upstreams: name resolution and TCP connect, split so the proxy can
//! vet every resolved address before connecting to exactly that address (no second lookup
//! for DNS rebinding to exploit).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A boxed, sendable future (keeps [`Connector`] object-safe without extra crates).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A byte stream to an upstream.
pub trait Upstream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Upstream for T {}

/// Resolves names and opens connections. Tests inject their own.
pub trait Connector: Send + Sync {
    /// Resolves `host` (a DNS name, never an IP literal or a `localhost` name) to addresses.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>>;

    /// Opens a connection to one address the proxy has already vetted.
    fn connect(&self, addr: SocketAddr) -> BoxFuture<'_, io::Result<Box<dyn Upstream>>>;
}

/// The default: the system resolver and a plain TCP connection (with `TCP_NODELAY`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpConnector;

impl Connector for TcpConnector {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }

    fn connect(&self, addr: SocketAddr) -> BoxFuture<'_, io::Result<Box<dyn Upstream>>> {
        Box::pin(async move {
            let stream = TcpStream::connect(addr).await?;
            // Latency matters more than packet count for interactive tunnels; best effort.
            let _ = stream.set_nodelay(true);
            Ok(Box::new(stream) as Box<dyn Upstream>)
        })
    }
}
