//! The Docker driver against the real engine (no mocks). Needs a running engine (`.ci/run`
//! starts one) and the image `anycode-base:bookworm` or `anycode-sandbox:latest`
//! (scripts/sandbox-image builds both); without them every test fails saying so.
//!
//! The agent is a stand-in shell script (`daemon` waits for SIGTERM, `attach` is `cat`), so
//! these tests need no `anycode-agent` build. Every container a test creates carries a sandbox
//! id with the test's prefix; a guard removes them all on drop, also when the test fails.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use bollard::Docker;
use docker::DockerDriver;
use futures_util::StreamExt;
use sandbox::{
    DriverError, DriverEvent, Limits, NetworkMode, RuntimeState, SandboxDriver, SandboxSpec,
    LABEL_APP, LABEL_APP_VALUE, LABEL_SANDBOX_ID,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const IMAGES: [&str; 2] = ["anycode-base:bookworm", "anycode-sandbox:latest"];

const STAND_IN_AGENT: &str = r#"#!/bin/sh
case "$1" in
  daemon) trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done ;;
  attach) echo "stand-in agent: attached" >&2; exec cat ;;
  *) echo "stand-in agent: unknown command $1" >&2; exit 2 ;;
esac
"#;

async fn connect() -> DockerDriver {
    match DockerDriver::connect().await {
        Ok(d) => d,
        Err(e) => panic!(
            "these tests need a Docker engine and none answered ({e}). Start one \
             (`dockerd &`; .ci/run does) or set DOCKER_HOST."
        ),
    }
}

/// Containers whose sandbox id starts with `prefix` are removed when this drops.
struct Fixture {
    driver: DockerDriver,
    docker: Docker,
    image: String,
    prefix: String,
    dir: tempfile::TempDir,
    agent: PathBuf,
}

