use std::fmt;

/// A secret string. `Debug` and `Display` print `[redacted]`; read it with [`Secret::expose`].
///
/// It deliberately implements neither `Serialize` nor `Deserialize`, so it cannot end up in an
/// API response by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Call only where it leaves for the upstream or for encrypted storage.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A prefix that is safe to show: at most 12 characters and never more than half of the
    /// secret, followed by `…`.
    pub fn prefix(&self) -> String {
        let chars = self.0.chars().count();
        let shown = (chars / 2).min(12);
        let mut out: String = self.0.chars().take(shown).collect();
        out.push('…');
        out
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_never_shows_the_whole_secret() {
        assert_eq!(
            Secret::new("sk-ant-api03-abcdefghijklmnop").prefix(),
            "sk-ant-api03…"
        );
        assert_eq!(Secret::new("abcd").prefix(), "ab…");
        assert_eq!(Secret::new("a").prefix(), "…");
        assert_eq!(Secret::new("").prefix(), "…");
    }

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("sk-ant-secret-value");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
    }
}
