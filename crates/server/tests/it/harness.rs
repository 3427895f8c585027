//! The test harness: the real server on port 0 with a temp data dir; a WebSocket viewer that
//! checks offsets. Timeouts are failure guards only; every wait is on an observable event.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "test-token-0123456789";
pub const GUARD: Duration = Duration::from_secs(20);

pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub dir: std::path::PathBuf,
    _owned: Option<tempfile::TempDir>,
    pub shutdown: CancellationToken,
    pub http: reqwest::Client,
    /// The running server; `stop` waits for it to end.
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<anyhow::Result<()>>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut server::Config)) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), tweak).await
    }

    /// Starts on an existing data dir (a "restarted" server sees what the last one left).
    pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut server::Config)) -> Self {
        let path = dir.path().to_path_buf();
        let mut s = Self::start_at(path, tweak).await;
        s._owned = Some(dir);
        s
    }

    /// Starts on a data dir someone else owns (a second server life on the same data).
    pub async fn start_at(
        dir: std::path::PathBuf,
        tweak: impl FnOnce(&mut server::Config),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut cfg = server::Config::new(dir.clone(), TOKEN.into());
        // Terminal tests need no engine; sandbox tests choose Docker explicitly.
        cfg.sandbox_driver = server::DriverChoice::Local;
        cfg.agent_binary = Some(agent_binary());
        tweak(&mut cfg);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server::run(listener, cfg, shutdown.clone()));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let s = Self {
            addr,
            dir,
            _owned: None,
            shutdown,
            http,
            task: std::sync::Mutex::new(Some(task)),
        };
        // The first answer means start-up (store, reconciliation) is done.
        let (status, _) = s.api(reqwest::Method::GET, "/api/terminals", None).await;
        assert_eq!(status, 200, "server did not start");
        s
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn create(&self, body: Value) -> String {
        let (status, v) = self
            .api(reqwest::Method::POST, "/api/terminals", Some(body))
            .await;
        assert_eq!(status, 201, "{v}");
        v["id"].as_str().unwrap().to_string()
    }

    pub async fn connect(&self, id: &str, query: &str) -> Term {
        let url = format!("ws://{}/ws/terminals/{id}?token={TOKEN}{query}", self.addr);
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Term {
            ws,
            output: Vec::new(),
            next: None,
            json: Vec::new(),
            snapshots: 0,
            window_start: 0,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A WebSocket viewer that checks offsets are contiguous and acknowledges what it received.
pub struct Term {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub output: Vec<u8>,
    pub next: Option<u64>,
    pub json: Vec<Value>,
    pub snapshots: usize,
    /// Offset of the last snapshot (0 before any): where the current window began.
    pub window_start: u64,
}

pub enum Got {
    Output,
    Snapshot(Vec<u8>),
    Json(Value),
    Closed(Option<u16>),
}

impl Term {
    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn input(&mut self, s: &str) {
        self.send(json!({"type": "input", "payload": {"data": s}}))
            .await;
    }

    pub async fn recv(&mut self, ack: bool) -> Got {
        let msg = tokio::time::timeout(GUARD, self.ws.next())
            .await
            .expect("no message within guard time");
        match msg {
            Some(Ok(Message::Binary(b))) => {
                let offset = u64::from_be_bytes(b[1..9].try_into().unwrap());
                let data = b[9..].to_vec();
                let got = if b[0] == 0 {
                    if let Some(n) = self.next {
                        assert_eq!(offset, n, "output frames are contiguous");
                    }
                    self.output.extend_from_slice(&data);
                    Got::Output
                } else {
                    self.snapshots += 1;
                    self.window_start = offset;
                    Got::Snapshot(data.clone())
                };
                self.next = Some(offset + if b[0] == 0 { data.len() as u64 } else { 0 });
                if ack {
                    let n = self.next.unwrap();
                    self.send(json!({"type": "ack", "payload": {"offset": n}}))
                        .await;
                }
                got
            }
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                self.json.push(v.clone());
                Got::Json(v)
            }
            Some(Ok(Message::Close(f))) => Got::Closed(f.map(|f| u16::from(f.code))),
            Some(Ok(_)) => Got::Json(Value::Null),
            Some(Err(_)) | None => Got::Closed(None),
        }
    }

    pub async fn until_output(&mut self, needle: &str) {
        while !String::from_utf8_lossy(&self.output).contains(needle) {
            if let Got::Closed(c) = self.recv(true).await {
                panic!(
                    "closed ({c:?}) before {needle:?}; got {:?}",
                    String::from_utf8_lossy(&self.output)
                );
            }
        }
    }

    pub async fn until_json(&mut self, kind: &str) -> Value {
        loop {
            match self.recv(true).await {
                Got::Json(v) if v["type"] == kind => return v,
                Got::Closed(c) => panic!("closed ({c:?}) before a `{kind}` message"),
                _ => {}
            }
        }
    }
}

pub fn sh(script: &str) -> Value {
    json!(["/bin/sh", "-c", script])
}

/// `anycode-agent` from this workspace's target dir (built by `cargo test --workspace`).
pub fn agent_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let agent = dir.join("anycode-agent");
    assert!(
        agent.exists(),
        "{} is missing: run `cargo build -p agent` (cargo test --workspace builds it)",
        agent.display()
    );
    agent
}

