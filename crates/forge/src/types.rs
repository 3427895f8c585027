//! The types callers see (flat, ours) and the GitHub wire shapes they are parsed from.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The account a token belongs to (`GET /user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub login: String,
    pub name: Option<String>,
}

/// A repository as AnyCode needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repo {
    /// `owner/name`.
    pub full_name: String,
    pub owner: String,
    pub name: String,
    pub private: bool,
    pub default_branch: String,
    /// HTTPS clone URL (`https://github.com/owner/name.git`).
    pub clone_url: String,
    pub html_url: String,
    pub description: Option<String>,
}

/// `POST /repos/{owner}/{repo}/pulls`. `head` is a branch name (or `owner:branch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPull {
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    pub draft: bool,
}

/// `PATCH /repos/{owner}/{repo}/pulls/{n}`; `None` fields are left unchanged. `state` is
/// `open` or `closed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePull {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A pull request, flattened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pull {
    pub number: u64,
    /// `open` or `closed` (a merged pull request is `closed` with `merged`).
    pub state: String,
    pub merged: bool,
    pub draft: bool,
    pub title: String,
    /// Empty when GitHub has no body.
    pub body: String,
    pub html_url: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    /// `None` while GitHub is still computing it (ask again) or for closed pull requests.
    pub mergeable: Option<bool>,
    /// GitHub's `mergeable_state`: `clean`, `dirty` (conflicts), `blocked`, `behind`,
    /// `unstable`, `unknown`, …
    pub mergeable_state: Option<String>,
    pub merge_commit_sha: Option<String>,
}

/// How to merge a pull request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeMethod {
    #[default]
    Merge,
    Squash,
    Rebase,
}

impl MergeMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        }
    }
}

impl fmt::Display for MergeMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string is not `merge`, `squash` or `rebase`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown merge method {0:?} (expected merge, squash or rebase)")]
pub struct UnknownMergeMethod(pub String);

impl FromStr for MergeMethod {
    type Err = UnknownMergeMethod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "merge" => Ok(MergeMethod::Merge),
            "squash" => Ok(MergeMethod::Squash),
            "rebase" => Ok(MergeMethod::Rebase),
            _ => Err(UnknownMergeMethod(s.to_string())),
        }
    }
}

/// `PUT /repos/{owner}/{repo}/pulls/{n}/merge`. `sha`, when given, must be the pull request's
/// head (else [`ForgeError::Conflict`](crate::ForgeError::Conflict)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequest {
    pub method: MergeMethod,
    pub commit_title: Option<String>,
    pub commit_message: Option<String>,
    pub sha: Option<String>,
}

/// GitHub's answer to a merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeResult {
    /// The new commit on the base branch (for rebase: the last replayed commit).
    pub sha: String,
    pub merged: bool,
    pub message: String,
}

/// Check runs of one commit, counted. `passed` = completed with success, neutral or skipped;
/// `failed` = completed with any other conclusion; `pending` = not completed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checks {
    pub total: u32,
    pub passed: u32,
    pub failed: u32,
    pub pending: u32,
}

/// The start of the OAuth device flow: show `user_code` and `verification_uri` to the user, then
/// poll with `device_code` every `interval` seconds until `expires_in` seconds have passed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in: u64,
    pub interval: u64,
}

impl fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCode")
            .field("device_code", &"[redacted]")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish()
    }
}

/// One poll of the device flow.
#[derive(Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// The user has not approved yet: poll again after the interval.
    Pending,
    /// Polled too fast: poll again after this many seconds (and keep the longer interval).
    SlowDown { interval: u64 },
    /// Approved: the user's access token (never printed by `Debug`).
    Token(String),
    /// The device code expired: start again.
    Expired,
    /// The user refused.
    Denied,
}

