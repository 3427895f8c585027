//! asciicast v2 recordings: a JSON header line, then `[seconds, code, data]` events.
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Duration;

use crate::utf8::Utf8Stream;

pub struct Recording {
    out: BufWriter<File>,
    text: Utf8Stream,
    failed: bool,
}

pub struct Header<'a> {
    pub cols: u16,
    pub rows: u16,
    pub unix_time: u64,
    pub command: &'a str,
    pub title: &'a str,
}

impl Recording {
    /// Creates (or appends to, after a restart of the same terminal) the recording at `path`.
    pub fn open(path: &Path, header: &Header<'_>) -> io::Result<Self> {
        let exists = path.exists() && std::fs::metadata(path)?.len() > 0;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let mut out = BufWriter::with_capacity(64 * 1024, file);
        if !exists {
            let line = serde_json::json!({
                "version": 2,
                "width": header.cols,
                "height": header.rows,
                "timestamp": header.unix_time,
                "command": header.command,
                "title": header.title,
                "env": {"TERM": "xterm-256color"},
            });
            writeln!(out, "{line}")?;
        }
        Ok(Self {
            out,
            text: Utf8Stream::default(),
            failed: false,
        })
    }

    pub fn output(&mut self, at: Duration, bytes: &[u8]) {
        let text = self.text.decode(bytes);
        if !text.is_empty() {
            self.event(at, "o", &text);
        }
    }

    pub fn resize(&mut self, at: Duration, cols: u16, rows: u16) {
        self.event(at, "r", &format!("{cols}x{rows}"));
    }

    pub fn marker(&mut self, at: Duration, label: &str) {
        self.event(at, "m", label);
    }

    fn event(&mut self, at: Duration, code: &str, data: &str) {
        if self.failed {
            return;
        }
        let line = serde_json::to_string(&(at.as_secs_f64(), code, data)).unwrap_or_default();
        if let Err(e) = writeln!(self.out, "{line}") {
            tracing::warn!(error = %e, "recording write failed; recording stops");
            self.failed = true;
        }
    }

    pub fn flush(&mut self) {
        if !self.failed {
            if let Err(e) = self.out.flush() {
                tracing::warn!(error = %e, "recording flush failed");
                self.failed = true;
            }
        }
    }
}
