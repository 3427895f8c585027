//! The proxy itself: one HTTP/1.1 connection per tunnel, served with hyper.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{HeaderMap, Request, Response, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::meter::{SseMeter, Usage, UsageSink};

/// The real credential, as the upstream wants it.
#[derive(Clone)]
pub enum UpstreamAuth {
    ApiKey(String),
    OAuth(String),
}

impl std::fmt::Debug for UpstreamAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ApiKey(_) => "ApiKey([redacted])",
            Self::OAuth(_) => "OAuth([redacted])",
        })
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// What [`Credentials::resolve`] returns.
pub type BoxFutureAuth<'a> = BoxFuture<'a, Result<UpstreamAuth, String>>;

/// The owner of the user's credentials and of the sandboxes' proxy tokens.
pub trait Credentials: Send + Sync + 'static {
    /// The credential to use now; `Err` explains why there is none (shown to the user).
    fn resolve(&self) -> BoxFutureAuth<'_>;
    /// Whether `token` is the live proxy token of `sandbox`.
    fn token_valid(&self, sandbox: &str, token: &str) -> bool;
}

/// An upstream rate limit or overload seen for a sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub sandbox: String,
    pub status: u16,
    pub retry_after_secs: Option<u64>,
}

pub struct ProxyConfig {
    /// e.g. `https://api.anthropic.com` (no trailing slash).
    pub upstream: String,
}

pub struct Proxy {
    upstream: String,
    client: reqwest::Client,
    credentials: Arc<dyn Credentials>,
    usage: Arc<dyn UsageSink>,
    on_rate_limit: Arc<dyn Fn(RateLimit) + Send + Sync>,
}

const MAX_REQUEST: usize = 32 * 1024 * 1024;
const OAUTH_BETA: &str = "oauth-2025-04-20";

