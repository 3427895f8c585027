//! One proxy request on one client connection.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout, Instant};

use crate::allowlist::{parse_port, Allowlist, Denial, Host, Permit};
use crate::connector::{Connector, TcpConnector, Upstream};
use crate::net::is_public;

/// The largest request head (request line and headers) accepted; larger gets `431`.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
const MAX_HEADERS: usize = 128;
const COPY_BUF_BYTES: usize = 16 * 1024;
/// How much of a client-supplied string is echoed back in an error body.
const ECHO_LIMIT: usize = 200;

/// Headers that describe one hop; never forwarded upstream. (`Connection: close` is added.)
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "upgrade",
];

/// What a sandbox may reach, and how.
#[derive(Clone)]
pub struct Policy {
    /// Targets the sandbox may reach.
    pub allowlist: Allowlist,
    /// Limit on resolving and connecting to the upstream (all addresses together); `504` after.
    pub connect_timeout: Duration,
    /// Limit on receiving the complete request head; `408` after.
    pub request_timeout: Duration,
    /// An established connection with no bytes either way for this long is closed
    /// (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// Resolves names and opens upstream connections.
    pub connector: Arc<dyn Connector>,
}

impl Policy {
    /// The allowlist with the system resolver and TCP, a 10 s connect timeout, a 30 s
    /// request-head timeout and a 10 min idle timeout.
    pub fn new(allowlist: Allowlist) -> Self {
        Policy {
            allowlist,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            idle_timeout: Some(Duration::from_secs(600)),
            connector: Arc::new(TcpConnector),
        }
    }

    /// Replaces the connector (tests, or a different network path).
    pub fn with_connector(mut self, connector: Arc<dyn Connector>) -> Self {
        self.connector = connector;
        self
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("allowlist", &self.allowlist.to_string())
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

/// How a request was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed and connected; bytes were relayed.
    Allowed,
    /// Refused by the allowlist (`403`).
    Denied(Denial),
    /// Allowed, but the upstream could not be resolved or connected to (`502`, or `504` on
    /// timeout). The message says why.
    Unreachable(String),
    /// Not a request the proxy serves (`400`, `408`, `431`); nothing was contacted. The message
    /// is what the client was told.
    Rejected(String),
    /// The client closed the connection without sending anything.
    NoRequest,
}

/// What happened on one connection, for logs and metering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The request method (`CONNECT`, `GET`, …), once a request head was parsed.
    pub method: Option<String>,
    /// The target host, normalised (lower case; IPv6 in brackets), once known.
    pub host: Option<String>,
    /// The target port, once known.
    pub port: Option<u16>,
    /// The decision.
    pub verdict: Verdict,
    /// The status line the proxy itself sent (`200` for an established tunnel, or an error).
    /// `None` for forwarded plain HTTP (the upstream answered) or when nothing was sent.
    pub status: Option<u16>,
    /// Bytes written to the upstream (for plain HTTP, including the rewritten request head).
    pub bytes_up: u64,
    /// Bytes relayed from the upstream to the client (not counting the proxy's own responses).
    pub bytes_down: u64,
    /// An I/O error that ended the exchange early, if any.
    pub error: Option<String>,
}

impl Outcome {
    fn new() -> Self {
        Outcome {
            method: None,
            host: None,
            port: None,
            verdict: Verdict::NoRequest,
            status: None,
            bytes_up: 0,
            bytes_down: 0,
            error: None,
        }
    }

    /// Whether the target was allowed and connected to.
    pub fn allowed(&self) -> bool {
        self.verdict == Verdict::Allowed
    }
}

/// The client connection failed before a request could be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// Reading the request head from the client failed.
    #[error("reading the proxy request from the client: {0}")]
    Client(#[from] io::Error),
}

