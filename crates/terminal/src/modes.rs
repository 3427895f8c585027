//! Tracks the few DEC private modes the screen emulator does not restore in its dump (bracketed
//! paste, mouse reporting, focus events), so a snapshot re-enables them in a fresh client.

const TRACKED: [u16; 8] = [1000, 1002, 1003, 1004, 1005, 1006, 1015, 2004];

#[derive(Debug, Default)]
enum State {
    #[default]
    Ground,
    Esc,
    Csi,
    Private {
        params: Vec<u16>,
        current: u32,
    },
}

#[derive(Debug, Default)]
pub struct ModeTracker {
    state: State,
    set: [bool; TRACKED.len()],
}

impl ModeTracker {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.state = match std::mem::take(&mut self.state) {
                State::Ground => {
                    if b == 0x1b {
                        State::Esc
                    } else {
                        State::Ground
                    }
                }
                State::Esc => match b {
                    b'[' => State::Csi,
                    0x1b => State::Esc,
                    _ => State::Ground,
                },
                State::Csi => match b {
                    b'?' => State::Private {
                        params: Vec::new(),
                        current: 0,
                    },
                    0x1b => State::Esc,
                    _ => State::Ground,
                },
                State::Private {
                    mut params,
                    current,
                } => match b {
                    b'0'..=b'9' => State::Private {
                        params,
                        current: (current * 10 + u32::from(b - b'0')).min(65_535),
                    },
                    b';' if params.len() < 16 => {
                        params.push(current as u16);
                        State::Private { params, current: 0 }
                    }
                    b'h' | b'l' => {
                        params.push(current as u16);
                        for p in params {
                            if let Some(i) = TRACKED.iter().position(|&m| m == p) {
                                self.set[i] = b == b'h';
                            }
                        }
                        State::Ground
                    }
                    0x1b => State::Esc,
                    _ => State::Ground,
                },
            }
        }
    }

    /// Escape sequences that turn on every tracked mode currently set.
    pub fn restore_sequence(&self) -> String {
        TRACKED
            .iter()
            .zip(self.set)
            .filter(|(_, on)| *on)
            .map(|(m, _)| format!("\x1b[?{m}h"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_modes_across_chunk_boundaries() {
        let mut t = ModeTracker::default();
        t.feed(b"x\x1b[?20");
        t.feed(b"04h\x1b[?1000;1006h");
        assert_eq!(t.restore_sequence(), "\x1b[?1000h\x1b[?1006h\x1b[?2004h");
        t.feed(b"\x1b[?1000l");
        assert_eq!(t.restore_sequence(), "\x1b[?1006h\x1b[?2004h");
    }

    #[test]
    fn ignores_unrelated_sequences() {
        let mut t = ModeTracker::default();
        t.feed(b"\x1b[2004h\x1b[?25l\x1b[?1049h");
        assert_eq!(t.restore_sequence(), "");
    }
}
