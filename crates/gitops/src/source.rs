//! [`RepoSource`]: where a repository comes from, parsed from what the user typed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::GitError;

/// Where a repository comes from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(
    tag = "kind",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum RepoSource {
    /// A repository on the configured forge (github.com, GHE, the test fake forge), from
    /// `owner/repo`, `https://github.com/owner/repo(.git)`, `git@github.com:owner/repo.git`,
    /// `ssh://git@github.com/owner/repo`, `github.com/owner/repo`, or any URL under the forge's
    /// web URL (`…/owner/repo/tree/main`).
    Forge { owner: String, repo: String },
    /// Any other Git URL: `https://`, `http://`, `ssh://`, `git://`, `git@host:path`, `file://`.
    Url { url: String, name: String },
    /// A local directory holding a repository (a `.git` inside, or a bare repository); its path
    /// is the clone URL.
    Local { path: PathBuf, name: String },
}

impl RepoSource {
    /// A short name for the repository (`repo`, the URL's last segment, the directory's name),
    /// without `.git`.
    pub fn name(&self) -> &str {
        match self {
            RepoSource::Forge { repo, .. } => repo,
            RepoSource::Url { name, .. } | RepoSource::Local { name, .. } => name,
        }
    }

    /// The URL to clone: `<forge_web_url>/owner/repo.git` for the forge (GitHub and GHE serve
    /// Git under the web URL), the URL itself, or the local path.
    pub fn clone_url(&self, forge_web_url: &str) -> String {
        match self {
            RepoSource::Forge { owner, repo } => {
                format!("{}/{owner}/{repo}.git", forge_web_url.trim_end_matches('/'))
            }
            RepoSource::Url { url, .. } => url.clone(),
            RepoSource::Local { path, .. } => path.to_string_lossy().into_owned(),
        }
    }
}

/// Parses what the user typed (see [`RepoSource`]). `~/…` expands to the user's home
/// directory ([`std::env::home_dir`]); use [`parse_source_with_home`] to pass it.
pub fn parse_source(input: &str, forge_web_url: &str) -> Result<RepoSource, GitError> {
    parse_source_with_home(input, forge_web_url, std::env::home_dir().as_deref())
}

/// [`parse_source`] with the home directory for `~/…` given.
pub fn parse_source_with_home(
    input: &str,
    forge_web_url: &str,
    home: Option<&Path>,
) -> Result<RepoSource, GitError> {
    let input = input.trim();
    let invalid = || {
        GitError::InvalidSource(format!(
            "`{input}` is not a repository: expected owner/repo, a Git URL or a local path"
        ))
    };
    if input.is_empty() {
        return Err(GitError::InvalidSource(
            "no repository given: expected owner/repo, a Git URL or a local path".into(),
        ));
    }
    // Control characters; `-…` (would read as an option); `x::…` (git's remote-helper syntax,
    // e.g. `ext::`).
    if input.chars().any(char::is_control) || input.starts_with('-') || input.contains("::") {
        return Err(invalid());
    }
    if input.starts_with('/') || input == "~" || input.starts_with("~/") {
        return local(input, home);
    }
    if input.starts_with("./") || input.starts_with("../") {
        return Err(GitError::InvalidSource(format!(
            "`{input}` is a relative path: give an absolute path (or ~/…)"
        )));
    }
    if input.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    let forge = Forge::parse(forge_web_url);
    if let Some((scheme, rest)) = input.split_once("://") {
        return url(input, &scheme.to_ascii_lowercase(), rest, forge.as_ref());
    }
    if let Some(forge) = &forge {
        // `github.com/owner/repo` without a scheme.
        let prefix = format!("{}/", forge.authority_and_path());
        if input.len() > prefix.len() && input[..prefix.len()].eq_ignore_ascii_case(&prefix) {
            return forge_path(input, &input[prefix.len()..]);
        }
    }
    if let Some((user_host, path)) = scp_like(input) {
        let host = user_host.rsplit_once('@').map_or(user_host, |(_, h)| h);
        if let Some(forge) = &forge {
            if host.eq_ignore_ascii_case(&forge.host) {
                return forge_path(input, path);
            }
        }
        return Ok(RepoSource::Url {
            url: input.to_owned(),
            name: last_segment_name(path).ok_or_else(invalid)?,
        });
    }
    if let Some((owner, repo)) = input.split_once('/') {
        let repo = repo.strip_suffix(".git").unwrap_or(repo);
        if valid_name(owner) && valid_name(repo) {
            return Ok(RepoSource::Forge {
                owner: owner.to_owned(),
                repo: repo.to_owned(),
            });
        }
    }
    Err(invalid())
}

