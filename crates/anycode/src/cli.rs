//! Command-line flags; each has an `ANYCODE_*` environment variable.
use std::path::PathBuf;

#[derive(Debug, clap::Parser)]
#[command(
    name = "anycode",
    version,
    about = "A self-hosted control room for many Claude Code agents"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags for the default `serve` command.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Start the server and web UI (the default).
    Serve(Box<ServeArgs>),
    /// Check git, Docker, the `claude` CLI and the data dir, with advice.
    Doctor(DoctorArgs),
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to bind. Anything but loopback exposes AnyCode to your network.
    #[arg(long, env = "ANYCODE_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind; 0 picks a free one.
    #[arg(long, env = "ANYCODE_PORT", default_value_t = 19876)]
    pub port: u16,
    /// Where the database, recordings and workspaces live [default: the platform data dir].
    #[arg(long, env = "ANYCODE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Access token; generated (and kept in the data dir) when absent.
    #[arg(long, env = "ANYCODE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Extra Host names to accept (e.g. a LAN name); loopback and IP literals always pass.
    #[arg(
        long = "allowed-host",
        env = "ANYCODE_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Extra browser Origins to accept for WebSockets and writes.
    #[arg(
        long = "allowed-origin",
        env = "ANYCODE_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Log as JSON lines.
    #[arg(long, env = "ANYCODE_LOG_JSON")]
    pub log_json: bool,
    /// Where sandboxes run: `docker`, `local` (no isolation), or `auto` (Docker when an engine
    /// answers).
    #[arg(long, env = "ANYCODE_SANDBOX_DRIVER", default_value = "auto", value_parser = ["auto", "docker", "local"])]
    pub sandbox_driver: String,
    /// The image new sandboxes use.
    #[arg(
        long,
        env = "ANYCODE_SANDBOX_IMAGE",
        default_value = "anycode-sandbox:latest"
    )]
    pub sandbox_image: String,
    /// Pause a sandbox after this many idle minutes.
    #[arg(long, env = "ANYCODE_IDLE_PAUSE_MINUTES", default_value_t = 30)]
    pub idle_pause_minutes: u64,
    /// Destroy a sandbox after this many idle hours.
    #[arg(long, env = "ANYCODE_IDLE_DESTROY_HOURS", default_value_t = 24)]
    pub idle_destroy_hours: u64,
    /// Extra hosts sandboxes may reach through the egress proxy (besides package registries and
    /// GitHub), e.g. `internal.example.com,*.corp.example`.
    #[arg(
        long = "egress-allow",
        env = "ANYCODE_EGRESS_ALLOW",
        value_delimiter = ','
    )]
    pub egress_allow: Vec<String>,
    /// Where the model proxy sends sandboxes' requests: the public API, a corporate gateway, or a
    /// test mock.
    #[arg(
        long,
        env = "ANYCODE_ANTHROPIC_UPSTREAM",
        default_value = "https://api.anthropic.com"
    )]
    pub anthropic_upstream: String,
    /// How sandboxes reach the model unless one is created with its own choice: `proxy` (the
    /// real credential stays on the host; sandboxes get a per-sandbox token) or `direct` (the
    /// credential is put into the environment of every process started in the sandbox, never on
    /// disk; anything in the sandbox can read it).
    #[arg(long, env = "ANYCODE_CREDENTIAL_MODE", value_enum, default_value_t = CredentialModeArg::Proxy)]
    pub credential_mode: CredentialModeArg,
    /// Where the key of the encrypted credential store lives: `auto` (the OS keyring — macOS
    /// Keychain, Secret Service — when one answers, else a 0600 file) or `file`.
    #[arg(long, env = "ANYCODE_KEY_STORAGE", value_enum, default_value_t = KeyStorageArg::Auto)]
    pub key_storage: KeyStorageArg,
    /// Bytes of output each terminal keeps for exact replay.
    #[arg(long, env = "ANYCODE_TERMINAL_BUFFER", default_value_t = 4 * 1024 * 1024)]
    pub terminal_buffer: usize,
    /// The GitHub REST API (GitHub Enterprise: https://HOST/api/v3).
    #[arg(
        long,
        env = "ANYCODE_GITHUB_API_URL",
        default_value = "https://api.github.com"
    )]
    pub github_api_url: String,
    /// GitHub's web/Git host, when it cannot be derived from --github-api-url.
    #[arg(long, env = "ANYCODE_GITHUB_WEB_URL")]
    pub github_web_url: Option<String>,
    /// OAuth app client id for signing in with the device flow (no secret needed).
    #[arg(long, env = "ANYCODE_GITHUB_CLIENT_ID")]
    pub github_client_id: Option<String>,
    /// Secret GitHub signs webhook deliveries with (POST /api/github/webhook).
    #[arg(long, env = "ANYCODE_GITHUB_WEBHOOK_SECRET", hide_env_values = true)]
    pub github_webhook_secret: Option<String>,
    /// Tasks running at once, all projects together.
    #[arg(long, env = "ANYCODE_MAX_RUNNING_TASKS", default_value_t = 5)]
    pub max_running_tasks: usize,
    /// Tasks running at once in one project.
    #[arg(long, env = "ANYCODE_MAX_TASKS_PER_PROJECT", default_value_t = 3)]
    pub max_tasks_per_project: usize,
    /// Seconds between refreshes of open pull requests (state, checks, conflicts).
    #[arg(long, env = "ANYCODE_PR_POLL_SECONDS", default_value_t = 60)]
    pub pr_poll_seconds: u64,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DoctorArgs {
    #[arg(long, env = "ANYCODE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[arg(long, env = "ANYCODE_KEY_STORAGE", value_enum, default_value_t = KeyStorageArg::Auto)]
    pub key_storage: KeyStorageArg,
    #[arg(
        long,
        env = "ANYCODE_SANDBOX_IMAGE",
        default_value = "anycode-sandbox:latest"
    )]
    pub sandbox_image: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CredentialModeArg {
    Proxy,
    Direct,
}

impl From<CredentialModeArg> for server::CredentialMode {
    fn from(m: CredentialModeArg) -> Self {
        match m {
            CredentialModeArg::Proxy => Self::Proxy,
            CredentialModeArg::Direct => Self::Direct,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyStorageArg {
    Auto,
    File,
}

impl From<KeyStorageArg> for server::KeyStorageChoice {
    fn from(k: KeyStorageArg) -> Self {
        match k {
            KeyStorageArg::Auto => Self::Auto,
            KeyStorageArg::File => Self::File,
        }
    }
}

pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "anycode")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".anycode"))
}
