//! Claude Code in a sandbox: its own config directory, prepared so `claude` starts straight at
//! its prompt (no onboarding, theme, trust or API-key dialogs), hooks that report to the
//! in-sandbox agent, and the environment that points it at the model proxy and nowhere else.
use std::collections::BTreeMap;
use std::path::Path;

/// Inside the sandbox: the Claude config dir lives in the sandbox's state dir.
pub const CONFIG_DIR_IN_SANDBOX: &str = "/anycode/state/claude";

/// Hook events the agent reports (see `facts/claude-code.md` §5).
pub const HOOK_EVENTS: [&str; 9] = [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PermissionRequest",
    "Notification",
    "Stop",
    "StopFailure",
    "SessionEnd",
];

/// A fresh random proxy token for a sandbox (what `ANTHROPIC_AUTH_TOKEN` holds inside it).
pub fn new_proxy_token() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    format!("anycode-sbx-{}", hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 of a token, hex (the store keeps only this).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(token.as_bytes()))
}

/// Writes `<config>/.claude.json` and `<config>/settings.json`. Called on the host while the
/// state dir is new and the sandbox is not running yet (nothing in it can be a planted symlink).
pub fn prepare_config(
    host_config_dir: &Path,
    agent_binary_in_sandbox: &str,
) -> std::io::Result<()> {
    std::fs::create_dir_all(host_config_dir)?;
    let state = serde_json::json!({
        "hasCompletedOnboarding": true,
        "theme": "dark",
        "hasTrustDialogsShown": true,
        "bypassPermissionsModeAccepted": true,
        "autoUpdates": false,
        "messageIdleNotifThresholdMs": 60000,
        "projects": { "/workspace": { "hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true } }
    });
    let hooks: serde_json::Map<String, serde_json::Value> = HOOK_EVENTS
        .iter()
        .map(|ev| {
            let entry = serde_json::json!([{
                "matcher": "*",
                "hooks": [{"type": "command", "command": format!("{agent_binary_in_sandbox} hook {ev}"), "timeout": 5}]
            }]);
            (ev.to_string(), entry)
        })
        .collect();
    let settings = serde_json::json!({
        "hooks": hooks,
        "skipDangerousModePermissionPrompt": true,
        "env": { "DISABLE_AUTOUPDATER": "1" }
    });
    write_new(&host_config_dir.join(".claude.json"), &state)?;
    write_new(&host_config_dir.join("settings.json"), &settings)?;
    Ok(())
}

fn write_new(path: &Path, v: &serde_json::Value) -> std::io::Result<()> {
    use std::io::Write;
    // create_new: never follow or overwrite something already there.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(
        serde_json::to_string_pretty(v)
            .unwrap_or_default()
            .as_bytes(),
    )
}

/// Environment every process in the sandbox gets for Claude (the proxy's address comes from
/// the agent's loopback port; the token is the sandbox's own, never the real credential).
pub fn env(model_port: Option<u16>, config_dir: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    if let Some(port) = model_port {
        env.insert(
            "ANTHROPIC_BASE_URL".into(),
            format!("http://127.0.0.1:{port}"),
        );
    }
    env.insert("CLAUDE_CONFIG_DIR".into(), config_dir.into());
    env.insert(
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC".into(),
        "1".into(),
    );
    env.insert(
        "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL".into(),
        "1".into(),
    );
    env.insert("DISABLE_AUTOUPDATER".into(), "1".into());
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_answers() {
        assert_eq!(
            token_hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn config_is_written_once_and_never_over_something_existing() {
        let dir = tempfile::tempdir().unwrap();
        prepare_config(dir.path(), "/anycode/bin/anycode-agent").unwrap();
        let settings: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("settings.json")).unwrap(),
        )
        .unwrap();
        for ev in HOOK_EVENTS {
            assert!(settings["hooks"][ev][0]["hooks"][0]["command"]
                .as_str()
                .unwrap()
                .ends_with(&format!("hook {ev}")));
        }
        assert!(
            prepare_config(dir.path(), "/x").is_err(),
            "create_new refuses to overwrite"
        );
    }

    #[test]
    fn tokens_are_random_and_long() {
        let (a, b) = (new_proxy_token(), new_proxy_token());
        assert_ne!(a, b);
        assert!(a.len() > 40);
    }
}
