//! Git for AnyCode: the only crate that spawns `git` on the host.
//!
//! **The security invariant.** A sandbox can write its checkout's `.git` (`core.fsmonitor`,
//! `core.hooksPath`, `diff.external`, filter drivers, `core.sshCommand`…), and host git run in
//! such a repository would execute what it planted. So host git only ever runs against
//! 1. a per-repository **mirror** — bare, host-owned, mounted read-only into sandboxes
//!    ([`Mirror`]), and
//! 2. a new sandbox checkout **before** any sandbox has had access to it ([`prepare_checkout`]);
//!
//! and always through one hardened runner (`runner`): empty environment, no system or global
//! config, explicit `--git-dir`, program-running settings overridden on the command line,
//! credentials only as one-command environment configuration, timeouts, bounded output.
//! Sandbox work comes back as inert data: a bundle file ([`Mirror::fetch_bundle`]).
//!
//! Modules:
//! - `runner` — the hardened `git` runner (env, config overrides, process group, timeouts,
//!   output caps, stderr scrubbing); [`version`].
//! - `auth` — [`HttpAuth`], a token passed for one command as an `http.<origin>.extraHeader`.
//! - `error` — [`GitError`] and stderr classification.
//! - `source` — [`RepoSource`] / [`parse_source`]: what the user typed.
//! - `refname` — [`validate_branch_name`] (`git check-ref-format --branch` rules in Rust).
//! - `mirror` — [`Mirror`]: clone, fetch (append-only), branches, push, bundles, merge-tree,
//!   log, diffs, files.
//! - `bundle` — untrusted bundle files: a safe private copy, header checks.
//! - `checkout` — [`prepare_checkout`]: a sandbox checkout sharing the mirror's objects through
//!   relative alternates.
//! - [`inside`] — argv builders for git run *inside* a sandbox and parsers of their output.
//! - [`diff`] — diff types and parsers (unified patches, `--raw --numstat -z`).
//! - [`detect`] — project type detection from a file list.
//!
//! Refs: harvested sandbox work lives in the mirror under `refs/anycode/sandboxes/<id>`, which
//! [`Mirror::fetch`] never touches.

mod auth;
mod bundle;
mod checkout;
pub mod detect;
pub mod diff;
mod error;
pub mod inside;
mod mirror;
mod refname;
mod runner;
mod source;

pub use auth::HttpAuth;
pub use bundle::MAX_BUNDLE_BYTES;
pub use checkout::{host_alternates_target, prepare_checkout, CheckoutOptions};
pub use diff::{DiffLine, FileDiff, FileStat, FileStatus, Hunk, LineKind};
pub use error::GitError;
pub use mirror::{
    BranchInfo, CloneOptions, CommitInfo, MergeCheck, Mirror, DEFAULT_NETWORK_TIMEOUT,
};
pub use refname::{validate_branch_name, MAX_BRANCH_NAME};
pub use runner::version;
pub use source::{parse_source, parse_source_with_home, RepoSource};

/// The ref under which a sandbox's harvested work is kept in the mirror.
pub fn sandbox_ref(sandbox_id: &str) -> String {
    format!("refs/anycode/sandboxes/{sandbox_id}")
}
