//! The HTTP front: one fallback handler that sends git paths to [`crate::http_backend`] and
//! routes everything else (REST, `/login/*`, `/_fake/*`, the few HTML pages) by path
//! segments. REST calls are authenticated, recorded and subject to `Fault::Status`, then
//! answered by [`Inner`] on a blocking thread (it runs git).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::Value;

use crate::control;
use crate::core::{Failure, Inner};
use crate::http_backend;
use crate::RecordedRequest;

/// Largest REST body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// What a route answers.
pub enum Reply {
    Json(u16, Value),
    Empty(u16),
    Html(u16, String),
    Fail(Failure),
}

impl From<Failure> for Reply {
    fn from(f: Failure) -> Self {
        Reply::Fail(f)
    }
}

impl Reply {
    fn ok(status: u16, r: Result<Value, Failure>) -> Reply {
        match r {
            Ok(v) => Reply::Json(status, v),
            Err(f) => Reply::Fail(f),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = |s: u16| StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match self {
            Reply::Json(s, v) => json_response(status(s), &v),
            Reply::Empty(s) => status(s).into_response(),
            Reply::Html(s, html) => (
                status(s),
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Reply::Fail(f) => {
                let mut resp = json_response(status(f.status), &f.body);
                for (name, value) in f.headers {
                    if let Ok(v) = HeaderValue::from_str(&value) {
                        resp.headers_mut().insert(name, v);
                    }
                }
                resp
            }
        }
    }
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        v.to_string(),
    )
        .into_response()
}

/// The token in `Authorization`: `Bearer t`, `token t`, or HTTP Basic with the token as the
/// password (or as the user name when the password is empty).
pub fn token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" | "token" => Some(rest.to_string()),
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()?;
            let decoded = String::from_utf8(decoded).ok()?;
            let (user, pass) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
            let t = if pass.is_empty() { user } else { pass };
            (!t.is_empty()).then(|| t.to_string())
        }
        _ => None,
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// The server's only handler.
pub async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let segs = segments(req.uri().path());
    if let Some(route) = http_backend::route(&segs) {
        return http_backend::serve(inner, route, req).await;
    }
    rest(inner, segs, req).await
}

async fn rest(inner: Arc<Inner>, segs: Vec<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let control = segs.first().is_some_and(|s| s == "_fake");
    let token = token(&parts.headers);
    let caller = inner.login_for(token.as_deref());
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return Reply::Fail(Failure::new(413, "Payload too large")).into_response(),
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let body = parse_body(content_type, &bytes);
    if !control {
        inner.record(RecordedRequest {
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
            auth_login: caller.clone().ok().flatten(),
            body: body.clone().ok().flatten(),
        });
    }
    let caller = match caller {
        Ok(caller) => caller,
        // The test controls ignore credentials.
        Err(()) if control => None,
        Err(()) => return Reply::Fail(Failure::new(401, "Bad credentials")).into_response(),
    };
    let body = match body {
        Ok(b) => b.unwrap_or(Value::Null),
        Err(()) => {
            return Reply::Fail(Failure::new(400, "Problems parsing JSON")).into_response();
        }
    };
    if !control {
        if let Some(status) = inner.take_status_fault(&path) {
            let mut f = Failure::new(status, format!("fake-forge fault: HTTP {status}"));
            if status == 429 {
                f.headers.push(("retry-after", "1".to_string()));
            }
            return Reply::Fail(f).into_response();
        }
    }
    let params: HashMap<String, String> = query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let result = tokio::task::spawn_blocking(move || {
        route(&inner, &method, &segs, &params, caller.as_deref(), &body)
    })
    .await;
    match result {
        Ok(reply) => reply.into_response(),
        Err(e) => Reply::Fail(Failure::new(500, format!("fake-forge handler failed: {e}")))
            .into_response(),
    }
}

/// JSON, or form-encoded as a JSON object of strings; `Ok(None)` when empty.
fn parse_body(content_type: &str, bytes: &[u8]) -> Result<Option<Value>, ()> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let map: serde_json::Map<String, Value> = url::form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(Some(Value::Object(map)));
    }
    serde_json::from_slice(bytes).map(Some).map_err(|_| ())
}

