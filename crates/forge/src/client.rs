//! [`Forge`]: one GitHub (github.com, an Enterprise server, or the fake) and the REST calls
//! AnyCode makes to it. Tokens are passed per call and only ever put in a sensitive header.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::types::wire;
use crate::{
    Checks, DeviceCode, DevicePoll, ForgeError, MergeRequest, MergeResult, NewPull, Pull, Repo,
    UpdatePull, User,
};

/// Whole-request timeout (GitHub answers slow merges within a few seconds).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const API_VERSION: &str = "2022-11-28";
const USER_AGENT: &str = "anycode";
/// Page size when we page through check runs ourselves, and how many pages at most.
const CHECKS_PER_PAGE: u32 = 100;
const CHECKS_MAX_PAGES: u32 = 10;
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A GitHub instance: its REST API base, its web base (OAuth device flow, clone URLs) and an
/// HTTP client. Cheap to clone (the client is shared).
#[derive(Debug, Clone)]
pub struct Forge {
    api: Url,
    api_str: String,
    web: Url,
    web_str: String,
    http: reqwest::Client,
}

impl Forge {
    /// `api_url`: e.g. `https://api.github.com`, `https://ghe.example.com/api/v3` or a fake
    /// forge's root. `web_url`: `None` derives it — `api.github.com` → `https://github.com`;
    /// `…/api/v3` → without it; otherwise the same as `api_url`.
    pub fn new(api_url: &str, web_url: Option<&str>) -> Result<Forge, ForgeError> {
        let api = parse_base(api_url)?;
        let web = match web_url {
            Some(w) => parse_base(w)?,
            None => derive_web(&api)?,
        };
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| ForgeError::Network(format!("cannot build the HTTP client: {e}")))?;
        Ok(Forge {
            api_str: without_slash(&api),
            web_str: without_slash(&web),
            api,
            web,
            http,
        })
    }

    /// The API base, without a trailing slash.
    pub fn api_url(&self) -> &str {
        &self.api_str
    }

    /// The web base (`https://github.com`), without a trailing slash.
    pub fn web_url(&self) -> &str {
        &self.web_str
    }

    /// `{web}/{owner}/{repo}.git`.
    pub fn clone_url(&self, owner: &str, repo: &str) -> String {
        format!("{}/{owner}/{repo}.git", self.web_str)
    }

    /// `GET /user`: whose token this is.
    pub async fn user(&self, token: &str) -> Result<User, ForgeError> {
        let url = self.api(&["user"]);
        self.json(Method::GET, url, Some(token), None::<&()>, || {
            "the authenticated user was not found".to_string()
        })
        .await
    }

    /// `GET /repos/{owner}/{repo}`. Without a token only public repositories are visible.
    pub async fn repo(
        &self,
        token: Option<&str>,
        owner: &str,
        repo: &str,
    ) -> Result<Repo, ForgeError> {
        let url = self.api(&["repos", owner, repo]);
        let r: wire::Repo = self
            .json(Method::GET, url, token, None::<&()>, || {
                repo_not_found(owner, repo)
            })
            .await?;
        Ok(r.into())
    }

    /// `GET /user/repos?sort=updated`: repositories the token's user owns, collaborates on or
    /// reaches through an organisation, most recently updated first. `page` starts at 1;
    /// `per_page` is clamped to 1..=100.
    pub async fn user_repos(
        &self,
        token: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Vec<Repo>, ForgeError> {
        let mut url = self.api(&["user", "repos"]);
        url.query_pairs_mut()
            .append_pair("sort", "updated")
            .append_pair("page", &page.max(1).to_string())
            .append_pair("per_page", &per_page.clamp(1, 100).to_string());
        let repos: Vec<wire::Repo> = self
            .json(Method::GET, url, Some(token), None::<&()>, || {
                "the authenticated user was not found".to_string()
            })
            .await?;
        Ok(repos.into_iter().map(Repo::from).collect())
    }

    /// `POST /repos/{owner}/{repo}/pulls`. GitHub answers 422
    /// ([`ForgeError::Validation`]) when there are no commits between base and head, a branch
    /// is missing, or an open pull request for the head exists.
    pub async fn create_pull(
        &self,
        token: &str,
        owner: &str,
        repo: &str,
        req: &NewPull,
    ) -> Result<Pull, ForgeError> {
        let url = self.api(&["repos", owner, repo, "pulls"]);
        let p: wire::Pull = self
            .json(Method::POST, url, Some(token), Some(req), || {
                repo_not_found(owner, repo)
            })
            .await?;
        Ok(p.into())
    }

    /// `GET /repos/{owner}/{repo}/pulls/{number}` (with `mergeable`, which GitHub may still be
    /// computing: `None`).
    pub async fn pull(
        &self,
        token: Option<&str>,
        owner: &str,
        repo: &str,
        number: u64,
    ) -> Result<Pull, ForgeError> {
        let url = self.api(&["repos", owner, repo, "pulls", &number.to_string()]);
        let p: wire::Pull = self
            .json(Method::GET, url, token, None::<&()>, || {
                pull_not_found(owner, repo, number)
            })
            .await?;
        Ok(p.into())
    }

    /// `PATCH /repos/{owner}/{repo}/pulls/{number}`: title, body, `state` (`open`/`closed`).
    pub async fn update_pull(
        &self,
        token: &str,
        owner: &str,
        repo: &str,
        number: u64,
        req: &UpdatePull,
    ) -> Result<Pull, ForgeError> {
        let url = self.api(&["repos", owner, repo, "pulls", &number.to_string()]);
        let p: wire::Pull = self
            .json(Method::PATCH, url, Some(token), Some(req), || {
                pull_not_found(owner, repo, number)
            })
            .await?;
        Ok(p.into())
    }

    /// `PUT /repos/{owner}/{repo}/pulls/{number}/merge`. 405 → [`ForgeError::NotMergeable`]
    /// (conflicts, closed, already merged, protection), 409 → [`ForgeError::Conflict`] (head
    /// is no longer `req.sha`).
    pub async fn merge_pull(
        &self,
        token: &str,
        owner: &str,
        repo: &str,
        number: u64,
        req: &MergeRequest,
    ) -> Result<MergeResult, ForgeError> {
        let url = self.api(&["repos", owner, repo, "pulls", &number.to_string(), "merge"]);
        let body = wire::Merge {
            merge_method: req.method.as_str(),
            commit_title: req.commit_title.as_deref(),
            commit_message: req.commit_message.as_deref(),
            sha: req.sha.as_deref(),
        };
        let r: wire::MergeResult = self
            .json(Method::PUT, url, Some(token), Some(&body), || {
                pull_not_found(owner, repo, number)
            })
            .await?;
        Ok(MergeResult {
            sha: r.sha.unwrap_or_default(),
            merged: r.merged,
            message: r.message,
        })
    }

    /// `DELETE /repos/{owner}/{repo}/git/refs/heads/{branch}`. A missing branch is GitHub's
    /// 422 "Reference does not exist" ([`ForgeError::Validation`]).
    pub async fn delete_branch(
        &self,
        token: &str,
        owner: &str,
        repo: &str,
        branch: &str,
    ) -> Result<(), ForgeError> {
        let mut segments = vec!["repos", owner, repo, "git", "refs", "heads"];
        segments.extend(branch.split('/'));
        let url = self.api(&segments);
        self.send(Method::DELETE, url, Some(token), None::<&()>, || {
            repo_not_found(owner, repo)
        })
        .await?;
        Ok(())
    }

    /// `GET /repos/{owner}/{repo}/commits/{sha}/check-runs`, counted (all pages, up to 1,000
    /// runs).
    pub async fn checks(
        &self,
        token: Option<&str>,
        owner: &str,
        repo: &str,
        sha: &str,
    ) -> Result<Checks, ForgeError> {
        let mut checks = Checks::default();
        let mut seen = 0u32;
        for page in 1..=CHECKS_MAX_PAGES {
            let mut url = self.api(&["repos", owner, repo, "commits", sha, "check-runs"]);
            url.query_pairs_mut()
                .append_pair("per_page", &CHECKS_PER_PAGE.to_string())
                .append_pair("page", &page.to_string());
            let runs: wire::CheckRuns = self
                .json(Method::GET, url, token, None::<&()>, || {
                    format!("commit {sha} not found in {owner}/{repo}")
                })
                .await?;
            let count = runs.check_runs.len() as u32;
            for run in runs.check_runs {
                match (run.status.as_deref(), run.conclusion.as_deref()) {
                    (Some("completed"), Some("success" | "neutral" | "skipped")) => {
                        checks.passed += 1
                    }
                    (Some("completed"), _) => checks.failed += 1,
                    _ => checks.pending += 1,
                }
            }
            seen += count;
            if count < CHECKS_PER_PAGE || seen >= runs.total_count {
                break;
            }
        }
        checks.total = checks.passed + checks.failed + checks.pending;
        Ok(checks)
    }

    /// Starts the OAuth device flow: `POST {web}/login/device/code`.
    pub async fn device_start(
        &self,
        client_id: &str,
        scope: &str,
    ) -> Result<DeviceCode, ForgeError> {
        let url = self.web(&["login", "device", "code"]);
        let r = self
            .oauth(url, &[("client_id", client_id), ("scope", scope)])
            .await?;
        if let Some(error) = r.error {
            return Err(oauth_error(&error, r.error_description));
        }
        let missing = |field: &str| ForgeError::Unexpected {
            status: 200,
            message: format!("device code answer without {field}"),
        };
        Ok(DeviceCode {
            device_code: r.device_code.ok_or_else(|| missing("device_code"))?,
            user_code: r.user_code.ok_or_else(|| missing("user_code"))?,
            verification_uri: r
                .verification_uri
                .ok_or_else(|| missing("verification_uri"))?,
            expires_in: r.expires_in.unwrap_or(900),
            interval: r.interval.unwrap_or(5),
        })
    }

    /// One poll of the device flow: `POST {web}/login/oauth/access_token`.
    pub async fn device_poll(
        &self,
        client_id: &str,
        device_code: &str,
    ) -> Result<DevicePoll, ForgeError> {
        let url = self.web(&["login", "oauth", "access_token"]);
        let r = self
            .oauth(
                url,
                &[
                    ("client_id", client_id),
                    ("device_code", device_code),
                    ("grant_type", DEVICE_GRANT),
                ],
            )
            .await?;
        match (r.error.as_deref(), r.access_token) {
            (Some("authorization_pending"), _) => Ok(DevicePoll::Pending),
            (Some("slow_down"), _) => Ok(DevicePoll::SlowDown {
                interval: r.interval.unwrap_or(5),
            }),
            (Some("expired_token"), _) => Ok(DevicePoll::Expired),
            (Some("access_denied"), _) => Ok(DevicePoll::Denied),
            (Some(other), _) => Err(oauth_error(other, r.error_description)),
            (None, Some(token)) => Ok(DevicePoll::Token(token)),
            (None, None) => Err(ForgeError::Unexpected {
                status: 200,
                message: "access token answer without access_token or error".to_string(),
            }),
        }
    }

    // ---- plumbing ----

    fn api(&self, segments: &[&str]) -> Url {
        join(&self.api, segments)
    }

    fn web(&self, segments: &[&str]) -> Url {
        join(&self.web, segments)
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        token: Option<&str>,
        body: Option<&impl Serialize>,
        not_found: impl FnOnce() -> String,
    ) -> Result<T, ForgeError> {
        let resp = self.send(method, url, token, body, not_found).await?;
        Ok(resp.json::<T>().await?)
    }

    /// Sends a REST request; a non-2xx answer becomes a [`ForgeError`].
    async fn send(
        &self,
        method: Method,
        url: Url,
        token: Option<&str>,
        body: Option<&impl Serialize>,
        not_found: impl FnOnce() -> String,
    ) -> Result<Response, ForgeError> {
        let path = url.path().to_string();
        let mut req = self
            .http
            .request(method.clone(), url)
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION);
        if let Some(token) = token {
            req = req.header(AUTHORIZATION, bearer(token)?);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = execute(req).await?;
        let status = resp.status();
        tracing::debug!(%method, path, status = status.as_u16(), "github");
        if status.is_success() {
            return Ok(resp);
        }
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        Err(error_from(status, &headers, &text, not_found))
    }

    /// The device-flow endpoints: form-encoded, `Accept: application/json`; they answer 200
    /// with `{"error": …}` for flow states.
    async fn oauth(&self, url: Url, form: &[(&str, &str)]) -> Result<wire::OAuth, ForgeError> {
        let path = url.path().to_string();
        let req = self
            .http
            .post(url)
            .header(ACCEPT, "application/json")
            .form(form);
        let resp = execute(req).await?;
        let status = resp.status();
        tracing::debug!(path, status = status.as_u16(), "github oauth");
        if status.is_success() {
            return Ok(resp.json::<wire::OAuth>().await?);
        }
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        if let Ok(wire::OAuth {
            error: Some(error),
            error_description,
            ..
        }) = serde_json::from_str(&text)
        {
            if status != StatusCode::TOO_MANY_REQUESTS {
                return Err(oauth_error(&error, error_description));
            }
        }
        Err(error_from(status, &headers, &text, || {
            "the device flow endpoint was not found (is device flow enabled for this OAuth app?)"
                .to_string()
        }))
    }
}