impl Fixture {
    async fn new(test: &str) -> Self {
        let driver = connect().await;
        let mut image = None;
        for candidate in IMAGES {
            if driver.image_present(candidate).await.unwrap() {
                image = Some(candidate.to_owned());
                break;
            }
        }
        let image = image.unwrap_or_else(|| {
            panic!(
                "none of the images {IMAGES:?} is present: build them with scripts/sandbox-image"
            )
        });
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let prefix = format!("t{}-{nanos}-{test}-", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        let agent = dir.path().join("anycode-agent");
        std::fs::write(&agent, STAND_IN_AGENT).unwrap();
        std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
        let docker = Docker::connect_with_defaults().unwrap();
        Self {
            driver,
            docker,
            image,
            prefix,
            dir,
            agent,
        }
    }

    /// A spec for sandbox `<prefix><suffix>`, named the same, with its own directories.
    fn spec(&self, suffix: &str) -> SandboxSpec {
        let id = format!("{}{suffix}", self.prefix);
        let workspace_dir = self.dir.path().join(&id).join("workspace");
        let state_dir = self.dir.path().join(&id).join("state");
        std::fs::create_dir_all(&workspace_dir).unwrap();
        std::fs::create_dir_all(&state_dir).unwrap();
        SandboxSpec {
            name: id.clone(),
            id,
            image: self.image.clone(),
            workspace_dir,
            state_dir,
            agent_binary: self.agent.clone(),
            limits: Limits {
                cpus: 0.5,
                memory_mb: 256,
                pids: 128,
            },
            network: NetworkMode::None,
            env: BTreeMap::from([("ANYCODE_TEST".to_owned(), "1".to_owned())]),
            mirror_dir: None,
        }
    }

    /// Our containers (by label) whose sandbox id starts with this test's prefix.
    async fn leftovers(&self) -> Vec<String> {
        leftovers(&self.docker, &self.prefix).await
    }

    /// Runs `cmd` in the container as the sandbox user: (exit code, stdout+stderr).
    async fn exec(&self, container: &str, cmd: &[&str]) -> (i64, String) {
        let user = self.driver.container_user().to_string();
        let exec = self
            .docker
            .create_exec(
                container,
                CreateExecOptions {
                    cmd: Some(cmd.to_vec()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    user: Some(user.as_str()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut out = String::new();
        if let StartExecResults::Attached { mut output, .. } =
            self.docker.start_exec(&exec.id, None).await.unwrap()
        {
            while let Some(chunk) = output.next().await {
                out.push_str(&chunk.unwrap().to_string());
            }
        }
        let code = self
            .docker
            .inspect_exec(&exec.id)
            .await
            .unwrap()
            .exit_code
            .unwrap();
        (code, out)
    }
}

async fn leftovers(docker: &Docker, prefix: &str) -> Vec<String> {
    let filters = HashMap::from([("label", vec![format!("{LABEL_APP}={LABEL_APP_VALUE}")])]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let listed = docker.list_containers(Some(options)).await.unwrap();
    listed
        .into_iter()
        .filter(|c| {
            let labels = c.labels.clone().unwrap_or_default();
            labels
                .get(LABEL_SANDBOX_ID)
                .is_some_and(|id| id.starts_with(prefix))
        })
        .filter_map(|c| c.id)
        .collect()
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let prefix = self.prefix.clone();
        // Drop cannot await: clean up on a thread with its own runtime.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let docker = Docker::connect_with_defaults().unwrap();
                for id in leftovers(&docker, &prefix).await {
                    let options = RemoveContainerOptionsBuilder::new().force(true).build();
                    let _ = docker.remove_container(&id, Some(options)).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

#[tokio::test]
async fn lifecycle_hardening_and_limits() {
    let fx = Fixture::new("life").await;
    let spec = fx.spec("a");
    let started = Instant::now();
    let created = fx.driver.create(&spec).await.unwrap();
    eprintln!(
        "create+start (hardened, bind mounts, chown): {:?}",
        started.elapsed()
    );
    assert_eq!(created.state, RuntimeState::Running);
    assert_eq!(
        (created.id.as_str(), created.name.as_str()),
        (spec.id.as_str(), spec.name.as_str())
    );

    let observed = fx.driver.inspect(&spec.id).await.unwrap();
    assert_eq!(observed.state, RuntimeState::Running);
    assert_eq!(
        observed.limits,
        Some(spec.limits),
        "limits read back from the engine"
    );
    assert_eq!(observed.image, spec.image);
    assert_eq!(observed.exit_code, None);

    // What the engine applied.
    let inspected = fx
        .docker
        .inspect_container(&observed.runtime_id, None)
        .await
        .unwrap();
    let hc = inspected.host_config.unwrap();
    assert_eq!(hc.readonly_rootfs, Some(true));
    assert_eq!(hc.cap_drop, Some(vec!["ALL".to_owned()]));
    assert!(hc.cap_add.unwrap_or_default().is_empty());
    assert_eq!(
        hc.security_opt,
        Some(vec!["no-new-privileges:true".to_owned()])
    );
    assert_eq!(hc.network_mode.as_deref(), Some("none"));
    assert_eq!(hc.privileged, Some(false));
    assert_eq!(hc.memory, hc.memory_swap, "no swap");
    assert_eq!(
        inspected.name.as_deref(),
        Some(format!("/anycode-{}", spec.name).as_str())
    );

    // What the sandbox sees.
    let c = observed.runtime_id.as_str();
    let user = fx.driver.container_user();
    let (_, id) = fx.exec(c, &["id", "-u"]).await;
    assert_eq!(id.trim(), user.uid.to_string());
    let (_, net) = fx.exec(c, &["cat", "/proc/net/dev"]).await;
    let interfaces: Vec<&str> = net
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(interfaces, ["lo"], "no interface but loopback:\n{net}");
    let (_, status) = fx.exec(c, &["cat", "/proc/self/status"]).await;
    assert!(status.contains("CapEff:\t0000000000000000"), "{status}");
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    for writable in [
        "/tmp/x",
        "/run/anycode.sock",
        "/home/agent/.x",
        "/workspace/x",
        "/anycode/state/x",
    ] {
        let (code, out) = fx.exec(c, &["touch", writable]).await;
        assert_eq!(code, 0, "{writable} must be writable: {out}");
    }
    let (code, _) = fx.exec(c, &["touch", "/etc/x"]).await;
    assert_ne!(code, 0, "the root filesystem must be read-only");
    let (code, _) = fx
        .exec(c, &["sh", "-c", "echo x > /anycode/bin/anycode-agent"])
        .await;
    assert_ne!(code, 0, "the agent binary must be read-only");
    let (_, env) = fx.exec(c, &["cat", "/proc/1/environ"]).await;
    assert!(
        env.contains("HOME=/home/agent") && env.contains("ANYCODE_TEST=1"),
        "{env}"
    );
    assert!(
        spec.workspace_dir.join("x").exists(),
        "the workspace is the host directory"
    );

    // Listed with every other sandbox.
    let listed = fx.driver.list().await.unwrap();
    let mine = listed.iter().find(|o| o.id == spec.id).expect("listed");
    assert_eq!(
        (mine.state, &mine.runtime_id),
        (RuntimeState::Running, &observed.runtime_id)
    );

    // Stats from the streaming subscription: the first waits for a sample, later ones are cached.
    let stats = fx.driver.stats(&spec.id).await.unwrap();
    assert_eq!(stats.memory_limit_bytes, 256 * 1024 * 1024);
    assert!(stats.memory_bytes > 0);
    let t = Instant::now();
    fx.driver.stats(&spec.id).await.unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(100),
        "cached stats took {:?}",
        t.elapsed()
    );

    fx.driver.pause(&spec.id).await.unwrap();
    assert_eq!(
        fx.driver.inspect(&spec.id).await.unwrap().state,
        RuntimeState::Paused
    );
    fx.driver.unpause(&spec.id).await.unwrap();
    assert_eq!(
        fx.driver.inspect(&spec.id).await.unwrap().state,
        RuntimeState::Running
    );

    let t = Instant::now();
    fx.driver.stop(&spec.id).await.unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "the agent stops on SIGTERM: {:?}",
        t.elapsed()
    );
    let stopped = fx.driver.inspect(&spec.id).await.unwrap();
    assert_eq!(
        (stopped.state, stopped.exit_code),
        (RuntimeState::Stopped, Some(0))
    );
    let t = Instant::now();
    let r = fx.driver.stats(&spec.id).await;
    assert!(matches!(r, Err(DriverError::Failed(_))), "{r:?}");
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "took {:?}",
        t.elapsed()
    );
    assert!(
        fx.driver.connect_agent(&spec.id).await.is_err(),
        "no agent in a stopped sandbox"
    );

    fx.driver.start(&spec.id).await.unwrap();
    assert_eq!(
        fx.driver.inspect(&spec.id).await.unwrap().state,
        RuntimeState::Running
    );
    assert!(
        fx.driver.stats(&spec.id).await.unwrap().memory_limit_bytes > 0,
        "a new subscription"
    );

    fx.driver.remove(&spec.id).await.unwrap();
    assert!(matches!(
        fx.driver.inspect(&spec.id).await,
        Err(DriverError::NotFound(_))
    ));
    assert!(!fx
        .driver
        .list()
        .await
        .unwrap()
        .iter()
        .any(|o| o.id == spec.id));
    fx.driver.remove(&spec.id).await.unwrap();
    assert!(matches!(
        fx.driver.start(&spec.id).await,
        Err(DriverError::NotFound(_))
    ));
    assert!(fx.leftovers().await.is_empty());
}

#[tokio::test]
async fn agent_stream_is_a_working_duplex() {
    let fx = Fixture::new("duplex").await;
    let spec = fx.spec("a");
    fx.driver.create(&spec).await.unwrap();

    let mut agent = fx.driver.connect_agent(&spec.id).await.unwrap();
    agent.write_all(b"hello agent\n").await.unwrap();
    let mut line = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(10), agent.read_exact(&mut line))
        .await
        .expect("echo within 10 s")
        .unwrap();
    assert_eq!(&line, b"hello agent\n");

    // 4 MiB through `cat` while reading concurrently, then EOF on stdin ends the stream.
    let payload: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let (mut rd, mut wr) = tokio::io::split(agent);
    let sent = payload.clone();
    let writer = tokio::spawn(async move {
        wr.write_all(&sent).await.unwrap();
        wr.shutdown().await.unwrap();
    });
    let mut echoed = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), rd.read_to_end(&mut echoed))
        .await
        .expect("echo and EOF within 30 s")
        .unwrap();
    writer.await.unwrap();
    assert!(
        echoed == payload,
        "echoed {} of {} bytes, or different ones",
        echoed.len(),
        payload.len()
    );

    // A second stream after the first ended.
    let mut again = fx.driver.connect_agent(&spec.id).await.unwrap();
    again.write_all(b"x").await.unwrap();
    let mut one = [0u8; 1];
    again.read_exact(&mut one).await.unwrap();
    assert_eq!(&one, b"x");
}

#[tokio::test]
async fn missing_image_is_image_missing_and_leaves_nothing() {
    let fx = Fixture::new("noimage").await;
    let mut spec = fx.spec("a");
    spec.image = "anycode-no-such-image:never".to_owned();
    match fx.driver.create(&spec).await {
        Err(DriverError::ImageMissing(image)) => assert_eq!(image, spec.image),
        other => panic!("expected ImageMissing, got {other:?}"),
    }
    assert!(!fx.driver.image_present(&spec.image).await.unwrap());
    assert!(fx.leftovers().await.is_empty());
}

#[tokio::test]
async fn duplicate_name_is_conflict_and_leaves_no_orphan() {
    let fx = Fixture::new("dup").await;
    let first = fx.spec("a");
    fx.driver.create(&first).await.unwrap();
    let mut second = fx.spec("b");
    second.name = first.name.clone();
    match fx.driver.create(&second).await {
        Err(DriverError::Conflict(name)) => assert_eq!(name, first.name),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(
        fx.leftovers().await.len(),
        1,
        "only the first sandbox exists"
    );
    assert!(matches!(
        fx.driver.inspect(&second.id).await,
        Err(DriverError::NotFound(_))
    ));
    assert_eq!(
        fx.driver.inspect(&first.id).await.unwrap().state,
        RuntimeState::Running
    );
}

#[tokio::test]
async fn failed_start_removes_the_container() {
    let fx = Fixture::new("nostart").await;
    let mut spec = fx.spec("a");
    // An agent binary the engine cannot execute: create succeeds, start fails.
    let broken = fx.dir.path().join("not-executable");
    std::fs::write(&broken, "not a program").unwrap();
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o644)).unwrap();
    spec.agent_binary = broken;
    let err = fx.driver.create(&spec).await.expect_err("start must fail");
    assert!(matches!(err, DriverError::Failed(_)), "{err:?}");
    assert!(
        fx.leftovers().await.is_empty(),
        "no orphan after a failed start"
    );
}

#[tokio::test]
async fn events_report_our_containers() {
    let fx = Fixture::new("events").await;
    let mut events = fx.driver.events().expect("the Docker driver has events");
    // Let the subscription reach the engine before acting: poll it briefly.
    let _ = tokio::time::timeout(Duration::from_millis(300), events.next()).await;
    let spec = fx.spec("a");
    fx.driver.create(&spec).await.unwrap();
    fx.driver.stop(&spec.id).await.unwrap();
    let mut seen = 0;
    while seen < 2 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream does not end");
        match event {
            DriverEvent::Changed { id } if id == spec.id => seen += 1,
            DriverEvent::Changed { .. } => {} // another test's sandbox
            DriverEvent::Resync => panic!("no engine restart happened"),
        }
    }
}

