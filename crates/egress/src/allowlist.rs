//! Which `host:port` targets a sandbox may reach.
//!
//! Patterns:
//! - `pypi.org` — exactly that host;
//! - `*.githubusercontent.com` — any subdomain (at any depth), never the apex;
//! - `127.0.0.1`, `[::1]`, `::1` — an IP address (IP targets are refused unless listed like this);
//! - any of the above followed by `:port` (IPv6 needs brackets then: `[::1]:8080`).
//!
//! Without a port, only 80 and 443 are allowed. Host names are matched case-insensitively and
//! a trailing dot is ignored.
//!
//! Private, loopback and link-local addresses are refused even after DNS resolution, unless
//! the pattern that let the target through names an IP address or `localhost` (or a
//! `*.localhost` name) exactly.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

/// Ports allowed by a pattern that names no port.
pub const DEFAULT_PORTS: [u16; 2] = [80, 443];

/// Hosts package managers need, allowed on ports 80 and 443.
pub const DEFAULT_REGISTRIES: &[&str] = &[
    // npm
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    // PyPI
    "pypi.org",
    "files.pythonhosted.org",
    // crates.io
    "crates.io",
    "index.crates.io",
    "static.crates.io",
    // Go
    "proxy.golang.org",
    "sum.golang.org",
    // RubyGems
    "rubygems.org",
    "index.rubygems.org",
    // Maven Central
    "repo.maven.apache.org",
    "repo1.maven.org",
    // Debian
    "deb.debian.org",
    "security.debian.org",
    // GitHub
    "github.com",
    "api.github.com",
    "codeload.github.com",
    "objects.githubusercontent.com",
    "raw.githubusercontent.com",
    "release-assets.githubusercontent.com",
];

/// A pattern that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid egress allowlist pattern `{pattern}`: {reason}")]
pub struct PatternError {
    /// The pattern as given.
    pub pattern: String,
    /// Why it was rejected, with a hint.
    pub reason: String,
}

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No pattern matches the host and port.
    NotListed,
    /// The target is an IP address (or looks like one) and no pattern names it exactly.
    IpLiteral,
    /// The name resolved only to private/loopback/link-local addresses (this one among them),
    /// and no pattern names an IP or `localhost` explicitly.
    PrivateAddress(IpAddr),
}

/// A target the allowlist lets through (before resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    private_ok: bool,
}

impl Permit {
    /// Whether the target may resolve to private/loopback/link-local addresses: true only
    /// when a matching pattern names an IP address or a `localhost` name exactly.
    pub fn allows_private(&self) -> bool {
        self.private_ok
    }
}

/// A target host: an IP address or a normalised (lower-case, no trailing dot) name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IP literal.
    Ip(IpAddr),
    /// A host name.
    Name(String),
}

impl Host {
    /// Parses a host as it appears in a request target or pattern: a name, an IPv4 address,
    /// or an IPv6 address with or without brackets. Returns a reason on failure.
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| "unclosed `[` in IPv6 address".to_string())?;
            return inner
                .parse::<Ipv6Addr>()
                .map(|ip| Host::Ip(IpAddr::V6(ip)))
                .map_err(|_| format!("`{inner}` is not a valid IPv6 address"));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Host::Ip(ip));
        }
        normalise_name(s).map(Host::Name)
    }

    /// Whether this is `localhost` or a `*.localhost` name (RFC 6761: always loopback).
    pub fn is_localhost(&self) -> bool {
        matches!(self, Host::Name(n) if is_local_name(n))
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Name(n) => f.write_str(n),
        }
    }
}

fn is_local_name(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost")
}

/// Lower-cases and validates a DNS host name; strips one trailing dot.
fn normalise_name(s: &str) -> Result<String, String> {
    if !s.is_ascii() {
        return Err("non-ASCII host names must be written in punycode (`xn--…`)".into());
    }
    let lower = s.to_ascii_lowercase();
    let name = lower.strip_suffix('.').unwrap_or(&lower);
    if name.is_empty() {
        return Err("empty host name".into());
    }
    if name.len() > 253 {
        return Err("host name longer than 253 characters".into());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("empty label (`..`) in host name".into());
        }
        if label.len() > 63 {
            return Err("host name label longer than 63 characters".into());
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "`{c}` is not allowed in a host name (letters, digits, `-`, `_` and `.` only)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("host name labels may not start or end with `-`".into());
        }
    }
    Ok(name.to_string())
}

