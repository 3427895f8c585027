//! [`HttpAuth`]: a token for one git command, passed as environment configuration.

use base64::Engine as _;

/// A forge token (GitHub, GHE) used for HTTP(S) remotes.
///
/// It reaches git only through the environment of the one command that needs it
/// (`GIT_CONFIG_COUNT=1`, `GIT_CONFIG_KEY_0=http.<origin>/.extraHeader`,
/// `GIT_CONFIG_VALUE_0=Authorization: Basic base64(x-access-token:TOKEN)`): never argv (visible in
/// `ps`), never a config file, never a log line. The header is scoped to the remote's
/// `scheme://host[:port]/`, so a redirect to another host does not carry it. `Debug` prints
/// `[redacted]`.
#[derive(Clone)]
pub struct HttpAuth {
    token: String,
}

impl HttpAuth {
    /// A GitHub-style token (`ghp_…`, `ghs_…`, an installation token…), sent as the password of
    /// the user `x-access-token`.
    pub fn token(token: &str) -> Self {
        HttpAuth {
            token: token.trim().to_owned(),
        }
    }

    /// The `Authorization` header value git sends.
    pub(crate) fn header_value(&self) -> String {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("x-access-token:{}", self.token));
        format!("Authorization: Basic {basic}")
    }

    /// Strings that must never appear in anything we show: the token and its encodings.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("x-access-token:{}", self.token));
        vec![self.token.clone(), basic]
    }

    /// The `(key, value)` of the one-command configuration for a remote `url`: the header
    /// scoped to the URL's origin when it has one, else (scp-like or local URLs, where HTTP
    /// headers do not apply) unscoped.
    pub(crate) fn config_for(&self, url: &str) -> (String, String) {
        let key = match http_origin(url) {
            Some(origin) => format!("http.{origin}/.extraHeader"),
            None => "http.extraHeader".to_owned(),
        };
        (key, self.header_value())
    }
}

impl std::fmt::Debug for HttpAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpAuth([redacted])")
    }
}

/// `https://user@host:8443/a/b.git` → `https://host:8443`; `None` for non-HTTP URLs.
pub(crate) fn http_origin(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let scheme = if lower.starts_with("https://") {
        "https"
    } else if lower.starts_with("http://") {
        "http"
    } else {
        return None;
    };
    let rest = &url[scheme.len() + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{host_port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let auth = HttpAuth::token("ghp_supersecret");
        assert_eq!(format!("{auth:?}"), "HttpAuth([redacted])");
    }

    #[test]
    fn header_is_basic_x_access_token() {
        let auth = HttpAuth::token("abc");
        // base64("x-access-token:abc")
        assert_eq!(
            auth.header_value(),
            "Authorization: Basic eC1hY2Nlc3MtdG9rZW46YWJj"
        );
    }

    #[test]
    fn header_is_scoped_to_the_remote_origin() {
        let auth = HttpAuth::token("abc");
        let cases = [
            (
                "https://github.com/a/b.git",
                "http.https://github.com/.extraHeader",
            ),
            (
                "http://u@127.0.0.1:8080/x",
                "http.http://127.0.0.1:8080/.extraHeader",
            ),
            ("HTTPS://GHE.corp/a/b", "http.https://GHE.corp/.extraHeader"),
            ("git@github.com:a/b.git", "http.extraHeader"),
            ("/srv/repo.git", "http.extraHeader"),
        ];
        for (url, key) in cases {
            assert_eq!(auth.config_for(url).0, key, "{url}");
        }
    }
}