/// A fake engine on a Unix socket: answers `/version` with `api`, `/_ping` with OK, and each
/// `/events` with one `start` event for sandbox `sb1` before ending the stream (as an engine
/// restart does). Returns the socket's `unix://` address and the request lines it saw.
async fn fake_engine(
    dir: &std::path::Path,
    api: &'static str,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::AsyncBufReadExt;
    let path = dir.join("engine.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (conn, _) = listener.accept().await.unwrap();
            let log = log.clone();
            tokio::spawn(async move {
                let mut conn = tokio::io::BufReader::new(conn);
                let mut request = String::new();
                conn.read_line(&mut request).await.unwrap();
                loop {
                    let mut header = String::new();
                    if conn.read_line(&mut header).await.unwrap() == 0 || header == "\r\n" {
                        break;
                    }
                }
                log.lock().unwrap().push(request.trim().to_owned());
                let path = request.split(' ').nth(1).unwrap_or_default().to_owned();
                let body = if path.contains("/version") {
                    format!(r#"{{"Version":"fake","ApiVersion":"{api}"}}"#)
                } else if path.contains("/_ping") {
                    "OK".to_owned()
                } else if path.contains("/events") {
                    r#"{"Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{"anycode.sandbox-id":"sb1","app":"anycode-sandbox"}},"time":1700000000}"#.to_owned() + "\n"
                } else {
                    String::new()
                };
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.get_mut().write_all(response.as_bytes()).await;
                let _ = conn.get_mut().shutdown().await;
            });
        }
    });
    (format!("unix://{}", path.display()), seen)
}

