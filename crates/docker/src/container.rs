//! The container a [`SandboxSpec`] becomes, and how the engine's view of one reads back as
//! [`Observed`].
//!
//! **Invariant:** every sandbox container is hardened the same way: no capabilities,
//! no-new-privileges, a read-only root filesystem (writable tmpfs only at `/tmp`, `/run` and
//! `$HOME`), a non-root user, pids/memory (no swap)/CPU/nofile limits, never privileged, never
//! the engine's socket. The agent is PID 1 (no `init`): it reaps its children.
use std::collections::HashMap;
use std::fmt;

use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerStateStatusEnum, ContainerSummary,
    ContainerSummaryStateEnum, HostConfig, Mount, MountType, ResourcesUlimits,
};
use sandbox::{
    DriverError, DriverResult, Limits, NetworkMode, Observed, RuntimeState, SandboxSpec,
    AGENT_PATH_IN_SANDBOX, LABEL_APP, LABEL_APP_VALUE, LABEL_SANDBOX_ID, LABEL_SANDBOX_NAME,
    STATE_DIR_IN_SANDBOX, WORKSPACE_IN_SANDBOX,
};

use crate::AGENT_SOCKET;

/// `$HOME` inside the sandbox (a tmpfs owned by the sandbox user).
pub(crate) const HOME_IN_SANDBOX: &str = "/home/agent";
const CONTAINER_NAME_PREFIX: &str = "anycode-";
/// Open files per process. It cannot exceed the engine's own hard limit (raising it needs
/// CAP_SYS_RESOURCE and start fails with "error setting rlimit"): engines started by systemd
/// have 524288 or more, one started by hand inherits its shell's (20000 on CI machines).
const NOFILE_LIMIT: i64 = 16_384;
const MIB: i64 = 1024 * 1024;

/// The uid:gid a sandbox runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerUser {
    pub uid: u32,
    pub gid: u32,
    /// The server runs as root, so the sandbox gets the image's conventional user (1000:1000)
    /// and the driver gives it the mounted workspace and state directories.
    pub chown_mounts: bool,
}

impl ContainerUser {
    /// The host's uid:gid when this process is not root (bind-mounted files stay the user's
    /// own), else 1000:1000 (the `agent` user of the sandbox image).
    pub fn for_this_process() -> Self {
        let uid = nix::unistd::geteuid();
        if uid.is_root() {
            Self {
                uid: 1000,
                gid: 1000,
                chown_mounts: true,
            }
        } else {
            Self {
                uid: uid.as_raw(),
                gid: nix::unistd::getegid().as_raw(),
                chown_mounts: false,
            }
        }
    }
}

impl fmt::Display for ContainerUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

/// `anycode-<name>`, if `name` makes a valid container name.
pub(crate) fn container_name(name: &str) -> DriverResult<String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(format!("{CONTAINER_NAME_PREFIX}{name}"))
    } else {
        Err(DriverError::Failed(format!(
            "`{name}` cannot name a container (letters, digits, `_`, `.` and `-` only)"
        )))
    }
}

