//! Request ids, request logging (never the query string: it may carry the token) and the
//! Prometheus metrics named in the product spec.
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::error::REQUEST_ID;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub http_requests_total: IntCounterVec,
    pub http_request_duration_seconds: HistogramVec,
    pub websocket_connections_active: IntGaugeVec,
    pub websocket_messages_total: IntCounterVec,
    pub sandbox_instances_total: IntGaugeVec,
    pub sandbox_cpu_usage_percent: prometheus::GaugeVec,
    pub sandbox_memory_usage_bytes: prometheus::GaugeVec,
    pub sandbox_lifecycle_duration_seconds: HistogramVec,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let registry = Registry::new();
        let http_requests_total = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "path", "status"],
        )
        .expect("valid metric");
        let http_request_duration_seconds = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency")
                .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0]),
            &["method", "path"],
        )
        .expect("valid metric");
        let websocket_connections_active = IntGaugeVec::new(
            Opts::new(
                "websocket_connections_active",
                "Open WebSocket connections by type",
            ),
            &["type"],
        )
        .expect("valid metric");
        let websocket_messages_total = IntCounterVec::new(
            Opts::new(
                "websocket_messages_total",
                "WebSocket messages by direction and type",
            ),
            &["direction", "type"],
        )
        .expect("valid metric");
        let sandbox_instances_total = IntGaugeVec::new(
            Opts::new("sandbox_instances_total", "Sandboxes by status"),
            &["status"],
        )
        .expect("valid metric");
        let sandbox_cpu_usage_percent = prometheus::GaugeVec::new(
            Opts::new(
                "sandbox_cpu_usage_percent",
                "CPU use per sandbox (100 = one core)",
            ),
            &["sandbox"],
        )
        .expect("valid metric");
        let sandbox_memory_usage_bytes = prometheus::GaugeVec::new(
            Opts::new("sandbox_memory_usage_bytes", "Memory use per sandbox"),
            &["sandbox"],
        )
        .expect("valid metric");
        let sandbox_lifecycle_duration_seconds = HistogramVec::new(
            HistogramOpts::new(
                "sandbox_lifecycle_duration_seconds",
                "Sandbox lifecycle operations",
            )
            .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
            &["operation"],
        )
        .expect("valid metric");
        for c in [
            Box::new(http_requests_total.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_request_duration_seconds.clone()),
            Box::new(websocket_connections_active.clone()),
            Box::new(websocket_messages_total.clone()),
            Box::new(sandbox_instances_total.clone()),
            Box::new(sandbox_cpu_usage_percent.clone()),
            Box::new(sandbox_memory_usage_bytes.clone()),
            Box::new(sandbox_lifecycle_duration_seconds.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        Arc::new(Self {
            registry,
            http_requests_total,
            http_request_duration_seconds,
            websocket_connections_active,
            websocket_messages_total,
            sandbox_instances_total,
            sandbox_cpu_usage_percent,
            sandbox_memory_usage_bytes,
            sandbox_lifecycle_duration_seconds,
        })
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

fn new_request_id(incoming: Option<&HeaderValue>) -> String {
    incoming
        .and_then(|v| v.to_str().ok())
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string())
}

/// Outermost layer: a request id for logs, errors and the response header, plus metrics and one
/// log line per request.
pub async fn observe(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let id = new_request_id(req.headers().get(REQUEST_ID_HEADER));
    let method = req.method().clone();
    let fallback_route = if req.uri().path().starts_with("/api") {
        "/api/*"
    } else {
        "static"
    };
    let path = req.uri().path().to_owned();
    let start = Instant::now();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let mut res = REQUEST_ID
        .scope(
            id.clone(),
            tracing::Instrument::instrument(next.run(req), span.clone()),
        )
        .await;
    let elapsed = start.elapsed();
    let status = res.status();
    let route = res
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| fallback_route.to_owned());
    metrics
        .http_requests_total
        .with_label_values(&[method.as_str(), &route, status.as_str()])
        .inc();
    metrics
        .http_request_duration_seconds
        .with_label_values(&[method.as_str(), &route])
        .observe(elapsed.as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    let _g = span.enter();
    if status.is_server_error() {
        tracing::error!(
            status = status.as_u16(),
            ms = elapsed.as_secs_f64() * 1e3,
            "request failed"
        );
    } else if route != "static" {
        tracing::info!(
            status = status.as_u16(),
            ms = elapsed.as_secs_f64() * 1e3,
            "request"
        );
    } else {
        tracing::debug!(status = status.as_u16(), "asset");
    }
    res
}

/// The matched route template, copied into the response so the outer layer can label metrics
/// with `/api/terminals/{id}` rather than every concrete id.
#[derive(Clone)]
pub struct RouteLabel(pub String);

pub async fn label_route(path: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if let Some(p) = path {
        res.extensions_mut()
            .insert(RouteLabel(p.as_str().to_owned()));
    }
    res
}

pub async fn metrics_handler(State(state): State<crate::AppState>) -> Response {
    let metrics = &state.metrics;
    // Sandbox gauges are read at scrape time from the fleet.
    if let Ok(list) = state.fleet.list().await {
        metrics.sandbox_instances_total.reset();
        metrics.sandbox_cpu_usage_percent.reset();
        metrics.sandbox_memory_usage_bytes.reset();
        for status in [
            "pending", "creating", "ready", "running", "paused", "stopped", "failed",
        ] {
            metrics
                .sandbox_instances_total
                .with_label_values(&[status])
                .set(0);
        }
        for s in list {
            metrics
                .sandbox_instances_total
                .with_label_values(&[s.state.as_str()])
                .inc();
            if let Some(st) = s.stats {
                metrics
                    .sandbox_cpu_usage_percent
                    .with_label_values(&[&s.record.name])
                    .set(st.cpu_percent);
                metrics
                    .sandbox_memory_usage_bytes
                    .with_label_values(&[&s.record.name])
                    .set(st.memory_bytes as f64);
            }
        }
    }
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        metrics.render(),
    )
        .into_response()
}
