//! Allowlisting HTTP(S) forward proxy for sandbox egress.
//!
//! A sandbox has no network interface. Its agent listens on loopback (the sandbox's
//! `HTTPS_PROXY`/`HTTP_PROXY`) and tunnels every accepted connection to the server, which calls
//! [`serve`] on that byte stream. One proxy request per connection:
//!
//! - `CONNECT host:port` — if allowed, connect, answer `200 Connection Established`, then relay
//!   bytes both ways;
//! - `GET http://host/path` (any method, absolute form) — if allowed, connect, send the request
//!   in origin form with `Connection: close`, then relay bytes both ways;
//! - a denied target gets `403` with a one-line plain-text explanation; anything malformed gets a
//!   `4xx`; an unreachable upstream `502`/`504`. The connection is then closed.
//!
//! Every call returns an [`Outcome`] to log or meter.

mod allowlist;
mod connector;
mod net;
mod proxy;

pub use allowlist::{
    Allowlist, Denial, Host, Pattern, PatternError, Permit, DEFAULT_PORTS, DEFAULT_REGISTRIES,
};
pub use connector::{BoxFuture, Connector, TcpConnector, Upstream};
pub use net::is_public;
pub use proxy::{serve, Outcome, Policy, ProxyError, Verdict, MAX_HEAD_BYTES};