/// The forge's web URL, split for matching.
struct Forge {
    /// Lower-case host without port.
    host: String,
    /// `host[:port]` as given, lower-case.
    authority: String,
    /// Path prefix without slashes at either end (empty for github.com).
    path: String,
}

impl Forge {
    fn parse(web_url: &str) -> Option<Forge> {
        let (_, rest) = web_url.trim().split_once("://")?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, a)| a)
            .to_ascii_lowercase();
        if authority.is_empty() {
            return None;
        }
        let host = strip_port(&authority).to_owned();
        Some(Forge {
            host,
            authority,
            path: path.trim_matches('/').to_owned(),
        })
    }

    fn authority_and_path(&self) -> String {
        if self.path.is_empty() {
            self.authority.clone()
        } else {
            format!("{}/{}", self.authority, self.path)
        }
    }
}

fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority; // IPv6 literal; leave as is
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

fn url(
    input: &str,
    scheme: &str,
    rest: &str,
    forge: Option<&Forge>,
) -> Result<RepoSource, GitError> {
    let invalid = || {
        GitError::InvalidSource(format!(
            "`{input}` is not a repository: expected owner/repo, a Git URL or a local path"
        ))
    };
    if !matches!(
        scheme,
        "https" | "http" | "ssh" | "git" | "file" | "git+ssh" | "ssh+git"
    ) {
        return Err(GitError::InvalidSource(format!(
            "`{input}`: unsupported URL scheme `{scheme}` (use https, http, ssh, git or file)"
        )));
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if scheme != "file" {
        if authority.is_empty() {
            return Err(invalid());
        }
        if let Some(forge) = forge {
            let host_port = authority
                .rsplit_once('@')
                .map_or(authority, |(_, a)| a)
                .to_ascii_lowercase();
            let same_host = if scheme.contains("ssh") {
                strip_port(&host_port) == forge.host
            } else {
                host_port == forge.authority
                    || (strip_port(&host_port) == forge.host && !forge.authority.contains(':'))
            };
            if same_host {
                let path = path.split(['?', '#']).next().unwrap_or("");
                let under_prefix = if forge.path.is_empty() || scheme.contains("ssh") {
                    Some(path)
                } else {
                    path.strip_prefix(forge.path.as_str())
                        .and_then(|p| p.strip_prefix('/'))
                };
                if let Some(repo_path) = under_prefix {
                    return forge_path(input, repo_path);
                }
            }
        }
    }
    let name =
        last_segment_name(path.split(['?', '#']).next().unwrap_or("")).ok_or_else(invalid)?;
    Ok(RepoSource::Url {
        url: input.to_owned(),
        name,
    })
}

/// `owner/repo(.git)(/anything)` under the forge.
fn forge_path(input: &str, path: &str) -> Result<RepoSource, GitError> {
    let mut segments = path.trim_start_matches('/').split('/');
    let owner = segments.next().unwrap_or("");
    let repo = segments.next().unwrap_or("");
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    if valid_name(owner) && valid_name(repo) {
        Ok(RepoSource::Forge {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
        })
    } else {
        Err(GitError::InvalidSource(format!(
            "`{input}` is not a repository: expected a URL of the form …/owner/repo"
        )))
    }
}

/// `[user@]host:path` (scp-like ssh), where no `/` comes before the first `:`.
fn scp_like(input: &str) -> Option<(&str, &str)> {
    let (user_host, path) = input.split_once(':')?;
    if user_host.is_empty() || user_host.contains('/') || path.is_empty() {
        return None;
    }
    Some((user_host, path))
}

/// Owner and repository names: ASCII letters, digits, `-`, `_`, `.`; not `.`/`..`, not starting
/// with `.` or `-`; at most 100 bytes.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn last_segment_name(path: &str) -> Option<String> {
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    let last = last.rsplit(':').next().unwrap_or(last);
    let name = last.strip_suffix(".git").unwrap_or(last);
    (!name.is_empty() && name != "." && name != "..").then(|| name.to_owned())
}