#[tokio::test]
async fn events_resync_after_the_engine_stream_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (host, seen) = fake_engine(dir.path(), "1.41").await;
    let driver = DockerDriver::connect_to(&host).await.unwrap();
    let mut events = driver.events().unwrap();
    for expected in [
        DriverEvent::Changed {
            id: "sb1".to_owned(),
        },
        DriverEvent::Resync,
        DriverEvent::Changed {
            id: "sb1".to_owned(),
        },
    ] {
        let got = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .unwrap();
        assert_eq!(got, Some(expected));
    }
    let requests = seen.lock().unwrap().clone();
    let resumed = requests
        .iter()
        .filter(|r| r.contains("/events"))
        .nth(1)
        .unwrap();
    assert!(
        resumed.contains("since=1700000000"),
        "resumes from the last event: {resumed}"
    );
}

#[tokio::test]
async fn old_or_missing_engines_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (host, _) = fake_engine(dir.path(), "1.30").await;
    match DockerDriver::connect_to(&host).await {
        Err(DriverError::Unavailable(msg)) => assert!(msg.contains("API 1.30"), "{msg}"),
        other => panic!("expected Unavailable for API 1.30, got {:?}", other.err()),
    }
    let nowhere = format!("unix://{}", dir.path().join("nothing.sock").display());
    match DockerDriver::connect_to(&nowhere).await {
        Err(DriverError::Unavailable(msg)) => assert!(msg.contains("Is Docker running?"), "{msg}"),
        other => panic!(
            "expected Unavailable without an engine, got {:?}",
            other.err()
        ),
    }
}

#[tokio::test]
async fn stats_do_not_outlive_a_sandbox_that_died() {
    let fx = Fixture::new("died").await;
    let spec = fx.spec("a");
    let created = fx.driver.create(&spec).await.unwrap();
    assert!(fx.driver.stats(&spec.id).await.unwrap().memory_limit_bytes > 0);
    // The agent dies on its own (not through the driver).
    let kill = bollard::query_parameters::KillContainerOptionsBuilder::new()
        .signal("KILL")
        .build();
    fx.docker
        .kill_container(&created.runtime_id, Some(kill))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match fx.driver.stats(&spec.id).await {
            Err(DriverError::Failed(_)) => break,
            Err(e) => panic!("unexpected error: {e:?}"),
            Ok(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            Ok(s) => panic!("stats of a dead sandbox still answer after 15 s: {s:?}"),
        }
    }
    let observed = fx.driver.inspect(&spec.id).await.unwrap();
    assert_eq!(
        (observed.state, observed.exit_code),
        (RuntimeState::Stopped, Some(137))
    );
}
