//! Which Claude Code CLI the agents run: the version the sandbox image pins (its
//! `org.anycode.claude-code-version` label, set by `sandbox-image/Dockerfile`), and the host's
//! `claude`, which the local driver's sandboxes use. Shown in the UI and by `anycode doctor`, so
//! an update cannot change running agents unnoticed.
use std::time::Duration;

use crate::fleet::Fleet;

/// The sandbox image label holding the pinned CLI version.
pub const VERSION_LABEL: &str = "org.anycode.claude-code-version";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaudeCli {
    /// `docker` or `local`.
    pub driver: &'static str,
    /// The image new sandboxes use.
    pub image: String,
    /// The CLI version new sandboxes get: the image's pinned version (docker), or the host's
    /// (local). `None` when unknown (image missing, no `claude` on the host).
    pub sandbox_version: Option<String>,
    /// `claude --version` on the host, if it has one.
    pub host_version: Option<String>,
}

/// `claude --version` → `2.1.197` (the first word of the first line; the CLI prints
/// `2.1.197 (Claude Code)`).
pub fn parse_version(output: &str) -> Option<String> {
    let word = output.lines().next()?.split_whitespace().next()?;
    word.chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
        .then(|| word.to_string())
}

/// The host's `claude --version`, or `None` (not installed, failed, or slower than 10 s).
pub async fn host_version() -> Option<String> {
    let run = tokio::process::Command::new("claude")
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .ok()?
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_version(&String::from_utf8_lossy(&out.stdout))
}

impl Fleet {
    /// The CLI versions sandboxes run (see the module docs).
    pub async fn claude_cli(&self) -> ClaudeCli {
        let image = self.default_image().to_string();
        let driver = self.driver_kind();
        let host_version = host_version().await;
        let sandbox_version = if driver == "local" {
            host_version.clone()
        } else {
            match self.image_label(&image, VERSION_LABEL).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::debug!(error = %e, "cannot read the sandbox image's CLI version");
                    None
                }
            }
        };
        ClaudeCli {
            driver,
            image,
            sandbox_version,
            host_version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_parsed_from_the_cli_output() {
        assert_eq!(
            parse_version("2.1.197 (Claude Code)\n").as_deref(),
            Some("2.1.197")
        );
        assert_eq!(parse_version("").as_deref(), None);
        assert_eq!(parse_version("error: unknown\n").as_deref(), None);
    }
}
