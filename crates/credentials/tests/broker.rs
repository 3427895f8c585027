//! Test helpers outside #[test] functions unwrap too: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use credentials::{
    merge_beta, ActiveCredential, ActiveKind, Broker, CredError, CredentialSource, CredentialStore,
    RefreshConfig, Refresher, Secret, Sources, StoredKind, OAUTH_BETA,
};
use serde_json::{json, Value};

const ACCESS: &str = "sk-ant-oat01-OLDACCESSabcdefghijklmnopqrstuvwxyz";
const REFRESH: &str = "sk-ant-ort01-OLDREFRESHabcdefghijklmnopqrstuvwxyz";
const NEW_ACCESS: &str = "sk-ant-oat01-NEWACCESSabcdefghijklmnopqrstuvwxyz";
const NEW_REFRESH: &str = "sk-ant-ort01-NEWREFRESHabcdefghijklmnopqrstuvwxyz";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn cred(kind: ActiveKind, secret: &str) -> ActiveCredential {
    ActiveCredential {
        kind,
        secret: Secret::new(secret),
        expires_at: None,
        source: CredentialSource::Stored,
        id: "x".into(),
    }
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn headers_for_each_kind() {
    // (kind, incoming headers, expected outgoing headers)
    let cases = vec![
        (
            ActiveKind::ApiKey,
            h(&[("content-type", "application/json")]),
            h(&[("content-type", "application/json"), ("x-api-key", "KEY")]),
        ),
        (
            ActiveKind::ApiKey,
            h(&[("Authorization", "Bearer sandbox-token"), ("X-Api-Key", "other"), ("anthropic-beta", "context-1m-2025-08-07")]),
            h(&[("x-api-key", "KEY"), ("anthropic-beta", "context-1m-2025-08-07")]),
        ),
        (
            ActiveKind::ApiKey,
            h(&[("anthropic-beta", "oauth-2025-04-20")]),
            h(&[("x-api-key", "KEY")]),
        ),
        (
            ActiveKind::OAuth,
            h(&[("content-type", "application/json")]),
            h(&[("content-type", "application/json"), ("authorization", "Bearer KEY"), ("anthropic-beta", "oauth-2025-04-20")]),
        ),
        (
            ActiveKind::OAuth,
            h(&[("authorization", "Bearer sandbox-token"), ("x-api-key", "k"), ("Anthropic-Beta", "fine-grained-tool-streaming-2025-05-14, oauth-2025-04-20,interleaved-thinking-2025-05-14")]),
            h(&[("authorization", "Bearer KEY"), ("anthropic-beta", "fine-grained-tool-streaming-2025-05-14,oauth-2025-04-20,interleaved-thinking-2025-05-14")]),
        ),
        (
            ActiveKind::OAuth,
            h(&[("anthropic-beta", "a,b"), ("anthropic-beta", "b, c,")]),
            h(&[("authorization", "Bearer KEY"), ("anthropic-beta", "a,b,c,oauth-2025-04-20")]),
        ),
    ];
    for (kind, mut headers, want) in cases {
        let before = headers.clone();
        cred(kind, "KEY").apply_headers(&mut headers);
        assert_eq!(headers, want, "{kind:?} {before:?}");
    }
    assert_eq!(merge_beta(None, OAUTH_BETA), OAUTH_BETA);
    assert_eq!(merge_beta(Some(""), OAUTH_BETA), OAUTH_BETA);
    assert_eq!(
        merge_beta(Some("x, oauth-2025-04-20"), OAUTH_BETA),
        "x,oauth-2025-04-20"
    );
}

#[derive(Clone)]
struct Mock {
    hits: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<Value>>>,
    fail: bool,
}

async fn token(State(m): State<Mock>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    m.hits.fetch_add(1, Ordering::SeqCst);
    m.bodies.lock().unwrap().push(body);
    // Slow enough that the concurrent callers pile up behind the first one.
    tokio::time::sleep(Duration::from_millis(200)).await;
    if m.fail {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": REFRESH})),
        );
    }
    (
        StatusCode::OK,
        Json(json!({
            "access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": 28800,
            "token_type": "Bearer", "scope": "user:inference user:profile"
        })),
    )
}

async fn token_server(fail: bool) -> (String, Mock) {
    let mock = Mock {
        hits: Arc::default(),
        bodies: Arc::default(),
        fail,
    };
    let app = Router::new()
        .route("/v1/oauth/token", post(token))
        .with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1/oauth/token"), mock)
}

