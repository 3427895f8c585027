//! Git over smart HTTP: `git http-backend` run as CGI per request, behind the fake's token
//! checks. The request body streams into the CGI's stdin, its stdout streams back (headers
//! parsed up to the blank line). After a push the refs are compared and announced.

use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio_util::io::ReaderStream;

use crate::core::{self, Inner};
use crate::git::{self, Bare};
use crate::rest;

/// The CGI's headers must fit in this.
const MAX_HEADERS: usize = 64 * 1024;

/// A git smart-HTTP path: `/{owner}/{repo}[.git]/{info/refs|git-upload-pack|git-receive-pack}`.
#[derive(Debug, Clone)]
pub struct GitRoute {
    owner: String,
    repo: String,
    service_path: &'static str,
}

pub fn route(segs: &[String]) -> Option<GitRoute> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (owner, repo, service_path) = match s.as_slice() {
        [o, r, "info", "refs"] => (*o, *r, "info/refs"),
        [o, r, "git-upload-pack"] => (*o, *r, "git-upload-pack"),
        [o, r, "git-receive-pack"] => (*o, *r, "git-receive-pack"),
        _ => return None,
    };
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    (core::is_simple_segment(owner) && core::is_simple_segment(repo)).then(|| GitRoute {
        owner: owner.to_string(),
        repo: repo.to_string(),
        service_path,
    })
}

fn challenge() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [
            (header::WWW_AUTHENTICATE, "Basic realm=\"fake-forge\""),
            (header::CONTENT_TYPE, "text/plain"),
        ],
        "Authentication required\n",
    )
        .into_response()
}

pub async fn serve(inner: Arc<Inner>, route: GitRoute, req: Request) -> Response {
    let query = req.uri().query().unwrap_or("").to_string();
    let push = route.service_path == "git-receive-pack"
        || (route.service_path == "info/refs" && query.contains("service=git-receive-pack"));
    let token = rest::token(req.headers());
    let Ok(login) = inner.login_for(token.as_deref()) else {
        return challenge();
    };
    let Some((readable, writable)) = inner.git_access(&route.owner, &route.repo, login.as_deref())
    else {
        return rest::plain(StatusCode::NOT_FOUND, "Repository not found.\n");
    };
    match (push, login.is_some()) {
        (true, false) => return challenge(),
        (true, true) if !writable => {
            return rest::plain(StatusCode::FORBIDDEN, "Permission denied.\n");
        }
        (false, false) if !readable => return challenge(),
        (false, true) if !readable => {
            return rest::plain(StatusCode::NOT_FOUND, "Repository not found.\n");
        }
        _ => {}
    }
    let bare = Bare::at(&inner.bare_path(&route.owner, &route.repo));
    let refs_before = if route.service_path == "git-receive-pack" {
        let bare = bare.clone();
        match tokio::task::spawn_blocking(move || bare.refs()).await {
            Ok(Ok(refs)) => Some(refs),
            _ => None,
        }
    } else {
        None
    };
    let cut = (route.service_path == "git-upload-pack")
        .then(|| inner.cut_upload_pack())
        .flatten();
    match run_cgi(
        &inner,
        &route,
        &query,
        login.as_deref(),
        req,
        cut,
        refs_before,
    )
    .await
    {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(error = %e, owner = route.owner, repo = route.repo, "git http-backend failed");
            rest::plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "git http-backend failed\n",
            )
        }
    }
}

