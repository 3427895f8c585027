//! One viewer of a session: decides what to send next (replayed bytes, a snapshot, live output,
//! size changes, the exit) under acknowledgement-based flow control. Transport-free: a WebSocket
//! handler, a test, or a benchmark drives it.
use bytes::{Bytes, BytesMut};
use tokio::sync::watch;

use crate::session::{ExitStatus, Info, ProcessState, Read, Session, Snapshot, ViewerSlot};

#[derive(Debug, Clone, Copy)]
pub struct FlowConfig {
    /// Bytes sent but not acknowledged before the viewer waits.
    pub window: u64,
    /// How far behind the newest output a viewer may fall before it skips to a snapshot.
    pub lag_limit: u64,
    /// Largest single output message.
    pub max_frame: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            window: 512 * 1024,
            lag_limit: 1024 * 1024,
            max_frame: 64 * 1024,
        }
    }
}

#[derive(Debug)]
pub enum ViewerEvent {
    /// Bytes `[offset, offset + data.len())`.
    Output {
        offset: u64,
        data: Bytes,
    },
    Snapshot(Snapshot),
    Resize {
        cols: u16,
        rows: u16,
    },
    /// The viewer is far behind (`true`) or has caught up (`false`).
    Busy(bool),
    /// A process started (first start or restart).
    Started,
    Exit(ExitStatus),
    /// The session was closed; no more events.
    Closed,
}

pub struct Viewer {
    session: Session,
    /// Our cursor as the producer sees it (backpressure).
    slot: ViewerSlot,
    rx: watch::Receiver<u64>,
    flow: FlowConfig,
    /// Next offset to send.
    cursor: u64,
    /// Everything before this offset is acknowledged.
    acked: u64,
    size: (u16, u16),
    exits_seen: u32,
    running_seen: bool,
    busy: bool,
    needs_snapshot: bool,
}

impl Viewer {
    /// Attaches to `session`. With `from` inside the buffer the viewer replays from there;
    /// otherwise it starts with a snapshot of the current screen.
    pub fn attach(session: Session, from: Option<u64>, flow: FlowConfig) -> Self {
        let mut rx = session.subscribe();
        rx.mark_unchanged();
        let info = session.info();
        let replay = from.filter(|f| *f >= info.start && *f <= info.end);
        let cursor = replay.unwrap_or(info.end);
        Viewer {
            slot: session.register_viewer(cursor),
            session,
            rx,
            flow,
            cursor,
            acked: cursor,
            size: (info.cols, info.rows),
            // A viewer attaching after an exit still hears about it once.
            exits_seen: info
                .exits
                .saturating_sub(u32::from(matches!(info.state, ProcessState::Exited(_)))),
            running_seen: matches!(info.state, ProcessState::Running),
            busy: false,
            needs_snapshot: replay.is_none(),
        }
    }

