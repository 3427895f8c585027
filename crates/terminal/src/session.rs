//! A terminal session: the bounded byte buffer with offsets, the server-side screen, the
//! recording, and the control channel to whatever runs the process.
//!
//! Producers (a PTY runner, or later a link to an in-sandbox agent) push output, resizes and exits;
//! consumers ([`crate::Viewer`]) read from any offset still buffered or take a [`Snapshot`]. The
//! screen emulator runs in its own task behind the buffer, so a flood is parsed on another core
//! while the producer keeps reading; the buffer never drops bytes the screen has not parsed.
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, watch, Notify};

use crate::modes::ModeTracker;
use crate::recording::{Header, Recording};
use crate::utf8::Utf8Stream;

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ExitStatus {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

/// Whether a process runs in the session now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessState {
    Starting,
    Running,
    Exited(ExitStatus),
}

/// Requests from viewers to the producer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    Input(Bytes),
    Resize { cols: u16, rows: u16 },
    Interrupt,
    Kill,
    Restart,
    Close,
}

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Bytes of output kept for byte-exact replay.
    pub buffer_bytes: usize,
    pub cols: u16,
    pub rows: u16,
    pub recording: Option<PathBuf>,
    /// Shown in the recording header.
    pub command: String,
    pub title: String,
    /// Flow control towards the process; `None` for mirrors (their producer is a link that
    /// must never wait for one viewer).
    pub backpressure: Option<Backpressure>,
}

/// When the slowest live viewer is more than `threshold` bytes behind, the producer waits up to
/// `max_stall` per chunk for it: a viewer that keeps up slows a flood to its pace (like a real
/// terminal), while a stuck one costs at most `max_stall` per chunk until it falls far enough
/// behind to be skipped to a snapshot and ignored. A slow viewer never blocks the process.
#[derive(Debug, Clone, Copy)]
pub struct Backpressure {
    pub threshold: u64,
    pub max_stall: Duration,
}

impl Default for Backpressure {
    fn default() -> Self {
        Self {
            threshold: 1024 * 1024,
            max_stall: Duration::from_millis(100),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            buffer_bytes: 4 * 1024 * 1024,
            cols: 80,
            rows: 24,
            recording: None,
            command: String::new(),
            title: String::new(),
            backpressure: Some(Backpressure::default()),
        }
    }
}

/// A point-in-time view of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    pub cols: u16,
    pub rows: u16,
    pub start: u64,
    pub end: u64,
    pub state: ProcessState,
    /// Increments each time a process exits; viewers report each exit once.
    pub exits: u32,
    /// The latest exit and the output offset at which it happened.
    pub last_exit: Option<(ExitStatus, u64)>,
    pub closed: bool,
}

/// The screen as of `offset`: an escape-sequence stream that repaints it in a reset terminal.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub offset: u64,
    pub cols: u16,
    pub rows: u16,
    pub data: Vec<u8>,
}

/// Result of reading buffered output.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// Contiguous bytes starting at the requested offset.
    Data(Vec<Bytes>),
    /// Nothing new yet.
    Empty,
    /// The offset is no longer (or never was) in the buffer: take a snapshot.
    Gap,
}

#[derive(Debug)]
enum Kind {
    Output(Bytes),
    Resize(u16, u16),
    Marker(String),
}

#[derive(Debug)]
struct Entry {
    offset: u64,
    at: Duration,
    kind: Kind,
}

impl Entry {
    fn len(&self) -> u64 {
        match &self.kind {
            Kind::Output(b) => b.len() as u64,
            _ => 0,
        }
    }
}

struct Ring {
    entries: VecDeque<Entry>,
    /// Absolute index of `entries[0]`.
    first_index: u64,
    /// Entries with an absolute index below this have been parsed into the screen.
    parsed_index: u64,
    start: u64,
    end: u64,
    bytes: usize,
    cap: usize,
    cols: u16,
    rows: u16,
    state: ProcessState,
    exits: u32,
    last_exit: Option<(ExitStatus, u64)>,
    closed: bool,
}

impl Ring {
    fn push(&mut self, at: Duration, kind: Kind) {
        let offset = self.end;
        if let Kind::Output(b) = &kind {
            self.end += b.len() as u64;
            self.bytes += b.len();
        }
        self.entries.push_back(Entry { offset, at, kind });
        self.evict();
    }

