//! The model proxy — AnyCode's credential broker for Claude.
//!
//! A sandbox reaches it through its agent's loopback `model` port (tunnelled to the server), with
//! `ANTHROPIC_BASE_URL` pointing there and its own random `ANTHROPIC_AUTH_TOKEN`. For every
//! request the proxy:
//! 1. checks that token belongs to *this* sandbox (a token from another sandbox is refused);
//! 2. asks the [`Credentials`] owner for the real credential (API key → `x-api-key`; OAuth →
//!    `Authorization: Bearer` + the `oauth-2025-04-20` beta);
//! 3. forwards to the upstream (default `https://api.anthropic.com`, configurable for corporate
//!    gateways and the test mock) and streams the reply back untouched (SSE, no buffering);
//! 4. meters input/output/cache tokens from the stream ([`meter`]) and reports rate limits.
//!
//! Rejections the proxy decides itself carry `x-should-retry: false` (the CLI would otherwise
//! retry a 401 for minutes). The real credential never enters a sandbox.
pub mod meter;
mod proxy;

pub use meter::{Usage, UsageSink};
pub use proxy::{
    serve_connection, BoxFutureAuth, Credentials, Proxy, ProxyConfig, RateLimit, UpstreamAuth,
};