    pub fn info(&self) -> Info {
        self.session.info()
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Records an acknowledgement; offsets outside `[acked, cursor]` are ignored.
    pub fn ack(&mut self, offset: u64) {
        if offset >= self.acked && offset <= self.cursor {
            self.acked = offset;
            // What the client has processed is what the producer waits for.
            self.slot.set(offset);
        }
    }

    fn in_flight(&self) -> u64 {
        self.cursor - self.acked
    }

    fn snapshot(&mut self) -> ViewerEvent {
        let snap = self.session.snapshot();
        self.cursor = snap.offset;
        self.acked = snap.offset;
        self.slot.set(snap.offset);
        self.size = (snap.cols, snap.rows);
        self.needs_snapshot = false;
        ViewerEvent::Snapshot(snap)
    }

    /// The next event if one is ready now, without waiting.
    pub fn poll(&mut self) -> Option<ViewerEvent> {
        if self.needs_snapshot {
            return Some(self.snapshot());
        }
        let info = self.session.info();
        if (info.cols, info.rows) != self.size {
            self.size = (info.cols, info.rows);
            return Some(ViewerEvent::Resize {
                cols: info.cols,
                rows: info.rows,
            });
        }
        if !self.running_seen && matches!(info.state, ProcessState::Running) {
            self.running_seen = true;
            return Some(ViewerEvent::Started);
        }
        let behind = info.end.saturating_sub(self.cursor);
        if behind > self.flow.lag_limit || self.cursor < info.start {
            return Some(self.snapshot());
        }
        if !self.busy && behind > self.flow.window {
            self.busy = true;
            return Some(ViewerEvent::Busy(true));
        }
        // An exit is reported right after its last byte, even if a restarted process already
        // produced more.
        let pending_exit = info.last_exit.filter(|_| info.exits > self.exits_seen);
        if let Some((status, at)) = pending_exit {
            if self.cursor >= at {
                self.exits_seen = info.exits;
                self.running_seen = false;
                return Some(ViewerEvent::Exit(status));
            }
        }
        if behind > 0 && self.in_flight() < self.flow.window {
            let room = (self.flow.window - self.in_flight()) as usize;
            let mut max = room.min(self.flow.max_frame);
            if let Some((_, at)) = pending_exit {
                max = max.min((at - self.cursor) as usize);
            }
            match self.session.read(self.cursor, max) {
                Read::Data(chunks) => {
                    let offset = self.cursor;
                    let data = if chunks.len() == 1 {
                        chunks.into_iter().next().unwrap_or_default()
                    } else {
                        let mut buf = BytesMut::with_capacity(max);
                        for c in &chunks {
                            buf.extend_from_slice(c);
                        }
                        buf.freeze()
                    };
                    self.cursor += data.len() as u64;
                    return Some(ViewerEvent::Output { offset, data });
                }
                Read::Gap => return Some(self.snapshot()),
                Read::Empty => {}
            }
        }
        if self.busy && behind == 0 {
            self.busy = false;
            return Some(ViewerEvent::Busy(false));
        }
        if info.closed && behind == 0 {
            return Some(ViewerEvent::Closed);
        }
        None
    }

    /// Waits for the next event. Cancel-safe: use it in `select!` beside the transport's reads
    /// (acknowledgements arrive there and unblock a full window).
    pub async fn next(&mut self) -> ViewerEvent {
        loop {
            if let Some(ev) = self.poll() {
                return ev;
            }
            let window_full =
                self.in_flight() >= self.flow.window && self.session.info().end > self.cursor;
            if window_full {
                // Only an acknowledgement (handled by the caller) can unblock us.
                std::future::pending::<()>().await;
            }
            if self.rx.changed().await.is_err() {
                return ViewerEvent::Closed;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionConfig;

    async fn collect_output(v: &mut Viewer, until: u64) -> Vec<u8> {
        let first = v.cursor();
        let mut out = Vec::new();
        while v.cursor() < until {
            match v.next().await {
                ViewerEvent::Output { offset, data } => {
                    assert_eq!(offset, first + out.len() as u64, "output is contiguous");
                    out.extend_from_slice(&data);
                    v.ack(v.cursor());
                }
                ViewerEvent::Busy(_) | ViewerEvent::Resize { .. } | ViewerEvent::Started => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    #[tokio::test]
    async fn resumes_from_an_offset_with_exactly_the_missed_bytes() {
        let s = Session::start(SessionConfig::default()).unwrap().session;
        s.push_output(Bytes::from_static(b"0123456789")).await;
        let mut v = Viewer::attach(s.clone(), Some(4), FlowConfig::default());
        let got = collect_output(&mut v, 10).await;
        assert_eq!(got, b"456789");
        s.push_output(Bytes::from_static(b"abc")).await;
        let got = collect_output(&mut v, 13).await;
        assert_eq!(got, b"abc");
    }

    #[tokio::test]
    async fn new_viewer_gets_a_snapshot_then_live_output() {
        let s = Session::start(SessionConfig::default()).unwrap().session;
        s.push_output(Bytes::from_static(b"before")).await;
        let mut v = Viewer::attach(s.clone(), None, FlowConfig::default());
        match v.next().await {
            ViewerEvent::Snapshot(snap) => assert_eq!(snap.offset, 6),
            other => panic!("expected snapshot, got {other:?}"),
        }
        s.push_output(Bytes::from_static(b"after")).await;
        match v.next().await {
            ViewerEvent::Output { offset, data } => {
                assert_eq!(offset, 6);
                assert_eq!(&data[..], b"after");
            }
            other => panic!("expected output, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn window_limits_unacknowledged_bytes_and_lag_skips_to_snapshot() {
        let s = Session::start(SessionConfig {
            buffer_bytes: 1 << 20,
            ..Default::default()
        })
        .unwrap()
        .session;
        let flow = FlowConfig {
            window: 1000,
            lag_limit: 5000,
            max_frame: 400,
        };
        let mut v = Viewer::attach(s.clone(), Some(0), flow);
        s.push_output(Bytes::from(vec![b'y'; 3000])).await;
        let mut sent = 0;
        while let Some(ev) = v.poll() {
            if let ViewerEvent::Output { data, .. } = ev {
                sent += data.len();
            }
        }
        assert_eq!(sent, 1000, "stops at the window without acknowledgements");
        v.ack(1000);
        let mut more = 0;
        while let Some(ev) = v.poll() {
            if let ViewerEvent::Output { data, .. } = ev {
                more += data.len();
            }
        }
        assert_eq!(more, 1000);
        // A flood far beyond the lag limit makes the viewer skip to a snapshot.
        s.push_output(Bytes::from(vec![b'y'; 10_000])).await;
        v.ack(2000);
        let mut saw_snapshot = false;
        while let Some(ev) = v.poll() {
            if let ViewerEvent::Snapshot(snap) = ev {
                assert_eq!(snap.offset, 13_000);
                saw_snapshot = true;
            }
        }
        assert!(saw_snapshot);
        assert_eq!(v.cursor(), 13_000);
    }

    #[tokio::test]
    async fn exit_comes_after_the_last_byte() {
        let s = Session::start(SessionConfig::default()).unwrap().session;
        let mut v = Viewer::attach(s.clone(), Some(0), FlowConfig::default());
        s.set_running();
        assert!(matches!(v.next().await, ViewerEvent::Started));
        s.push_output(Bytes::from_static(b"last words")).await;
        s.push_exit(ExitStatus {
            code: Some(3),
            signal: None,
        });
        let mut events = Vec::new();
        loop {
            let ev = v.next().await;
            let done = matches!(ev, ViewerEvent::Exit(_));
            events.push(ev);
            if done {
                break;
            }
        }
        assert!(
            matches!(&events[0], ViewerEvent::Output { data, .. } if &data[..] == b"last words")
        );
        assert!(matches!(
            events.last(),
            Some(ViewerEvent::Exit(ExitStatus { code: Some(3), .. }))
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_viewer_that_keeps_up_paces_the_producer() {
        use crate::session::Backpressure;
        let bp = Backpressure {
            threshold: 4096,
            max_stall: std::time::Duration::from_secs(3600),
        };
        let s = Session::start(SessionConfig {
            backpressure: Some(bp),
            buffer_bytes: 1 << 20,
            ..Default::default()
        })
        .unwrap()
        .session;
        let flow = FlowConfig {
            window: 1024,
            lag_limit: 1 << 20,
            max_frame: 512,
        };
        let mut v = Viewer::attach(s.clone(), Some(0), flow);
        let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = std::sync::Arc::clone(&acked);
        let reader = tokio::spawn(async move {
            let mut got = 0u64;
            while got < 64 * 1024 {
                if let ViewerEvent::Output { data, .. } = v.next().await {
                    got += data.len() as u64;
                    v.ack(v.cursor());
                    seen.store(v.cursor(), std::sync::atomic::Ordering::SeqCst);
                }
            }
            v
        });
        let mut max_ahead = 0;
        for _ in 0..128 {
            s.push_output(Bytes::from(vec![b'z'; 512])).await;
            let ahead = s.info().end - acked.load(std::sync::atomic::Ordering::SeqCst);
            max_ahead = max_ahead.max(ahead);
        }
        let v = reader.await.unwrap();
        // The producer never ran more than the threshold (plus a chunk and a frame in flight)
        // ahead of what the viewer acknowledged; without backpressure it would be 64 KiB.
        assert!(max_ahead <= 4096 + 512 + 512, "ahead by {max_ahead}");
        assert_eq!(s.info().end, 64 * 1024);
        drop(v);
        // With the viewer gone, nothing waits: this would hang (for an hour) otherwise.
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            s.push_output(Bytes::from(vec![b'z'; 9000])),
        )
        .await
        .expect("no viewer, no stall");
    }
}