async fn execute(req: RequestBuilder) -> Result<Response, ForgeError> {
    req.send().await.map_err(ForgeError::from)
}

fn bearer(token: &str) -> Result<HeaderValue, ForgeError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.trim())).map_err(|_| {
        ForgeError::Unauthorized("the token has characters not allowed in a header".to_string())
    })?;
    value.set_sensitive(true);
    Ok(value)
}

fn repo_not_found(owner: &str, repo: &str) -> String {
    format!("repository {owner}/{repo} not found or not visible with this token")
}

fn pull_not_found(owner: &str, repo: &str, number: u64) -> String {
    format!("pull request #{number} of {owner}/{repo} not found or not visible with this token")
}

/// Maps a non-2xx REST answer.
fn error_from(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    not_found: impl FnOnce() -> String,
) -> ForgeError {
    let parsed: wire::Error = serde_json::from_str(body).unwrap_or_default();
    let message = parsed.describe().unwrap_or_else(|| {
        let snippet: String = body.chars().take(200).collect();
        if snippet.trim().is_empty() {
            status.canonical_reason().unwrap_or("error").to_string()
        } else {
            snippet
        }
    });
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
    match status.as_u16() {
        429 => ForgeError::RateLimited {
            retry_after_secs: retry_after.or_else(|| reset_in(header("x-ratelimit-reset"))),
        },
        403 if exhausted || retry_after.is_some() => ForgeError::RateLimited {
            retry_after_secs: retry_after.or_else(|| reset_in(header("x-ratelimit-reset"))),
        },
        401 => ForgeError::Unauthorized(message),
        403 => ForgeError::Forbidden(message),
        404 => ForgeError::NotFound(not_found()),
        405 => ForgeError::NotMergeable(message),
        409 => ForgeError::Conflict(message),
        422 => ForgeError::Validation(message),
        status => ForgeError::Unexpected { status, message },
    }
}

