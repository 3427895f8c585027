//! Git branch and ref name rules (`git check-ref-format`), in Rust: no process, no I/O. Shared by
//! `gitops` (before it runs git) and `workflow` (which stays pure), so both refuse the same names
//! with the same words.

/// Longest branch name accepted, in bytes.
pub const MAX_BRANCH_NAME: usize = 200;

/// Why `name` is not a branch name (`git check-ref-format --branch` plus a length cap), as a
/// message naming the rule; `None` when it is one.
pub fn branch_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a branch name cannot be empty".into());
    }
    let rule = if name.len() > MAX_BRANCH_NAME {
        Some(format!("longer than {MAX_BRANCH_NAME} bytes"))
    } else if name.starts_with('-') {
        Some("it cannot start with `-`".into())
    } else if name == "HEAD" {
        Some("`HEAD` is reserved".into())
    } else {
        ref_rule(name).err().map(str::to_owned)
    };
    rule.map(|rule| format!("`{}` is not a valid branch name: {rule}", shown(name)))
}

/// The rules of `git check-ref-format` shared by branch names and full refs.
pub fn ref_rule(name: &str) -> Result<(), &'static str> {
    if name == "@" {
        return Err("`@` alone is reserved");
    }
    if let Some(c) = name.chars().find(|&c| {
        c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\')
    }) {
        return Err(match c {
            ' ' => "it cannot contain spaces",
            c if c.is_ascii_control() => "it cannot contain control characters",
            _ => "it cannot contain any of ~ ^ : ? * [ \\",
        });
    }
    if name.contains("..") {
        return Err("it cannot contain `..`");
    }
    if name.contains("@{") {
        return Err("it cannot contain `@{`");
    }
    if name.contains("//") {
        return Err("it cannot contain `//`");
    }
    if name.starts_with('/') || name.ends_with('/') {
        return Err("it cannot start or end with `/`");
    }
    if name.ends_with('.') {
        return Err("it cannot end with `.`");
    }
    for component in name.split('/') {
        if component.starts_with('.') {
            return Err("no part of it can start with `.`");
        }
        if component.ends_with(".lock") {
            return Err("no part of it can end with `.lock`");
        }
    }
    Ok(())
}

/// A name for a message: control characters escaped, cut at 80 characters.
pub fn shown(name: &str) -> String {
    let escaped: String = name.chars().flat_map(char::escape_default).collect();
    match escaped.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &escaped[..at]),
        None => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_rules_name_what_is_broken() {
        for ok in ["main", "feature/x", "a.b", "ünïcode", "a@b", "HEADS"] {
            assert_eq!(branch_problem(ok), None, "{ok}");
        }
        let long = "a".repeat(201);
        for (bad, rule) in [
            ("", "empty"),
            ("-x", "`-`"),
            ("HEAD", "reserved"),
            ("@", "reserved"),
            ("a..b", "`..`"),
            ("a b", "spaces"),
            ("a~b", "~"),
            ("a@{b", "`@{`"),
            ("a//b", "`//`"),
            ("/a", "`/`"),
            ("a.", "`.`"),
            ("a/.b", "start with `.`"),
            ("a.lock", "`.lock`"),
            ("a\u{7}b", "control"),
            (long.as_str(), "200 bytes"),
        ] {
            let p = branch_problem(bad).unwrap_or_default();
            assert!(p.contains(rule), "{bad:?}: {p}");
        }
        assert_eq!(shown("a\nb"), "a\\nb");
    }
}
