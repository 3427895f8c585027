//! The Docker driver: one hardened container per sandbox, driven through the engine's API with
//! `bollard`. This is the only crate that talks to Docker.
//!
//! - [`DockerDriver`] (this file): connect and version check, create/start/stop/…, inspect, list.
//! - `container`: the container a [`sandbox::SandboxSpec`] becomes (hardening, mounts, limits)
//!   and how an inspected container reads back as [`sandbox::Observed`].
//! - `exec_io`: the agent stream, a `docker exec` stdio pair as one `AsyncRead + AsyncWrite`
//!   (works wherever the engine runs, Docker Desktop and OrbStack included).
//! - `stats`: one streaming stats subscription per running container, latest value cached.
//! - `events`: the engine's event stream for our containers, reconnecting after an engine restart.
//! - `error`: engine errors as [`sandbox::DriverError`].
//!
//! Every `id` argument is a sandbox id ([`sandbox::SandboxSpec::id`]); the container is found by
//! its `anycode.sandbox-id` label (and remembered). Containers are named `anycode-<name>`, so the
//! engine itself rejects a second sandbox with the same name.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use bollard::Docker;
use sandbox::{
    AgentStream, DriverError, DriverEvent, DriverInfo, DriverResult, Observed, RuntimeState,
    SandboxDriver, SandboxSpec, AGENT_PATH_IN_SANDBOX, LABEL_APP, LABEL_APP_VALUE,
    LABEL_SANDBOX_ID,
};

mod container;
mod error;
mod events;
mod exec_io;
mod stats;

pub use container::ContainerUser;
use error::{status_of, EngineError};

/// Oldest engine API accepted: Docker Engine 20.10 (API 1.41), the oldest engine this driver is
/// tested against. bollard does not pin a version per request, so an older engine would get
/// requests it may misread.
pub const MIN_API_VERSION: (u32, u32) = (1, 41);

/// Bounds every API call until the engine's response headers arrive (streams are not cut by
/// it). Long enough for a stop with its grace period on a loaded engine.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Grace period between SIGTERM and SIGKILL on stop.
const STOP_TIMEOUT_SECS: i32 = 5;

/// Socket the agent daemon listens on inside the container (a tmpfs the sandbox user owns).
const AGENT_SOCKET: &str = "/run/anycode/agent.sock";

pub struct DockerDriver {
    docker: Docker,
    /// Where the engine is (for error messages).
    host: String,
    /// `uid:gid` every sandbox runs as.
    user: ContainerUser,
    /// Sandbox id → container id, learned on create, list and lookups.
    containers: Mutex<HashMap<String, String>>,
    stats: stats::StatsSubscriptions,
    /// The owning installation's id (`anycode.instance` label); `None` sees every sandbox.
    instance: Option<String>,
}