/// Seconds until `x-ratelimit-reset` (epoch seconds).
fn reset_in(reset: Option<&str>) -> Option<u64> {
    let reset: u64 = reset?.trim().parse().ok()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(reset.saturating_sub(now))
}

fn oauth_error(error: &str, description: Option<String>) -> ForgeError {
    let message = match description {
        Some(d) if !d.is_empty() => format!("{error}: {d}"),
        _ => error.to_string(),
    };
    match error {
        "incorrect_client_credentials" | "unauthorized_client" => ForgeError::Unauthorized(message),
        "device_flow_disabled" => ForgeError::Forbidden(message),
        _ => ForgeError::Validation(message),
    }
}

fn parse_base(s: &str) -> Result<Url, ForgeError> {
    let url = Url::parse(s.trim()).map_err(|e| ForgeError::InvalidUrl(format!("{s:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(ForgeError::InvalidUrl(format!(
            "{s:?}: expected an http(s) URL"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ForgeError::InvalidUrl(format!(
            "{s:?}: a base URL has no query or fragment"
        )));
    }
    Ok(url)
}

fn derive_web(api: &Url) -> Result<Url, ForgeError> {
    if api.host_str() == Some("api.github.com") {
        return parse_base("https://github.com");
    }
    let path = api.path().trim_end_matches('/');
    if let Some(prefix) = path.strip_suffix("/api/v3") {
        let mut web = api.clone();
        web.set_path(prefix);
        return Ok(web);
    }
    Ok(api.clone())
}

fn without_slash(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

/// `base` + percent-encoded `segments`.
fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_url_is_derived() {
        let cases = [
            ("https://api.github.com", None, "https://github.com"),
            ("https://api.github.com/", None, "https://github.com"),
            (
                "https://ghe.example.com/api/v3",
                None,
                "https://ghe.example.com",
            ),
            (
                "https://ghe.example.com/api/v3/",
                None,
                "https://ghe.example.com",
            ),
            ("http://127.0.0.1:4000", None, "http://127.0.0.1:4000"),
            (
                "http://127.0.0.1:4000",
                Some("http://localhost:5000/"),
                "http://localhost:5000",
            ),
        ];
        for (api, web, want) in cases {
            let f = Forge::new(api, web).unwrap();
            assert_eq!(f.web_url(), want, "{api}");
            assert!(!f.api_url().ends_with('/'));
        }
        let f = Forge::new("https://api.github.com", None).unwrap();
        assert_eq!(f.clone_url("o", "r"), "https://github.com/o/r.git");
    }

    #[test]
    fn bad_urls_are_refused() {
        for bad in ["", "github.com", "ftp://x", "mailto:a@b", "http://x/?q=1"] {
            assert!(
                matches!(Forge::new(bad, None), Err(ForgeError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn paths_are_joined_and_escaped() {
        let base = Url::parse("https://ghe.example.com/api/v3/").unwrap();
        assert_eq!(
            join(
                &base,
                &["repos", "o", "r", "git", "refs", "heads", "feat", "x y"]
            )
            .as_str(),
            "https://ghe.example.com/api/v3/repos/o/r/git/refs/heads/feat/x%20y"
        );
        let base = Url::parse("https://api.github.com").unwrap();
        assert_eq!(
            join(&base, &["repos", "o", "a/b"]).as_str(),
            "https://api.github.com/repos/o/a%2Fb"
        );
    }

    #[test]
    fn statuses_map_to_cases() {
        let h = HeaderMap::new();
        let nf = || "nf".to_string();
        let e = error_from(
            StatusCode::UNAUTHORIZED,
            &h,
            r#"{"message":"Bad credentials"}"#,
            nf,
        );
        assert!(matches!(e, ForgeError::Unauthorized(m) if m == "Bad credentials"));
        let e = error_from(StatusCode::NOT_FOUND, &h, r#"{"message":"Not Found"}"#, nf);
        assert!(matches!(e, ForgeError::NotFound(m) if m == "nf"));
        let e = error_from(StatusCode::FORBIDDEN, &h, "", nf);
        assert!(matches!(e, ForgeError::Forbidden(m) if m == "Forbidden"));
        let e = error_from(StatusCode::BAD_GATEWAY, &h, "<html>", nf);
        assert!(matches!(e, ForgeError::Unexpected { status: 502, .. }));
        assert!(e.is_transient());

        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("retry-after", HeaderValue::from_static("42"));
        let e = error_from(StatusCode::FORBIDDEN, &h, "{}", nf);
        assert!(matches!(
            e,
            ForgeError::RateLimited {
                retry_after_secs: Some(42)
            }
        ));
        let e = error_from(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), "{}", nf);
        assert!(matches!(
            e,
            ForgeError::RateLimited {
                retry_after_secs: None
            }
        ));
    }

    #[test]
    fn tokens_with_bad_characters_are_not_echoed() {
        let e = bearer("abc\ndef").unwrap_err();
        assert!(!e.to_string().contains("abc"));
    }
}