/// Serves one proxy request on `client` and closes it. Never panics on client input; every
/// request gets a response (or a tunnel) and an [`Outcome`]. `Err` only when reading from the
/// client fails before a request head is complete.
pub async fn serve<S>(client: S, policy: &Policy) -> Result<Outcome, ProxyError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut client = client;
    let mut buf = Vec::new();
    let mut outcome = Outcome::new();

    let head = match timeout(policy.request_timeout, read_head(&mut client, &mut buf)).await {
        Ok(head) => head?,
        Err(_elapsed) => {
            let msg = format!(
                "anycode egress: no complete request within {} s",
                policy.request_timeout.as_secs()
            );
            return Ok(reject(&mut client, outcome, 408, msg).await);
        }
    };
    let head = match head {
        Head::Eof => return Ok(outcome),
        Head::Incomplete => {
            let msg =
                "anycode egress: the connection was closed before the request head was complete";
            return Ok(reject(&mut client, outcome, 400, msg.into()).await);
        }
        Head::TooLarge => {
            let msg = format!(
                "anycode egress: the request head is larger than {MAX_HEAD_BYTES} bytes or has more than {MAX_HEADERS} headers"
            );
            return Ok(reject(&mut client, outcome, 431, msg).await);
        }
        Head::Bad(why) => {
            let msg = format!("anycode egress: malformed HTTP request ({why})");
            return Ok(reject(&mut client, outcome, 400, msg).await);
        }
        Head::Complete(head) => head,
    };
    outcome.method = Some(head.method.clone());

    let request = match classify(&head) {
        Ok(r) => r,
        Err(msg) => return Ok(reject(&mut client, outcome, 400, msg).await),
    };
    let (host, port) = match &request {
        Request::Connect { host, port } | Request::Http { host, port, .. } => (host, *port),
    };
    outcome.host = Some(host.to_string());
    outcome.port = Some(port);
    let target = format!("{host}:{port}");

    let permit = match policy.allowlist.check_host(host, port) {
        Ok(p) => p,
        Err(denial) => return Ok(deny(&mut client, outcome, &target, denial).await),
    };

    let upstream = match timeout(policy.connect_timeout, open(policy, host, port, permit)).await {
        Ok(Ok(u)) => u,
        Ok(Err(OpenError::Private(ip))) => {
            return Ok(deny(&mut client, outcome, &target, Denial::PrivateAddress(ip)).await);
        }
        Ok(Err(OpenError::Failed(why))) => {
            let msg = format!("anycode egress: could not reach {target}: {why}");
            outcome.verdict = Verdict::Unreachable(why);
            return Ok(respond_into(&mut client, outcome, 502, msg).await);
        }
        Err(_elapsed) => {
            let why = format!(
                "no connection within {} s",
                policy.connect_timeout.as_secs()
            );
            let msg = format!("anycode egress: could not reach {target}: {why}");
            outcome.verdict = Verdict::Unreachable(why);
            return Ok(respond_into(&mut client, outcome, 504, msg).await);
        }
    };
    outcome.verdict = Verdict::Allowed;

    // Bytes the client sent after the head (a TLS ClientHello, a request body) go first.
    let rest = &buf[head.len..];
    let first_up = match &request {
        Request::Connect { .. } => {
            let established = b"HTTP/1.1 200 Connection Established\r\n\r\n";
            if let Err(e) = write_flush(&mut client, established).await {
                outcome.error = Some(format!("writing 200 to the client: {e}"));
                return Ok(outcome);
            }
            outcome.status = Some(200);
            rest.to_vec()
        }
        Request::Http {
            authority, origin, ..
        } => {
            let mut first = rewrite_head(&head, authority, origin);
            first.extend_from_slice(rest);
            first
        }
    };
    drop(buf);

    relay(
        &mut client,
        upstream,
        first_up,
        policy.idle_timeout,
        &mut outcome,
    )
    .await;
    Ok(outcome)
}

/// A parsed request head, owned.
#[derive(Debug)]
struct RequestHead {
    method: String,
    target: String,
    /// Minor version: `HTTP/1.0` or `HTTP/1.1`.
    version: u8,
    headers: Vec<(String, Vec<u8>)>,
    /// Length of the head in the buffer, including the blank line.
    len: usize,
}

enum Head {
    Eof,
    Incomplete,
    TooLarge,
    Bad(String),
    Complete(RequestHead),
}