/// A name whose last label is numeric (`127.1`, `2130706433`) or hex (`0x7f.1`) is an IP
/// address in disguise to many resolvers, never a DNS name.
fn looks_numeric(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    let hex = last.starts_with("0x") && last[2..].chars().all(|c| c.is_ascii_hexdigit());
    last.chars().all(|c| c.is_ascii_digit()) || hex
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// The suffix after `*.`; matches names ending in `.suffix`.
    Wildcard(String),
    Ip(IpAddr),
}

/// One allowlist entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    host: HostPattern,
    port: Option<u16>,
}

impl Pattern {
    fn matches_port(&self, port: u16) -> bool {
        match self.port {
            Some(p) => p == port,
            None => DEFAULT_PORTS.contains(&port),
        }
    }

    fn matches_host(&self, host: &Host) -> bool {
        match (&self.host, host) {
            (HostPattern::Ip(p), Host::Ip(h)) => p == h,
            (HostPattern::Exact(p), Host::Name(h)) => p == h,
            (HostPattern::Wildcard(suffix), Host::Name(h)) => h
                .strip_suffix(suffix.as_str())
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
            _ => false,
        }
    }

    /// Whether this pattern names a local target explicitly (an IP or a localhost name).
    fn explicitly_local(&self) -> bool {
        match &self.host {
            HostPattern::Ip(_) => true,
            HostPattern::Exact(n) => is_local_name(n),
            HostPattern::Wildcard(_) => false,
        }
    }
}

impl FromStr for Pattern {
    type Err = PatternError;

    fn from_str(raw: &str) -> Result<Self, PatternError> {
        let err = |reason: &str| PatternError {
            pattern: raw.to_string(),
            reason: reason.to_string(),
        };
        let s = raw.trim();
        if s.is_empty() {
            return Err(err("empty pattern"));
        }
        if s.contains("://") {
            return Err(err(
                "write just the host and optional port (e.g. `pypi.org` or `example.com:8443`), not a URL",
            ));
        }
        if s.contains('/') {
            return Err(err("paths are not supported; write just the host"));
        }
        if s.contains('@') {
            return Err(err("user names are not supported; write just the host"));
        }
        if s.chars().any(char::is_whitespace) {
            return Err(err("whitespace inside a pattern"));
        }

        // Split off the port.
        let (host, port) = if s.starts_with('[') {
            match s.find(']') {
                Some(end) => {
                    let rest = &s[end + 1..];
                    let port = if rest.is_empty() {
                        None
                    } else if let Some(p) = rest.strip_prefix(':') {
                        Some(p)
                    } else {
                        return Err(err("unexpected text after `]`"));
                    };
                    (&s[..=end], port)
                }
                None => return Err(err("unclosed `[` in IPv6 address")),
            }
        } else if s.matches(':').count() > 1 {
            // A bare IPv6 address; a port needs brackets.
            (s, None)
        } else {
            match s.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            }
        };
        let port = match port {
            None => None,
            Some(p) => Some(parse_port(p).ok_or_else(|| {
                err("the port must be a number from 1 to 65535 (omit it to allow 80 and 443)")
            })?),
        };

        let host = if let Some(suffix) = host.strip_prefix("*.") {
            if suffix.contains('*') {
                return Err(err("`*` is only allowed as a leading `*.` label"));
            }
            let suffix = normalise_name(suffix).map_err(|r| err(&r))?;
            if suffix.parse::<IpAddr>().is_ok() || looks_numeric(&suffix) {
                return Err(err(
                    "a wildcard needs a host name after `*.`, not an address",
                ));
            }
            HostPattern::Wildcard(suffix)
        } else if host == "*" {
            return Err(err(
                "a bare `*` would allow every host; list hosts or `*.domain` wildcards",
            ));
        } else if host.contains('*') {
            return Err(err(
                "`*` is only allowed as a leading `*.` label, e.g. `*.example.com`",
            ));
        } else {
            match Host::parse(host).map_err(|r| err(&r))? {
                Host::Ip(ip) => HostPattern::Ip(ip),
                Host::Name(n) if looks_numeric(&n) => {
                    return Err(err("neither a valid IP address nor a host name"));
                }
                Host::Name(n) => HostPattern::Exact(n),
            }
        };
        Ok(Pattern { host, port })
    }
}

