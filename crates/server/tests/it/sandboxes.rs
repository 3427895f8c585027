//! Sandboxes against a real Docker engine (and the local driver): lifecycle, limits read back
//! from the engine, isolation, terminals inside containers, bad input, faults from outside.
use std::process::Command;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Containers of one sandbox, by label, in any state.
fn containers_of(id: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=anycode.sandbox-id={id}"),
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    )
}

async fn docker_server() -> TestServer {
    assert!(
        Command::new("docker")
            .args(["version"])
            .output()
            .is_ok_and(|o| o.status.success()),
        "these tests need a Docker engine; scripts/test starts one"
    );
    TestServer::start_with(|c| c.sandbox_driver = server::DriverChoice::Docker).await
}

async fn create(s: &TestServer, body: Value) -> Value {
    let (st, v) = s.api(Method::POST, "/api/sandboxes", Some(body)).await;
    assert_eq!(st, 201, "{v}");
    v
}

async fn exec(s: &TestServer, id: &str, script: &str) -> Value {
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{id}/exec"),
            Some(json!({"command": ["sh", "-c", script], "timeoutMs": 20000})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v
}

/// Removes the sandbox even when the test fails.
struct Cleanup(String);
impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in containers_of(&self.0) {
            docker(&["rm", "-f", &c]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_sandbox_lifecycle_limits_and_isolation() {
    let s = docker_server().await;
    let name = unique("life");
    let sb = create(
        &s,
        json!({"name": name, "cpus": 1.5, "memoryMb": 768, "pids": 300}),
    )
    .await;
    let id = sb["id"].as_str().unwrap().to_string();
    let _cleanup = Cleanup(id.clone());
    assert_eq!(sb["status"], "ready");
    assert_eq!(sb["driver"], "docker");
    assert_eq!(sb["agentConnected"], true);

    // Limits and hardening, read back from the engine.
    let c = containers_of(&id);
    assert_eq!(c.len(), 1);
    let f = |fmt: &str| docker(&["inspect", "--format", fmt, &c[0]]);
    assert_eq!(f("{{.HostConfig.NanoCpus}}"), "1500000000");
    assert_eq!(
        f("{{.HostConfig.Memory}}"),
        (768u64 * 1024 * 1024).to_string()
    );
    assert_eq!(
        f("{{.HostConfig.MemorySwap}}"),
        (768u64 * 1024 * 1024).to_string()
    );
    assert_eq!(f("{{.HostConfig.PidsLimit}}"), "300");
    assert_eq!(f("{{.HostConfig.ReadonlyRootfs}}"), "true");
    assert_eq!(f("{{.HostConfig.CapDrop}}"), "[ALL]");
    assert!(f("{{.HostConfig.SecurityOpt}}").contains("no-new-privileges"));
    assert_eq!(f("{{.HostConfig.NetworkMode}}"), "none");
    assert_eq!(f("{{.HostConfig.Privileged}}"), "false");
    assert_eq!(f("{{index .Config.Labels \"app\"}}"), "anycode-sandbox");
    assert!(!f("{{json .Mounts}}").contains("docker.sock"));

    // Inside: the agent is PID 1, the user is not root, there is no network but loopback, and
    // the egress proxy refuses what is not allowlisted.
    let v = exec(&s, &id, "cat /proc/1/comm; id -u; grep -c : /proc/net/dev; touch /etc/x 2>&1 | head -1; curl -sS https://example.com 2>&1 | head -1; echo $HTTPS_PROXY").await;
    let out = v["stdout"].as_str().unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "anycode-agent");
    assert_eq!(lines[1], "1000");
    assert_eq!(lines[2], "1", "only lo: {out}");
    assert!(lines[3].contains("Read-only file system"), "{out}");
    assert!(lines[4].contains("403"), "{out}");
    assert!(lines[5].starts_with("http://127.0.0.1:"));
    assert_eq!(v["exitCode"], 0);

    // Exec reports exit codes and stderr, and kills on timeout.
    let v = exec(&s, &id, "echo err >&2; exit 4").await;
    assert_eq!(
        (v["exitCode"].as_i64(), v["stderr"].as_str()),
        (Some(4), Some("err\n"))
    );
    let (_, v) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{id}/exec"),
            Some(json!({"command": ["sleep", "30"], "timeoutMs": 300})),
        )
        .await;
    assert_eq!(v["timedOut"], true);

    // Stop, start, destroy.
    let (st, v) = s
        .api(Method::POST, &format!("/api/sandboxes/{id}/stop"), None)
        .await;
    assert_eq!((st, v["status"].as_str()), (200, Some("stopped")));
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Running}}", &c[0]]),
        "false"
    );
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{id}/exec"),
            Some(json!({"command": ["true"]})),
        )
        .await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("invalid_state"))
    );
    let (st, v) = s
        .api(Method::POST, &format!("/api/sandboxes/{id}/start"), None)
        .await;
    assert_eq!((st, v["status"].as_str()), (200, Some("ready")), "{v}");
    assert_eq!(exec(&s, &id, "echo back").await["stdout"], "back\n");
    let (st, _) = s
        .api(Method::DELETE, &format!("/api/sandboxes/{id}"), None)
        .await;
    assert_eq!(st, 204);
    assert!(containers_of(&id).is_empty(), "no container left");
    let (st, _) = s
        .api(Method::GET, &format!("/api/sandboxes/{id}"), None)
        .await;
    assert_eq!(st, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_runs_inside_the_container() {
    let s = docker_server().await;
    let sb = create(&s, json!({"name": unique("term")})).await;
    let id = sb["id"].as_str().unwrap().to_string();
    let _cleanup = Cleanup(id.clone());
    let (st, t) = s
        .api(
            Method::POST,
            "/api/terminals",
            Some(json!({"sandboxId": id, "command": ["/bin/sh"], "env": {"PS1": "$ "}})),
        )
        .await;
    assert_eq!(st, 201, "{t}");
    assert_eq!(t["sandboxId"], id.as_str());
    let tid = t["id"].as_str().unwrap();
    let mut term = s.connect(tid, "&from=0").await;
    term.input("echo in-$(cat /proc/1/comm)-$(id -u)\r").await;
    term.until_output("in-anycode-agent-1000").await;
    // The recording is kept by the agent and served by the server.
    let (st, _) = s
        .api(
            Method::GET,
            &format!("/api/terminals/{tid}/recording"),
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (_, v) = s
        .api(Method::GET, &format!("/api/sandboxes/{id}"), None)
        .await;
    assert_eq!(
        v["status"], "running",
        "a sandbox with a live terminal is running"
    );
    assert_eq!(v["terminals"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sandbox_requests_get_clear_errors_and_leave_nothing_behind() {
    let s = docker_server().await;
    let name = unique("dup");
    let sb = create(&s, json!({"name": name})).await;
    let _cleanup = Cleanup(sb["id"].as_str().unwrap().to_string());
    let cases = [
        (json!({"name": name}), 409, "conflict"),
        (json!({"name": "bad name!"}), 400, "invalid_request"),
        (json!({"name": ""}), 400, "invalid_request"),
        (
            json!({"name": unique("x"), "cpus": 0}),
            400,
            "invalid_request",
        ),
        (
            json!({"name": unique("x"), "cpus": 1000}),
            400,
            "invalid_request",
        ),
        (
            json!({"name": unique("x"), "memoryMb": 1}),
            400,
            "invalid_request",
        ),
        (
            json!({"name": unique("x"), "pids": 1}),
            400,
            "invalid_request",
        ),
        (
            json!({"name": unique("x"), "network": "host"}),
            400,
            "invalid_request",
        ),
        (
            json!({"name": unique("x"), "image": "no-such-image:never"}),
            400,
            "image_missing",
        ),
        (
            json!({"name": unique("x"), "image": "bad image"}),
            400,
            "invalid_request",
        ),
    ];
    for (body, status, code) in cases {
        let (st, v) = s
            .api(Method::POST, "/api/sandboxes", Some(body.clone()))
            .await;
        assert_eq!(
            (st, v["error"]["code"].as_str().unwrap_or("")),
            (status, code),
            "{body} → {v}"
        );
    }
    // Only the one good sandbox exists, in the store and in the engine.
    let (_, list) = s.api(Method::GET, "/api/sandboxes", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    for (method, path) in [
        (Method::GET, "/api/sandboxes/nope"),
        (Method::POST, "/api/sandboxes/nope/start"),
        (Method::DELETE, "/api/sandboxes/nope"),
    ] {
        let (st, v) = s.api(method, path, None).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let (st, v) = s
        .api(
            Method::POST,
            "/api/terminals",
            Some(json!({"sandboxId": "nope"})),
        )
        .await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_changed_outside_anycode_get_true_states_and_zombies_are_removed() {
    let s = docker_server().await;
    let killed = create(&s, json!({"name": unique("killed")})).await;
    let removed = create(&s, json!({"name": unique("removed")})).await;
    let (kid, rid) = (
        killed["id"].as_str().unwrap().to_string(),
        removed["id"].as_str().unwrap().to_string(),
    );
    let _c1 = Cleanup(kid.clone());
    let _c2 = Cleanup(rid.clone());
    let mut events = s.events().await;
    docker(&["kill", &containers_of(&kid)[0]]);
    docker(&["rm", "-f", &containers_of(&rid)[0]]);
    let mut seen = (false, false);
    while seen != (true, true) {
        let ev = events.next_json().await;
        if ev["type"] != "sandbox" {
            continue;
        }
        let p = &ev["payload"];
        if p["id"] == kid.as_str() && p["status"] == "stopped" {
            assert!(p["reason"].as_str().unwrap().contains("killed"), "{p}");
            seen.0 = true;
        }
        if p["id"] == rid.as_str() && p["status"] == "failed" {
            assert!(p["reason"].as_str().unwrap().contains("vanished"), "{p}");
            seen.1 = true;
        }
    }

    // A container of this installation that nobody recorded (a zombie) is removed when the
    // server starts again; another installation's container is left alone.
    let instance = std::fs::read_to_string(s.dir.join("instance-id")).unwrap();
    let zombie_id = unique("zombie");
    let foreign_id = unique("foreign");
    let _c3 = Cleanup(zombie_id.clone());
    let _c4 = Cleanup(foreign_id.clone());
    for (id, inst) in [
        (&zombie_id, instance.as_str()),
        (&foreign_id, "someone-else"),
    ] {
        let made = docker(&[
            "run",
            "-d",
            "--label",
            "app=anycode-sandbox",
            "--label",
            &format!("anycode.instance={inst}"),
            "--label",
            &format!("anycode.sandbox-id={id}"),
            "anycode-base:bookworm",
            "sleep",
            "300",
        ]);
        assert!(!made.is_empty());
    }
    let again = TestServer::start_at(s.dir.clone(), |c| {
        c.sandbox_driver = server::DriverChoice::Docker
    })
    .await;
    assert!(
        containers_of(&zombie_id).is_empty(),
        "zombie removed at start-up"
    );
    assert_eq!(
        containers_of(&foreign_id).len(),
        1,
        "another installation's sandbox is not ours to remove"
    );
    drop(again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_driver_runs_sandboxes_without_an_engine() {
    let s = TestServer::start().await; // the harness default is the local driver
    let sb = create(&s, json!({"name": "loc"})).await;
    assert_eq!(sb["driver"], "local");
    let id = sb["id"].as_str().unwrap().to_string();
    let v = exec(&s, &id, "pwd; echo $ANYCODE_SANDBOX_ID").await;
    let out = v["stdout"].as_str().unwrap();
    assert!(out.lines().next().unwrap().ends_with("/workspace"), "{out}");
    assert_eq!(out.lines().nth(1), Some(id.as_str()));
    let (st, t) = s
        .api(
            Method::POST,
            "/api/terminals",
            Some(json!({"sandboxId": id, "command": ["/bin/sh"]})),
        )
        .await;
    assert_eq!(st, 201, "{t}");
    let mut term = s.connect(t["id"].as_str().unwrap(), "&from=0").await;
    term.input("echo local-$((6*7))\r").await;
    term.until_output("local-42").await;
    let (st, v) = s
        .api(Method::POST, &format!("/api/sandboxes/{id}/stop"), None)
        .await;
    assert_eq!((st, v["status"].as_str()), (200, Some("stopped")));
    let (st, _) = s
        .api(Method::DELETE, &format!("/api/sandboxes/{id}"), None)
        .await;
    assert_eq!(st, 204);
}
