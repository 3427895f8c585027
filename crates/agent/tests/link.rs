//! The real agent binary, run by the local driver, driven through the server's `AgentLink`:
//! terminals, mirrors that survive a lost connection (a server restart), exec, tunnels.
#![allow(clippy::unwrap_used)]
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sandbox::link::{AgentLink, Mirror, Tunnel, TunnelHandler};
use sandbox::local::LocalDriver;
use sandbox::{Limits, NetworkMode, SandboxDriver, SandboxSpec};
use terminal::{Read, Session, SessionConfig};

struct Echo;
impl TunnelHandler for Echo {
    fn handle(&self, _sandbox: &str, mut t: Tunnel) {
        tokio::spawn(async move {
            while let Some(data) = t.from_sandbox.recv().await {
                let mut reply = b"echo:".to_vec();
                reply.extend_from_slice(&data);
                if t.to_sandbox.send(Bytes::from(reply)).await.is_err() {
                    break;
                }
            }
        });
    }
}

fn spec(dir: &std::path::Path) -> SandboxSpec {
    SandboxSpec {
        id: "sb1".into(),
        name: "one".into(),
        image: "local".into(),
        workspace_dir: dir.join("ws"),
        state_dir: dir.join("state"),
        agent_binary: env!("CARGO_BIN_EXE_anycode-agent").into(),
        limits: Limits::default(),
        network: NetworkMode::None,
        env: BTreeMap::from([("PS1".to_string(), "$ ".to_string())]),
        mirror_dir: None,
    }
}

async fn wait_until(session: &Session, mut pred: impl FnMut(&Session) -> bool) {
    let mut rx = session.subscribe();
    while !pred(session) {
        tokio::time::timeout(Duration::from_secs(15), rx.changed())
            .await
            .expect("guard")
            .expect("open");
    }
}

fn replay(session: &Session, from: u64) -> String {
    match session.read(from, 1 << 22) {
        Read::Data(chunks) => String::from_utf8_lossy(&chunks.concat()).into_owned(),
        Read::Empty => String::new(),
        Read::Gap => panic!("offset {from} is not buffered"),
    }
}

fn mirror(id: &str) -> Mirror {
    Mirror::new(
        id.into(),
        Session::start(SessionConfig {
            backpressure: None,
            ..Default::default()
        })
        .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminals_survive_a_lost_connection_and_replay_what_was_missed() {
    let dir = tempfile::tempdir().unwrap();
    let driver = LocalDriver::new(dir.path().join("local"));
    driver.create(&spec(dir.path())).await.unwrap();

    let link = AgentLink::connect(
        "sb1",
        driver.connect_agent("sb1").await.unwrap(),
        Arc::new(Echo),
    )
    .await
    .unwrap();
    link.create_terminal(
        "t1",
        vec!["/bin/sh".into()],
        None,
        BTreeMap::from([("PS1".into(), "$ ".into())]),
        80,
        24,
        "sh",
    )
    .await
    .unwrap();
    let m = mirror("t1");
    link.attach(&m, None).await.unwrap();
    m.session
        .try_input(Bytes::from_static(b"echo before-$((1+1))\r"))
        .unwrap();
    wait_until(&m.session, |s| replay(s, 0).contains("before-2")).await;

    // The "server" goes away; the process keeps running and writing.
    link.close();
    let link2 = AgentLink::connect(
        "sb1",
        driver.connect_agent("sb1").await.unwrap(),
        Arc::new(Echo),
    )
    .await
    .unwrap();
    let terms = link2.list_terminals().await.unwrap();
    assert_eq!(terms.len(), 1);
    // Write while no mirror follows the terminal.
    let out = link2
        .exec(
            vec![
                "/bin/sh".into(),
                "-c".into(),
                "echo exec-ok; echo oops >&2; exit 3".into(),
            ],
            None,
            BTreeMap::new(),
            Duration::from_secs(5),
            None,
        )
        .await
        .unwrap();
    match out {
        agent_proto::Message::ExecResult {
            exit_code,
            stdout,
            stderr,
            timed_out,
            ..
        } => {
            assert_eq!(
                (exit_code, stdout.as_str(), stderr.as_str(), timed_out),
                (Some(3), "exec-ok\n", "oops\n", false)
            );
        }
        other => panic!("{other:?}"),
    }

    // A fresh mirror (a restarted server) gets the whole history and the same screen.
    let fresh = mirror("t1");
    link2.attach(&fresh, Some(&terms[0].state)).await.unwrap();
    let history = replay(&fresh.session, fresh.session.info().start);
    assert!(history.contains("before-2"), "{history:?}");
    assert!(fresh
        .session
        .screen_text()
        .iter()
        .any(|l| l.contains("before-2")));
    fresh
        .session
        .try_input(Bytes::from_static(b"echo after-$((2+2))\r"))
        .unwrap();
    wait_until(&fresh.session, |s| replay(s, 0).contains("after-4")).await;
    let screen = fresh.session.screen_text();
    assert_eq!(
        screen.iter().filter(|l| l.contains("before-2")).count(),
        1,
        "painted once: {screen:?}"
    );

    // Exec with a timeout kills the command.
    let out = link2
        .exec(
            vec!["sleep".into(), "30".into()],
            None,
            BTreeMap::new(),
            Duration::from_millis(200),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(
        out,
        agent_proto::Message::ExecResult {
            timed_out: true,
            ..
        }
    ));

    // A process in the sandbox reaching the loopback egress port is tunnelled to the server.
    let port = link2.welcome.tunnel_ports["egress"];
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(b"ping").await.unwrap();
    let mut buf = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(10), s.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"echo:ping");

    driver.remove("sb1").await.unwrap();
}