pub(crate) fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse::<u16>().ok().filter(|&p| p != 0)
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            HostPattern::Exact(n) => f.write_str(n)?,
            HostPattern::Wildcard(s) => write!(f, "*.{s}")?,
            HostPattern::Ip(IpAddr::V4(ip)) => write!(f, "{ip}")?,
            HostPattern::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

/// The set of targets a sandbox may reach. Empty by default (everything denied).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    patterns: Vec<Pattern>,
}

impl Allowlist {
    /// Parses patterns; the first bad one is the error.
    pub fn new<I, S>(patterns: I) -> Result<Self, PatternError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let patterns = patterns
            .into_iter()
            .map(|p| p.as_ref().parse())
            .collect::<Result<_, _>>()?;
        Ok(Allowlist { patterns })
    }

    /// Parses a config-file style list: patterns separated by whitespace, commas or new
    /// lines; `#` starts a comment running to the end of the line.
    pub fn from_text(text: &str) -> Result<Self, PatternError> {
        Self::new(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or(""))
                .flat_map(|l| l.split(|c: char| c == ',' || c.is_whitespace()))
                .filter(|p| !p.is_empty()),
        )
    }

    /// Package registries and GitHub (see [`DEFAULT_REGISTRIES`]), ports 80 and 443.
    pub fn default_registries() -> Self {
        Self::new(DEFAULT_REGISTRIES).unwrap_or_default()
    }

    /// Adds the other list's patterns to this one.
    pub fn extend(&mut self, other: Allowlist) {
        self.patterns.extend(other.patterns);
    }

    /// Adds one pattern.
    pub fn push(&mut self, pattern: Pattern) {
        self.patterns.push(pattern);
    }

    /// The patterns, for display.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Checks a target before resolution. `host` is as in a request (`example.com`,
    /// `10.0.0.1`, `[::1]` or `::1`).
    pub fn check(&self, host: &str, port: u16) -> Result<Permit, Denial> {
        match Host::parse(host) {
            Ok(h) => self.check_host(&h, port),
            Err(_) => Err(Denial::NotListed),
        }
    }

    /// Whether [`check`](Self::check) lets the target through (before resolution).
    pub fn allows(&self, host: &str, port: u16) -> bool {
        self.check(host, port).is_ok()
    }

    /// Checks a parsed target before resolution.
    pub fn check_host(&self, host: &Host, port: u16) -> Result<Permit, Denial> {
        let mut matched = self
            .patterns
            .iter()
            .filter(|p| p.matches_port(port) && p.matches_host(host))
            .peekable();
        if matched.peek().is_none() {
            return Err(match host {
                Host::Ip(_) => Denial::IpLiteral,
                Host::Name(n) if looks_numeric(n) => Denial::IpLiteral,
                Host::Name(_) => Denial::NotListed,
            });
        }
        let private_ok = matched.any(Pattern::explicitly_local);
        Ok(Permit { private_ok })
    }
}

impl FromStr for Allowlist {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, PatternError> {
        Self::from_text(s)
    }
}

