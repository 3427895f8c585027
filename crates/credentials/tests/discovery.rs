//! Test helpers outside #[test] functions unwrap too: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use credentials::{
    discover, ActiveKind, Broker, CredError, CredentialKind, CredentialSource, Sources,
};

const ACCESS: &str = "sk-ant-oat01-FILEACCESSTOKENabcdefghijklmnopqrstuvwxyz";
const REFRESH: &str = "sk-ant-ort01-FILEREFRESHTOKENabcdefghijklmnopqrstuvwxyz";
const ENV_OAUTH: &str = "sk-ant-oat01-ENVOAUTHTOKENabcdefghijklmnopqrstuvwxyz";
const ENV_KEY: &str = "sk-ant-api03-ENVAPIKEYabcdefghijklmnopqrstuvwxyz";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn write_creds(home: &Path, body: &str) {
    let dir = home.join(".claude");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".credentials.json"), body).unwrap();
}

fn login_json(expires_at: i64) -> String {
    serde_json::json!({"claudeAiOauth": {
        "accessToken": ACCESS, "refreshToken": REFRESH, "expiresAt": expires_at,
        "scopes": ["user:inference", "user:profile"], "subscriptionType": "max",
        "rateLimitTier": "default_claude_max_20x"
    }})
    .to_string()
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// (expired, error) when the file is present.
type Want = Option<(bool, Option<&'static str>)>;
/// (env, credentials file present, expected id, kind, secret).
type EnvCase = (
    Vec<(&'static str, &'static str)>,
    bool,
    &'static str,
    ActiveKind,
    &'static str,
);

enum FileCase {
    Missing,
    Body(String),
}

#[test]
fn credentials_file_table() {
    let hour = 3_600_000;
    let cases: Vec<(&str, FileCase, Want)> = vec![
        ("missing", FileCase::Missing, None),
        (
            "ok",
            FileCase::Body(login_json(now_ms() + hour)),
            Some((false, None)),
        ),
        (
            "expired",
            FileCase::Body(login_json(now_ms() - hour)),
            Some((true, None)),
        ),
        (
            "malformed",
            FileCase::Body("{not json".into()),
            Some((false, Some("credentials file is not valid JSON"))),
        ),
        (
            "empty",
            FileCase::Body(String::new()),
            Some((false, Some("credentials file is not valid JSON"))),
        ),
        (
            "no login",
            FileCase::Body(r#"{"mcpOAuth":{}}"#.into()),
            Some((false, Some("credentials file has no claudeAiOauth login"))),
        ),
        (
            "no access token",
            FileCase::Body(r#"{"claudeAiOauth":{"refreshToken":"x"}}"#.into()),
            Some((false, Some("credentials file has no accessToken"))),
        ),
    ];
    for (name, file, want) in cases {
        let home = tempfile::tempdir().unwrap();
        if let FileCase::Body(body) = &file {
            write_creds(home.path(), body);
        }
        let found = discover(&Sources::new(home.path(), BTreeMap::new()));
        match want {
            None => assert!(found.is_empty(), "{name}: {found:?}"),
            Some((expired, error)) => {
                assert_eq!(found.len(), 1, "{name}");
                let info = &found[0];
                assert_eq!(info.id, "file", "{name}");
                assert_eq!(info.source, CredentialSource::File, "{name}");
                assert_eq!(info.kind, CredentialKind::OAuthSubscription, "{name}");
                assert_eq!(info.expired, expired, "{name}");
                assert_eq!(info.error.as_deref(), error, "{name}");
                if error.is_none() {
                    assert_eq!(info.subscription_type.as_deref(), Some("max"), "{name}");
                    assert_eq!(info.prefix.as_deref(), Some("sk-ant-oat01…"), "{name}");
                    assert!(info.expires_at.as_deref().unwrap().ends_with('Z'), "{name}");
                } else {
                    assert!(info.prefix.is_none(), "{name}");
                }
                let shown = serde_json::to_string(info).unwrap();
                assert!(
                    !shown.contains(ACCESS) && !shown.contains(REFRESH),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn claude_config_dir_moves_the_credentials_file() {
    let home = tempfile::tempdir().unwrap();
    let cfg = tempfile::tempdir().unwrap();
    std::fs::write(
        cfg.path().join(".credentials.json"),
        login_json(now_ms() + 3_600_000),
    )
    .unwrap();
    let sources = Sources::new(
        home.path(),
        env(&[("CLAUDE_CONFIG_DIR", cfg.path().to_str().unwrap())]),
    );
    assert_eq!(
        sources.credentials_file(),
        cfg.path().join(".credentials.json")
    );
    let found = discover(&sources);
    assert_eq!(found.len(), 1);
    assert!(found[0].usable());
}

#[tokio::test]
async fn env_precedence_table() {
    let future = login_json(now_ms() + 3_600_000);
    // (env, file present, expected id, expected kind)
    let cases: Vec<EnvCase> = vec![
        (vec![], true, "file", ActiveKind::OAuth, ACCESS),
        (
            vec![("ANTHROPIC_API_KEY", ENV_KEY)],
            true,
            "env:ANTHROPIC_API_KEY",
            ActiveKind::ApiKey,
            ENV_KEY,
        ),
        (
            vec![
                ("CLAUDE_CODE_OAUTH_TOKEN", ENV_OAUTH),
                ("ANTHROPIC_API_KEY", ENV_KEY),
            ],
            true,
            "env:CLAUDE_CODE_OAUTH_TOKEN",
            ActiveKind::OAuth,
            ENV_OAUTH,
        ),
        (
            vec![("CLAUDE_CODE_OAUTH_TOKEN", ENV_OAUTH)],
            false,
            "env:CLAUDE_CODE_OAUTH_TOKEN",
            ActiveKind::OAuth,
            ENV_OAUTH,
        ),
        // Empty values count as unset.
        (
            vec![("CLAUDE_CODE_OAUTH_TOKEN", "  "), ("ANTHROPIC_API_KEY", "")],
            true,
            "file",
            ActiveKind::OAuth,
            ACCESS,
        ),
        // A broken env value is listed with an error and skipped.
        (
            vec![
                ("CLAUDE_CODE_OAUTH_TOKEN", "abc def"),
                ("ANTHROPIC_API_KEY", ENV_KEY),
            ],
            true,
            "env:ANTHROPIC_API_KEY",
            ActiveKind::ApiKey,
            ENV_KEY,
        ),
    ];
    for (vars, file, id, kind, secret) in cases {
        let home = tempfile::tempdir().unwrap();
        if file {
            write_creds(home.path(), &future);
        }
        let broker = Broker::new(Sources::new(home.path(), env(&vars)));
        let active = broker.resolve().await.unwrap();
        assert_eq!(active.id, id, "{vars:?}");
        assert_eq!(active.kind, kind, "{vars:?}");
        assert_eq!(active.secret.expose(), secret, "{vars:?}");
        let sync = broker.resolve_now().unwrap();
        assert_eq!(sync.id, id, "{vars:?}");
    }
}

#[test]
fn broken_env_value_is_listed_with_an_error() {
    let home = tempfile::tempdir().unwrap();
    let found = discover(&Sources::new(
        home.path(),
        env(&[("CLAUDE_CODE_OAUTH_TOKEN", "abc\u{7f}def")]),
    ));
    assert_eq!(found.len(), 1);
    assert!(found[0].error.is_some());
    assert!(found[0].prefix.is_none());
}

#[tokio::test]
async fn nothing_usable_gives_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let broker = Broker::new(Sources::new(home.path(), BTreeMap::new()));
    assert!(matches!(
        broker.resolve().await,
        Err(CredError::NoCredentials)
    ));

    write_creds(home.path(), "{oops");
    assert!(matches!(
        broker.resolve().await,
        Err(CredError::NoCredentials)
    ));
    assert_eq!(
        broker.list()[0].error.as_deref(),
        Some("credentials file is not valid JSON")
    );

    // Expired, and no refresher configured.
    write_creds(home.path(), &login_json(now_ms() - 1000));
    let err = broker.resolve().await.unwrap_err();
    assert!(
        matches!(
            err,
            CredError::Expired {
                from: CredentialSource::File
            }
        ),
        "{err}"
    );
    assert!(broker.resolve_now().is_err());
}