enum Parsed {
    Partial,
    Done(Head),
}

/// Reads until the request head is complete, the limit is passed or the client stops. Never
/// buffers more than `MAX_HEAD_BYTES + 1` bytes.
async fn read_head<R>(r: &mut R, buf: &mut Vec<u8>) -> io::Result<Head>
where
    R: AsyncRead + Unpin,
{
    let mut chunk = [0u8; 4096];
    loop {
        if !buf.is_empty() {
            if let Parsed::Done(head) = parse_head(buf) {
                return Ok(head);
            }
            if buf.len() > MAX_HEAD_BYTES {
                return Ok(Head::TooLarge);
            }
        }
        let want = (MAX_HEAD_BYTES + 1 - buf.len()).min(chunk.len());
        let n = r.read(&mut chunk[..want]).await?;
        if n == 0 {
            return Ok(if buf.is_empty() {
                Head::Eof
            } else {
                Head::Incomplete
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn parse_head(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Partial) => Parsed::Partial,
        Ok(httparse::Status::Complete(len)) if len > MAX_HEAD_BYTES => Parsed::Done(Head::TooLarge),
        Ok(httparse::Status::Complete(len)) => Parsed::Done(Head::Complete(RequestHead {
            method: req.method.unwrap_or_default().to_string(),
            target: req.path.unwrap_or_default().to_string(),
            version: req.version.unwrap_or(1),
            headers: req
                .headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_vec()))
                .collect(),
            len,
        })),
        Err(httparse::Error::TooManyHeaders) => Parsed::Done(Head::TooLarge),
        Err(e) => Parsed::Done(Head::Bad(e.to_string())),
    }
}

enum Request {
    Connect {
        host: Host,
        port: u16,
    },
    Http {
        host: Host,
        port: u16,
        /// For the `Host` header: `host` or `host:port`.
        authority: String,
        /// Path and query.
        origin: String,
    },
}

/// Decides what kind of proxy request this is; `Err` is the message for a `400`.
fn classify(head: &RequestHead) -> Result<Request, String> {
    let target = &head.target;
    if head.method == "CONNECT" {
        let (host, port) = parse_authority(target, None).map_err(|why| {
            format!(
                "anycode egress: CONNECT needs host:port, got `{}` ({why})",
                echo(target)
            )
        })?;
        return Ok(Request::Connect { host, port });
    }
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    if lower.starts_with("http://") {
        check_body_framing(head)?;
        let (host, port, authority, origin) = parse_absolute(&target[7..])
            .map_err(|why| format!("anycode egress: bad URL `{}` ({why})", echo(target)))?;
        return Ok(Request::Http {
            host,
            port,
            authority,
            origin,
        });
    }
    if lower.starts_with("https://") {
        return Err(
            "anycode egress: https:// URLs go through CONNECT (use HTTPS_PROXY / an HTTPS-capable client)"
                .into(),
        );
    }
    Err(format!(
        "anycode egress: this is the sandbox's egress proxy; send `CONNECT host:port` or an absolute URL (`{} http://host/path`), not `{}`",
        echo(&head.method),
        echo(target)
    ))
}

/// Refuses ambiguous body framing (request smuggling): `Transfer-Encoding` together with
/// `Content-Length`, or conflicting `Content-Length`s.
fn check_body_framing(head: &RequestHead) -> Result<(), String> {
    let mut lengths = head
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_slice());
    let chunked = head
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"));
    if let Some(first) = lengths.next() {
        if chunked {
            return Err(
                "anycode egress: both Transfer-Encoding and Content-Length in one request".into(),
            );
        }
        let valid = !first.is_empty() && first.iter().all(u8::is_ascii_digit);
        if !valid || lengths.any(|v| v != first) {
            return Err("anycode egress: invalid or conflicting Content-Length".into());
        }
    }
    Ok(())
}

