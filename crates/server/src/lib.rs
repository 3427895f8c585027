//! The `anycode` server: HTTP and WebSocket edge over the terminal hub and the store.
//!
//! - [`run`] serves on a given listener until the shutdown token fires (tests use port 0).
//! - [`router`] builds the axum app; middleware order: observe (request id, metrics, log) →
//!   host/origin checks → token (for `/api`, `/ws`, `/metrics`) → handlers.
//! - `api/*`: REST handlers; `ws/*`: WebSockets; [`hub`]: terminal lifecycle; [`security`]:
//!   token, Host, Origin; [`observability`]: request ids and Prometheus; [`assets`]: the SPA.
pub mod api;
mod assets;
mod claude;
pub mod error;
pub mod observability;
pub mod openapi;
pub mod security;
pub mod ws;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use orchestrator::tasks::Limits as TaskLimits;
use orchestrator::{Fleet, FleetConfig, HubConfig, TerminalHub};

pub use credentials::keystore::probe as probe_key_storage;
pub use credentials::{KeyStorageChoice, KeyStorageKind};
pub use orchestrator::CredentialMode;

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
    pub sandbox_driver: DriverChoice,
    /// The `anycode-agent` binary; default: beside the running executable.
    pub agent_binary: Option<PathBuf>,
    pub sandbox_image: String,
    pub default_limits: sandbox::Limits,
    pub idle_pause: Duration,
    pub idle_destroy: Duration,
    /// Extra egress allowlist patterns on top of the package-registry defaults.
    pub egress_allow: Vec<String>,
    /// Where the model proxy sends requests (the public API, a corporate gateway, a mock).
    pub anthropic_upstream: String,
    /// Where the user's Claude login is looked for (`~/.claude`, env); `None`: this process's.
    pub credential_sources: Option<credentials::Sources>,
    pub github: GithubConfig,
    pub tasks: orchestrator::tasks::Limits,
    /// How often the conflict radar scans projects with several live sandboxes.
    pub radar_every: Duration,
    /// The credential mode of sandboxes created without one (`proxy` or `direct`).
    pub credential_mode: orchestrator::CredentialMode,
    /// Where the credential store's key may live (the binary: `Auto`, the OS keyring if any).
    pub key_storage: credentials::KeyStorageChoice,
}

/// The forge (GitHub, GitHub Enterprise, or a test forge) and how AnyCode authenticates to it.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    pub api_url: String,
    /// Where web pages, Git and the device flow live; derived from `api_url` when unset.
    pub web_url: Option<String>,
    pub client_id: Option<String>,
    pub webhook_secret: Option<String>,
    /// A token the host already has and where it came from (`env` or `gh`).
    pub host_token: Option<(String, &'static str)>,
    pub poll_every: Duration,
}