impl fmt::Debug for DevicePoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DevicePoll::Pending => f.write_str("Pending"),
            DevicePoll::SlowDown { interval } => f
                .debug_struct("SlowDown")
                .field("interval", interval)
                .finish(),
            DevicePoll::Token(_) => f.write_str("Token([redacted])"),
            DevicePoll::Expired => f.write_str("Expired"),
            DevicePoll::Denied => f.write_str("Denied"),
        }
    }
}

/// GitHub's JSON, only the fields we read.
pub(crate) mod wire {
    use serde::{Deserialize, Serialize};

    #[derive(Deserialize)]
    pub struct Owner {
        pub login: String,
    }

    #[derive(Deserialize)]
    pub struct Repo {
        pub full_name: String,
        pub owner: Owner,
        pub name: String,
        #[serde(default)]
        pub private: bool,
        #[serde(default)]
        pub default_branch: Option<String>,
        pub clone_url: String,
        pub html_url: String,
        #[serde(default)]
        pub description: Option<String>,
    }

    impl From<Repo> for super::Repo {
        fn from(r: Repo) -> Self {
            super::Repo {
                full_name: r.full_name,
                owner: r.owner.login,
                name: r.name,
                private: r.private,
                default_branch: r.default_branch.unwrap_or_else(|| "main".to_string()),
                clone_url: r.clone_url,
                html_url: r.html_url,
                description: r.description,
            }
        }
    }

    #[derive(Deserialize)]
    pub struct Branch {
        #[serde(rename = "ref")]
        pub ref_: String,
        pub sha: String,
    }

    #[derive(Deserialize)]
    pub struct Pull {
        pub number: u64,
        pub state: String,
        /// Present on `GET /pulls/{n}`, absent in lists (which have `merged_at`).
        #[serde(default)]
        pub merged: Option<bool>,
        #[serde(default)]
        pub merged_at: Option<String>,
        #[serde(default)]
        pub draft: Option<bool>,
        pub title: String,
        #[serde(default)]
        pub body: Option<String>,
        pub html_url: String,
        pub head: Branch,
        pub base: Branch,
        #[serde(default)]
        pub mergeable: Option<bool>,
        #[serde(default)]
        pub mergeable_state: Option<String>,
        #[serde(default)]
        pub merge_commit_sha: Option<String>,
    }

    impl From<Pull> for super::Pull {
        fn from(p: Pull) -> Self {
            super::Pull {
                number: p.number,
                state: p.state,
                merged: p.merged.unwrap_or(p.merged_at.is_some()),
                draft: p.draft.unwrap_or(false),
                title: p.title,
                body: p.body.unwrap_or_default(),
                html_url: p.html_url,
                head_ref: p.head.ref_,
                head_sha: p.head.sha,
                base_ref: p.base.ref_,
                base_sha: p.base.sha,
                mergeable: p.mergeable,
                mergeable_state: p.mergeable_state,
                merge_commit_sha: p.merge_commit_sha,
            }
        }
    }

