//! Where a sandbox runs. [`SandboxDriver`] is the one trait every backend implements:
//! `docker` (crate `docker`, a container per sandbox) and `local` (module [`local`], a host
//! directory and a detached agent process, for machines without an engine).
//!
//! A driver only creates, starts, stops, inspects and removes sandboxes and opens a byte stream
//! to the sandbox's agent ([`SandboxDriver::connect_agent`]). Everything that happens *inside* a
//! sandbox (terminals, commands, tunnels) goes through the agent protocol (crate `agent-proto`),
//! the same way for every driver.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::pin::Pin;

pub mod link;
pub mod local;

/// A duplex byte stream to a sandbox's agent (a `docker exec` stdio pair, a Unix socket, …).
pub trait AgentIo: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> AgentIo for T {}
pub type AgentStream = Pin<Box<dyn AgentIo>>;

/// Label every AnyCode container carries (`app=anycode-sandbox`), plus the sandbox id label.
pub const LABEL_APP: &str = "app";
pub const LABEL_APP_VALUE: &str = "anycode-sandbox";
pub const LABEL_SANDBOX_ID: &str = "anycode.sandbox-id";
pub const LABEL_SANDBOX_NAME: &str = "anycode.sandbox-name";
/// Which AnyCode installation (data dir) owns a sandbox: several servers may share one engine,
/// and each reconciles only its own.
pub const LABEL_INSTANCE: &str = "anycode.instance";

/// Resource limits; validated by the server before they reach a driver.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// CPUs (may be fractional).
    pub cpus: f64,
    pub memory_mb: u64,
    pub pids: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            cpus: 2.0,
            memory_mb: 4096,
            pids: 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// No network interface; egress only through the agent's tunnelled proxies.
    None,
    /// The engine's default bridge network (explicit opt-in).
    Bridge,
}

/// Everything a driver needs to create a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxSpec {
    pub id: String,
    pub name: String,
    pub image: String,
    /// Host directory mounted read-write at `/workspace`.
    pub workspace_dir: PathBuf,
    /// Host directory for the agent's own state (recordings, socket for the local driver),
    /// mounted read-write at `/anycode/state`.
    pub state_dir: PathBuf,
    /// The `anycode-agent` binary on the host, mounted read-only at `/anycode/bin/anycode-agent`.
    pub agent_binary: PathBuf,
    pub limits: Limits,
    pub network: NetworkMode,
    /// Environment for the agent (and so for every process it starts).
    pub env: BTreeMap<String, String>,
    /// A project's Git mirror on the host, mounted read-only at [`MIRROR_IN_SANDBOX`]; the
    /// workspace checkout reaches its objects through relative alternates
    /// (`/workspace/.git/objects` → `../../../mirror.git/objects`). The local driver has no
    /// mounts: the caller puts a `mirror.git` symlink beside the workspace instead.
    pub mirror_dir: Option<PathBuf>,
}

/// In-container paths shared by drivers and the agent.
pub const AGENT_PATH_IN_SANDBOX: &str = "/anycode/bin/anycode-agent";
pub const STATE_DIR_IN_SANDBOX: &str = "/anycode/state";
pub const WORKSPACE_IN_SANDBOX: &str = "/workspace";
pub const MIRROR_IN_SANDBOX: &str = "/mirror.git";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeState {
    Running,
    Paused,
    Stopped,
    /// The engine has no such sandbox (removed from outside).
    Missing,
}

/// What the engine says about one sandbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub id: String,
    pub name: String,
    pub runtime_id: String,
    pub state: RuntimeState,
    pub exit_code: Option<i64>,
    /// Limits as the engine applied them (read back, not echoed from the request).
    pub limits: Option<Limits>,
    pub image: String,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
}

/// Something the engine reports on its own (a container died, was removed, …).
#[derive(Debug, Clone, PartialEq)]
pub enum DriverEvent {
    Changed {
        id: String,
    },
    /// The event stream restarted (engine restart): re-list everything.
    Resync,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DriverInfo {
    pub kind: &'static str,
    pub version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("the container engine is not available: {0}")]
    Unavailable(String),
    #[error("image `{0}` is not present; build it with `anycode image build` (or scripts/sandbox-image)")]
    ImageMissing(String),
    #[error("sandbox `{0}` does not exist in the engine")]
    NotFound(String),
    #[error("a sandbox named `{0}` already exists in the engine")]
    Conflict(String),
    #[error("{0}")]
    Failed(String),
}

pub type DriverResult<T> = Result<T, DriverError>;

#[async_trait::async_trait]
pub trait SandboxDriver: Send + Sync + 'static {
    fn kind(&self) -> &'static str;
    /// Is the engine there, and which version.
    async fn check(&self) -> DriverResult<DriverInfo>;
    async fn image_present(&self, image: &str) -> DriverResult<bool>;
    /// Creates and starts the sandbox with the agent as its main process. On any error nothing
    /// is left behind (no orphan container).
    async fn create(&self, spec: &SandboxSpec) -> DriverResult<Observed>;
    async fn start(&self, id: &str) -> DriverResult<()>;
    async fn stop(&self, id: &str) -> DriverResult<()>;
    async fn pause(&self, id: &str) -> DriverResult<()>;
    async fn unpause(&self, id: &str) -> DriverResult<()>;
    /// Removes the sandbox (forcefully); `Ok` when it is already gone.
    async fn remove(&self, id: &str) -> DriverResult<()>;
    async fn inspect(&self, id: &str) -> DriverResult<Observed>;
    /// Every sandbox the engine knows (by label), including ones with no record.
    async fn list(&self) -> DriverResult<Vec<Observed>>;
    /// A fresh stream to the sandbox's agent; call again after the previous one dropped.
    async fn connect_agent(&self, id: &str) -> DriverResult<AgentStream>;
    async fn stats(&self, id: &str) -> DriverResult<Stats>;
    /// Engine events; `None` when the driver has none (the caller polls).
    fn events(&self) -> Option<futures_util::stream::BoxStream<'static, DriverEvent>>;
    /// A label of `image` (e.g. the Claude Code version the sandbox image pins); `None` when
    /// absent, or when the driver has no images.
    async fn image_label(&self, _image: &str, _label: &str) -> DriverResult<Option<String>> {
        Ok(None)
    }
}
