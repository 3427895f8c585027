//! Diff types shared by the host ([`crate::Mirror`]) and the sandbox ([`crate::inside`]), and
//! their parsers: [`parse_patch`] for unified patches, [`parse_raw_numstat`] for
//! `git diff --raw --numstat -z`. Input may come from a sandbox: the parsers never panic, skip
//! what they do not understand, and cap what they keep.

use serde::{Deserialize, Serialize};

/// Most files kept from one file list.
pub const MAX_FILES: usize = 100_000;

/// How a file changed.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    /// File ↔ symlink ↔ submodule.
    Typechange,
}

/// One changed file with its line counts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileStat {
    /// The path after the change (before it, for a deleted file).
    pub path: String,
    /// The path before a rename or copy.
    pub old_path: Option<String>,
    pub status: FileStatus,
    pub additions: u32,
    pub deletions: u32,
    pub binary: bool,
}

/// One file of a patch.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileDiff {
    pub path: String,
    pub old_path: Option<String>,
    pub status: FileStatus,
    pub binary: bool,
    pub hunks: Vec<Hunk>,
    /// Lines were left out (more than the `max_lines` asked for).
    pub truncated: bool,
}

/// One `@@ -a,b +c,d @@` hunk.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Hunk {
    /// The whole `@@ … @@ section` line.
    pub header: String,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub lines: Vec<DiffLine>,
}

/// One line of a hunk.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DiffLine {
    pub kind: LineKind,
    pub old_no: Option<u32>,
    pub new_no: Option<u32>,
    /// The line without its `+`/`-`/` ` marker and without the newline.
    pub text: String,
    /// Followed by `\ No newline at end of file`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_newline: bool,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    Context,
    Add,
    Delete,
}

/// Parses a unified patch as git prints it (`diff --git` headers, `a/`/`b/` prefixes), keeping
/// at most `max_lines` hunk lines per file (`truncated` then). Handles quoted paths (spaces,
/// non-ASCII, escapes), renames and copies, binary files, mode and type changes, new and
/// deleted files and `\ No newline at end of file`.
pub fn parse_patch(patch: &str, max_lines: usize) -> Vec<FileDiff> {
    let mut files = Vec::new();
    let mut cur: Option<FileBuilder> = None;
    // Lines still expected in the current hunk (old side, new side).
    let mut remaining = (0u32, 0u32);
    let mut in_binary_patch = false;
    for raw_line in patch.split('\n') {
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        if remaining != (0, 0) {
            if let Some(file) = cur.as_mut() {
                if file.content_line(raw_line, &mut remaining, max_lines) {
                    continue;
                }
            }
            remaining = (0, 0);
        }
        if let Some(rest) = line.strip_prefix("diff --git ") {
            if let Some(done) = cur.take() {
                files.push(done.finish());
                if files.len() >= MAX_FILES {
                    return files;
                }
            }
            cur = Some(FileBuilder::new(rest));
            in_binary_patch = false;
            continue;
        }
        let Some(file) = cur.as_mut() else { continue };
        if in_binary_patch {
            in_binary_patch = !line.is_empty() || !file.seen_binary_data;
            file.seen_binary_data |= !line.is_empty();
            continue;
        }
        if line.starts_with("@@ ") {
            if let Some(hunk) = parse_hunk_header(line) {
                remaining = (hunk.old_lines, hunk.new_lines);
                file.start_hunk(hunk, max_lines);
            }
        } else if line.starts_with('\\') {
            file.mark_no_newline();
        } else if let Some(mode) = line.strip_prefix("new file mode ") {
            file.status = Some(FileStatus::Added);
            file.new_mode = Some(mode.trim().to_owned());
        } else if let Some(mode) = line.strip_prefix("deleted file mode ") {
            file.status = Some(FileStatus::Deleted);
            file.old_mode = Some(mode.trim().to_owned());
        } else if let Some(mode) = line.strip_prefix("old mode ") {
            file.old_mode = Some(mode.trim().to_owned());
        } else if let Some(mode) = line.strip_prefix("new mode ") {
            file.new_mode = Some(mode.trim().to_owned());
        } else if let Some(p) = line.strip_prefix("rename from ") {
            file.status = Some(FileStatus::Renamed);
            file.from = Some(unquote(p));
        } else if let Some(p) = line.strip_prefix("rename to ") {
            file.status = Some(FileStatus::Renamed);
            file.to = Some(unquote(p));
        } else if let Some(p) = line.strip_prefix("copy from ") {
            file.status = Some(FileStatus::Copied);
            file.from = Some(unquote(p));
        } else if let Some(p) = line.strip_prefix("copy to ") {
            file.status = Some(FileStatus::Copied);
            file.to = Some(unquote(p));
        } else if let Some(p) = line.strip_prefix("--- ") {
            file.minus = Some(patch_path(p, "a/"));
        } else if let Some(p) = line.strip_prefix("+++ ") {
            file.plus = Some(patch_path(p, "b/"));
        } else if line.starts_with("Binary files ") {
            file.binary = true;
        } else if line == "GIT binary patch" {
            file.binary = true;
            in_binary_patch = true;
            file.seen_binary_data = false;
        }
    }
    if let Some(done) = cur {
        files.push(done.finish());
    }
    files
}

