//! The `anycode` server: HTTP and WebSocket edge over the terminal hub and the store.
//!
//! - [`run`] serves on a given listener until the shutdown token fires (tests use port 0).
//! - [`router`] builds the axum app; middleware order: observe (request id, metrics, log) →
//!   host/origin checks → token (for `/api`, `/ws`, `/metrics`) → handlers.
//! - `api/*`: REST handlers; `ws/*`: WebSockets; [`hub`]: terminal lifecycle; [`security`]:
//!   token, Host, Origin; [`observability`]: request ids and Prometheus; [`assets`]: the SPA.
pub mod api;
mod assets;
pub mod error;
pub mod hub;
pub mod observability;
pub mod openapi;
pub mod security;
pub mod ws;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::hub::{HubConfig, TerminalHub};
use crate::observability::Metrics;
use crate::security::Security;

/// Everything `run` needs; the binary fills it from flags and environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub token: String,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub flow: terminal::FlowConfig,
    pub buffer_bytes: usize,
}

impl Config {
    pub fn new(data_dir: PathBuf, token: String) -> Self {
        Self {
            data_dir,
            token,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            flow: terminal::FlowConfig::default(),
            buffer_bytes: 4 * 1024 * 1024,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub hub: Arc<TerminalHub>,
    pub metrics: Arc<Metrics>,
    pub security: Security,
    pub flow: terminal::FlowConfig,
    pub shutdown: CancellationToken,
}

impl FromRef<AppState> for Arc<TerminalHub> {
    fn from_ref(s: &AppState) -> Self {
        Arc::clone(&s.hub)
    }
}
impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(s: &AppState) -> Self {
        Arc::clone(&s.metrics)
    }
}
impl FromRef<AppState> for Security {
    fn from_ref(s: &AppState) -> Self {
        s.security.clone()
    }
}

async fn openapi_json() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi::json(),
    )
        .into_response()
}

pub fn router(state: AppState) -> Router {
    use api::terminals::*;
    let protected = Router::new()
        .route("/api/terminals", get(list_terminals).post(create_terminal))
        .route(
            "/api/terminals/{id}",
            get(get_terminal)
                .patch(rename_terminal)
                .delete(delete_terminal),
        )
        .route(
            "/api/terminals/{id}/resize",
            axum::routing::post(resize_terminal),
        )
        .route("/api/terminals/{id}/recording", get(get_recording))
        .route("/api/openapi.json", get(openapi_json))
        .route("/ws/terminals/{id}", get(ws::terminal::terminal_socket))
        .route("/metrics", get(observability::metrics_handler))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .route_layer(axum::middleware::from_fn(observability::label_route))
        .layer(from_fn_with_state(
            state.security.clone(),
            security::require_token,
        ));
    let public = Router::new()
        .fallback(assets::serve_asset)
        .layer(from_fn_with_state(
            state.security.clone(),
            security::token_cookie_from_query,
        ));
    protected
        .merge(public)
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(from_fn_with_state(
            state.security.clone(),
            security::check_host_and_origin,
        ))
        .layer(from_fn_with_state(
            Arc::clone(&state.metrics),
            observability::observe,
        ))
        .with_state(state)
}

async fn api_not_found(uri: axum::http::Uri) -> error::ApiError {
    error::ApiError::not_found("route", uri.path())
}

/// A running server's handle, for the binary and for tests.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
}

/// Opens the store and the hub, then serves on `listener` until `shutdown` fires; then closes
/// WebSockets, ends terminals (recordings flushed) and closes the store.
pub async fn run(
    listener: TcpListener,
    cfg: Config,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (app, state) = build(&cfg, shutdown.clone()).await?;
    serve(listener, app, state, shutdown).await
}

pub async fn build(
    cfg: &Config,
    shutdown: CancellationToken,
) -> anyhow::Result<(Router, AppState)> {
    std::fs::create_dir_all(&cfg.data_dir)?;
    let store = store::Store::open(&cfg.data_dir.join("anycode.sqlite")).await?;
    let hub = TerminalHub::new(
        store,
        HubConfig {
            recordings_dir: cfg.data_dir.join("recordings"),
            buffer_bytes: cfg.buffer_bytes,
        },
    )
    .await?;
    let state = AppState {
        hub,
        metrics: Metrics::new(),
        security: Security::new(&cfg.token, &cfg.allowed_hosts, &cfg.allowed_origins),
        flow: cfg.flow,
        shutdown,
    };
    Ok((router(state.clone()), state))
}

pub async fn serve(
    listener: TcpListener,
    app: Router,
    state: AppState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let signal = shutdown.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { signal.cancelled().await })
    .await?;
    state.hub.shutdown().await;
    state.hub.store().close().await;
    Ok(())
}
