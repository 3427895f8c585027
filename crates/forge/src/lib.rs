//! The GitHub REST client — the only crate that talks to the GitHub API (github.com, GitHub
//! Enterprise Server, or `fake-forge` in tests).
//!
//! - `client` — [`Forge`]: users, repositories, pull requests (create, read, update, merge),
//!   branch deletion, check runs, and the OAuth device flow. Every request carries
//!   `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`,
//!   `User-Agent: anycode`, a bearer token when given (a sensitive header, never logged) and a
//!   30 s timeout.
//! - `types` — what callers get ([`Repo`], [`Pull`], [`Checks`], …), flattened from GitHub's
//!   JSON. `Debug` never prints a token.
//! - `error` — [`ForgeError`]: one case per GitHub status worth branching on, with GitHub's
//!   message (and its `errors[]`) inside.
//! - `webhook` — [`sign_webhook`] / [`verify_webhook_signature`] for `X-Hub-Signature-256`.
//!
//! HTTPS needs the `tls` feature (off by default so tests build without TLS).

mod client;
mod error;
mod types;
mod webhook;

pub use client::Forge;
pub use error::ForgeError;
pub use types::{
    Checks, DeviceCode, DevicePoll, MergeMethod, MergeRequest, MergeResult, NewPull, Pull, Repo,
    UnknownMergeMethod, UpdatePull, User,
};
pub use webhook::{sign_webhook, verify_webhook_signature};