struct FileBuilder {
    header_paths: Option<(String, String)>,
    from: Option<String>,
    to: Option<String>,
    /// `--- ` path; `None` inside means `/dev/null`.
    minus: Option<Option<String>>,
    plus: Option<Option<String>>,
    status: Option<FileStatus>,
    old_mode: Option<String>,
    new_mode: Option<String>,
    binary: bool,
    seen_binary_data: bool,
    hunks: Vec<Hunk>,
    kept_lines: usize,
    truncated: bool,
    /// Line numbers of the next old/new line in the current hunk.
    next_old: u32,
    next_new: u32,
}

impl FileBuilder {
    fn new(header: &str) -> Self {
        FileBuilder {
            header_paths: split_header_paths(header),
            from: None,
            to: None,
            minus: None,
            plus: None,
            status: None,
            old_mode: None,
            new_mode: None,
            binary: false,
            seen_binary_data: false,
            hunks: Vec::new(),
            kept_lines: 0,
            truncated: false,
            next_old: 0,
            next_new: 0,
        }
    }

    fn start_hunk(&mut self, hunk: Hunk, max_lines: usize) {
        self.next_old = hunk.old_start;
        self.next_new = hunk.new_start;
        if self.kept_lines >= max_lines {
            self.truncated = true;
        } else {
            self.hunks.push(hunk);
        }
    }

    /// One line inside a hunk; `false` if it is not hunk content (the hunk ended early).
    fn content_line(&mut self, raw: &str, remaining: &mut (u32, u32), max_lines: usize) -> bool {
        let (kind, text) = match raw.as_bytes().first() {
            Some(b' ') => (LineKind::Context, &raw[1..]),
            Some(b'+') => (LineKind::Add, &raw[1..]),
            Some(b'-') => (LineKind::Delete, &raw[1..]),
            Some(b'\\') => {
                self.mark_no_newline();
                return true;
            }
            // An empty context line whose leading space was lost (some tools strip it).
            None => (LineKind::Context, ""),
            Some(_) => return false,
        };
        let (old_no, new_no) = match kind {
            LineKind::Context => {
                if remaining.0 == 0 || remaining.1 == 0 {
                    return false;
                }
                remaining.0 -= 1;
                remaining.1 -= 1;
                (Some(self.next_old), Some(self.next_new))
            }
            LineKind::Add => {
                if remaining.1 == 0 {
                    return false;
                }
                remaining.1 -= 1;
                (None, Some(self.next_new))
            }
            LineKind::Delete => {
                if remaining.0 == 0 {
                    return false;
                }
                remaining.0 -= 1;
                (Some(self.next_old), None)
            }
        };
        if old_no.is_some() {
            self.next_old = self.next_old.saturating_add(1);
        }
        if new_no.is_some() {
            self.next_new = self.next_new.saturating_add(1);
        }
        if self.kept_lines >= max_lines {
            self.truncated = true;
            return true;
        }
        if let Some(hunk) = self.hunks.last_mut() {
            hunk.lines.push(DiffLine {
                kind,
                old_no,
                new_no,
                text: text.strip_suffix('\r').unwrap_or(text).to_owned(),
                no_newline: false,
            });
            self.kept_lines += 1;
        }
        true
    }

    fn mark_no_newline(&mut self) {
        if self.truncated {
            return;
        }
        if let Some(line) = self.hunks.last_mut().and_then(|h| h.lines.last_mut()) {
            line.no_newline = true;
        }
    }