fn local(input: &str, home: Option<&Path>) -> Result<RepoSource, GitError> {
    let path = if input == "~" || input.starts_with("~/") {
        let home = home.ok_or_else(|| {
            GitError::InvalidSource(format!("`{input}`: no home directory to expand `~` in"))
        })?;
        home.join(input.trim_start_matches('~').trim_start_matches('/'))
    } else {
        PathBuf::from(input)
    };
    let meta = std::fs::metadata(&path).map_err(|e| {
        GitError::InvalidSource(match e.kind() {
            std::io::ErrorKind::NotFound => format!("`{input}` does not exist"),
            _ => format!("`{input}` cannot be read: {e}"),
        })
    })?;
    if !meta.is_dir() {
        return Err(GitError::InvalidSource(format!(
            "`{input}` is not a directory"
        )));
    }
    let work_tree = path.join(".git").exists();
    let bare =
        path.join("HEAD").is_file() && path.join("objects").is_dir() && path.join("refs").is_dir();
    if !work_tree && !bare {
        return Err(GitError::InvalidSource(format!(
            "`{input}` is not a Git repository (no .git in it)"
        )));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .map(|n| n.strip_suffix(".git").map(str::to_owned).unwrap_or(n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "repository".to_owned());
    Ok(RepoSource::Local { path, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forge(owner: &str, repo: &str) -> Result<RepoSource, String> {
        Ok(RepoSource::Forge {
            owner: owner.into(),
            repo: repo.into(),
        })
    }

    fn url(url: &str, name: &str) -> Result<RepoSource, String> {
        Ok(RepoSource::Url {
            url: url.into(),
            name: name.into(),
        })
    }

    fn check(input: &str, web: &str, want: Result<RepoSource, String>) {
        let got = parse_source_with_home(input, web, None).map_err(|e| e.to_string());
        match (&got, &want) {
            (Err(got), Err(want)) => {
                assert!(got.contains(want.as_str()), "{input}: {got} ∌ {want}")
            }
            _ => assert_eq!(got, want, "{input}"),
        }
    }

    #[test]
    fn github_forms() {
        let gh = "https://github.com";
        for input in [
            "octo/hello",
            "octo/hello.git",
            " octo/hello \n",
            "https://github.com/octo/hello",
            "https://github.com/octo/hello.git",
            "https://github.com/octo/hello/",
            "https://GitHub.com/octo/hello/tree/main/src",
            "https://github.com/octo/hello/pull/12?x=1",
            "http://github.com/octo/hello",
            "https://user:tok@github.com/octo/hello.git",
            "git@github.com:octo/hello.git",
            "git@github.com:octo/hello",
            "ssh://git@github.com/octo/hello.git",
            "ssh://git@github.com:22/octo/hello.git",
            "github.com/octo/hello",
        ] {
            check(input, gh, forge("octo", "hello"));
        }
        check("my-org/my_repo.js", gh, forge("my-org", "my_repo.js"));
    }

    #[test]
    fn other_forges_by_web_url() {
        check(
            "https://ghe.corp.example/team/app",
            "https://ghe.corp.example/",
            forge("team", "app"),
        );
        check(
            "git@ghe.corp.example:team/app.git",
            "https://ghe.corp.example",
            forge("team", "app"),
        );
        check(
            "http://127.0.0.1:4567/o/r.git",
            "http://127.0.0.1:4567",
            forge("o", "r"),
        );
        // Another port on the same host is not the fake forge.
        check(
            "http://127.0.0.1:9999/o/r.git",
            "http://127.0.0.1:4567",
            url("http://127.0.0.1:9999/o/r.git", "r"),
        );
        check(
            "https://code.example/git/o/r",
            "https://code.example/git",
            forge("o", "r"),
        );
        // On github.com, a GitHub URL is just a URL.
        check(
            "https://github.com/octo/hello",
            "https://ghe.corp.example",
            url("https://github.com/octo/hello", "hello"),
        );
    }

    #[test]
    fn other_urls() {
        let gh = "https://github.com";
        check(
            "https://gitlab.com/g/sub/proj.git",
            gh,
            url("https://gitlab.com/g/sub/proj.git", "proj"),
        );
        check(
            "git@gitlab.com:g/proj.git",
            gh,
            url("git@gitlab.com:g/proj.git", "proj"),
        );
        check(
            "ssh://me@host:2222/srv/x.git",
            gh,
            url("ssh://me@host:2222/srv/x.git", "x"),
        );
        check("git://host/x", gh, url("git://host/x", "x"));
        check(
            "file:///srv/repos/app.git",
            gh,
            url("file:///srv/repos/app.git", "app"),
        );
        check("host:repo.git", gh, url("host:repo.git", "repo"));
    }

    #[test]
    fn junk_is_a_clear_error() {
        let gh = "https://github.com";
        let msg = "is not a repository: expected owner/repo, a Git URL or a local path";
        for input in [
            "foo bar", "foo", "a/b/c", "-x/y", "../x/..", "https://", "owner/..",
        ] {
            let err = parse_source_with_home(input, gh, None).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("is not a repository") || text.contains("relative path"),
                "{input}: {text}"
            );
        }
        check("foo bar", gh, Err(format!("`foo bar` {msg}")));
        check("", gh, Err("no repository given".into()));
        check("ftp://x/y", gh, Err("unsupported URL scheme `ftp`".into()));
        check(
            "ext::sh -c touch% /tmp/pwned",
            gh,
            Err("is not a repository".into()),
        );
        check("ext::sh", gh, Err("is not a repository".into()));
        check("https://github.com/octo", gh, Err("…/owner/repo".into()));
        check("./here", gh, Err("relative path".into()));
    }

    #[test]
    fn local_paths() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("app");
        std::fs::create_dir_all(work.join(".git")).unwrap();
        let bare = dir.path().join("lib.git");
        std::fs::create_dir_all(bare.join("objects")).unwrap();
        std::fs::create_dir_all(bare.join("refs")).unwrap();
        std::fs::write(bare.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        let plain = dir.path().join("plain");
        std::fs::create_dir_all(&plain).unwrap();
        let gh = "https://github.com";

        let got = parse_source_with_home(work.to_str().unwrap(), gh, None).unwrap();
        assert_eq!(
            got,
            RepoSource::Local {
                path: work.clone(),
                name: "app".into()
            }
        );
        let got = parse_source_with_home(bare.to_str().unwrap(), gh, None).unwrap();
        assert_eq!(
            got,
            RepoSource::Local {
                path: bare.clone(),
                name: "lib".into()
            }
        );
        let got = parse_source_with_home("~/app", gh, Some(dir.path())).unwrap();
        assert_eq!(
            got,
            RepoSource::Local {
                path: work.clone(),
                name: "app".into()
            }
        );
        assert_eq!(got.clone_url(gh), work.to_string_lossy());

        let err = parse_source_with_home(plain.to_str().unwrap(), gh, None).unwrap_err();
        assert!(err.to_string().contains("is not a Git repository"), "{err}");
        let missing = dir.path().join("missing");
        let err = parse_source_with_home(missing.to_str().unwrap(), gh, None).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        let err = parse_source_with_home("~/app", gh, None).unwrap_err();
        assert!(err.to_string().contains("no home directory"), "{err}");
    }

    #[test]
    fn clone_urls_and_serde() {
        let src = RepoSource::Forge {
            owner: "o".into(),
            repo: "r".into(),
        };
        assert_eq!(
            src.clone_url("https://github.com/"),
            "https://github.com/o/r.git"
        );
        assert_eq!(src.name(), "r");
        let json = serde_json::to_value(&src).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "forge", "owner": "o", "repo": "r"})
        );
    }
}
