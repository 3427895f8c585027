//! The reason the in-sandbox agent exists: `kill -9` the server while a terminal in a sandbox
//! runs; start it again; the sandbox is listed with its true state, the terminal is reattached,
//! a viewer resuming from its offset receives exactly the bytes produced while the server was
//! down, and a new viewer sees the same screen. Real binary, real Docker engine.
#![allow(clippy::unwrap_used)]
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "restart-test-token-123";

fn start(data: &std::path::Path) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anycode"))
        .args([
            "serve",
            "--port",
            "0",
            "--token",
            TOKEN,
            "--sandbox-driver",
            "docker",
            "--data-dir",
        ])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (child, port)
}

async fn api(port: u16, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new()
        .request(method, format!("http://127.0.0.1:{port}{path}"))
        .bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads frames until `done(output)`; returns (first frame kind, first offset, output, next offset).
async fn read_until(ws: &mut Ws, mut done: impl FnMut(&str) -> bool) -> (u8, u64, String, u64) {
    let mut first: Option<(u8, u64)> = None;
    let mut out = String::new();
    let mut next = 0;
    while !done(&out) {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("guard")
            .unwrap()
            .unwrap();
        if let Message::Binary(b) = msg {
            let offset = u64::from_be_bytes(b[1..9].try_into().unwrap());
            if first.is_none() {
                first = Some((b[0], offset));
            } else if b[0] == 0 {
                assert_eq!(offset, next, "contiguous");
            }
            let data = String::from_utf8_lossy(&b[9..]).to_string();
            next = offset + if b[0] == 0 { (b.len() - 9) as u64 } else { 0 };
            out.push_str(&data);
            ws.send(Message::Text(
                json!({"type": "ack", "payload": {"offset": next}})
                    .to_string()
                    .into(),
            ))
            .await
            .unwrap();
        }
    }
    let (kind, offset) = first.unwrap();
    (kind, offset, out, next)
}

fn ticks(s: &str) -> Vec<u64> {
    s.split("tick-")
        .skip(1)
        .filter_map(|t| t.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminals_in_sandboxes_survive_kill_9_of_the_server() {
    assert!(
        Command::new("docker")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "needs a Docker engine"
    );
    let data = tempfile::tempdir().unwrap();
    let (mut server, port) = start(data.path());

    let sb = api(
        port,
        reqwest::Method::POST,
        "/api/sandboxes",
        Some(json!({"name": "restart-me"})),
    )
    .await;
    let sid = sb["id"].as_str().unwrap().to_string();
    let t = api(port, reqwest::Method::POST, "/api/terminals", Some(json!({
        "sandboxId": sid,
        "command": ["sh", "-c", "echo before-kill; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo tick-$i; sleep 0.1; done"],
    }))).await;
    let tid = t["id"].as_str().unwrap().to_string();

    let url =
        |port: u16, q: &str| format!("ws://127.0.0.1:{port}/ws/terminals/{tid}?token={TOKEN}{q}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url(port, "&from=0"))
        .await
        .unwrap();
    let (_, _, seen, offset) =
        read_until(&mut ws, |o| ticks(o).last().is_some_and(|n| *n >= 3)).await;
    assert!(seen.contains("before-kill"));
    let last_seen = *ticks(&seen).last().unwrap();
    drop(ws);

    // kill -9: no shutdown of any kind.
    server.kill().unwrap();
    server.wait().unwrap();

    // Output goes on while the server is down: wait (on the agent's own recording, which lives
    // in the data dir) until ten more ticks were written.
    let cast = data
        .path()
        .join("sandboxes")
        .join(&sid)
        .join("state")
        .join("recordings")
        .join(format!("{tid}.cast"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while ticks(&std::fs::read_to_string(&cast).unwrap_or_default())
        .last()
        .copied()
        .unwrap_or(0)
        < last_seen + 10
    {
        assert!(
            Instant::now() < deadline,
            "the terminal stopped while the server was down"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (mut server, port) = start(data.path());
    let list = api(port, reqwest::Method::GET, "/api/sandboxes", None).await;
    let me = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == sid.as_str())
        .unwrap()
        .clone();
    assert_eq!(me["status"], "running", "{me}");
    assert_eq!(me["agentConnected"], true);
    let term = api(
        port,
        reqwest::Method::GET,
        &format!("/api/terminals/{tid}"),
        None,
    )
    .await;
    assert_eq!(term["status"], "running");

    // Resume from the old offset: exactly the missed bytes, starting where we stopped.
    let (mut ws, _) = tokio_tungstenite::connect_async(url(port, &format!("&from={offset}")))
        .await
        .unwrap();
    let (kind, first_offset, missed, _) = read_until(&mut ws, |o| {
        ticks(o).last().is_some_and(|n| *n >= last_seen + 10)
    })
    .await;
    assert_eq!(
        (kind, first_offset),
        (0, offset),
        "replay, not a snapshot, from the old offset"
    );
    let got = ticks(&missed);
    assert_eq!(
        got[0],
        last_seen + 1,
        "nothing lost, nothing repeated: {missed:?}"
    );
    assert!(got.windows(2).all(|w| w[1] == w[0] + 1), "{got:?}");

    // A new viewer gets the screen as it is: a snapshot with the latest ticks.
    let (mut fresh, _) = tokio_tungstenite::connect_async(url(port, ""))
        .await
        .unwrap();
    let (kind, _, screen, _) = read_until(&mut fresh, |o| !o.is_empty()).await;
    assert_eq!(kind, 1, "snapshot first");
    assert!(
        ticks(&screen).last().copied().unwrap_or(0) >= last_seen + 10,
        "{screen:?}"
    );

    reqwest::Client::new()
        .delete(format!("http://127.0.0.1:{port}/api/sandboxes/{sid}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    server.kill().unwrap();
    let _ = server.wait();
}