    fn finish(self) -> FileDiff {
        let (header_old, header_new) = self.header_paths.unwrap_or_default();
        let old = self
            .from
            .or_else(|| self.minus.clone().flatten())
            .unwrap_or(header_old);
        let new = self
            .to
            .or_else(|| self.plus.clone().flatten())
            .unwrap_or(header_new);
        let status = self.status.unwrap_or_else(|| {
            if matches!(self.minus, Some(None)) {
                FileStatus::Added
            } else if matches!(self.plus, Some(None)) {
                FileStatus::Deleted
            } else if is_typechange(self.old_mode.as_deref(), self.new_mode.as_deref()) {
                FileStatus::Typechange
            } else {
                FileStatus::Modified
            }
        });
        let (path, old_path) = match status {
            FileStatus::Deleted => (old, None),
            FileStatus::Renamed | FileStatus::Copied => (new, Some(old)),
            _ => (new, None),
        };
        FileDiff {
            path,
            old_path,
            status,
            binary: self.binary,
            hunks: self.hunks,
            truncated: self.truncated,
        }
    }
}

fn is_typechange(old: Option<&str>, new: Option<&str>) -> bool {
    let kind = |mode: &str| mode.trim_start_matches('0').get(..2).map(str::to_owned);
    match (old, new) {
        (Some(a), Some(b)) => kind(a) != kind(b),
        _ => false,
    }
}

/// `@@ -1,3 +1,4 @@ fn x()` → a hunk with no lines yet.
fn parse_hunk_header(line: &str) -> Option<Hunk> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let range = |r: &str| -> Option<(u32, u32)> {
        match r.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (old_start, old_lines) = range(old)?;
    let (new_start, new_lines) = range(new)?;
    Some(Hunk {
        header: line.to_owned(),
        old_start,
        old_lines,
        new_start,
        new_lines,
        lines: Vec::new(),
    })
}

/// The path of a `---`/`+++` line: `None` for `/dev/null`, else unquoted without its prefix
/// (git appends a tab after an unquoted name that contains a space).
fn patch_path(text: &str, prefix: &str) -> Option<String> {
    if text == "/dev/null" || text == "/dev/null\t" {
        return None;
    }
    let path = if text.starts_with('"') {
        unquote(text)
    } else {
        text.strip_suffix('\t').unwrap_or(text).to_owned()
    };
    Some(path.strip_prefix(prefix).map(str::to_owned).unwrap_or(path))
}

/// `a/x b/y` of a `diff --git` line, either side possibly quoted. Unquoted names with spaces
/// are ambiguous unless both sides are equal; then the line is split in the middle.
fn split_header_paths(header: &str) -> Option<(String, String)> {
    let strip = |p: String, prefix: &str| p.strip_prefix(prefix).map(str::to_owned).unwrap_or(p);
    if header.starts_with('"') {
        let (old, rest) = take_quoted(header)?;
        let rest = rest.strip_prefix(' ')?;
        let new = if rest.starts_with('"') {
            take_quoted(rest)?.0
        } else {
            rest.to_owned()
        };
        return Some((strip(old, "a/"), strip(new, "b/")));
    }
    if let Some(at) = header.find(" \"") {
        let new = take_quoted(&header[at + 1..])?.0;
        return Some((strip(header[..at].to_owned(), "a/"), strip(new, "b/")));
    }
    let len = header.len();
    if len >= 5 && len % 2 == 1 {
        let p = (len - 5) / 2;
        if header.is_char_boundary(2 + p)
            && header.get(..2) == Some("a/")
            && header.get(2 + p..2 + p + 3) == Some(" b/")
            && header.get(2..2 + p) == header.get(2 + p + 3..)
        {
            let path = header[2..2 + p].to_owned();
            return Some((path.clone(), path));
        }
    }
    let (old, new) = header.split_once(" b/")?;
    Some((strip(old.to_owned(), "a/"), new.to_owned()))
}

