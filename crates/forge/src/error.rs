//! [`ForgeError`]: GitHub's statuses as cases the caller can branch on. Messages come from
//! GitHub's error JSON (never from our request, so never contain a token).

/// What went wrong talking to GitHub.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// 401: the token is missing, wrong, expired or revoked.
    #[error("GitHub refused the token: {0}")]
    Unauthorized(String),
    /// 403: the token may not do this (and it is not a rate limit that can be waited out).
    #[error("GitHub forbids this: {0}")]
    Forbidden(String),
    /// 404: absent, or private and not visible with this token (GitHub does not tell apart).
    #[error("{0}")]
    NotFound(String),
    /// 422: GitHub's message and every `errors[]` entry.
    #[error("GitHub rejected the request: {0}")]
    Validation(String),
    /// 405 on merge: conflicts, already merged, closed, or blocked by branch protection.
    #[error("not mergeable: {0}")]
    NotMergeable(String),
    /// 409: e.g. the head moved since the caller looked (merge with `sha`).
    #[error("conflict: {0}")]
    Conflict(String),
    /// 429, or 403 with `x-ratelimit-remaining: 0` / `retry-after`.
    #[error("GitHub rate limit reached{}", match retry_after_secs { Some(s) => format!(", retry in {s} s"), None => String::new() })]
    RateLimited { retry_after_secs: Option<u64> },
    /// Could not reach GitHub (connect, TLS, timeout, broken body).
    #[error("cannot reach GitHub: {0}")]
    Network(String),
    /// A URL given to [`Forge::new`](crate::Forge::new) does not parse or cannot be a base.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// Any other status, or a body we could not read.
    #[error("unexpected answer from GitHub (HTTP {status}): {message}")]
    Unexpected { status: u16, message: String },
}

impl ForgeError {
    /// Whether trying again later can succeed without the user doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ForgeError::RateLimited { .. } | ForgeError::Network(_)
        ) || matches!(self, ForgeError::Unexpected { status, .. } if *status >= 500)
    }
}

impl From<reqwest::Error> for ForgeError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's messages carry the URL (no token: tokens travel in a header) and the cause.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        if e.is_decode() {
            ForgeError::Unexpected {
                status: e.status().map_or(200, |s| s.as_u16()),
                message,
            }
        } else {
            ForgeError::Network(message)
        }
    }
}