impl fmt::Display for Allowlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.patterns.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_table() {
        let list = Allowlist::new([
            "pypi.org",
            "*.githubusercontent.com",
            "example.com:8443",
            "127.0.0.1:9000",
            "[::1]:9001",
            "localhost:9002",
            "10.1.2.3",
        ])
        .unwrap();
        let cases: &[(&str, u16, Result<bool, Denial>)] = &[
            // exact host, default ports
            ("pypi.org", 443, Ok(false)),
            ("pypi.org", 80, Ok(false)),
            ("PyPI.org.", 443, Ok(false)),
            ("pypi.org", 8080, Err(Denial::NotListed)),
            ("www.pypi.org", 443, Err(Denial::NotListed)),
            ("evilpypi.org", 443, Err(Denial::NotListed)),
            // wildcard: subdomains at any depth, not the apex, not look-alikes
            ("raw.githubusercontent.com", 443, Ok(false)),
            ("a.b.githubusercontent.com", 443, Ok(false)),
            ("githubusercontent.com", 443, Err(Denial::NotListed)),
            ("evilgithubusercontent.com", 443, Err(Denial::NotListed)),
            (".githubusercontent.com", 443, Err(Denial::NotListed)),
            ("raw.githubusercontent.com", 22, Err(Denial::NotListed)),
            // explicit port replaces the defaults
            ("example.com", 8443, Ok(false)),
            ("example.com", 443, Err(Denial::NotListed)),
            // IP literals only when listed exactly; they may be private
            ("127.0.0.1", 9000, Ok(true)),
            ("127.0.0.1", 9001, Err(Denial::IpLiteral)),
            ("[::1]", 9001, Ok(true)),
            ("::1", 9001, Ok(true)),
            ("10.1.2.3", 443, Ok(true)),
            ("10.1.2.3", 22, Err(Denial::IpLiteral)),
            ("8.8.8.8", 443, Err(Denial::IpLiteral)),
            ("127.1", 9000, Err(Denial::IpLiteral)),
            ("2130706433", 443, Err(Denial::IpLiteral)),
            ("0x7f.1", 443, Err(Denial::IpLiteral)),
            // localhost only when listed
            ("localhost", 9002, Ok(true)),
            ("LOCALHOST", 9002, Ok(true)),
            ("localhost", 443, Err(Denial::NotListed)),
            ("foo.localhost", 9002, Err(Denial::NotListed)),
        ];
        for (host, port, want) in cases {
            let got = list.check(host, *port).map(|p| p.allows_private());
            assert_eq!(&got, want, "{host}:{port}");
        }
    }

    #[test]
    fn empty_list_denies_everything() {
        let list = Allowlist::default();
        assert_eq!(list.check("pypi.org", 443), Err(Denial::NotListed));
        assert_eq!(list.check("1.1.1.1", 443), Err(Denial::IpLiteral));
    }

    #[test]
    fn wildcard_does_not_grant_private() {
        let list = Allowlist::new(["*.localhost:9000"]).unwrap();
        assert_eq!(
            list.check("a.localhost", 9000).map(|p| p.allows_private()),
            Ok(false)
        );
    }

    #[test]
    fn default_registries_parse_and_match() {
        let list = Allowlist::default_registries();
        assert_eq!(list.patterns().len(), DEFAULT_REGISTRIES.len());
        assert!(list.allows("registry.npmjs.org", 443));
        assert!(list.allows("files.pythonhosted.org", 443));
        assert!(list.allows("deb.debian.org", 80));
        assert!(!list.allows("example.com", 443));
        assert!(!list.allows("github.com", 22));
    }

    #[test]
    fn bad_patterns_have_clear_errors() {
        let bad = [
            ("", "empty"),
            ("https://pypi.org", "not a URL"),
            ("pypi.org/simple", "paths"),
            ("user@pypi.org", "user names"),
            ("*", "bare `*`"),
            ("*.", "empty host"),
            ("foo.*.com", "leading `*.`"),
            ("*.*.com", "leading `*.`"),
            ("pypi.org:0", "port"),
            ("pypi.org:70000", "port"),
            ("pypi.org:abc", "port"),
            ("pypi.org:", "port"),
            ("exa mple.com", "whitespace"),
            ("exa$mple.com", "not allowed"),
            ("a..b", "empty label"),
            ("-a.com", "start or end"),
            ("bücher.de", "punycode"),
            ("[::1", "unclosed"),
            ("[nope]:80", "IPv6"),
            ("[::1]x", "after `]`"),
            ("300.1.1.1", "neither"),
            ("*.10.0.0.1", "not an address"),
        ];
        for (pattern, needle) in bad {
            let e = pattern.parse::<Pattern>().unwrap_err();
            let msg = e.to_string();
            assert!(
                msg.contains(needle),
                "{pattern:?} gave {msg:?}, expected it to mention {needle:?}"
            );
            assert!(msg.starts_with("invalid egress allowlist pattern"), "{msg}");
        }
    }

    #[test]
    fn from_text_and_display() {
        let list = Allowlist::from_text(
            "# registries\npypi.org, *.GitHubUserContent.com\n  [::1]:8080 127.0.0.1:1 # local\n",
        )
        .unwrap();
        assert_eq!(
            list.to_string(),
            "pypi.org, *.githubusercontent.com, [::1]:8080, 127.0.0.1:1"
        );
        let err = Allowlist::from_text("pypi.org\nhttp://x\n").unwrap_err();
        assert_eq!(err.pattern, "http://x");
    }
}