pub(crate) fn create_body(spec: &SandboxSpec, user: ContainerUser) -> ContainerCreateBody {
    let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !spec.env.contains_key("HOME") {
        env.push(format!("HOME={HOME_IN_SANDBOX}"));
    }
    let labels = HashMap::from([
        (LABEL_APP.to_owned(), LABEL_APP_VALUE.to_owned()),
        (LABEL_SANDBOX_ID.to_owned(), spec.id.clone()),
        (LABEL_SANDBOX_NAME.to_owned(), spec.name.clone()),
    ]);
    let bind = |source: &std::path::Path, target: &str, read_only: bool| Mount {
        typ: Some(MountType::BIND),
        source: Some(source.to_string_lossy().into_owned()),
        target: Some(target.to_owned()),
        read_only: Some(read_only),
        ..Default::default()
    };
    let owned = format!("uid={},gid={}", user.uid, user.gid);
    let tmpfs = HashMap::from([
        (
            "/tmp".to_owned(),
            "rw,exec,nosuid,nodev,mode=1777".to_owned(),
        ),
        (
            "/run".to_owned(),
            format!("rw,noexec,nosuid,nodev,mode=0755,{owned}"),
        ),
        (
            HOME_IN_SANDBOX.to_owned(),
            format!("rw,exec,nosuid,nodev,mode=0755,{owned}"),
        ),
    ]);
    let memory = i64::try_from(spec.limits.memory_mb).unwrap_or(i64::MAX / MIB) * MIB;
    let host_config = HostConfig {
        mounts: Some({
            let mut m = vec![
                bind(&spec.agent_binary, AGENT_PATH_IN_SANDBOX, true),
                bind(&spec.workspace_dir, WORKSPACE_IN_SANDBOX, false),
                bind(&spec.state_dir, STATE_DIR_IN_SANDBOX, false),
            ];
            if let Some(mirror) = &spec.mirror_dir {
                m.push(bind(mirror, sandbox::MIRROR_IN_SANDBOX, true));
            }
            m
        }),
        tmpfs: Some(tmpfs),
        readonly_rootfs: Some(true),
        cap_drop: Some(vec!["ALL".to_owned()]),
        cap_add: Some(vec![]),
        security_opt: Some(vec!["no-new-privileges:true".to_owned()]),
        privileged: Some(false),
        init: Some(false),
        pids_limit: Some(i64::from(spec.limits.pids)),
        memory: Some(memory),
        memory_swap: Some(memory),
        nano_cpus: Some((spec.limits.cpus * 1e9).round() as i64),
        ulimits: Some(vec![ResourcesUlimits {
            name: Some("nofile".to_owned()),
            soft: Some(NOFILE_LIMIT),
            hard: Some(NOFILE_LIMIT),
        }]),
        network_mode: Some(
            match spec.network {
                NetworkMode::None => "none",
                NetworkMode::Bridge => "bridge",
            }
            .to_owned(),
        ),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        // The agent is the entrypoint, so an image's own ENTRYPOINT cannot wrap it.
        entrypoint: Some(vec![AGENT_PATH_IN_SANDBOX.to_owned()]),
        cmd: Some(
            [
                "daemon",
                "--socket",
                AGENT_SOCKET,
                "--state-dir",
                STATE_DIR_IN_SANDBOX,
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
        user: Some(user.to_string()),
        working_dir: Some(WORKSPACE_IN_SANDBOX.to_owned()),
        env: Some(env),
        labels: Some(labels),
        host_config: Some(host_config),
        ..Default::default()
    }
}

/// The limits the engine applied, read from its HostConfig (`None` when any is unset).
pub(crate) fn limits_of(hc: &HostConfig) -> Option<Limits> {
    let nano_cpus = hc.nano_cpus.filter(|n| *n > 0)?;
    let memory = hc.memory.filter(|m| *m > 0)?;
    let pids = hc.pids_limit.filter(|p| *p > 0)?;
    Some(Limits {
        cpus: nano_cpus as f64 / 1e9,
        memory_mb: u64::try_from(memory / MIB).ok()?,
        pids: u32::try_from(pids).ok()?,
    })
}

/// An inspected container as [`Observed`]; `None` if it is not one of ours.
pub(crate) fn observed(c: ContainerInspectResponse) -> Option<Observed> {
    let config = c.config.unwrap_or_default();
    let labels = config.labels.unwrap_or_default();
    let state = c.state.unwrap_or_default();
    let runtime_state = match state.status {
        Some(ContainerStateStatusEnum::RUNNING | ContainerStateStatusEnum::RESTARTING) => {
            RuntimeState::Running
        }
        Some(ContainerStateStatusEnum::PAUSED) => RuntimeState::Paused,
        _ => RuntimeState::Stopped,
    };
    Some(Observed {
        id: labels.get(LABEL_SANDBOX_ID)?.clone(),
        name: sandbox_name(&labels, c.name.as_deref()),
        runtime_id: c.id?,
        state: runtime_state,
        exit_code: (runtime_state == RuntimeState::Stopped)
            .then_some(state.exit_code)
            .flatten(),
        limits: c.host_config.as_ref().and_then(limits_of),
        image: config.image.unwrap_or_default(),
    })
}

/// A listed container as [`Observed`] (the list has no limits: `limits` is `None`).
pub(crate) fn listed(c: ContainerSummary) -> Option<Observed> {
    let labels = c.labels.unwrap_or_default();
    let state = match c.state {
        Some(ContainerSummaryStateEnum::RUNNING | ContainerSummaryStateEnum::RESTARTING) => {
            RuntimeState::Running
        }
        Some(ContainerSummaryStateEnum::PAUSED) => RuntimeState::Paused,
        _ => RuntimeState::Stopped,
    };
    let container_name = c.names.as_ref().and_then(|n| n.first()).map(String::as_str);
    Some(Observed {
        id: labels.get(LABEL_SANDBOX_ID)?.clone(),
        name: sandbox_name(&labels, container_name),
        runtime_id: c.id?,
        state,
        exit_code: if state == RuntimeState::Stopped {
            c.status.as_deref().and_then(exit_code_of_status)
        } else {
            None
        },
        limits: None,
        image: c.image.unwrap_or_default(),
    })
}

fn sandbox_name(labels: &HashMap<String, String>, container_name: Option<&str>) -> String {
    labels.get(LABEL_SANDBOX_NAME).cloned().unwrap_or_else(|| {
        let n = container_name.unwrap_or_default().trim_start_matches('/');
        n.strip_prefix(CONTAINER_NAME_PREFIX)
            .unwrap_or(n)
            .to_owned()
    })
}

/// `"Exited (137) 2 minutes ago"` → 137.
fn exit_code_of_status(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest[..rest.find(')')?].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn spec() -> SandboxSpec {
        SandboxSpec {
            id: "id1".into(),
            name: "fix-bug".into(),
            image: "img".into(),
            workspace_dir: PathBuf::from("/w"),
            state_dir: PathBuf::from("/s"),
            agent_binary: PathBuf::from("/a"),
            limits: Limits {
                cpus: 1.5,
                memory_mb: 512,
                pids: 100,
            },
            network: NetworkMode::None,
            env: BTreeMap::from([("A".to_owned(), "b".to_owned())]),
            mirror_dir: None,
        }
    }

    #[test]
    fn names_are_prefixed_and_checked() {
        assert_eq!(
            container_name("fix-bug_2.x").unwrap(),
            "anycode-fix-bug_2.x"
        );
        assert!(container_name("a b").is_err());
        assert!(container_name("").is_err());
        assert!(container_name("a/b").is_err());
    }

    #[test]
    fn body_is_hardened_and_limits_read_back() {
        let user = ContainerUser {
            uid: 1000,
            gid: 1000,
            chown_mounts: true,
        };
        let body = create_body(&spec(), user);
        let hc = body.host_config.clone().unwrap();
        assert_eq!(hc.cap_drop, Some(vec!["ALL".to_owned()]));
        assert_eq!(hc.readonly_rootfs, Some(true));
        assert_eq!(hc.privileged, Some(false));
        assert_eq!(hc.memory, hc.memory_swap);
        assert_eq!(hc.network_mode.as_deref(), Some("none"));
        assert_eq!(body.user.as_deref(), Some("1000:1000"));
        let env = body.env.unwrap();
        assert!(env.contains(&"A=b".to_owned()) && env.contains(&"HOME=/home/agent".to_owned()));
        assert_eq!(limits_of(&hc), Some(spec().limits));
        assert_eq!(limits_of(&HostConfig::default()), None);
    }

    #[test]
    fn exit_codes_parse_from_list_status() {
        assert_eq!(exit_code_of_status("Exited (137) 2 minutes ago"), Some(137));
        assert_eq!(exit_code_of_status("Up 3 seconds"), None);
    }
}