impl Default for GithubConfig {
    fn default() -> Self {
        Self {
            api_url: "https://api.github.com".into(),
            web_url: None,
            client_id: None,
            webhook_secret: None,
            host_token: None,
            poll_every: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverChoice {
    /// Docker when an engine answers, else local.
    Auto,
    Docker,
    Local,
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
            sandbox_driver: DriverChoice::Auto,
            agent_binary: None,
            sandbox_image: "anycode-sandbox:latest".into(),
            default_limits: sandbox::Limits::default(),
            idle_pause: Duration::from_secs(30 * 60),
            idle_destroy: Duration::from_secs(24 * 3600),
            egress_allow: Vec::new(),
            anthropic_upstream: "https://api.anthropic.com".into(),
            credential_sources: None,
            github: GithubConfig::default(),
            radar_every: Duration::from_secs(30),
            tasks: orchestrator::tasks::Limits {
                max_running: 5,
                max_per_project: 3,
            },
            credential_mode: orchestrator::CredentialMode::Proxy,
            key_storage: credentials::KeyStorageChoice::File,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub hub: Arc<TerminalHub>,
    pub fleet: Arc<Fleet>,
    pub projects: Arc<orchestrator::Projects>,
    pub tasks: Arc<orchestrator::Tasks>,
    pub workflows: Arc<orchestrator::Workflows>,
    pub claude: Arc<claude::BrokerCredentials>,
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
impl FromRef<AppState> for Arc<Fleet> {
    fn from_ref(s: &AppState) -> Self {
        Arc::clone(&s.fleet)
    }
}
impl FromRef<AppState> for Arc<orchestrator::Projects> {
    fn from_ref(s: &AppState) -> Self {
        Arc::clone(&s.projects)
    }
}
impl FromRef<AppState> for Arc<orchestrator::Tasks> {
    fn from_ref(s: &AppState) -> Self {
        Arc::clone(&s.tasks)
    }
}
impl FromRef<AppState> for Arc<orchestrator::Workflows> {
    fn from_ref(s: &AppState) -> Self {
        Arc::clone(&s.workflows)
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
    use api::sandboxes::*;
    use api::terminals::*;
    let protected = Router::new()
        .route("/api/sandboxes", get(list_sandboxes).post(create_sandbox))
        .route(
            "/api/sandboxes/{id}",
            get(get_sandbox).delete(delete_sandbox),
        )
        .route(
            "/api/sandboxes/{id}/start",
            axum::routing::post(start_sandbox),
        )
        .route(
            "/api/sandboxes/{id}/stop",
            axum::routing::post(stop_sandbox),
        )
        .route(
            "/api/sandboxes/{id}/exec",
            axum::routing::post(exec_in_sandbox),
        )
        .route("/ws/events", get(ws::events::events_socket))
        .route(
            "/api/credentials/status",
            get(api::claude::credential_status),
        )
        .route(
            "/api/credentials",
            axum::routing::post(api::claude::add_credential),
        )
        .route(
            "/api/credentials/{id}",
            axum::routing::delete(api::claude::delete_credential),
        )
        .route(
            "/api/projects",
            get(api::projects::list_projects).post(api::projects::import_project),
        )
        .route(
            "/api/projects/{id}",
            get(api::projects::get_project).delete(api::projects::delete_project),
        )
        .route(
            "/api/projects/{id}/branches",
            get(api::projects::list_branches).post(api::projects::create_branch),
        )
        .route(
            "/api/github/import",
            axum::routing::post(api::projects::import_project),
        )
        .route("/api/github/auth", get(api::projects::github_auth))
        .route(
            "/api/github/token",
            axum::routing::post(api::projects::set_github_token)
                .delete(api::projects::delete_github_token),
        )
        .route(
            "/api/github/device",
            axum::routing::post(api::projects::start_device_flow),
        )
        .route("/api/github/repos", get(api::projects::github_repos))
        .route(
            "/api/github/pull-requests",
            get(api::projects::list_pulls).post(api::projects::create_pull),
        )
        .route(
            "/api/github/pr",
            axum::routing::post(api::projects::create_pull),
        )
        .route(
            "/api/github/pull-requests/{number}",
            get(api::projects::get_pull),
        )
        .route(
            "/api/github/pull-requests/{number}/merge",
            axum::routing::post(api::projects::merge_pull),
        )
        .route(
            "/api/sandboxes/{id}/git/status",
            get(api::projects::git_status),
        )
        .route("/api/sandboxes/{id}/diff", get(api::projects::sandbox_diff))
        .route(
            "/api/sandboxes/{id}/diff/file",
            get(api::projects::sandbox_diff_file),
        )
        .route(
            "/api/sandboxes/{id}/files",
            get(api::projects::sandbox_files),
        )
        .route("/api/sandboxes/{id}/file", get(api::projects::sandbox_file))
        .route(
            "/api/sandboxes/{id}/commit",
            axum::routing::post(api::projects::sandbox_commit),
        )
        .route(
            "/api/sandboxes/{id}/push",
            axum::routing::post(api::projects::sandbox_push),
        )
        .route(
            "/api/sandboxes/{id}/pr-draft",
            get(api::projects::sandbox_pr_draft),
        )
        .route(
            "/api/tasks",
            get(api::tasks::list_tasks).post(api::tasks::create_task),
        )
        .route("/api/tasks/{id}", get(api::tasks::get_task))
        .route(
            "/api/tasks/{id}/cancel",
            axum::routing::post(api::tasks::cancel_task),
        )
        .route(
            "/api/tasks/{id}/complete",
            axum::routing::post(api::tasks::complete_task),
        )
        .route("/api/tasks/{id}/logs", get(api::tasks::task_logs))
        .route(
            "/api/scheduler",
            get(api::tasks::get_scheduler).put(api::tasks::set_scheduler),
        )
        .route(
            "/api/workflows",
            get(api::workflows::list_workflows).post(api::workflows::create_workflow),
        )
        .route(
            "/api/workflows/validate",
            axum::routing::post(api::workflows::validate_workflow),
        )
        .route(
            "/api/workflows/{id}",
            get(api::workflows::get_workflow)
                .put(api::workflows::update_workflow)
                .delete(api::workflows::delete_workflow),
        )
        .route(
            "/api/workflows/{id}/run",
            axum::routing::post(api::workflows::run_workflow),
        )
        .route(
            "/api/workflows/{id}/runs",
            get(api::workflows::workflow_runs),
        )
        .route(
            "/api/workflow-runs/{id}",
            get(api::workflows::get_workflow_run),
        )
        .route(
            "/api/workflow-runs/{id}/cancel",
            axum::routing::post(api::workflows::cancel_workflow_run),
        )
        .route(
            "/api/workflow-runs/{id}/steps/{step}/approve",
            axum::routing::post(api::workflows::approve_step),
        )
        .route(
            "/api/workflow-runs/{id}/steps/{step}/reject",
            axum::routing::post(api::workflows::reject_step),
        )
        .route("/api/approvals", get(api::workflows::list_approvals))
        .route("/api/radar", get(api::projects::radar))
        .route("/api/inbox", get(api::claude::inbox))
        .route("/api/agents", get(api::claude::list_agents))
        .route(
            "/api/sandboxes/{id}/runs",
            axum::routing::post(api::claude::start_run),
        )
        .route("/api/runs", get(api::claude::list_runs))
        .route("/api/runs/{id}", get(api::claude::get_run))
        .route("/api/usage", get(api::claude::usage))
        .route("/api/claude/status", get(api::claude::claude_status))
        .route(
            "/api/terminals/{id}/seen",
            axum::routing::post(api::claude::mark_seen),
        )
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
    // The forge cannot send AnyCode's token; its deliveries are authenticated by signature.
    let webhook = Router::new().route(
        "/api/github/webhook",
        axum::routing::post(api::projects::github_webhook),
    );
    let public = Router::new()
        .fallback(assets::serve_asset)
        .layer(from_fn_with_state(
            state.security.clone(),
            security::token_cookie_from_query,
        ));
    webhook
        .merge(protected)
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
    let sandboxes_dir = cfg.data_dir.join("sandboxes");
    let hub = TerminalHub::new(
        store.clone(),
        HubConfig {
            recordings_dir: cfg.data_dir.join("recordings"),
            buffer_bytes: cfg.buffer_bytes,
            sandboxes_dir: sandboxes_dir.clone(),
        },
    )
    .await?;
    let metrics = Metrics::new();
    let driver = choose_driver(cfg).await?;
    let mut allow = egress::Allowlist::default_registries();
    if !cfg.egress_allow.is_empty() {
        allow.extend(egress::Allowlist::new(&cfg.egress_allow)?);
    }
    // Direct-mode sandboxes may also reach the model upstream through the egress proxy.
    let direct_sandboxes = Arc::new(orchestrator::credential_mode::DirectSandboxes::default());
    let mut direct_allow = allow.clone();
    match orchestrator::credential_mode::upstream_pattern(&cfg.anthropic_upstream)
        .map(|p| egress::Allowlist::new([p]))
    {
        Some(Ok(upstream)) => direct_allow.extend(upstream),
        _ => {
            tracing::warn!(upstream = %cfg.anthropic_upstream, "the model upstream is not a host the egress allowlist can name; direct-mode sandboxes cannot reach it")
        }
    }
    let observer_metrics = Arc::clone(&metrics);
    // The credentials broker: the user's login, found or stored (encrypted) in the data dir.
    let (key_dir, key_storage) = (cfg.data_dir.clone(), cfg.key_storage);
    let cred_store = Arc::new(
        tokio::task::spawn_blocking(move || {
            credentials::CredentialStore::open_with(key_dir, key_storage)
        })
        .await??,
    );
    let cred_store_for_vault = Arc::clone(&cred_store);
    let sources = cfg
        .credential_sources
        .clone()
        .unwrap_or_else(credentials::Sources::from_process);
    let mut broker = credentials::Broker::new(sources).with_store(cred_store);
    if let Ok(r) = credentials::Refresher::new(credentials::RefreshConfig::default()) {
        broker = broker.with_refresher(Arc::new(r));
    }
    let claude = Arc::new(claude::BrokerCredentials {
        broker: Arc::new(broker),
        fleet: std::sync::OnceLock::new(),
    });
    let fleet_cell: Arc<std::sync::OnceLock<std::sync::Weak<Fleet>>> =
        Arc::new(std::sync::OnceLock::new());
    let limits_fleet = Arc::clone(&fleet_cell);
    let proxy = model_proxy::Proxy::new(
        model_proxy::ProxyConfig {
            upstream: cfg.anthropic_upstream.clone(),
        },
        Arc::clone(&claude) as Arc<dyn model_proxy::Credentials>,
        Arc::new(claude::StoreUsage(store.clone())),
        Arc::new(move |rl: model_proxy::RateLimit| {
            if let Some(f) = limits_fleet.get().and_then(std::sync::Weak::upgrade) {
                f.rate_limited(&rl.sandbox, rl.status, rl.retry_after_secs);
            }
        }),
    );
    let summary_proxy = Arc::clone(&proxy);
    let fleet = Fleet::new(
        store,
        driver,
        Arc::clone(&hub),
        FleetConfig {
            sandboxes_dir,
            agent_binary: cfg
                .agent_binary
                .clone()
                .unwrap_or_else(default_agent_binary),
            default_image: cfg.sandbox_image.clone(),
            default_limits: cfg.default_limits,
            pause_after: cfg.idle_pause,
            destroy_after: cfg.idle_destroy,
            sweep_every: (cfg.idle_pause / 2)
                .clamp(Duration::from_millis(200), Duration::from_secs(30)),
            stats_every: Duration::from_secs(2),
        },
        Arc::new(
            orchestrator::tunnels::SandboxTunnels::new(egress::Policy::new(allow), Some(proxy))
                .with_direct(
                    Arc::clone(&direct_sandboxes),
                    egress::Policy::new(direct_allow),
                ),
        ),
        Arc::new(move |op, d| {
            observer_metrics
                .sandbox_lifecycle_duration_seconds
                .with_label_values(&[op])
                .observe(d.as_secs_f64())
        }),
        shutdown.child_token(),
    );
    fleet.enable_direct_mode(orchestrator::credential_mode::DirectAccess {
        default_mode: cfg.credential_mode,
        upstream: cfg.anthropic_upstream.clone(),
        credentials: Arc::clone(&claude) as Arc<dyn model_proxy::Credentials>,
        sandboxes: direct_sandboxes,
    });
    let forge = forge::Forge::new(&cfg.github.api_url, cfg.github.web_url.as_deref())
        .map_err(|e| anyhow::anyhow!("--github-api-url: {e}"))?;
    let vault = Arc::new(cred_store_for_vault.vault("github.enc")?);
    let projects = orchestrator::Projects::new(
        fleet.hub().store().clone(),
        Arc::clone(&fleet),
        orchestrator::ProjectsConfig {
            repos_dir: cfg.data_dir.join("repos"),
            forge: Arc::new(forge),
            github_client_id: cfg.github.client_id.clone(),
            webhook_secret: cfg.github.webhook_secret.clone(),
            host_token: cfg.github.host_token.clone(),
            author_name: "AnyCode".into(),
            author_email: "anycode@localhost".into(),
            poll_every: cfg.github.poll_every,
            radar_every: cfg.radar_every,
        },
        vault,
    );
    projects.set_summarizer(Arc::new(claude::ClaudeSummarizer(summary_proxy)));
    projects.start(shutdown.child_token()).await?;
    let tasks = orchestrator::Tasks::new(
        fleet.hub().store().clone(),
        Arc::clone(&fleet),
        Arc::clone(&projects),
        orchestrator::TasksConfig {
            limits: cfg.tasks,
            ..Default::default()
        },
        shutdown.child_token(),
    );
    tasks.start().await?;
    let workflows = orchestrator::Workflows::new(
        fleet.hub().store().clone(),
        Arc::clone(&fleet),
        Arc::clone(&projects),
        Arc::clone(&tasks),
        shutdown.child_token(),
    );
    workflows.start().await?;
    let _ = claude.fleet.set(Arc::downgrade(&fleet));
    let _ = fleet_cell.set(Arc::downgrade(&fleet));
    fleet.start().await;
    let state = AppState {
        hub,
        fleet,
        projects,
        tasks,
        workflows,
        claude,
        metrics,
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
    state.fleet.shutdown().await;
    state.hub.shutdown().await;
    state.hub.store().close().await;
    Ok(())
}

fn default_agent_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("anycode-agent")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("anycode-agent"))
}

/// This installation's id, made once and kept in the data dir: it labels our containers so
/// several installations can share one engine without touching each other's sandboxes.
fn instance_id(data_dir: &std::path::Path) -> anyhow::Result<String> {
    let path = data_dir.join("instance-id");
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() {
            return Ok(id.to_string());
        }
    }
    // The random tail of a UUIDv7 (its head is a timestamp, alike for installations made together).
    let id = uuid::Uuid::now_v7().simple().to_string()[20..].to_string();
    std::fs::write(&path, &id)?;
    Ok(id)
}

async fn choose_driver(cfg: &Config) -> anyhow::Result<Arc<dyn sandbox::SandboxDriver>> {
    let instance = instance_id(&cfg.data_dir)?;
    let docker = || async {
        docker::DockerDriver::connect()
            .await
            .map(|d| d.with_instance(&instance))
    };
    let local = || -> Arc<dyn sandbox::SandboxDriver> {
        Arc::new(sandbox::local::LocalDriver::new(
            cfg.data_dir.join("local-sandboxes"),
        ))
    };
    Ok(match cfg.sandbox_driver {
        DriverChoice::Local => local(),
        DriverChoice::Docker => Arc::new(docker().await?),
        DriverChoice::Auto => match docker().await {
            Ok(d) => Arc::new(d),
            Err(e) => {
                tracing::warn!(error = %e, "no Docker engine answers: sandboxes use the local driver (no isolation)");
                local()
            }
        },
    })
}