fn route(
    inner: &Inner,
    method: &Method,
    segs: &[String],
    params: &HashMap<String, String>,
    caller: Option<&str>,
    body: &Value,
) -> Reply {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let param = |k: &str| params.get(k).map(String::as_str);
    let number = |n: &str| n.parse::<u64>().ok();
    let page = param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let per_page = param("per_page").and_then(|p| p.parse().ok()).unwrap_or(30);
    let get = *method == Method::GET || *method == Method::HEAD;
    match (method.clone(), s.as_slice()) {
        (_, ["_fake", rest @ ..]) => control::route(inner, method, rest, body),
        (_, ["user"]) if get => match caller {
            Some(login) => Reply::Json(200, inner.user_json(login)),
            None => Failure::new(401, "Requires authentication").into(),
        },
        (_, ["user", "repos"]) if get => match caller {
            Some(login) => Reply::Json(200, inner.user_repos(login, page, per_page)),
            None => Failure::new(401, "Requires authentication").into(),
        },
        (_, ["repos", o, r]) if get => Reply::ok(200, inner.repo_json(o, r, caller)),
        (_, ["repos", o, r, "branches"]) if get => Reply::ok(200, inner.branches(o, r, caller)),
        (_, ["repos", o, r, "branches", b @ ..]) if get && !b.is_empty() => {
            Reply::ok(200, inner.branch(o, r, &b.join("/"), caller))
        }
        (_, ["repos", o, r, "pulls"]) if get => Reply::ok(
            200,
            inner.pulls_json(
                o,
                r,
                caller,
                param("state").unwrap_or("open"),
                param("head"),
                param("base"),
            ),
        ),
        (Method::POST, ["repos", o, r, "pulls"]) => {
            Reply::ok(201, inner.create_pull(o, r, caller, body))
        }
        (_, ["repos", o, r, "pulls", n]) if get && number(n).is_some() => {
            Reply::ok(200, inner.get_pull(o, r, number(n).unwrap_or(0), caller))
        }
        (Method::PATCH, ["repos", o, r, "pulls", n]) if number(n).is_some() => Reply::ok(
            200,
            inner.update_pull(o, r, number(n).unwrap_or(0), caller, body),
        ),
        (Method::PUT, ["repos", o, r, "pulls", n, "merge"]) if number(n).is_some() => Reply::ok(
            200,
            inner.merge_pull(o, r, number(n).unwrap_or(0), caller, body),
        ),
        (_, ["repos", o, r, "pulls", n, "merge"]) if get && number(n).is_some() => {
            match inner.pull_merged(o, r, number(n).unwrap_or(0), caller) {
                Ok(()) => Reply::Empty(204),
                Err(f) => f.into(),
            }
        }
        (Method::DELETE, ["repos", o, r, "git", "refs", "heads", b @ ..]) if !b.is_empty() => {
            match inner.delete_branch(o, r, &b.join("/"), caller) {
                Ok(()) => Reply::Empty(204),
                Err(f) => f.into(),
            }
        }
        (_, ["repos", o, r, "commits", sha, "check-runs"]) if get => Reply::ok(
            200,
            inner.check_runs(o, r, sha, caller, page, per_page),
        ),
        (Method::POST, ["login", "device", "code"]) => {
            let field = |k: &str| body.get(k).and_then(Value::as_str);
            Reply::ok(
                200,
                inner.device_code(field("client_id"), field("scope").unwrap_or("")),
            )
        }
        (Method::POST, ["login", "oauth", "access_token"]) => {
            let field = |k: &str| body.get(k).and_then(Value::as_str);
            Reply::Json(
                200,
                inner.access_token(
                    field("client_id"),
                    field("device_code"),
                    field("grant_type"),
                ),
            )
        }
        (_, ["login", "device"]) if get => Reply::Html(
            200,
            "<!doctype html><title>Device activation</title><h1>fake-forge</h1>\
             <p>Enter the code shown by the application. (Tests approve codes with \
             <code>FakeForge::approve_device</code> or <code>POST /_fake/device/approve</code>.)</p>"
                .to_string(),
        ),
        (_, [o, r]) if get => match inner.repo_json(o, r, caller) {
            Ok(_) => Reply::Html(200, format!("<!doctype html><title>{o}/{r}</title><h1>{o}/{r}</h1>")),
            Err(f) => Reply::Html(f.status, "<!doctype html><title>Not Found</title>".to_string()),
        },
        (_, [o, r, "pull", n]) if get => match inner.get_pull(o, r, number(n).unwrap_or(0), caller) {
            Ok(p) => Reply::Html(
                200,
                format!(
                    "<!doctype html><title>{o}/{r}#{n}</title><h1>{}</h1>",
                    html_escape(p.get("title").and_then(Value::as_str).unwrap_or(""))
                ),
            ),
            Err(f) => Reply::Html(f.status, "<!doctype html><title>Not Found</title>".to_string()),
        },
        _ => Reply::Fail(Failure::new(404, "Not Found")),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// For `Body` responses built elsewhere.
pub fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain")],
        Body::from(text),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tokens_from_every_scheme() {
        let mut h = HeaderMap::new();
        let cases = [
            ("Bearer abc", Some("abc")),
            ("token abc", Some("abc")),
            // x-access-token:abc
            ("Basic eC1hY2Nlc3MtdG9rZW46YWJj", Some("abc")),
            // abc:
            ("Basic YWJjOg==", Some("abc")),
            ("Digest abc", None),
        ];
        for (value, want) in cases {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(token(&h).as_deref(), want, "{value}");
        }
    }

    #[test]
    fn bodies() {
        assert_eq!(parse_body("application/json", b""), Ok(None));
        assert_eq!(
            parse_body(
                "application/x-www-form-urlencoded",
                b"client_id=a&scope=repo+user"
            ),
            Ok(Some(json!({"client_id": "a", "scope": "repo user"})))
        );
        assert_eq!(parse_body("", b"{\"a\":1}"), Ok(Some(json!({"a": 1}))));
        assert!(parse_body("application/json", b"{").is_err());
    }

    #[test]
    fn segments_are_decoded() {
        assert_eq!(
            segments("/repos/o/r/git/refs/heads/a%20b/c"),
            ["repos", "o", "r", "git", "refs", "heads", "a b", "c"]
        );
    }
}