impl DockerDriver {
    /// Connects to the engine named by `DOCKER_HOST`, or the local socket, and checks its API
    /// version.
    pub async fn connect() -> DriverResult<Self> {
        let host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned());
        Self::connect_to(&host).await
    }

    /// Connects to the engine at `host` (`unix:///…`, `tcp://…`, `http://…`).
    pub async fn connect_to(host: &str) -> DriverResult<Self> {
        let docker = Docker::connect_with_host(host)
            .map_err(|e| unreachable_engine(host, &e))?
            .with_timeout(CLIENT_TIMEOUT);
        let driver = Self {
            docker,
            host: host.to_owned(),
            user: ContainerUser::for_this_process(),
            containers: Mutex::new(HashMap::new()),
            stats: stats::StatsSubscriptions::default(),
            instance: None,
        };
        driver.check().await?;
        Ok(driver)
    }

    /// Scopes this driver to one installation: its sandboxes carry the `anycode.instance` label,
    /// and listing, lookups and events see only those.
    pub fn with_instance(mut self, instance: &str) -> Self {
        self.instance = Some(instance.to_owned());
        self
    }

    /// Label filters that select this driver's sandboxes.
    fn scope_labels(&self) -> Vec<String> {
        let mut labels = vec![app_label()];
        if let Some(i) = &self.instance {
            labels.push(format!("{}={i}", sandbox::LABEL_INSTANCE));
        }
        labels
    }

    /// The user sandboxes run as (the host's uid:gid, or 1000:1000 when the server is root).
    pub fn container_user(&self) -> ContainerUser {
        self.user
    }

    fn err(&self, e: bollard::errors::Error) -> DriverError {
        EngineError::new(&self.host, e).into()
    }

    fn remember(&self, id: &str, container_id: &str) {
        self.lock_containers()
            .insert(id.to_owned(), container_id.to_owned());
    }

    fn forget(&self, id: &str) {
        self.lock_containers().remove(id);
    }

    fn lock_containers(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.containers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The container of sandbox `id`.
    async fn container_of(&self, id: &str) -> DriverResult<String> {
        if let Some(c) = self.lock_containers().get(id) {
            return Ok(c.clone());
        }
        let filters = HashMap::from([("label", {
            let mut l = self.scope_labels();
            l.push(format!("{LABEL_SANDBOX_ID}={id}"));
            l
        })]);
        let found = self
            .docker
            .list_containers(Some(
                ListContainersOptionsBuilder::new()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| self.err(e))?;
        let container_id = found
            .into_iter()
            .find_map(|c| c.id)
            .ok_or_else(|| DriverError::NotFound(id.to_owned()))?;
        self.remember(id, &container_id);
        Ok(container_id)
    }

    /// Runs `op` on sandbox `id`'s container; a 404 means it was removed behind our back.
    async fn on_container<T, F, Fut>(&self, id: &str, op: F) -> DriverResult<T>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, bollard::errors::Error>>,
    {
        let container = self.container_of(id).await?;
        match op(container).await {
            Ok(v) => Ok(v),
            Err(e) if status_of(&e) == Some(404) => {
                self.forget(id);
                Err(DriverError::NotFound(id.to_owned()))
            }
            Err(e) => Err(self.err(e)),
        }
    }

    async fn remove_container(&self, container: &str) -> Result<(), bollard::errors::Error> {
        self.stats.end(container);
        let options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        match self.docker.remove_container(container, Some(options)).await {
            // Gone already, or someone else is removing it right now.
            Err(e) if matches!(status_of(&e), Some(404 | 409)) => Ok(()),
            other => other,
        }
    }

    async fn create_and_start(&self, spec: &SandboxSpec) -> DriverResult<Observed> {
        // Several installations may share an engine: their container names must not collide.
        let name = match &self.instance {
            Some(i) => {
                container::container_name(&format!("{}-{}", &i[..i.len().min(8)], spec.name))?
            }
            None => container::container_name(&spec.name)?,
        };
        if self.user.chown_mounts {
            let dirs = vec![spec.workspace_dir.clone(), spec.state_dir.clone()];
            let user = self.user;
            tokio::task::spawn_blocking(move || chown_trees(&dirs, user))
                .await
                .map_err(|e| DriverError::Failed(format!("chown task failed: {e}")))??;
        }
        let mut body = container::create_body(spec, self.user);
        if let (Some(i), Some(labels)) = (&self.instance, body.labels.as_mut()) {
            labels.insert(sandbox::LABEL_INSTANCE.to_owned(), i.clone());
        }
        let options = CreateContainerOptionsBuilder::new().name(&name).build();
        let created = match self.docker.create_container(Some(options), body).await {
            Ok(c) => c,
            Err(e) => {
                return Err(match status_of(&e) {
                    Some(404) => DriverError::ImageMissing(spec.image.clone()),
                    Some(409) => DriverError::Conflict(spec.name.clone()),
                    _ => self.err(e),
                })
            }
        };
        for warning in &created.warnings {
            tracing::warn!(sandbox = %spec.id, "engine warning on create: {warning}");
        }
        let started = async {
            self.docker.start_container(&created.id, None).await?;
            self.docker.inspect_container(&created.id, None).await
        }
        .await;
        match started {
            Ok(inspected) => {
                self.remember(&spec.id, &created.id);
                container::observed(inspected).ok_or_else(|| {
                    DriverError::Failed(format!("container {} lost its labels", created.id))
                })
            }
            Err(e) => {
                // No orphans: a container that did not start is removed before reporting.
                if let Err(rm) = self.remove_container(&created.id).await {
                    tracing::error!(sandbox = %spec.id, container = %created.id,
                        "could not remove the container that failed to start: {rm}");
                }
                Err(self.err(e))
            }
        }
    }
}

fn not_running(id: &str, state: RuntimeState) -> DriverError {
    DriverError::Failed(format!(
        "sandbox `{id}` is not running (it is {state:?}): no stats"
    ))
}

fn app_label() -> String {
    format!("{LABEL_APP}={LABEL_APP_VALUE}")
}

fn unreachable_engine(host: &str, e: &bollard::errors::Error) -> DriverError {
    DriverError::Unavailable(format!(
        "cannot reach the Docker engine at {host}: {e}. Is Docker running? \
         (DOCKER_HOST selects another engine)"
    ))
}

/// `"1.41"` → `(1, 41)`.
fn parse_api_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Gives `dirs` (recursively, symlinks not followed) to the container user, so a sandbox that
/// runs as 1000:1000 can write a checkout the root server prepared.
fn chown_trees(dirs: &[PathBuf], user: ContainerUser) -> DriverResult<()> {
    fn walk(path: &Path, user: ContainerUser, seen: &mut HashSet<PathBuf>) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::symlink_metadata(path)?;
        if meta.uid() != user.uid || meta.gid() != user.gid {
            std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid))?;
        }
        if meta.is_dir() && seen.insert(path.to_owned()) {
            for entry in std::fs::read_dir(path)? {
                walk(&entry?.path(), user, seen)?;
            }
        }
        Ok(())
    }
    let mut seen = HashSet::new();
    for dir in dirs {
        walk(dir, user, &mut seen).map_err(|e| {
            DriverError::Failed(format!(
                "cannot give {} to the sandbox user {}:{}: {e}",
                dir.display(),
                user.uid,
                user.gid
            ))
        })?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl SandboxDriver for DockerDriver {
    fn kind(&self) -> &'static str {
        "docker"
    }

    async fn check(&self) -> DriverResult<DriverInfo> {
        let v = self
            .docker
            .version()
            .await
            .map_err(|e| unreachable_engine(&self.host, &e))?;
        let api = v.api_version.clone().unwrap_or_default();
        match parse_api_version(&api) {
            Some(found) if found >= MIN_API_VERSION => {}
            _ => {
                return Err(DriverError::Unavailable(format!(
                    "the Docker engine at {} speaks API {} (engine {}); AnyCode needs API {}.{} \
                     or newer (Docker Engine 20.10+): please upgrade Docker",
                    self.host,
                    if api.is_empty() { "?" } else { &api },
                    v.version.as_deref().unwrap_or("?"),
                    MIN_API_VERSION.0,
                    MIN_API_VERSION.1
                )))
            }
        }
        Ok(DriverInfo {
            kind: "docker",
            version: format!("{} (API {api})", v.version.as_deref().unwrap_or("?")),
        })
    }

    async fn image_present(&self, image: &str) -> DriverResult<bool> {
        match self.docker.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(e) if status_of(&e) == Some(404) => Ok(false),
            Err(e) => Err(self.err(e)),
        }
    }

    async fn create(&self, spec: &SandboxSpec) -> DriverResult<Observed> {
        self.create_and_start(spec).await
    }

    async fn start(&self, id: &str) -> DriverResult<()> {
        self.on_container(id, |c| async move {
            self.docker.start_container(&c, None).await
        })
        .await
    }

    async fn stop(&self, id: &str) -> DriverResult<()> {
        let options = StopContainerOptionsBuilder::new()
            .t(STOP_TIMEOUT_SECS)
            .build();
        self.on_container(id, |c| async move {
            let stopped = self.docker.stop_container(&c, Some(options)).await;
            self.stats.end(&c);
            stopped
        })
        .await
    }

    async fn pause(&self, id: &str) -> DriverResult<()> {
        self.on_container(id, |c| async move { self.docker.pause_container(&c).await })
            .await
    }

    async fn unpause(&self, id: &str) -> DriverResult<()> {
        self.on_container(
            id,
            |c| async move { self.docker.unpause_container(&c).await },
        )
        .await
    }

    async fn remove(&self, id: &str) -> DriverResult<()> {
        let container = match self.container_of(id).await {
            Ok(c) => c,
            Err(DriverError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        self.remove_container(&container)
            .await
            .map_err(|e| self.err(e))?;
        self.forget(id);
        Ok(())
    }

    async fn inspect(&self, id: &str) -> DriverResult<Observed> {
        let inspected = self
            .on_container(id, |c| async move {
                self.docker.inspect_container(&c, None).await
            })
            .await?;
        container::observed(inspected).ok_or_else(|| DriverError::NotFound(id.to_owned()))
    }

    async fn list(&self) -> DriverResult<Vec<Observed>> {
        let filters = HashMap::from([("label", self.scope_labels())]);
        let found = self
            .docker
            .list_containers(Some(
                ListContainersOptionsBuilder::new()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| self.err(e))?;
        let observed: Vec<Observed> = found.into_iter().filter_map(container::listed).collect();
        let mut known = self.lock_containers();
        for o in &observed {
            known.insert(o.id.clone(), o.runtime_id.clone());
        }
        Ok(observed)
    }

    async fn connect_agent(&self, id: &str) -> DriverResult<AgentStream> {
        let user = self.user.to_string();
        let exec = CreateExecOptions {
            cmd: Some(vec![
                AGENT_PATH_IN_SANDBOX,
                "attach",
                "--socket",
                AGENT_SOCKET,
            ]),
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            user: Some(user.as_str()),
            ..Default::default()
        };
        let created = match self
            .on_container(
                id,
                |c| async move { self.docker.create_exec(&c, exec).await },
            )
            .await
        {
            Err(DriverError::Failed(msg)) => {
                return Err(DriverError::Failed(format!(
                    "cannot reach the agent of sandbox `{id}`: {msg}"
                )))
            }
            other => other?,
        };
        let options = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: Some(exec_io::OUTPUT_CAPACITY),
        };
        match self.docker.start_exec(&created.id, Some(options)).await {
            Ok(StartExecResults::Attached { output, input }) => {
                Ok(Box::pin(exec_io::ExecStream::new(id, output, input)))
            }
            Ok(StartExecResults::Detached) => Err(DriverError::Failed(
                "the engine started the agent exec detached".to_owned(),
            )),
            Err(e) => Err(self.err(e)),
        }
    }

    async fn stats(&self, id: &str) -> DriverResult<sandbox::Stats> {
        let container = self.container_of(id).await?;
        if !self.stats.is_live(&container) {
            // Subscribing to a stopped container costs the engine's 1 s sampling period.
            let observed = self.inspect(id).await?;
            if observed.state != RuntimeState::Running {
                return Err(not_running(id, observed.state));
            }
        }
        match self.stats.latest(&self.docker, &container).await {
            Some(s) => Ok(s),
            None => {
                // The subscription ended without a sample: the container is gone or stopped.
                Err(not_running(id, self.inspect(id).await?.state))
            }
        }
    }

    fn events(&self) -> Option<futures_util::stream::BoxStream<'static, DriverEvent>> {
        Some(events::stream(self.docker.clone(), self.scope_labels()))
    }

    async fn image_label(&self, image: &str, label: &str) -> DriverResult<Option<String>> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(i
                .config
                .and_then(|c| c.labels)
                .and_then(|mut l| l.remove(label))
                .filter(|v| !v.is_empty())),
            Err(e) if status_of(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_parse_and_compare() {
        assert_eq!(parse_api_version("1.41"), Some((1, 41)));
        assert_eq!(parse_api_version(" 1.9 "), Some((1, 9)));
        assert_eq!(parse_api_version("x"), None);
        assert!(parse_api_version("1.9").unwrap() < MIN_API_VERSION);
        assert!(parse_api_version("1.50").unwrap() >= MIN_API_VERSION);
        assert!(parse_api_version("2.0").unwrap() >= MIN_API_VERSION);
    }
}