fn write_login(home: &Path, expires_at: i64) -> PathBuf {
    let dir = home.join(".claude");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(".credentials.json");
    let body = json!({
        "claudeAiOauth": {
            "accessToken": ACCESS, "refreshToken": REFRESH, "expiresAt": expires_at,
            "scopes": ["user:inference"], "subscriptionType": "max",
            "rateLimitTier": "default_claude_max_20x"
        },
        "mcpOAuth": {"server": {"accessToken": "mcp-token"}}
    });
    std::fs::write(&path, body.to_string()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn broker(home: &Path, url: &str) -> Broker {
    let refresher = Refresher::new(RefreshConfig {
        token_url: url.into(),
        ..RefreshConfig::default()
    })
    .unwrap();
    Broker::new(Sources::new(home, BTreeMap::new())).with_refresher(Arc::new(refresher))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_resolves_share_one_refresh() {
    let (url, mock) = token_server(false).await;
    let home = tempfile::tempdir().unwrap();
    // Expires within the 5-minute margin.
    let path = write_login(home.path(), now_ms() + 60_000);
    let broker = broker(home.path(), &url);

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let b = broker.clone();
            tokio::spawn(async move { b.resolve().await })
        })
        .collect();
    for t in tasks {
        let active = t.await.unwrap().unwrap();
        assert_eq!(active.kind, ActiveKind::OAuth);
        assert_eq!(active.source, CredentialSource::File);
        assert_eq!(active.secret.expose(), NEW_ACCESS);
    }
    assert_eq!(mock.hits.load(Ordering::SeqCst), 1);

    let sent = mock.bodies.lock().unwrap()[0].clone();
    assert_eq!(sent["grant_type"], "refresh_token");
    assert_eq!(sent["refresh_token"], REFRESH);
    assert_eq!(sent["client_id"], "9d1c250a-e61b-44d9-88ed-5944d1962f5e");
    assert!(sent["scope"].as_str().unwrap().contains("user:inference"));

    // Written back atomically: new tokens, other fields kept, still 0600.
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let oauth = &file["claudeAiOauth"];
    assert_eq!(oauth["accessToken"], NEW_ACCESS);
    assert_eq!(oauth["refreshToken"], NEW_REFRESH);
    let expires = oauth["expiresAt"].as_i64().unwrap();
    assert!(
        (expires - (now_ms() + 28_800_000)).abs() < 60_000,
        "{expires}"
    );
    assert_eq!(oauth["subscriptionType"], "max");
    assert_eq!(oauth["rateLimitTier"], "default_claude_max_20x");
    assert_eq!(oauth["scopes"], json!(["user:inference", "user:profile"]));
    assert_eq!(file["mcpOAuth"]["server"]["accessToken"], "mcp-token");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1,
        "no temp files left"
    );

    // Fresh now: no further requests.
    broker.resolve().await.unwrap();
    assert_eq!(mock.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_refresh_keeps_a_still_valid_token_and_backs_off() {
    let (url, mock) = token_server(true).await;
    let home = tempfile::tempdir().unwrap();
    write_login(home.path(), now_ms() + 60_000);
    let broker = broker(home.path(), &url);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let b = broker.clone();
            tokio::spawn(async move { b.resolve().await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().secret.expose(), ACCESS);
    }
    assert_eq!(mock.hits.load(Ordering::SeqCst), 1, "failures back off too");
}

#[tokio::test]
async fn failed_refresh_of_an_expired_token_is_an_error() {
    let (url, mock) = token_server(true).await;
    let home = tempfile::tempdir().unwrap();
    write_login(home.path(), now_ms() - 1000);
    let err = broker(home.path(), &url).resolve().await.unwrap_err();
    assert!(matches!(err, CredError::Refresh(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("400") && msg.contains("invalid_grant"),
        "{msg}"
    );
    assert!(!msg.contains(REFRESH), "the body is never echoed");
    assert_eq!(mock.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn env_tokens_and_fresh_files_are_never_refreshed() {
    let (url, mock) = token_server(false).await;
    let home = tempfile::tempdir().unwrap();
    write_login(home.path(), now_ms() + 3_600_000);
    let active = broker(home.path(), &url).resolve().await.unwrap();
    assert_eq!(active.secret.expose(), ACCESS);

    write_login(home.path(), now_ms() - 1000);
    let env: BTreeMap<_, _> = [(
        "CLAUDE_CODE_OAUTH_TOKEN".to_string(),
        "sk-ant-oat01-envenvenvenv".to_string(),
    )]
    .into();
    let refresher = Refresher::new(RefreshConfig {
        token_url: url,
        ..RefreshConfig::default()
    })
    .unwrap();
    let b = Broker::new(Sources::new(home.path(), env)).with_refresher(Arc::new(refresher));
    assert_eq!(b.resolve().await.unwrap().source, CredentialSource::Env);
    assert_eq!(mock.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn debug_output_never_contains_secrets() {
    let secret = "sk-ant-api03-DEBUGSECRETabcdefghijklmnop";
    let data = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    write_login(home.path(), now_ms() + 3_600_000);
    let store = Arc::new(CredentialStore::open(data.path()).unwrap());
    store.add(StoredKind::ApiKey, secret).unwrap();
    let env: BTreeMap<_, _> = [("ANTHROPIC_API_KEY".to_string(), secret.to_string())].into();
    let sources = Sources::new(home.path(), env);
    let refresher = Arc::new(Refresher::new(RefreshConfig::default()).unwrap());
    let broker = Broker::new(sources.clone())
        .with_store(store.clone())
        .with_refresher(refresher.clone());
    let active = broker.resolve().await.unwrap();
    let file_active = Broker::new(Sources::new(home.path(), BTreeMap::new()))
        .resolve()
        .await
        .unwrap();
    let outputs = [
        format!("{:?}", Secret::new(secret)),
        format!("{}", Secret::new(secret)),
        format!("{active:?}"),
        format!("{file_active:?}"),
        format!("{store:?}"),
        format!("{sources:?}"),
        format!("{broker:?}"),
        format!("{refresher:?}"),
        format!("{:?}", broker.list()),
        serde_json::to_string(&broker.list()).unwrap(),
        format!(
            "{:?}",
            store.add(StoredKind::ApiKey, "has space").unwrap_err()
        ),
    ];
    for out in outputs {
        for s in [
            secret,
            ACCESS,
            REFRESH,
            "DEBUGSECRET",
            "OLDACCESS",
            "OLDREFRESH",
        ] {
            assert!(!out.contains(s), "{out}");
        }
    }
}