impl Proxy {
    pub fn new(
        cfg: ProxyConfig,
        credentials: Arc<dyn Credentials>,
        usage: Arc<dyn UsageSink>,
        on_rate_limit: Arc<dyn Fn(RateLimit) + Send + Sync>,
    ) -> Arc<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(20))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        Arc::new(Self {
            upstream: cfg.upstream.trim_end_matches('/').to_string(),
            client,
            credentials,
            usage,
            on_rate_limit,
        })
    }

    /// Asks the model one question on the host's behalf (e.g. a PR summary): the same
    /// credential, upstream and metering as sandboxes, under the usage key `meter_as`. A short
    /// non-streaming request; `Err` says why there is no answer.
    pub async fn ask(
        &self,
        meter_as: &str,
        model: &str,
        max_tokens: u32,
        prompt: &str,
    ) -> Result<String, String> {
        let auth = self.credentials.resolve().await?;
        let mut req = self
            .client
            .post(format!("{}/v1/messages", self.upstream))
            .header("anthropic-version", "2023-06-01")
            .timeout(Duration::from_secs(90))
            .json(&serde_json::json!({
                "model": model,
                "max_tokens": max_tokens,
                "messages": [{"role": "user", "content": prompt}],
            }));
        req = match &auth {
            UpstreamAuth::ApiKey(k) => req.header("x-api-key", k.as_str()),
            UpstreamAuth::OAuth(t) => req
                .header("authorization", format!("Bearer {t}"))
                .header("anthropic-beta", OAUTH_BETA),
        };
        let res = req
            .send()
            .await
            .map_err(|e| format!("the model is unreachable: {e}"))?;
        let status = res.status();
        if !status.is_success() {
            if status.as_u16() == 429 || status.as_u16() == 529 {
                (self.on_rate_limit)(RateLimit {
                    sandbox: meter_as.to_string(),
                    status: status.as_u16(),
                    retry_after_secs: res
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok()),
                });
            }
            return Err(format!("the model answered {status}"));
        }
        let v: serde_json::Value = res
            .json()
            .await
            .map_err(|e| format!("unreadable reply: {e}"))?;
        let u = &v["usage"];
        self.usage.record(
            meter_as,
            crate::meter::Usage {
                model: v["model"].as_str().unwrap_or(model).to_string(),
                input_tokens: u["input_tokens"].as_u64().unwrap_or(0),
                output_tokens: u["output_tokens"].as_u64().unwrap_or(0),
                cache_creation_input_tokens: u["cache_creation_input_tokens"].as_u64().unwrap_or(0),
                cache_read_input_tokens: u["cache_read_input_tokens"].as_u64().unwrap_or(0),
            },
        );
        let text: Vec<&str> = v["content"]
            .as_array()
            .map(|a| a.iter().filter_map(|b| b["text"].as_str()).collect())
            .unwrap_or_default();
        Ok(text.join("\n"))
    }

    /// Answers one request from `sandbox`.
    pub async fn handle(&self, sandbox: &str, req: Request<Incoming>) -> Response<Body> {
        // The CLI probes its base URL (`HEAD /`, `GET /`) without credentials before it starts;
        // those are answered here, never forwarded.
        if !req.uri().path().contains("/v1/") {
            return Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap_or_default();
        }
        let presented = presented_token(req.headers());
        if !presented.is_some_and(|t| self.credentials.token_valid(sandbox, t)) {
            return refusal(StatusCode::UNAUTHORIZED, "authentication_error", "anycode: this sandbox's proxy token is not valid (revoked, or from another sandbox)");
        }
        let auth = match self.credentials.resolve().await {
            Ok(a) => a,
            Err(why) => {
                return refusal(
                    StatusCode::UNAUTHORIZED,
                    "authentication_error",
                    &format!("anycode: no usable Claude credential: {why}"),
                )
            }
        };
        let (parts, body) = req.into_parts();
        let body = match http_body_util::Limited::new(body, MAX_REQUEST)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return refusal(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "request_too_large",
                    "anycode: request body too large or cut",
                )
            }
        };
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let url = format!("{}{}", self.upstream, path);
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in parts.headers.iter() {
            let name = k.as_str();
            if matches!(
                name,
                "host"
                    | "authorization"
                    | "x-api-key"
                    | "content-length"
                    | "connection"
                    | "transfer-encoding"
                    | "keep-alive"
                    | "te"
                    | "upgrade"
            ) || name.starts_with("proxy-")
            {
                continue;
            }
            headers.append(k.clone(), v.clone());
        }
        match &auth {
            UpstreamAuth::ApiKey(k) => {
                if let Ok(v) = k.parse() {
                    headers.insert("x-api-key", v);
                }
            }
            UpstreamAuth::OAuth(t) => {
                if let Ok(v) = format!("Bearer {t}").parse() {
                    headers.insert("authorization", v);
                }
                let beta = merge_beta(headers.get("anthropic-beta").and_then(|v| v.to_str().ok()));
                if let Ok(v) = beta.parse() {
                    headers.insert("anthropic-beta", v);
                }
            }
        }
        let upstream = self
            .client
            .request(parts.method.clone(), &url)
            .headers(headers)
            .body(body)
            .send()
            .await;
        let res = match upstream {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(sandbox, error = %without_url(&e), "model upstream unreachable");
                let mut r = refusal(
                    StatusCode::BAD_GATEWAY,
                    "api_error",
                    "anycode: the model upstream is unreachable",
                );
                r.headers_mut().remove("x-should-retry");
                return r;
            }
        };
        let status = res.status();
        if status.as_u16() == 429 || status.as_u16() == 529 {
            let retry_after_secs = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            (self.on_rate_limit)(RateLimit {
                sandbox: sandbox.to_string(),
                status: status.as_u16(),
                retry_after_secs,
            });
        }
        let is_sse = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/event-stream"));
        let mut builder = Response::builder().status(status.as_u16());
        for (k, v) in res.headers() {
            if matches!(
                k.as_str(),
                "content-length" | "transfer-encoding" | "connection"
            ) {
                continue;
            }
            builder = builder.header(k, v);
        }
        let metered = status.is_success() && parts.uri.path().ends_with("/v1/messages");
        let sink = Arc::clone(&self.usage);
        let sandbox = sandbox.to_string();
        let stream = res.bytes_stream();
        let body = if metered {
            Body::from_stream(metered_stream(stream, is_sse, sandbox, sink))
        } else {
            Body::from_stream(stream)
        };
        builder.body(body).unwrap_or_else(|_| {
            refusal(
                StatusCode::BAD_GATEWAY,
                "api_error",
                "anycode: bad upstream response",
            )
        })
    }
}