/// `host:port` / `[v6]:port` / `host` (then `default_port`, if any).
fn parse_authority(s: &str, default_port: Option<u16>) -> Result<(Host, u16), String> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']').ok_or("unclosed `[`")?;
        let rest = &s[end + 1..];
        let port = match rest {
            "" => None,
            _ => Some(rest.strip_prefix(':').ok_or("unexpected text after `]`")?),
        };
        (&s[..=end], port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match (port, default_port) {
        (None | Some(""), Some(d)) => d,
        (None | Some(""), None) => return Err("missing port".into()),
        (Some(p), _) => parse_port(p).ok_or("invalid port")?,
    };
    if host.is_empty() {
        return Err("missing host".into());
    }
    Ok((Host::parse(host)?, port))
}

/// The part of an `http://` URL after the scheme → (host, port, Host header, origin form).
fn parse_absolute(rest: &str) -> Result<(Host, u16, String, String), String> {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.contains('@') {
        return Err("user names in the URL are not supported".into());
    }
    let (host, port) = parse_authority(authority, Some(80))?;
    let path = path.split('#').next().unwrap_or_default();
    let origin = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let header = if port == 80 {
        host.to_string()
    } else {
        format!("{host}:{port}")
    };
    Ok((host, port, header, origin))
}

/// The request in origin form, hop-by-hop headers dropped, `Host` set from the URL (RFC 9112
/// §3.2.2) and `Connection: close` forced.
fn rewrite_head(head: &RequestHead, authority: &str, origin: &str) -> Vec<u8> {
    // Headers the client named in Connection are hop-by-hop too (never the body framing).
    let named: Vec<String> = head
        .headers
        .iter()
        .filter(|(n, _)| {
            n.eq_ignore_ascii_case("connection") || n.eq_ignore_ascii_case("proxy-connection")
        })
        .flat_map(|(_, v)| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|t| t != "content-length" && t != "transfer-encoding" && t != "host")
        .collect();

    let mut out = Vec::with_capacity(head.len + 64);
    out.extend_from_slice(
        format!("{} {} HTTP/1.{}\r\n", head.method, origin, head.version).as_bytes(),
    );
    out.extend_from_slice(b"Host: ");
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in &head.headers {
        let lower = name.to_ascii_lowercase();
        if lower == "host" || HOP_BY_HOP.contains(&lower.as_str()) || named.contains(&lower) {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out
}

enum OpenError {
    /// Every address was private and the permit does not allow that.
    Private(IpAddr),
    Failed(String),
}

/// Resolves (unless the host is an IP or a localhost name), drops the addresses the permit
/// does not allow, and connects to the first that answers.
async fn open(
    policy: &Policy,
    host: &Host,
    port: u16,
    permit: Permit,
) -> Result<Box<dyn Upstream>, OpenError> {
    let candidates: Vec<SocketAddr> = match host {
        Host::Ip(ip) => vec![SocketAddr::new(*ip, port)],
        h if h.is_localhost() => vec![
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port),
        ],
        Host::Name(name) => policy
            .connector
            .resolve(name, port)
            .await
            .map_err(|e| OpenError::Failed(format!("could not resolve {name}: {e}")))?
            .into_iter()
            .map(|a| SocketAddr::new(a.ip(), port))
            .collect(),
    };

    let mut addrs: Vec<SocketAddr> = Vec::with_capacity(candidates.len());
    let mut refused = None;
    for addr in candidates {
        if permit.allows_private() || is_public(addr.ip()) {
            if !addrs.contains(&addr) {
                addrs.push(addr);
            }
        } else {
            refused.get_or_insert(addr.ip());
        }
    }
    if addrs.is_empty() {
        return Err(match refused {
            Some(ip) => OpenError::Private(ip),
            None => OpenError::Failed(format!("{host} has no addresses")),
        });
    }

    let mut last = String::new();
    for addr in addrs {
        match policy.connector.connect(addr).await {
            Ok(upstream) => return Ok(upstream),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(OpenError::Failed(format!("connection failed ({last})")))
}

/// Relays until the upstream side ends, either direction fails, or nothing moves for `idle`.
/// The client finishing its side is passed on as a half-close, and the upstream's answer is
/// still relayed.
async fn relay<C>(
    client: &mut C,
    upstream: Box<dyn Upstream>,
    first_up: Vec<u8>,
    idle: Option<Duration>,
    outcome: &mut Outcome,
) where
    C: AsyncRead + AsyncWrite + Unpin,
{
    let (mut client_r, mut client_w) = tokio::io::split(client);
    let (mut up_r, mut up_w) = tokio::io::split(upstream);

    if !first_up.is_empty() {
        if let Err(e) = write_flush(&mut up_w, &first_up).await {
            outcome.error = Some(format!("writing the request upstream: {e}"));
            let _ = client_w.shutdown().await;
            return;
        }
        outcome.bytes_up += first_up.len() as u64;
    }

    let mut up = 0u64;
    let mut down = 0u64;
    let activity = Activity::new();
    let result = {
        let to_upstream = copy_counted(&mut client_r, &mut up_w, &mut up, &activity);
        let to_client = copy_counted(&mut up_r, &mut client_w, &mut down, &activity);
        let idle_expired = activity.idle_for(idle);
        tokio::pin!(to_upstream, to_client, idle_expired);
        let mut client_done = false;
        loop {
            tokio::select! {
                r = &mut to_upstream, if !client_done => match r {
                    Ok(()) => client_done = true,
                    Err(e) => break Err(format!("client to upstream: {e}")),
                },
                r = &mut to_client => break r.map_err(|e| format!("upstream to client: {e}")),
                () = &mut idle_expired => break Err(format!(
                    "closed after {} s without traffic",
                    idle.unwrap_or_default().as_secs()
                )),
            }
        }
    };
    outcome.bytes_up += up;
    outcome.bytes_down += down;
    if let Err(e) = result {
        outcome.error = Some(e);
    }
    let _ = client_w.shutdown().await;
    let _ = up_w.shutdown().await;
}

/// When bytes last moved in either direction of a relay.
struct Activity {
    start: Instant,
    /// Milliseconds after `start`.
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Completes once nothing has moved for `idle`; never when `idle` is `None`.
    async fn idle_for(&self, idle: Option<Duration>) {
        let Some(idle) = idle else {
            return std::future::pending().await;
        };
        loop {
            let last = self.last_ms.load(Ordering::Relaxed);
            tokio::time::sleep_until(self.start + Duration::from_millis(last) + idle).await;
            if self.last_ms.load(Ordering::Relaxed) == last {
                return;
            }
        }
    }
}

/// Copies until EOF, then shuts `w` down. `count` is kept up to date so it survives errors
/// and cancellation.
async fn copy_counted<R, W>(
    r: &mut R,
    w: &mut W,
    count: &mut u64,
    activity: &Activity,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; COPY_BUF_BYTES];
    loop {
        let n = r.read(&mut buf).await?;
        activity.touch();
        if n == 0 {
            // The peer may already be gone; the close is what matters.
            let _ = w.shutdown().await;
            return Ok(());
        }
        w.write_all(&buf[..n]).await?;
        w.flush().await?;
        *count += n as u64;
        activity.touch();
    }
}

async fn write_flush<W: AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> io::Result<()> {
    w.write_all(bytes).await?;
    w.flush().await
}

/// Sends the `403` for a denied target.
async fn deny<W>(client: &mut W, mut outcome: Outcome, target: &str, denial: Denial) -> Outcome
where
    W: AsyncWrite + Unpin,
{
    let msg = match &denial {
        Denial::NotListed => format!(
            "anycode egress: {target} is not in this sandbox's allowlist (add it to the project's egress allowlist)"
        ),
        Denial::IpLiteral => format!(
            "anycode egress: {target} is an IP address, which is refused unless listed exactly (add it to the project's egress allowlist)"
        ),
        Denial::PrivateAddress(ip) => format!(
            "anycode egress: {target} resolves to the private address {ip}, which is refused unless the allowlist names that IP or localhost"
        ),
    };
    outcome.verdict = Verdict::Denied(denial);
    respond_into(client, outcome, 403, msg).await
}

/// Sends a `4xx` for a request the proxy does not serve and records it as rejected.
async fn reject<W>(client: &mut W, mut outcome: Outcome, status: u16, msg: String) -> Outcome
where
    W: AsyncWrite + Unpin,
{
    outcome.verdict = Verdict::Rejected(msg.clone());
    respond_into(client, outcome, status, msg).await
}

/// Sends a plain-text response with a one-line body, closes the write side and records the
/// status (and any write error) in the outcome.
async fn respond_into<W>(client: &mut W, mut outcome: Outcome, status: u16, msg: String) -> Outcome
where
    W: AsyncWrite + Unpin,
{
    let body = format!("{msg}\n");
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    outcome.status = Some(status);
    let result = async {
        client.write_all(head.as_bytes()).await?;
        client.write_all(body.as_bytes()).await?;
        client.flush().await?;
        client.shutdown().await
    }
    .await;
    if let Err(e) = result {
        outcome.error = Some(format!("writing {status} to the client: {e}"));
    }
    outcome
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        502 => "Bad Gateway",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

/// A client-supplied string, shortened for an error body (it is printable ASCII: httparse
/// only accepts tokens there).
fn echo(s: &str) -> String {
    match s.char_indices().nth(ECHO_LIMIT) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> RequestHead {
        match parse_head(raw.as_bytes()) {
            Parsed::Done(Head::Complete(h)) => h,
            _ => panic!("not a complete head: {raw:?}"),
        }
    }

    #[test]
    fn authority_forms() {
        let ok = |s: &str, d| parse_authority(s, d).map(|(h, p)| format!("{h}|{p}"));
        assert_eq!(ok("Example.COM:443", None).unwrap(), "example.com|443");
        assert_eq!(ok("[::1]:8080", None).unwrap(), "[::1]|8080");
        assert_eq!(ok("example.com", Some(80)).unwrap(), "example.com|80");
        assert_eq!(ok("example.com:", Some(80)).unwrap(), "example.com|80");
        assert!(ok("example.com", None).is_err());
        assert!(ok(":443", None).is_err());
        assert!(ok("example.com:0", None).is_err());
        assert!(ok("example.com:+443", None).is_err());
        assert!(ok("[::1", None).is_err());
        assert!(ok("ex ample.com:443", None).is_err());
    }

    #[test]
    fn absolute_forms() {
        let p = |s: &str| parse_absolute(s).map(|(h, port, a, o)| format!("{h} {port} {a} {o}"));
        assert_eq!(p("example.com").unwrap(), "example.com 80 example.com /");
        assert_eq!(
            p("example.com:8080/a/b?c=d#frag").unwrap(),
            "example.com 8080 example.com:8080 /a/b?c=d"
        );
        assert_eq!(
            p("example.com?x").unwrap(),
            "example.com 80 example.com /?x"
        );
        assert_eq!(p("[::1]:81/").unwrap(), "[::1] 81 [::1]:81 /");
        assert!(p("user:pw@example.com/").is_err());
        assert!(p("/path").is_err());
    }

    #[test]
    fn rewrite_drops_hop_by_hop_and_replaces_host() {
        let h = head(
            "GET http://example.com/x HTTP/1.1\r\nHost: other.example\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nProxy-Authorization: Basic abc\r\nAccept: */*\r\n\r\n",
        );
        let out = rewrite_head(&h, "example.com", "/x");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET /x HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn framing_checks() {
        let bad = head("POST http://a.com/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert!(check_body_framing(&bad).is_err());
        let bad =
            head("POST http://a.com/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n");
        assert!(check_body_framing(&bad).is_err());
        let bad = head("POST http://a.com/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
        assert!(check_body_framing(&bad).is_err());
        let ok =
            head("POST http://a.com/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n");
        assert!(check_body_framing(&ok).is_ok());
    }

    #[test]
    fn echo_truncates_on_char_boundary() {
        assert_eq!(echo("abc"), "abc");
        let long = "é".repeat(300);
        assert_eq!(echo(&long).chars().count(), ECHO_LIMIT + 1);
    }
}
