//! End-to-end behaviour of `serve` over an in-memory client and real or fake upstreams.
#![allow(clippy::unwrap_used)]

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use egress::{serve, Allowlist, BoxFuture, Connector, Denial, Outcome, Policy, Upstream, Verdict};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

fn policy(patterns: &[&str]) -> Policy {
    Policy::new(Allowlist::new(patterns).unwrap())
}

/// Starts `serve` on one end of an in-memory pipe; returns the client end.
fn start(policy: Policy) -> (DuplexStream, JoinHandle<Outcome>) {
    let (client, proxy_side) = tokio::io::duplex(1 << 20);
    let task = tokio::spawn(async move { serve(proxy_side, &policy).await.unwrap() });
    (client, task)
}

/// Sends `input` as the whole request and returns everything the proxy answered.
async fn exchange(policy: Policy, input: &[u8]) -> (String, Outcome) {
    let (mut client, task) = start(policy);
    client.write_all(input).await.unwrap();
    let mut out = Vec::new();
    client.read_to_end(&mut out).await.unwrap();
    (
        String::from_utf8_lossy(&out).into_owned(),
        task.await.unwrap(),
    )
}

/// Reads up to and including the blank line that ends a head.
async fn read_head<R: AsyncRead + Unpin>(r: &mut R) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = r.read(&mut byte).await.unwrap();
        assert_eq!(
            n,
            1,
            "EOF inside head: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// A TCP server on 127.0.0.1 that echoes one connection.
async fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let (mut r, mut w) = s.split();
        tokio::io::copy(&mut r, &mut w).await.unwrap();
        w.shutdown().await.unwrap();
    });
    port
}

/// A TCP server on 127.0.0.1 that takes one HTTP request (head plus `body_len` bytes), reports
/// it, answers `response` and closes.
async fn http_server(
    body_len: usize,
    response: &'static str,
) -> (u16, oneshot::Receiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let head = read_head(&mut s).await;
        let mut body = vec![0u8; body_len];
        s.read_exact(&mut body).await.unwrap();
        s.write_all(response.as_bytes()).await.unwrap();
        s.shutdown().await.unwrap();
        tx.send((head, body)).unwrap();
    });
    (port, rx)
}

/// Resolves every name to fixed addresses and records connection attempts; connects fail with
/// `ConnectionRefused`, or never finish when `hang` is set.
#[derive(Default)]
struct FakeConnector {
    addrs: Vec<SocketAddr>,
    hang: bool,
    resolved: Mutex<Vec<String>>,
    connects: Mutex<Vec<SocketAddr>>,
}

impl Connector for FakeConnector {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        _port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        self.resolved.lock().unwrap().push(host.to_string());
        let addrs = self.addrs.clone();
        Box::pin(async move { Ok(addrs) })
    }

    fn connect(&self, addr: SocketAddr) -> BoxFuture<'_, io::Result<Box<dyn Upstream>>> {
        self.connects.lock().unwrap().push(addr);
        let hang = self.hang;
        Box::pin(async move {
            if hang {
                std::future::pending::<()>().await;
            }
            Err(io::ErrorKind::ConnectionRefused.into())
        })
    }
}

fn with_fake(patterns: &[&str], fake: &Arc<FakeConnector>) -> Policy {
    policy(patterns).with_connector(fake.clone())
}