/// A `/ws/events` subscriber.
pub struct Events {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl TestServer {
    pub async fn events(&self) -> Events {
        let url = format!("ws://{}/ws/events?token={TOKEN}", self.addr);
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut e = Events { ws };
        assert_eq!(e.next_json().await["type"], "hello");
        e
    }
}

impl Events {
    pub async fn next_json(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(GUARD, self.ws.next())
                .await
                .expect("no event within guard time");
            match msg {
                Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).unwrap(),
                Some(Ok(_)) => continue,
                other => panic!("events socket ended: {other:?}"),
            }
        }
    }
}

/// A fake GitHub with a private `alice/app` (seeded with a README on `main`), the mock model, and
/// the server settings that use both (Docker sandboxes, the host's GitHub token, a model
/// credential): what task and workflow tests run against.
pub struct ForgeWorld {
    pub forge: fake_forge::FakeForge,
    _root: tempfile::TempDir,
    pub mock: mock_model::MockModel,
}

pub const WORLD_GITHUB_TOKEN: &str = "ghp_world_token_0123456789";

impl ForgeWorld {
    pub async fn start(script: mock_model::Script) -> Self {
        let root = tempfile::tempdir().unwrap();
        let forge = fake_forge::FakeForge::start(root.path()).await.unwrap();
        forge.add_user("alice", WORLD_GITHUB_TOKEN);
        forge.create_repo("alice", "app", true, "main");
        forge.commit_files(
            "alice",
            "app",
            "main",
            &[("README.md", "# App\n"), ("src/main.txt", "hello\n")],
            "initial",
        );
        let mock = mock_model::MockModel::start(script).await;
        Self {
            forge,
            _root: root,
            mock,
        }
    }

    /// The server settings for this world.
    pub fn tweak(&self) -> impl FnOnce(&mut server::Config) {
        let api = self.forge.url();
        let upstream = self.mock.base_url();
        let home = tempfile::tempdir().unwrap().keep();
        move |c: &mut server::Config| {
            c.sandbox_driver = server::DriverChoice::Docker;
            c.anthropic_upstream = upstream;
            c.credential_sources = Some(credentials::Sources::new(
                home,
                std::collections::BTreeMap::from([(
                    "ANTHROPIC_API_KEY".to_string(),
                    "sk-ant-api03-world-secret-0123456789".to_string(),
                )]),
            ));
            c.github.api_url = api;
            c.github.host_token = Some((WORLD_GITHUB_TOKEN.to_string(), "env"));
            c.github.poll_every = Duration::from_secs(3600);
        }
    }
}

/// Imports `alice/app`; returns the project id.
pub async fn import_app(s: &TestServer) -> String {
    let (st, p) = s
        .api(
            reqwest::Method::POST,
            "/api/github/import",
            Some(json!({"repository": "alice/app"})),
        )
        .await;
    assert_eq!(st, 201, "{p}");
    p["id"].as_str().unwrap().to_string()
}

/// Destroys every sandbox the server has (tests that made sandboxes through tasks).
pub async fn destroy_all_sandboxes(s: &TestServer) {
    let (_, list) = s.api(reqwest::Method::GET, "/api/sandboxes", None).await;
    for sb in list.as_array().cloned().unwrap_or_default() {
        let id = sb["id"].as_str().unwrap_or_default().to_string();
        s.api(
            reqwest::Method::DELETE,
            &format!("/api/sandboxes/{id}"),
            None,
        )
        .await;
    }
}

/// Stops a server (as a restart would) and waits until it has shut down.
pub async fn stop(s: &TestServer) {
    s.shutdown.cancel();
    let task = s.task.lock().unwrap().take();
    if let Some(task) = task {
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("the server did not stop within 30 s")
            .expect("the server task panicked")
            .expect("the server ended with an error");
    }
}