    /// Drops the oldest entries above capacity, but never one the screen has not parsed.
    fn evict(&mut self) {
        while self.bytes > self.cap && self.first_index < self.parsed_index {
            let Some(e) = self.entries.pop_front() else {
                break;
            };
            self.first_index += 1;
            let len = e.len();
            self.bytes -= len as usize;
            self.start = e.offset + len;
        }
    }

    fn over_capacity(&self) -> bool {
        self.bytes > self.cap.saturating_mul(2)
    }

    fn info(&self) -> Info {
        Info {
            cols: self.cols,
            rows: self.rows,
            start: self.start,
            end: self.end,
            state: self.state,
            exits: self.exits,
            last_exit: self.last_exit,
            closed: self.closed,
        }
    }

    fn read(&self, from: u64, max: usize) -> Read {
        if from < self.start || from > self.end {
            return Read::Gap;
        }
        if from == self.end {
            return Read::Empty;
        }
        let first = self.entries.partition_point(|e| e.offset + e.len() <= from);
        let mut out = Vec::new();
        let mut taken = 0usize;
        for e in self.entries.range(first..) {
            let Kind::Output(b) = &e.kind else { continue };
            let skip = from.saturating_sub(e.offset) as usize;
            let skip = skip.min(b.len());
            let room = max - taken;
            let piece = b.slice(skip..b.len().min(skip + room));
            taken += piece.len();
            if !piece.is_empty() {
                out.push(piece);
            }
            if taken >= max {
                break;
            }
        }
        Read::Data(out)
    }

    /// Entries not yet parsed, handed to the screen (cheap clones of `Bytes`).
    /// Up to about `budget` bytes of entries not yet parsed (cheap clones of `Bytes`), the
    /// offset after them, and whether more remain.
    fn unparsed(&self, budget: usize) -> (u64, Vec<(Duration, Kind)>, bool) {
        let skip = (self.parsed_index - self.first_index) as usize;
        let mut items = Vec::new();
        let mut taken = 0usize;
        let mut end = self.entries.get(skip).map(|e| e.offset).unwrap_or(self.end);
        for e in self.entries.range(skip..) {
            if taken >= budget {
                return (end, items, true);
            }
            let kind = match &e.kind {
                Kind::Output(b) => Kind::Output(b.clone()),
                Kind::Resize(c, r) => Kind::Resize(*c, *r),
                Kind::Marker(m) => Kind::Marker(m.clone()),
            };
            taken += e.len() as usize;
            end = e.offset + e.len();
            items.push((e.at, kind));
        }
        (end, items, false)
    }
}

struct Screen {
    vt: avt::Terminal,
    text: Utf8Stream,
    pending_raw: Vec<u8>,
    modes: ModeTracker,
    recording: Option<Recording>,
    /// Offset just after the last byte parsed.
    offset: u64,
    /// Bytes below this offset are already part of the screen (a mirror seeded by a snapshot).
    skip_until: u64,
}

impl Screen {
    fn apply(&mut self, at: Duration, kind: &Kind) {
        match kind {
            Kind::Output(b) if self.offset + b.len() as u64 <= self.skip_until => {
                self.offset += b.len() as u64;
            }
            Kind::Output(b) => {
                let b = &b[self.skip_until.saturating_sub(self.offset) as usize..];
                let text = self.text.decode(b);
                self.vt.feed(text.as_str());
                self.modes.feed(b);
                // Keep the raw tail of an unfinished UTF-8 sequence for snapshots.
                self.pending_raw = incomplete_tail(b);
                self.offset += b.len() as u64;
                if let Some(r) = &mut self.recording {
                    r.output(at, b);
                }
            }
            Kind::Resize(c, r) => {
                self.vt.resize(usize::from(*c), usize::from(*r));
                if let Some(rec) = &mut self.recording {
                    rec.resize(at, *c, *r);
                }
            }
            Kind::Marker(m) => {
                if let Some(rec) = &mut self.recording {
                    rec.marker(at, m);
                }
            }
        }
    }
}