#[tokio::test]
async fn connect_tunnel_round_trip() {
    let port = echo_server().await;
    let (mut client, task) = start(policy(&[&format!("127.0.0.1:{port}")]));

    client
        .write_all(
            format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(
        read_head(&mut client).await,
        "HTTP/1.1 200 Connection Established\r\n\r\n"
    );
    client.write_all(b"ping").await.unwrap();
    let mut echoed = [0u8; 4];
    client.read_exact(&mut echoed).await.unwrap();
    assert_eq!(&echoed, b"ping");
    client.write_all(b" pong").await.unwrap();
    client.shutdown().await.unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b" pong");

    let outcome = task.await.unwrap();
    assert_eq!(outcome.verdict, Verdict::Allowed);
    assert!(outcome.allowed());
    assert_eq!(outcome.method.as_deref(), Some("CONNECT"));
    assert_eq!(outcome.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(outcome.port, Some(port));
    assert_eq!(outcome.status, Some(200));
    assert_eq!((outcome.bytes_up, outcome.bytes_down), (9, 9));
    assert_eq!(outcome.error, None);
}

#[tokio::test]
async fn connect_via_localhost_forwards_bytes_sent_with_the_request() {
    let port = echo_server().await;
    let (mut client, task) = start(policy(&[&format!("localhost:{port}")]));
    // Eager clients send the first payload in the same write as the CONNECT.
    client
        .write_all(format!("CONNECT LocalHost:{port} HTTP/1.1\r\n\r\nhello").as_bytes())
        .await
        .unwrap();
    client.shutdown().await.unwrap();
    let mut out = String::new();
    client.read_to_string(&mut out).await.unwrap();
    assert_eq!(out, "HTTP/1.1 200 Connection Established\r\n\r\nhello");
    let outcome = task.await.unwrap();
    assert_eq!(outcome.host.as_deref(), Some("localhost"));
    assert_eq!((outcome.bytes_up, outcome.bytes_down), (5, 5));
}

#[tokio::test]
async fn denied_host_gets_403_with_message_and_nothing_is_contacted() {
    let fake = Arc::new(FakeConnector::default());
    let (response, outcome) = exchange(
        with_fake(&["pypi.org"], &fake),
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    )
    .await;
    assert!(
        response.starts_with("HTTP/1.1 403 Forbidden\r\n"),
        "{response}"
    );
    assert!(response.contains("Content-Type: text/plain; charset=utf-8\r\n"));
    assert!(response.ends_with(
        "\r\n\r\nanycode egress: example.com:443 is not in this sandbox's allowlist (add it to the project's egress allowlist)\n"
    ), "{response}");
    assert_eq!(outcome.verdict, Verdict::Denied(Denial::NotListed));
    assert_eq!(outcome.status, Some(403));
    assert_eq!(outcome.host.as_deref(), Some("example.com"));
    assert_eq!(outcome.port, Some(443));
    assert!(fake.resolved.lock().unwrap().is_empty());
    assert!(fake.connects.lock().unwrap().is_empty());

    // Same for plain HTTP, and for an allowed host on a port that is not allowed.
    let (response, outcome) = exchange(
        with_fake(&["pypi.org"], &fake),
        b"GET http://pypi.org:8080/simple/ HTTP/1.1\r\nHost: pypi.org:8080\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
    assert!(response.contains("pypi.org:8080 is not in this sandbox's allowlist"));
    assert_eq!(outcome.method.as_deref(), Some("GET"));
    assert!(fake.connects.lock().unwrap().is_empty());
}

#[tokio::test]
async fn ip_literal_is_denied_unless_listed_exactly() {
    let port = echo_server().await;
    let (response, outcome) = exchange(
        policy(&[&format!("localhost:{port}")]),
        format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
    assert!(response.contains("is an IP address"), "{response}");
    assert_eq!(outcome.verdict, Verdict::Denied(Denial::IpLiteral));
}

#[tokio::test]
async fn plain_http_is_rewritten_to_origin_form() {
    let reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    let (port, received) = http_server(0, reply).await;
    let request = format!(
        "GET http://LOCALHOST:{port}/simple/pkg/?q=1#frag HTTP/1.1\r\n\
         Host: somewhere-else.example\r\n\
         User-Agent: pip/24\r\n\
         Proxy-Connection: keep-alive\r\n\
         Proxy-Authorization: Basic c2VjcmV0\r\n\
         Connection: keep-alive\r\n\
         Accept: */*\r\n\r\n"
    );
    let (response, outcome) =
        exchange(policy(&[&format!("localhost:{port}")]), request.as_bytes()).await;

    let (head, _) = received.await.unwrap();
    assert_eq!(
        head,
        format!(
            "GET /simple/pkg/?q=1 HTTP/1.1\r\n\
             Host: localhost:{port}\r\n\
             User-Agent: pip/24\r\n\
             Accept: */*\r\n\
             Connection: close\r\n\r\n"
        )
    );
    assert_eq!(response, reply);
    assert_eq!(outcome.verdict, Verdict::Allowed);
    assert_eq!(outcome.status, None);
    assert_eq!(outcome.bytes_up, head.len() as u64);
    assert_eq!(outcome.bytes_down, reply.len() as u64);
}

#[tokio::test]
async fn plain_http_forwards_the_body() {
    let reply = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    let (port, received) = http_server(11, reply).await;
    let (mut client, task) = start(policy(&[&format!("localhost:{port}")]));
    // Part of the body arrives with the head, the rest later.
    client
        .write_all(
            format!(
                "POST http://localhost:{port}/upload HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    client.write_all(b" world").await.unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).await.unwrap();

    let (head, body) = received.await.unwrap();
    assert_eq!(
        head,
        format!("POST /upload HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Length: 11\r\nConnection: close\r\n\r\n")
    );
    assert_eq!(body, b"hello world");
    assert_eq!(response, reply);
    let outcome = task.await.unwrap();
    assert_eq!(outcome.bytes_up, (head.len() + body.len()) as u64);
}

#[tokio::test]
async fn private_address_after_resolution_is_refused() {
    let fake = Arc::new(FakeConnector {
        addrs: vec![
            "10.0.0.7:443".parse().unwrap(),
            "[fd00::7]:443".parse().unwrap(),
        ],
        ..Default::default()
    });
    let (response, outcome) = exchange(
        with_fake(&["*.example.com"], &fake),
        b"CONNECT internal.example.com:443 HTTP/1.1\r\n\r\n",
    )
    .await;
    assert!(
        response.starts_with("HTTP/1.1 403 Forbidden\r\n"),
        "{response}"
    );
    assert!(
        response.contains("internal.example.com:443 resolves to the private address 10.0.0.7"),
        "{response}"
    );
    assert_eq!(
        outcome.verdict,
        Verdict::Denied(Denial::PrivateAddress("10.0.0.7".parse().unwrap()))
    );
    assert_eq!(*fake.resolved.lock().unwrap(), ["internal.example.com"]);
    assert!(fake.connects.lock().unwrap().is_empty(), "must not connect");
}

#[tokio::test]
async fn mixed_resolution_only_connects_to_public_addresses() {
    let fake = Arc::new(FakeConnector {
        addrs: vec![
            "127.0.0.1:443".parse().unwrap(),
            "169.254.169.254:443".parse().unwrap(),
            "[::ffff:192.168.0.1]:443".parse().unwrap(),
            "93.184.215.14:443".parse().unwrap(),
        ],
        ..Default::default()
    });
    let (response, outcome) = exchange(
        with_fake(&["example.com"], &fake),
        b"GET http://example.com/ HTTP/1.1\r\n\r\n",
    )
    .await;
    // The fake refuses the connection: a 502 after trying only the public address, on the
    // request's port whatever the resolver said.
    assert!(
        response.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
        "{response}"
    );
    assert!(matches!(outcome.verdict, Verdict::Unreachable(_)));
    assert_eq!(
        *fake.connects.lock().unwrap(),
        ["93.184.215.14:80".parse::<SocketAddr>().unwrap()]
    );
}

#[tokio::test(start_paused = true)]
async fn connect_timeout_gives_504() {
    let fake = Arc::new(FakeConnector {
        addrs: vec!["93.184.215.14:443".parse().unwrap()],
        hang: true,
        ..Default::default()
    });
    let mut policy = with_fake(&["example.com"], &fake);
    policy.connect_timeout = Duration::from_secs(3);
    let (response, outcome) = exchange(policy, b"CONNECT example.com:443 HTTP/1.1\r\n\r\n").await;
    assert!(
        response.starts_with("HTTP/1.1 504 Gateway Timeout\r\n"),
        "{response}"
    );
    assert_eq!(outcome.status, Some(504));
}

#[tokio::test]
async fn wildcard_rules_through_the_proxy() {
    // (target, allowed by `*.githubusercontent.com`)
    let table = [
        ("objects.githubusercontent.com:443", true),
        ("a.b.githubusercontent.com:443", true),
        ("githubusercontent.com:443", false),
        ("evilgithubusercontent.com:443", false),
        ("objects.githubusercontent.com:8443", false),
    ];
    for (target, allowed) in table {
        let fake = Arc::new(FakeConnector {
            addrs: vec!["185.199.108.133:443".parse().unwrap()],
            ..Default::default()
        });
        let (response, outcome) = exchange(
            with_fake(&["*.githubusercontent.com"], &fake),
            format!("CONNECT {target} HTTP/1.1\r\n\r\n").as_bytes(),
        )
        .await;
        let status = if allowed { 502 } else { 403 }; // allowed: the fake refuses to connect
        assert_eq!(outcome.status, Some(status), "{target}: {response}");
        assert_eq!(
            fake.connects.lock().unwrap().len(),
            usize::from(allowed),
            "{target}"
        );
    }
}

#[tokio::test]
async fn oversized_head_gets_431() {
    let mut request = b"GET http://pypi.org/ HTTP/1.1\r\n".to_vec();
    while request.len() <= 17 * 1024 {
        request
            .extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let (response, outcome) = exchange(policy(&["pypi.org"]), &request).await;
    assert!(
        response.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{response}"
    );
    assert_eq!(outcome.status, Some(431));
    assert!(matches!(outcome.verdict, Verdict::Rejected(_)));

    // An endless request line without a newline too.
    let (response, _) = exchange(policy(&["pypi.org"]), &vec![b'a'; 20 * 1024]).await;
    assert!(response.starts_with("HTTP/1.1 431 "), "{response}");
}

#[tokio::test]
async fn garbage_and_unsupported_forms_get_400() {
    let cases: &[(&[u8], &str)] = &[
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "malformed HTTP request"),
        (b"hello there\r\n\r\n", "malformed HTTP request"),
        (b"GET / HTTP/1.1\r\nHost: pypi.org\r\n\r\n", "send `CONNECT host:port` or an absolute URL"),
        (b"GET https://pypi.org/ HTTP/1.1\r\n\r\n", "https:// URLs go through CONNECT"),
        (b"GET ftp://pypi.org/ HTTP/1.1\r\n\r\n", "send `CONNECT host:port`"),
        (b"CONNECT pypi.org HTTP/1.1\r\n\r\n", "CONNECT needs host:port"),
        (b"CONNECT pypi.org:99999 HTTP/1.1\r\n\r\n", "invalid port"),
        (b"CONNECT user@pypi.org:443 HTTP/1.1\r\n\r\n", "CONNECT needs host:port"),
        (b"GET http://user:pw@pypi.org/ HTTP/1.1\r\n\r\n", "user names"),
        (b"GET http:///x HTTP/1.1\r\n\r\n", "missing host"),
        (
            b"POST http://pypi.org/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "both Transfer-Encoding and Content-Length",
        ),
        (b"GET http://pypi.org/ HTTP/1.1\r\nHost: pypi", "closed before the request head was complete"),
    ];
    for (input, needle) in cases {
        let fake = Arc::new(FakeConnector::default());
        let (mut client, task) = start(with_fake(&["pypi.org"], &fake));
        client.write_all(input).await.unwrap();
        client.shutdown().await.unwrap();
        let mut response = String::new();
        client.read_to_string(&mut response).await.unwrap();
        let outcome = task.await.unwrap();
        assert!(
            response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{input:?}: {response}"
        );
        assert!(response.contains(needle), "{input:?}: {response}");
        assert_eq!(outcome.status, Some(400));
        assert!(
            matches!(outcome.verdict, Verdict::Rejected(_)),
            "{outcome:?}"
        );
        assert!(fake.connects.lock().unwrap().is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn no_request_in_time_gets_408() {
    let (mut client, task) = start(policy(&["pypi.org"]));
    client
        .write_all(b"CONNECT pypi.org:443 HTTP/1.1\r\n")
        .await
        .unwrap();
    // Time is paused: the runtime skips ahead to the proxy's request timeout.
    let mut response = String::new();
    client.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{response}"
    );
    assert_eq!(task.await.unwrap().status, Some(408));
}

#[tokio::test]
async fn client_closing_without_a_request_is_not_an_error() {
    let (client, task) = start(policy(&["pypi.org"]));
    drop(client);
    let outcome = task.await.unwrap();
    assert_eq!(outcome.verdict, Verdict::NoRequest);
    assert_eq!(outcome.status, None);
}

#[tokio::test]
async fn upstream_refusing_gives_502() {
    // Bind then drop, so the port is (very likely) closed.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let (response, outcome) = exchange(
        policy(&[&format!("127.0.0.1:{port}")]),
        format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(
        response.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
        "{response}"
    );
    assert!(response.contains(&format!("could not reach 127.0.0.1:{port}")));
    assert!(matches!(outcome.verdict, Verdict::Unreachable(_)));
}

/// Resolves to one public address and connects to an in-memory upstream.
struct PipeConnector(Mutex<Option<DuplexStream>>);

impl Connector for PipeConnector {
    fn resolve<'a>(
        &'a self,
        _host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(vec![SocketAddr::from(([93, 184, 215, 14], port))]) })
    }

    fn connect(&self, _addr: SocketAddr) -> BoxFuture<'_, io::Result<Box<dyn Upstream>>> {
        let pipe = self.0.lock().unwrap().take();
        Box::pin(async move {
            pipe.map(|p| Box::new(p) as Box<dyn Upstream>)
                .ok_or_else(|| io::ErrorKind::ConnectionRefused.into())
        })
    }
}

#[tokio::test(start_paused = true)]
async fn idle_tunnel_is_closed() {
    // All in memory: with paused time, real sockets could let the clock jump ahead of I/O.
    let (pipe, mut upstream) = tokio::io::duplex(1024);
    let mut policy =
        policy(&["example.com"]).with_connector(Arc::new(PipeConnector(Mutex::new(Some(pipe)))));
    policy.idle_timeout = Some(Duration::from_secs(60));
    let (mut client, task) = start(policy);
    client
        .write_all(b"CONNECT example.com:443 HTTP/1.1\r\n\r\nhi")
        .await
        .unwrap();
    assert_eq!(
        read_head(&mut client).await,
        "HTTP/1.1 200 Connection Established\r\n\r\n"
    );
    let mut got = [0u8; 2];
    upstream.read_exact(&mut got).await.unwrap();
    upstream.write_all(b"yo!").await.unwrap();
    let mut echoed = [0u8; 3];
    client.read_exact(&mut echoed).await.unwrap();
    // Then nothing: paused time runs ahead to the idle timeout, which closes both sides.
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    upstream.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    let outcome = task.await.unwrap();
    assert_eq!((outcome.bytes_up, outcome.bytes_down), (2, 3));
    assert!(
        outcome
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("60 s without traffic"),
        "{outcome:?}"
    );
}