/// A C-style quoted string at the start of `text` and what follows it.
fn take_quoted(text: &str) -> Option<(String, &str)> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), &text[i + 1..])),
            b'\\' => {
                let c = *bytes.get(i + 1)?;
                i += 2;
                match c {
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b't' => out.push(b'\t'),
                    b'n' => out.push(b'\n'),
                    b'v' => out.push(11),
                    b'f' => out.push(12),
                    b'r' => out.push(b'\r'),
                    b'0'..=b'3' => {
                        let digits = bytes.get(i - 1..i + 2)?;
                        let mut value = 0u32;
                        for d in digits {
                            if !(b'0'..=b'7').contains(d) {
                                return None;
                            }
                            value = value * 8 + u32::from(d - b'0');
                        }
                        out.push(u8::try_from(value).ok()?);
                        i += 2;
                    }
                    other => out.push(other),
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

/// A path as git prints it: C-quoted when it starts with `"`, else as is.
pub(crate) fn unquote(text: &str) -> String {
    if text.starts_with('"') {
        if let Some((s, _)) = take_quoted(text) {
            return s;
        }
    }
    text.to_owned()
}

/// Parses `git diff --raw --numstat -z` (both sections, in any order): one [`FileStat`] per
/// raw record, with the counts of the numstat record of the same path. Keeps at most
/// [`MAX_FILES`].
pub fn parse_raw_numstat(output: &str) -> Vec<FileStat> {
    let mut stats: Vec<FileStat> = Vec::new();
    let mut counts: Vec<(String, Option<(u32, u32)>)> = Vec::new();
    let mut tokens = output.split('\0');
    while let Some(token) = tokens.next() {
        let token = token.trim_start_matches('\n');
        if token.is_empty() {
            continue;
        }
        if let Some(raw) = token.strip_prefix(':') {
            let letter = raw.rsplit(' ').next().and_then(|s| s.chars().next());
            let Some(first) = tokens.next() else { break };
            let (path, old_path, status) = match letter {
                Some('R') | Some('C') => {
                    let Some(second) = tokens.next() else { break };
                    let status = if letter == Some('R') {
                        FileStatus::Renamed
                    } else {
                        FileStatus::Copied
                    };
                    (second.to_owned(), Some(first.to_owned()), status)
                }
                Some('A') => (first.to_owned(), None, FileStatus::Added),
                Some('D') => (first.to_owned(), None, FileStatus::Deleted),
                Some('T') => (first.to_owned(), None, FileStatus::Typechange),
                _ => (first.to_owned(), None, FileStatus::Modified),
            };
            if stats.len() < MAX_FILES {
                stats.push(FileStat {
                    path,
                    old_path,
                    status,
                    additions: 0,
                    deletions: 0,
                    binary: false,
                });
            }
        } else {
            let mut fields = token.splitn(3, '\t');
            let (Some(add), Some(del), Some(path)) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let path = if path.is_empty() {
                // A rename: `old\0new\0` follow.
                let _old = tokens.next();
                match tokens.next() {
                    Some(new) => new.to_owned(),
                    None => break,
                }
            } else {
                path.to_owned()
            };
            let parsed = match (add.parse::<u32>(), del.parse::<u32>()) {
                (Ok(a), Ok(d)) => Some((a, d)),
                _ => None, // `-	-`: binary
            };
            if counts.len() < MAX_FILES {
                counts.push((path, parsed));
            }
        }
    }
    // Match numstat records to raw records by path, in order (a typechange can list a path
    // twice).
    let mut used = vec![false; counts.len()];
    for stat in &mut stats {
        if let Some(i) = (0..counts.len()).find(|&i| !used[i] && counts[i].0 == stat.path) {
            used[i] = true;
            match counts[i].1 {
                Some((a, d)) => {
                    stat.additions = a;
                    stat.deletions = d;
                }
                None => stat.binary = true,
            }
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_file_with_line_numbers() {
        let patch = [
            "diff --git a/src/lib.rs b/src/lib.rs",
            "index 1111111..2222222 100644",
            "--- a/src/lib.rs",
            "+++ b/src/lib.rs",
            "@@ -1,3 +1,4 @@ fn main()",
            " one",
            "-two",
            "+deux",
            "+zwei",
            " three",
            "",
        ]
        .join("\n");
        let patch = patch.as_str();
        let files = parse_patch(patch, 100);
        assert_eq!(files.len(), 1);
        let f = &files[0];
        assert_eq!(f.path, "src/lib.rs");
        assert_eq!(f.status, FileStatus::Modified);
        assert_eq!(f.hunks.len(), 1);
        let h = &f.hunks[0];
        assert_eq!(
            (h.old_start, h.old_lines, h.new_start, h.new_lines),
            (1, 3, 1, 4)
        );
        assert_eq!(h.header, "@@ -1,3 +1,4 @@ fn main()");
        let got: Vec<(LineKind, Option<u32>, Option<u32>, &str)> = h
            .lines
            .iter()
            .map(|l| (l.kind, l.old_no, l.new_no, l.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (LineKind::Context, Some(1), Some(1), "one"),
                (LineKind::Delete, Some(2), None, "two"),
                (LineKind::Add, None, Some(2), "deux"),
                (LineKind::Add, None, Some(3), "zwei"),
                (LineKind::Context, Some(3), Some(4), "three"),
            ]
        );
        assert!(!f.truncated);
    }

    #[test]
    fn table() {
        struct Case {
            name: &'static str,
            patch: &'static str,
            want: Vec<(&'static str, Option<&'static str>, FileStatus, bool, usize)>,
        }
        let cases = vec![
            Case {
                name: "new and deleted files",
                patch: "diff --git a/new.txt b/new.txt\nnew file mode 100644\nindex 0000000..e69de29\n--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hello\n\
diff --git a/old.txt b/old.txt\ndeleted file mode 100644\nindex e69de29..0000000\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n",
                want: vec![
                    ("new.txt", None, FileStatus::Added, false, 1),
                    ("old.txt", None, FileStatus::Deleted, false, 1),
                ],
            },
            Case {
                name: "pure rename with spaces (unquoted), then a rename with changes",
                patch: "diff --git a/f 2.txt b/g 2.txt\nsimilarity index 100%\nrename from f 2.txt\nrename to g 2.txt\n\
diff --git a/a.rs b/b.rs\nsimilarity index 90%\nrename from a.rs\nrename to b.rs\nindex 1..2 100644\n--- a/a.rs\n+++ b/b.rs\n@@ -1 +1 @@\n-x\n+y\n",
                want: vec![
                    ("g 2.txt", Some("f 2.txt"), FileStatus::Renamed, false, 0),
                    ("b.rs", Some("a.rs"), FileStatus::Renamed, false, 2),
                ],
            },
            Case {
                name: "copy",
                patch: "diff --git a/a b/c\nsimilarity index 100%\ncopy from a\ncopy to c\n",
                want: vec![("c", Some("a"), FileStatus::Copied, false, 0)],
            },
            Case {
                name: "binary, both forms",
                patch: "diff --git a/img.png b/img.png\nindex 1..2 100644\nBinary files a/img.png and b/img.png differ\n\
diff --git a/x.bin b/x.bin\nnew file mode 100644\nindex 0000000..1\nGIT binary patch\nliteral 5\nMcmZQzWMT#Y00XK3\n\nliteral 0\nHcmV?d00001\n\n\
diff --git a/after.txt b/after.txt\nindex 1..2 100644\n--- a/after.txt\n+++ b/after.txt\n@@ -1 +1 @@\n-a\n+b\n",
                want: vec![
                    ("img.png", None, FileStatus::Modified, true, 0),
                    ("x.bin", None, FileStatus::Added, true, 0),
                    ("after.txt", None, FileStatus::Modified, false, 2),
                ],
            },
            Case {
                name: "mode change only, and a typechange",
                patch: "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n\
diff --git a/link b/link\nold mode 100644\nnew mode 120000\nindex 1..2\n--- a/link\n+++ b/link\n@@ -1 +1 @@\n-text\n+target\n\\ No newline at end of file\n",
                want: vec![
                    ("run.sh", None, FileStatus::Modified, false, 0),
                    ("link", None, FileStatus::Typechange, false, 2),
                ],
            },
            Case {
                name: "quoted paths: spaces with a tab suffix, unicode, escapes",
                patch: "diff --git a/f 1.txt b/f 1.txt\nindex 1..2 100644\n--- a/f 1.txt\t\n+++ b/f 1.txt\t\n@@ -1 +1 @@\n-a\n+b\n\
diff --git \"a/caf\\303\\251.txt\" \"b/caf\\303\\251.txt\"\nindex 1..2 100644\n--- \"a/caf\\303\\251.txt\"\n+++ \"b/caf\\303\\251.txt\"\n@@ -1 +1 @@\n-a\n+b\n\
diff --git \"a/tab\\there\" \"b/quote\\\"d\"\nsimilarity index 100%\nrename from \"tab\\there\"\nrename to \"quote\\\"d\"\n",
                want: vec![
                    ("f 1.txt", None, FileStatus::Modified, false, 2),
                    ("café.txt", None, FileStatus::Modified, false, 2),
                    ("quote\"d", Some("tab\there"), FileStatus::Renamed, false, 0),
                ],
            },
            Case {
                name: "a deleted line that looks like a header",
                patch: "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n--- a/y\n-diff --git a/z b/z\n+ok\n",
                want: vec![("x", None, FileStatus::Modified, false, 3)],
            },
            Case {
                name: "junk",
                patch: "hello\n@@ nonsense\n\0\u{1b}[31m",
                want: vec![],
            },
        ];
        for case in cases {
            let got: Vec<_> = parse_patch(case.patch, 1000)
                .into_iter()
                .map(|f| {
                    let lines = f.hunks.iter().map(|h| h.lines.len()).sum::<usize>();
                    (f.path, f.old_path, f.status, f.binary, lines)
                })
                .collect();
            let want: Vec<_> = case
                .want
                .iter()
                .map(|(p, o, s, b, n)| (p.to_string(), o.map(str::to_owned), *s, *b, *n))
                .collect();
            assert_eq!(got, want, "{}", case.name);
        }
    }

    #[test]
    fn no_newline_marks_the_line_before() {
        let patch = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n";
        let f = &parse_patch(patch, 100)[0];
        let marks: Vec<bool> = f.hunks[0].lines.iter().map(|l| l.no_newline).collect();
        assert_eq!(marks, vec![true, true]);
    }

    #[test]
    fn truncates_per_file() {
        let mut patch = String::from("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,0 +1,10 @@\n");
        for i in 0..10 {
            patch.push_str(&format!("+{i}\n"));
        }
        patch.push_str("@@ -20 +30 @@\n-a\n+b\n");
        patch.push_str("diff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n");
        let files = parse_patch(&patch, 4);
        assert_eq!(files.len(), 2);
        assert!(files[0].truncated);
        assert_eq!(files[0].hunks.len(), 1);
        assert_eq!(files[0].hunks[0].lines.len(), 4);
        assert!(!files[1].truncated);
        assert_eq!(files[1].hunks[0].lines.len(), 2);
    }

    #[test]
    fn raw_numstat() {
        let out = ":100644 100644 aaa bbb M\0src/a.rs\0\
:000000 100644 000 ccc A\0bin.dat\0\
:100644 000000 ddd 000 D\0gone.txt\0\
:100644 100644 eee fff R087\0old name.txt\0new name.txt\0\
:100644 120000 1 2 T\0link\0\
3\t1\tsrc/a.rs\0-\t-\tbin.dat\0\
0\t4\tgone.txt\0\
1\t1\t\0old name.txt\0new name.txt\0\
1\t1\tlink\0";
        let got = parse_raw_numstat(out);
        let want = vec![
            FileStat {
                path: "src/a.rs".into(),
                old_path: None,
                status: FileStatus::Modified,
                additions: 3,
                deletions: 1,
                binary: false,
            },
            FileStat {
                path: "bin.dat".into(),
                old_path: None,
                status: FileStatus::Added,
                additions: 0,
                deletions: 0,
                binary: true,
            },
            FileStat {
                path: "gone.txt".into(),
                old_path: None,
                status: FileStatus::Deleted,
                additions: 0,
                deletions: 4,
                binary: false,
            },
            FileStat {
                path: "new name.txt".into(),
                old_path: Some("old name.txt".into()),
                status: FileStatus::Renamed,
                additions: 1,
                deletions: 1,
                binary: false,
            },
            FileStat {
                path: "link".into(),
                old_path: None,
                status: FileStatus::Typechange,
                additions: 1,
                deletions: 1,
                binary: false,
            },
        ];
        assert_eq!(got, want);
        // Truncated and junk input never panics.
        for cut in 0..out.len() {
            if out.is_char_boundary(cut) {
                let _ = parse_raw_numstat(&out[..cut]);
            }
        }
        assert!(parse_raw_numstat("garbage\0:x\0").len() <= 1);
    }

    #[test]
    fn serde_shapes() {
        let line = DiffLine {
            kind: LineKind::Add,
            old_no: None,
            new_no: Some(3),
            text: "x".into(),
            no_newline: false,
        };
        assert_eq!(
            serde_json::to_value(&line).unwrap(),
            serde_json::json!({"kind": "add", "oldNo": null, "newNo": 3, "text": "x"})
        );
        assert_eq!(
            serde_json::to_value(FileStatus::Typechange).unwrap(),
            "typechange"
        );
    }

    #[test]
    fn parser_survives_every_prefix() {
        let patch = "diff --git \"a/caf\\303\\251\" \"b/caf\\303\\251\"\n--- \"a/caf\\303\\251\"\n+++ \"b/caf\\303\\251\"\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n";
        for cut in 0..patch.len() {
            let _ = parse_patch(&patch[..cut], 10);
        }
    }
}
