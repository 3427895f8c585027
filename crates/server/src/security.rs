//! Local security: the access token (header, cookie or WebSocket query), `Host` checks against
//! DNS rebinding, and `Origin` checks against cross-site requests and WebSockets.
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};

pub const COOKIE: &str = "anycode_token";

#[derive(Clone)]
pub struct Security {
    token: Arc<str>,
    allowed_hosts: Arc<[String]>,
    allowed_origins: Arc<[String]>,
}

impl Security {
    pub fn new(token: &str, allowed_hosts: &[String], allowed_origins: &[String]) -> Self {
        Self {
            token: token.into(),
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            allowed_origins: allowed_origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                .collect(),
        }
    }

    pub fn token_matches(&self, candidate: &str) -> bool {
        constant_time_eq(self.token.as_bytes(), candidate.as_bytes())
    }

    /// `localhost`, IP literals (a rebinding attack needs a DNS name) and configured names.
    pub fn host_allowed(&self, host_header: &str) -> bool {
        let host = strip_port(host_header).to_ascii_lowercase();
        if host == "localhost" || host.ends_with(".localhost") {
            return true;
        }
        if host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok()
        {
            return true;
        }
        self.allowed_hosts.contains(&host)
    }

    /// An `Origin` is allowed when it names the same host and port as `Host`, or is configured.
    pub fn origin_allowed(&self, origin: &str, host_header: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.allowed_origins.contains(&origin) {
            return true;
        }
        let Some(host) = host_header else {
            return false;
        };
        let authority = origin.split_once("://").map(|(_, a)| a).unwrap_or("");
        authority == host.to_ascii_lowercase()
    }

    /// The token presented by a request, from header, cookie or (for WebSockets) the query.
    pub fn presented_token<'a>(
        headers: &'a HeaderMap,
        query: Option<&'a str>,
        allow_query: bool,
    ) -> Option<&'a str> {
        if let Some(v) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            if let Some(t) = v.strip_prefix("Bearer ") {
                return Some(t.trim());
            }
        }
        if let Some(t) = cookie_value(headers, COOKIE) {
            return Some(t);
        }
        if allow_query {
            return query_param(query, "token");
        }
        None
    }
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [v6]:port
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => host,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Applies to every request: `Host` must be allowed; cross-site `Origin`s may not change state
/// or open WebSockets.
pub async fn check_host_and_origin(
    State(sec): State<Security>,
    req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match &host {
        Some(h) if sec.host_allowed(h) => {}
        _ => {
            return ApiError::new(
                ErrorCode::ForbiddenHost,
                "this Host is not allowed; start anycode with --allowed-host NAME to use it",
            )
            .into_response()
        }
    }
    let is_ws = req.headers().get(header::UPGRADE).is_some();
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if is_ws || unsafe_method {
        if let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        {
            if !sec.origin_allowed(origin, host.as_deref()) {
                return ApiError::new(ErrorCode::ForbiddenOrigin, "cross-origin request refused")
                    .with_details(serde_json::json!({ "origin": origin }))
                    .into_response();
            }
        }
    }
    next.run(req).await
}

/// Applies to `/api`, `/ws` and `/metrics`.
pub async fn require_token(State(sec): State<Security>, req: Request, next: Next) -> Response {
    let allow_query = req.uri().path().starts_with("/ws/");
    let ok = Security::presented_token(req.headers(), req.uri().query(), allow_query)
        .is_some_and(|t| sec.token_matches(t));
    if !ok {
        return ApiError::new(ErrorCode::Unauthorized, "missing or wrong access token")
            .into_response();
    }
    next.run(req).await
}

/// A page opened with a valid `?token=` gets the cookie and is redirected without the token,
/// so the token does not linger in the address bar or history.
pub async fn token_cookie_from_query(
    State(sec): State<Security>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(t) = query_param(req.uri().query(), "token") {
        if sec.token_matches(t) && req.method() == Method::GET {
            let rest: Vec<&str> = req
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|kv| !kv.starts_with("token=") && !kv.is_empty())
                .collect();
            let mut location = req.uri().path().to_string();
            if !rest.is_empty() {
                location.push('?');
                location.push_str(&rest.join("&"));
            }
            let cookie =
                format!("{COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000");
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let (Ok(loc), Ok(c)) = (
                HeaderValue::from_str(&location),
                HeaderValue::from_str(&cookie),
            ) {
                res.headers_mut().insert(header::LOCATION, loc);
                res.headers_mut().insert(header::SET_COOKIE, c);
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                return res;
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let s = Security::new("t", &["anycode.lan".into()], &[]);
        for ok in [
            "localhost:19876",
            "127.0.0.1:1",
            "[::1]:80",
            "anycode.lan",
            "10.0.0.5:19876",
            "app.localhost",
        ] {
            assert!(s.host_allowed(ok), "{ok}");
        }
        for bad in ["evil.com", "evil.com:19876", "localhost.evil.com", ""] {
            assert!(!s.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn origins() {
        let s = Security::new("t", &[], &["https://ide.example".into()]);
        assert!(s.origin_allowed("http://127.0.0.1:19876", Some("127.0.0.1:19876")));
        assert!(s.origin_allowed("https://ide.example/", Some("127.0.0.1:19876")));
        assert!(!s.origin_allowed("http://evil.com", Some("127.0.0.1:19876")));
        assert!(!s.origin_allowed("http://127.0.0.1:1", Some("127.0.0.1:19876")));
        assert!(!s.origin_allowed("null", Some("127.0.0.1:19876")));
    }

    #[test]
    fn tokens() {
        let s = Security::new("secret", &[], &[]);
        assert!(s.token_matches("secret"));
        assert!(!s.token_matches("secreT"));
        assert!(!s.token_matches("secret2"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; anycode_token=xyz"),
        );
        assert_eq!(
            Security::presented_token(&h, Some("token=q"), true),
            Some("xyz")
        );
        assert_eq!(
            Security::presented_token(&HeaderMap::new(), Some("from=1&token=q"), true),
            Some("q")
        );
        assert_eq!(
            Security::presented_token(&HeaderMap::new(), Some("token=q"), false),
            None
        );
    }
}