/// Removes the blank padding `avt` writes to the end of every row (` ESC[<n>b`, "repeat the
/// space"), where the background is the default: a client would otherwise hold real trailing
/// spaces (copied text, and rows that re-wrap when the window narrows).
fn trim_padding(dump: &str) -> String {
    let mut out = String::with_capacity(dump.len());
    let mut bg_set = false;
    let mut rest = dump;
    while let Some(i) = rest.find('\x1b') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest[1..]
            .find(|c: char| c.is_ascii_alphabetic())
            .map(|e| e + 2)
        else {
            break;
        };
        let seq = &rest[..end];
        if let Some(params) = seq.strip_prefix("\x1b[").and_then(|p| p.strip_suffix('m')) {
            let mut it = params.split(';');
            while let Some(p) = it.next() {
                match p.parse::<u16>().unwrap_or(0) {
                    0 | 49 => bg_set = false,
                    40..=47 | 100..=107 => bg_set = true,
                    48 => {
                        bg_set = true;
                        let skip = if it.next() == Some("5") { 1 } else { 3 };
                        it.nth(skip - 1);
                    }
                    38 => {
                        let skip = if it.next() == Some("5") { 1 } else { 3 };
                        it.nth(skip - 1);
                    }
                    _ => {}
                }
            }
        }
        let is_rep = seq.starts_with("\x1b[")
            && seq.ends_with('b')
            && seq[2..seq.len() - 1].bytes().all(|b| b.is_ascii_digit());
        let at_row_end = rest[end..].starts_with("\r\n")
            || rest[end..].starts_with('\x1b')
            || rest[end..].is_empty();
        if is_rep && at_row_end && !bg_set && out.ends_with(' ') {
            out.pop();
            while out.ends_with(' ') {
                out.pop();
            }
        } else {
            out.push_str(seq);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The bytes of an incomplete UTF-8 sequence at the end of `b`, if any.
fn incomplete_tail(b: &[u8]) -> Vec<u8> {
    let n = b.len();
    for back in 1..=3.min(n) {
        let byte = b[n - back];
        if byte & 0xC0 != 0x80 {
            let need = match byte {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => return Vec::new(),
            };
            return if need > back {
                b[n - back..].to_vec()
            } else {
                Vec::new()
            };
        }
    }
    Vec::new()
}

struct Shared {
    ring: Mutex<Ring>,
    /// Each live viewer's cursor (for backpressure); dead entries are pruned as found.
    viewers: Mutex<Vec<Weak<AtomicU64>>>,
    progress: Notify,
    backpressure: Option<Backpressure>,
    screen: Mutex<Screen>,
    version: watch::Sender<u64>,
    space: Notify,
    control: mpsc::Sender<Control>,
    epoch: Instant,
}

/// A terminal session; clones share it.
#[derive(Clone)]
pub struct Session {
    shared: Arc<Shared>,
}

/// A viewer's registered cursor. Updating it wakes a producer waiting for viewers.
pub struct ViewerSlot {
    cursor: Arc<AtomicU64>,
    session: Weak<Shared>,
}

impl ViewerSlot {
    pub fn set(&self, cursor: u64) {
        self.cursor.store(cursor, Ordering::Relaxed);
        if let Some(s) = self.session.upgrade() {
            s.progress.notify_waiters();
        }
    }
}

impl Drop for ViewerSlot {
    fn drop(&mut self) {
        if let Some(s) = self.session.upgrade() {
            // Let a producer waiting for this viewer re-check without it.
            self.cursor.store(u64::MAX, Ordering::Relaxed);
            s.progress.notify_waiters();
        }
    }
}

/// The producer's end: control requests arrive here.
pub struct Driver {
    pub session: Session,
    pub control: mpsc::Receiver<Control>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("invalid terminal size {cols}x{rows}")]
    InvalidSize { cols: u16, rows: u16 },
    #[error("the terminal is closed")]
    Closed,
    #[error("the terminal is busy; input dropped")]
    Backpressure,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Session {
    /// Creates a session and its screen task. Call from within a Tokio runtime.
    pub fn start(cfg: SessionConfig) -> Result<Driver, SessionError> {
        let vt =
            avt::Terminal::new(usize::from(cfg.cols), usize::from(cfg.rows)).map_err(|_| {
                SessionError::InvalidSize {
                    cols: cfg.cols,
                    rows: cfg.rows,
                }
            })?;
        let recording = cfg.recording.as_ref().and_then(|path| {
            let unix_time = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let header = Header {
                cols: cfg.cols,
                rows: cfg.rows,
                unix_time,
                command: &cfg.command,
                title: &cfg.title,
            };
            Recording::open(path, &header)
                .map_err(|e| tracing::warn!(error = %e, path = %path.display(), "cannot record"))
                .ok()
        });
        let (control_tx, control_rx) = mpsc::channel(256);
        let shared = Arc::new(Shared {
            ring: Mutex::new(Ring {
                entries: VecDeque::new(),
                first_index: 0,
                parsed_index: 0,
                start: 0,
                end: 0,
                bytes: 0,
                cap: cfg.buffer_bytes.max(1024),
                cols: cfg.cols,
                rows: cfg.rows,
                state: ProcessState::Starting,
                exits: 0,
                last_exit: None,
                closed: false,
            }),
            screen: Mutex::new(Screen {
                vt,
                text: Utf8Stream::default(),
                pending_raw: Vec::new(),
                modes: ModeTracker::default(),
                recording,
                offset: 0,
                skip_until: 0,
            }),
            version: watch::channel(0).0,
            space: Notify::new(),
            viewers: Mutex::new(Vec::new()),
            progress: Notify::new(),
            backpressure: cfg.backpressure,
            control: control_tx,
            epoch: Instant::now(),
        });
        let session = Session { shared };
        tokio::spawn(screen_task(session.clone()));
        Ok(Driver {
            session,
            control: control_rx,
        })
    }

    pub fn info(&self) -> Info {
        lock(&self.shared.ring).info()
    }

    /// Reads up to `max` bytes of output starting at `from`.
    pub fn read(&self, from: u64, max: usize) -> Read {
        lock(&self.shared.ring).read(from, max)
    }

    /// A receiver that changes whenever output, size or state changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.version.subscribe()
    }

    /// The screen as of the newest output: the emulator catches up first, atomically.
    pub fn snapshot(&self) -> Snapshot {
        let mut screen = lock(&self.shared.screen);
        // A seeded mirror's screen may be ahead of the bytes that arrived so far.
        let end = self.catch_up(&mut screen).max(screen.skip_until);
        let (cols, rows) = screen.vt.size();
        let mut data = trim_padding(&screen.vt.dump()).into_bytes();
        data.extend_from_slice(screen.modes.restore_sequence().as_bytes());
        data.extend_from_slice(&screen.pending_raw);
        Snapshot {
            offset: end,
            cols: cols as u16,
            rows: rows as u16,
            data,
        }
    }

    /// Plain text of the visible screen, one line per row (for tests and previews).
    pub fn screen_text(&self) -> Vec<String> {
        let mut screen = lock(&self.shared.screen);
        self.catch_up(&mut screen);
        screen
            .vt
            .screen()
            .visible_lines()
            .map(|l| l.text().trim_end().to_string())
            .collect()
    }

    /// Parses everything pushed so far; returns the offset the screen is now at.
    fn catch_up(&self, screen: &mut Screen) -> u64 {
        loop {
            let (end, more) = self.catch_up_batch(screen);
            if !more {
                return end;
            }
        }
    }

    /// Parses one bounded batch, so the ring lock is never held long and a flood is parsed in
    /// slices. Returns the offset after the batch and whether more remain.
    fn catch_up_batch(&self, screen: &mut Screen) -> (u64, bool) {
        const BATCH: usize = 256 * 1024;
        let (end, items, more) = {
            let ring = lock(&self.shared.ring);
            ring.unparsed(BATCH)
        };
        let n = items.len() as u64;
        for (at, kind) in &items {
            screen.apply(*at, kind);
        }
        if n > 0 {
            let mut ring = lock(&self.shared.ring);
            ring.parsed_index += n;
            ring.evict();
            drop(ring);
            self.shared.space.notify_waiters();
        }
        (end, more)
    }

    fn bump(&self) {
        self.shared.version.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn now(&self) -> Duration {
        self.shared.epoch.elapsed()
    }

    // ---- mirrors: a session fed by a remote producer that has its own buffer ----

    /// Makes this (empty) session mirror a remote one: its buffer starts at `start`, and the
    /// screen is `snapshot` as of `offset` (>= `start`). Bytes `[start, offset)` pushed next are
    /// kept for replay but not parsed again.
    pub fn seed(&self, start: u64, offset: u64, cols: u16, rows: u16, snapshot: &[u8]) {
        let mut screen = lock(&self.shared.screen);
        {
            let mut ring = lock(&self.shared.ring);
            ring.first_index += ring.entries.len() as u64;
            ring.parsed_index = ring.first_index;
            ring.entries.clear();
            ring.bytes = 0;
            ring.start = start;
            ring.end = start;
            ring.cols = cols;
            ring.rows = rows;
        }
        if let Ok(vt) = avt::Terminal::new(usize::from(cols.max(1)), usize::from(rows.max(1))) {
            screen.vt = vt;
        }
        screen.text = Utf8Stream::default();
        screen.modes = ModeTracker::default();
        screen.modes.feed(snapshot);
        let text = screen.text.decode(snapshot);
        screen.vt.feed(text.as_str());
        screen.pending_raw.clear();
        screen.offset = start;
        screen.skip_until = offset;
        drop(screen);
        self.shared.space.notify_waiters();
        self.bump();
    }

    /// Appends remote output that starts at `offset`: overlap with what is here is dropped.
    /// Returns false on a gap (bytes missing before `offset`); the caller re-seeds.
    pub async fn push_output_at(&self, offset: u64, bytes: Bytes) -> bool {
        let end = self.info().end;
        if offset > end {
            return false;
        }
        let skip = (end - offset) as usize;
        if skip < bytes.len() {
            self.push_output(bytes.slice(skip..)).await;
        }
        true
    }

    pub fn set_state(&self, state: ProcessState) {
        lock(&self.shared.ring).state = state;
        self.bump();
    }

    // ---- producer side ----

    /// Registers a viewer's cursor for backpressure; the slot unregisters when dropped.
    pub fn register_viewer(&self, cursor: u64) -> ViewerSlot {
        let c = Arc::new(AtomicU64::new(cursor));
        lock(&self.shared.viewers).push(Arc::downgrade(&c));
        ViewerSlot {
            cursor: c,
            session: Arc::downgrade(&self.shared),
        }
    }

    /// The slowest viewer still close enough to matter, as bytes behind `end`.
    fn slowest_lag(&self, end: u64, ignore_beyond: u64) -> u64 {
        let mut viewers = lock(&self.shared.viewers);
        viewers.retain(|w| w.strong_count() > 0);
        viewers
            .iter()
            .filter_map(|w| w.upgrade())
            .map(|c| end.saturating_sub(c.load(Ordering::Relaxed)))
            .filter(|lag| *lag <= ignore_beyond)
            .max()
            .unwrap_or(0)
    }

    /// Appends output. Waits while the screen emulator is far behind (bounded memory), and for
    /// a bounded time while a live viewer is behind (see [`Backpressure`]).
    pub async fn push_output(&self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        if let Some(bp) = self.shared.backpressure {
            let deadline = Instant::now() + bp.max_stall;
            loop {
                let progressed = self.shared.progress.notified();
                let end = self.info().end;
                if self.slowest_lag(end, bp.threshold * 2) <= bp.threshold {
                    break;
                }
                if tokio::time::timeout_at(deadline.into(), progressed)
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
        loop {
            let notified = self.shared.space.notified();
            {
                let mut ring = lock(&self.shared.ring);
                if !ring.over_capacity() {
                    let at = self.now();
                    ring.push(at, Kind::Output(bytes));
                    break;
                }
            }
            self.bump();
            notified.await;
        }
        self.bump();
    }

    pub fn push_resize(&self, cols: u16, rows: u16) {
        {
            let mut ring = lock(&self.shared.ring);
            if ring.cols == cols && ring.rows == rows {
                return;
            }
            ring.cols = cols;
            ring.rows = rows;
            let at = self.now();
            ring.push(at, Kind::Resize(cols, rows));
        }
        self.bump();
    }

    pub fn push_marker(&self, label: impl Into<String>) {
        let at = self.now();
        lock(&self.shared.ring).push(at, Kind::Marker(label.into()));
        self.bump();
    }

    pub fn set_running(&self) {
        lock(&self.shared.ring).state = ProcessState::Running;
        self.bump();
    }

    /// Records the end of the process; call after the last output byte was pushed.
    pub fn push_exit(&self, status: ExitStatus) {
        {
            let mut ring = lock(&self.shared.ring);
            ring.state = ProcessState::Exited(status);
            ring.exits += 1;
            ring.last_exit = Some((status, ring.end));
        }
        self.push_marker(match (status.code, status.signal) {
            (Some(c), _) => format!("exit {c}"),
            (None, Some(s)) => format!("exit signal {s}"),
            _ => "exit".to_string(),
        });
    }

    /// Marks the session closed: viewers end, the screen task flushes the recording and stops.
    pub fn close(&self) {
        lock(&self.shared.ring).closed = true;
        self.flush();
        self.bump();
    }

    /// Parses everything pushed so far and flushes the recording to disk.
    pub fn flush(&self) {
        let mut screen = lock(&self.shared.screen);
        self.catch_up(&mut screen);
        if let Some(r) = &mut screen.recording {
            r.flush();
        }
    }

    // ---- viewer side ----

    /// Sends a control request to the producer.
    pub async fn control(&self, c: Control) -> Result<(), SessionError> {
        self.shared
            .control
            .send(c)
            .await
            .map_err(|_| SessionError::Closed)
    }

    /// Sends input without waiting; a full queue drops it (the process is not reading).
    pub fn try_input(&self, data: Bytes) -> Result<(), SessionError> {
        self.shared
            .control
            .try_send(Control::Input(data))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => SessionError::Backpressure,
                mpsc::error::TrySendError::Closed(_) => SessionError::Closed,
            })
    }
}

/// Parses output into the screen and the recording as it arrives, on its own task.
async fn screen_task(session: Session) {
    let mut rx = session.subscribe();
    loop {
        // One bounded batch per lock hold; yield between batches so viewers and snapshots on
        // this worker are not starved by a flood.
        loop {
            let more = {
                let mut screen = lock(&session.shared.screen);
                session.catch_up_batch(&mut screen).1
            };
            if !more {
                break;
            }
            tokio::task::yield_now().await;
        }
        let closed = {
            let mut screen = lock(&session.shared.screen);
            if let Some(r) = &mut screen.recording {
                r.flush();
            }
            lock(&session.shared.ring).closed
        };
        if closed || rx.changed().await.is_err() {
            break;
        }
    }
    let mut screen = lock(&session.shared.screen);
    session.catch_up(&mut screen);
    if let Some(r) = &mut screen.recording {
        r.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concat(chunks: &[Bytes]) -> Vec<u8> {
        chunks.iter().flat_map(|b| b.iter().copied()).collect()
    }

    #[tokio::test]
    async fn reads_exact_ranges_by_offset() {
        let d = Session::start(SessionConfig::default()).unwrap();
        let s = d.session;
        s.push_output(Bytes::from_static(b"hello ")).await;
        s.push_resize(100, 30);
        s.push_output(Bytes::from_static(b"world")).await;
        let Read::Data(all) = s.read(0, 1 << 20) else {
            panic!("data")
        };
        assert_eq!(concat(&all), b"hello world");
        let Read::Data(mid) = s.read(3, 5) else {
            panic!("data")
        };
        assert_eq!(concat(&mid), b"lo wo");
        assert_eq!(s.read(11, 10), Read::Empty);
        assert_eq!(s.read(12, 10), Read::Gap);
        assert_eq!(s.info().cols, 100);
    }

    #[tokio::test]
    async fn evicts_old_output_beyond_capacity_and_reports_gap() {
        let d = Session::start(SessionConfig {
            buffer_bytes: 1024,
            ..Default::default()
        })
        .unwrap();
        let s = d.session;
        for i in 0..64u8 {
            s.push_output(Bytes::from(vec![b'a' + (i % 26); 100])).await;
            // The screen parses behind the buffer; a snapshot forces it to catch up.
            let _ = s.snapshot();
        }
        let info = s.info();
        assert_eq!(info.end, 6400);
        assert!(info.start > 0, "old bytes were evicted");
        assert!(info.end - info.start <= 1100, "buffer bounded: {:?}", info);
        assert_eq!(s.read(0, 10), Read::Gap);
        let Read::Data(tail) = s.read(6300, 100) else {
            panic!("data")
        };
        assert_eq!(concat(&tail), vec![b'a' + (63 % 26); 100]);
    }

    #[tokio::test]
    async fn snapshot_repaints_the_screen_including_alternate_screen_modes() {
        let d = Session::start(SessionConfig {
            cols: 20,
            rows: 5,
            ..Default::default()
        })
        .unwrap();
        let s = d.session;
        s.push_output(Bytes::from_static(b"line one\r\nline two\r\n\x1b[?2004h"))
            .await;
        let snap = s.snapshot();
        assert_eq!(snap.offset, s.info().end);
        // Replaying the snapshot into a fresh emulator shows the same screen.
        let mut vt = avt::Terminal::new(20, 5).unwrap();
        vt.feed(String::from_utf8_lossy(&snap.data).as_ref());
        let text: Vec<String> = vt
            .screen()
            .visible_lines()
            .map(|l| l.text().trim_end().to_string())
            .collect();
        assert_eq!(text[0], "line one");
        assert_eq!(text[1], "line two");
        assert!(String::from_utf8_lossy(&snap.data).contains("\x1b[?2004h"));
    }

    #[tokio::test]
    async fn records_asciicast_v2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cast");
        let d = Session::start(SessionConfig {
            recording: Some(path.clone()),
            command: "bash".into(),
            ..Default::default()
        })
        .unwrap();
        let s = d.session;
        s.push_output(Bytes::from_static(b"hi \xe2\x9c")).await;
        s.push_output(Bytes::from_static(b"\x93\r\n")).await;
        s.push_resize(90, 20);
        s.close();
        let rx_text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = rx_text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["version"], 2);
        assert_eq!(lines[0]["width"], 80);
        let output: String = lines[1..]
            .iter()
            .filter(|e| e[1] == "o")
            .map(|e| e[2].as_str().unwrap().to_string())
            .collect();
        assert_eq!(output, "hi ✓\r\n");
        assert!(lines.iter().any(|e| e[1] == "r" && e[2] == "90x20"));
    }
}

#[cfg(test)]
mod padding_tests {
    use super::trim_padding;

    #[test]
    fn trailing_padding_is_removed_unless_it_is_coloured() {
        let mut vt = avt::Terminal::new(20, 4).unwrap();
        vt.feed("$ echo hi\r\nhi\r\n\x1b[41mbar      \r\n$ ");
        let trimmed = trim_padding(&vt.dump());
        assert!(trimmed.starts_with("$ echo hi\r\nhi\r\n"), "{trimmed:?}");
        assert!(trimmed.contains("\x1b[41mbar"), "{trimmed:?}");
        // The coloured row keeps its padding; the screen replays the same either way.
        let mut replay = avt::Terminal::new(20, 4).unwrap();
        replay.feed(trimmed.as_str());
        let a: Vec<String> = vt.screen().visible_lines().map(|l| l.text()).collect();
        let b: Vec<String> = replay.screen().visible_lines().map(|l| l.text()).collect();
        assert_eq!(a, b);
        assert_eq!(replay.cursor_position(), vt.cursor_position());
    }
}

#[cfg(test)]
mod mirror_tests {
    use super::*;

    #[tokio::test]
    async fn a_seeded_mirror_replays_history_and_shows_the_remote_screen() {
        // The "remote" session, with some history.
        let remote = Session::start(SessionConfig {
            cols: 20,
            rows: 4,
            ..Default::default()
        })
        .unwrap()
        .session;
        remote
            .push_output(Bytes::from_static(b"one\r\ntwo\r\n"))
            .await;
        let snap = remote.snapshot();
        let Read::Data(history) = remote.read(0, 1 << 20) else {
            panic!("data")
        };

        let mirror = Session::start(SessionConfig {
            cols: 20,
            rows: 4,
            ..Default::default()
        })
        .unwrap()
        .session;
        mirror.seed(0, snap.offset, snap.cols, snap.rows, &snap.data);
        for chunk in history {
            assert!(mirror.push_output_at(mirror.info().end, chunk).await);
        }
        // History is replayable byte for byte, and was not painted twice.
        let Read::Data(replay) = mirror.read(0, 1 << 20) else {
            panic!("data")
        };
        assert_eq!(replay.concat(), b"one\r\ntwo\r\n");
        assert_eq!(mirror.screen_text()[..3], ["one", "two", ""]);
        // Live output continues; duplicates are dropped, gaps refused.
        assert!(
            mirror
                .push_output_at(5, Bytes::from_static(b"two\r\nthree"))
                .await
        );
        assert_eq!(mirror.info().end, 15);
        assert!(!mirror.push_output_at(99, Bytes::from_static(b"x")).await);
        assert_eq!(mirror.screen_text()[..3], ["one", "two", "three"]);
    }
}