async fn run_cgi(
    inner: &Arc<Inner>,
    route: &GitRoute,
    query: &str,
    login: Option<&str>,
    req: Request,
    cut: Option<usize>,
    refs_before: Option<std::collections::BTreeMap<String, String>>,
) -> io::Result<Response> {
    let headers = req.headers().clone();
    let mut cmd = tokio::process::Command::new("git");
    cmd.arg("http-backend");
    git::isolate_tokio(&mut cmd);
    cmd.env("GIT_PROJECT_ROOT", &inner.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env(
            "PATH_INFO",
            format!("/{}/{}.git/{}", route.owner, route.repo, route.service_path),
        )
        .env("REQUEST_METHOD", req.method().as_str())
        .env("QUERY_STRING", query)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env("GATEWAY_INTERFACE", "CGI/1.1");
    let pass = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    for (header, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-length", "CONTENT_LENGTH"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
    ] {
        if let Some(v) = pass(header) {
            cmd.env(var, v);
        }
    }
    if let Some(login) = login {
        cmd.env("REMOTE_USER", login);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;

    if let Some(mut stdin) = child.stdin.take() {
        let mut body = req.into_body().into_data_stream();
        tokio::spawn(async move {
            while let Some(chunk) = body.next().await {
                let Ok(chunk) = chunk else { break };
                if stdin.write_all(&chunk).await.is_err() {
                    break;
                }
            }
            let _ = stdin.shutdown().await;
        });
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(line, "git http-backend");
            }
        });
    }
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no stdout"))?;

    // After the CGI exits: announce what a push changed.
    {
        let inner = inner.clone();
        let (owner, repo) = (route.owner.clone(), route.repo.clone());
        let login = login.map(str::to_string);
        tokio::spawn(async move {
            let status = child.wait().await;
            let Some(before) = refs_before else { return };
            if !status.is_ok_and(|s| s.success()) {
                return;
            }
            let bare = Bare::at(&inner.bare_path(&owner, &repo));
            let _ = tokio::task::spawn_blocking(move || {
                if let Ok(after) = bare.refs() {
                    let changes = core::diff_refs(&before, &after);
                    inner.refs_changed(&owner, &repo, &changes, login.as_deref());
                }
            })
            .await;
        });
    }

    // CGI headers, up to the blank line.
    let mut buf = Vec::with_capacity(8192);
    let (head_end, body_start) = loop {
        if let Some(found) = header_end(&buf) {
            break found;
        }
        if buf.len() > MAX_HEADERS {
            return Err(io::Error::other("CGI headers too long"));
        }
        if stdout.read_buf(&mut buf).await? == 0 {
            return Err(io::Error::other(
                "git http-backend ended before its headers",
            ));
        }
    };
    let (status, resp_headers) = parse_headers(&buf[..head_end]);
    let leftover = Bytes::copy_from_slice(&buf[body_start..]);
    let stream = futures_util::stream::iter([Ok::<_, io::Error>(leftover)])
        .chain(ReaderStream::new(stdout))
        .filter(|chunk| std::future::ready(!matches!(chunk, Ok(b) if b.is_empty())));
    let body = match cut {
        Some(limit) => Body::from_stream(cut_after(Box::pin(stream), limit, inner.clone())),
        None => Body::from_stream(stream),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = resp_headers;
    Ok(resp)
}

/// Where the CGI headers end: (end of headers, start of body).
fn header_end(buf: &[u8]) -> Option<(usize, usize)> {
    let crlf = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4));
    let lf = buf
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// `Status: 404 Not Found` → the status; every other line → a header.
fn parse_headers(head: &[u8]) -> (StatusCode, HeaderMap) {
    let mut status = StatusCode::OK;
    let mut headers = HeaderMap::new();
    for line in String::from_utf8_lossy(head).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.trim().eq_ignore_ascii_case("status") {
            if let Some(code) = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
            {
                status = code;
            }
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    (status, headers)
}

type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

enum Cut {
    Streaming { sent: usize },
    Failing,
    Done,
}

/// Passes `limit` bytes, then fails the body (the connection is dropped mid-response) and
/// disarms the fault. A response shorter than `limit` passes whole and leaves it armed.
fn cut_after(
    stream: ByteStream,
    limit: usize,
    inner: Arc<Inner>,
) -> impl Stream<Item = io::Result<Bytes>> + Send {
    futures_util::stream::unfold(
        (stream, Cut::Streaming { sent: 0 }, inner),
        move |(mut stream, state, inner)| async move {
            match state {
                Cut::Done => None,
                Cut::Failing => Some((
                    Err(io::Error::other("fake-forge fault: upload-pack cut")),
                    (stream, Cut::Done, inner),
                )),
                Cut::Streaming { sent } => match stream.next().await {
                    None => None,
                    Some(Err(e)) => Some((Err(e), (stream, Cut::Done, inner))),
                    Some(Ok(chunk)) if sent + chunk.len() <= limit => {
                        let sent = sent + chunk.len();
                        Some((Ok(chunk), (stream, Cut::Streaming { sent }, inner)))
                    }
                    Some(Ok(chunk)) => {
                        inner.upload_pack_was_cut();
                        tracing::info!(
                            after = limit,
                            "fake-forge: cutting an upload-pack response"
                        );
                        let keep = chunk.slice(..limit - sent);
                        if keep.is_empty() {
                            Some((
                                Err(io::Error::other("fake-forge fault: upload-pack cut")),
                                (stream, Cut::Done, inner),
                            ))
                        } else {
                            Some((Ok(keep), (stream, Cut::Failing, inner)))
                        }
                    }
                },
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let segs = |p: &str| p.split('/').map(str::to_string).collect::<Vec<_>>();
        let r = route(&segs("alice/app.git/info/refs")).unwrap();
        assert_eq!((r.owner.as_str(), r.repo.as_str()), ("alice", "app"));
        assert!(route(&segs("alice/app/git-upload-pack")).is_some());
        assert!(route(&segs("alice/app.git/git-receive-pack")).is_some());
        assert!(route(&segs("repos/alice/app")).is_none());
        assert!(route(&segs("../x/info/refs")).is_none());
    }

    #[test]
    fn cgi_headers() {
        let out = b"Status: 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nbody";
        let (end, start) = header_end(out).unwrap();
        let (status, headers) = parse_headers(&out[..end]);
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers["content-type"], "text/plain");
        assert_eq!(&out[start..], b"body");
        let out = b"Content-Type: x\n\nrest";
        let (end, start) = header_end(out).unwrap();
        assert_eq!(parse_headers(&out[..end]).0, StatusCode::OK);
        assert_eq!(&out[start..], b"rest");
    }
}