    #[derive(Serialize)]
    pub struct Merge<'a> {
        pub merge_method: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub commit_title: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub commit_message: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub sha: Option<&'a str>,
    }

    #[derive(Deserialize)]
    pub struct MergeResult {
        #[serde(default)]
        pub sha: Option<String>,
        #[serde(default)]
        pub merged: bool,
        #[serde(default)]
        pub message: String,
    }

    #[derive(Deserialize)]
    pub struct CheckRun {
        #[serde(default)]
        pub status: Option<String>,
        #[serde(default)]
        pub conclusion: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct CheckRuns {
        #[serde(default)]
        pub total_count: u32,
        #[serde(default)]
        pub check_runs: Vec<CheckRun>,
    }

    /// Both device-flow endpoints answer `200` with either the result or `{"error": …}`.
    #[derive(Deserialize)]
    pub struct OAuth {
        #[serde(default)]
        pub error: Option<String>,
        #[serde(default)]
        pub error_description: Option<String>,
        #[serde(default)]
        pub interval: Option<u64>,
        #[serde(default)]
        pub access_token: Option<String>,
        #[serde(default)]
        pub device_code: Option<String>,
        #[serde(default)]
        pub user_code: Option<String>,
        #[serde(default)]
        pub verification_uri: Option<String>,
        #[serde(default)]
        pub expires_in: Option<u64>,
    }

    /// GitHub's error body: `{"message": …, "errors": [{"message"?, "resource", "field", "code"}]}`.
    #[derive(Deserialize, Default)]
    pub struct Error {
        #[serde(default)]
        pub message: Option<String>,
        #[serde(default)]
        pub errors: Vec<serde_json::Value>,
    }

    impl Error {
        /// `message` plus every `errors[]` entry (its `message`, else `resource.field code`),
        /// joined with `: ` and `; `.
        pub fn describe(&self) -> Option<String> {
            let details: Vec<String> = self
                .errors
                .iter()
                .filter_map(|e| {
                    if let Some(s) = e.as_str() {
                        return Some(s.to_string());
                    }
                    if let Some(m) = e.get("message").and_then(|m| m.as_str()) {
                        return Some(m.to_string());
                    }
                    let part = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("");
                    let (resource, field, code) = (part("resource"), part("field"), part("code"));
                    if field.is_empty() && code.is_empty() {
                        return None;
                    }
                    let subject = match (resource.is_empty(), field.is_empty()) {
                        (false, false) => format!("{resource}.{field}"),
                        (true, false) => field.to_string(),
                        _ => resource.to_string(),
                    };
                    Some(format!("{subject} {code}").trim().to_string())
                })
                .collect();
            match (&self.message, details.is_empty()) {
                (Some(m), true) => Some(m.clone()),
                (Some(m), false) => Some(format!("{m}: {}", details.join("; "))),
                (None, false) => Some(details.join("; ")),
                (None, true) => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_method_parses_and_prints() {
        for m in [MergeMethod::Merge, MergeMethod::Squash, MergeMethod::Rebase] {
            assert_eq!(m.to_string().parse::<MergeMethod>(), Ok(m));
            assert_eq!(
                serde_json::to_value(m).unwrap(),
                serde_json::json!(m.as_str())
            );
        }
        assert_eq!("Squash".parse::<MergeMethod>(), Ok(MergeMethod::Squash));
        assert!("fast-forward".parse::<MergeMethod>().is_err());
    }

    #[test]
    fn token_never_in_debug() {
        let poll = DevicePoll::Token("gho_secret".into());
        assert_eq!(format!("{poll:?}"), "Token([redacted])");
        let code = DeviceCode {
            device_code: "dc_secret".into(),
            user_code: "ABCD-1234".into(),
            verification_uri: "https://github.com/login/device".into(),
            expires_in: 900,
            interval: 5,
        };
        assert!(!format!("{code:?}").contains("dc_secret"));
    }

    #[test]
    fn error_messages_join_github_details() {
        let cases = [
            (
                r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"No commits between main and x"}]}"#,
                "Validation Failed: No commits between main and x",
            ),
            (
                r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","field":"head","code":"invalid"}]}"#,
                "Validation Failed: PullRequest.head invalid",
            ),
            (r#"{"message":"Bad credentials"}"#, "Bad credentials"),
            (
                r#"{"message":"Validation Failed","errors":["plain"]}"#,
                "Validation Failed: plain",
            ),
        ];
        for (json, want) in cases {
            let e: wire::Error = serde_json::from_str(json).unwrap();
            assert_eq!(e.describe().as_deref(), Some(want), "{json}");
        }
    }

    #[test]
    fn list_pull_without_merged_uses_merged_at() {
        let p: wire::Pull = serde_json::from_value(serde_json::json!({
            "number": 3, "state": "closed", "merged_at": "2024-01-01T00:00:00Z",
            "title": "t", "body": null, "html_url": "h",
            "head": {"ref": "f", "sha": "a"}, "base": {"ref": "main", "sha": "b"}
        }))
        .unwrap();
        let p = Pull::from(p);
        assert!(p.merged);
        assert!(!p.draft);
        assert_eq!(p.body, "");
    }
}