/// Passes chunks through unchanged while reading usage; records it when the reply ends.
fn metered_stream(
    stream: impl futures_util::Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
    is_sse: bool,
    sandbox: String,
    sink: Arc<dyn UsageSink>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    struct Tap {
        sse: SseMeter,
        json: Vec<u8>,
        is_sse: bool,
        sandbox: String,
        sink: Arc<dyn UsageSink>,
    }
    impl Drop for Tap {
        fn drop(&mut self) {
            let usage = if self.is_sse {
                self.sse.seen.then(|| std::mem::take(&mut self.sse.usage))
            } else {
                Usage::from_json(&self.json)
            };
            if let Some(u) = usage {
                self.sink.record(&self.sandbox, u);
            }
        }
    }
    let mut tap = Tap {
        sse: SseMeter::default(),
        json: Vec::new(),
        is_sse,
        sandbox,
        sink,
    };
    stream.map(move |chunk| {
        let chunk = chunk.map_err(|e| std::io::Error::other(without_url(&e)))?;
        if tap.is_sse {
            tap.sse.feed(&chunk);
        } else if tap.json.len() < 4 * 1024 * 1024 {
            tap.json.extend_from_slice(&chunk);
        }
        Ok(chunk)
    })
}

fn without_url(e: &reqwest::Error) -> String {
    // URLs may carry query secrets in corporate gateways; errors are logged without them.
    e.to_string()
        .split(" for url")
        .next()
        .unwrap_or_default()
        .to_string()
}

fn presented_token(h: &HeaderMap) -> Option<&str> {
    if let Some(v) = h.get("authorization").and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(str::trim);
    }
    h.get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn merge_beta(existing: Option<&str>) -> String {
    let mut parts: Vec<&str> = existing
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if !parts.contains(&OAUTH_BETA) {
        parts.push(OAUTH_BETA);
    }
    parts.join(",")
}

/// An error the proxy decides itself, in the Messages API's error shape; never retried.
fn refusal(status: StatusCode, kind: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({"type": "error", "error": {"type": kind, "message": message}});
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-should-retry", "false")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

/// Serves HTTP/1.1 on one tunnelled connection from `sandbox`.
pub async fn serve_connection<S>(stream: S, sandbox: String, proxy: Arc<Proxy>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let proxy = Arc::clone(&proxy);
        let sandbox = sandbox.clone();
        async move { Ok::<_, std::convert::Infallible>(proxy.handle(&sandbox, req).await) }
    });
    let io = hyper_util::rt::TokioIo::new(stream);
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await
    {
        tracing::debug!(error = %e, "model proxy connection ended");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_beta_is_merged_once() {
        assert_eq!(merge_beta(None), "oauth-2025-04-20");
        assert_eq!(merge_beta(Some("a,b")), "a,b,oauth-2025-04-20");
        assert_eq!(
            merge_beta(Some("oauth-2025-04-20, x")),
            "oauth-2025-04-20,x"
        );
    }

    #[test]
    fn credentials_never_print() {
        assert!(!format!("{:?}", UpstreamAuth::ApiKey("sk-ant-secret".into())).contains("secret"));
    }
}
