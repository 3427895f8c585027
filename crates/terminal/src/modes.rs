//! Tracks the few DEC private modes the screen emulator does not restore in its dump (bracketed
//! paste, mouse reporting, focus events), so a snapshot re-enables them in a fresh client.

const TRACKED: [u16; 8] = [1000, 1002, 1003, 1004, 1005, 1006, 1015, 2004];

#[derive(Debug, Default, Clone, Copy)]
enum State {
    #[default]
    Ground,
    Esc,
    Csi,
    Private,
}

#[derive(Debug, Default)]
pub struct ModeTracker {
    state: State,
    params: [u16; 16],
    n_params: usize,
    current: u32,
    set: [bool; TRACKED.len()],
}

impl ModeTracker {
    /// Runs at PTY speed: in the ground state it jumps straight to the next ESC.
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            if let State::Ground = self.state {
                match bytes[i..].iter().position(|&b| b == 0x1b) {
                    Some(p) => {
                        i += p + 1;
                        self.state = State::Esc;
                        continue;
                    }
                    None => return,
                }
            }
            let b = bytes[i];
            i += 1;
            self.state = match (self.state, b) {
                (_, 0x1b) => State::Esc,
                (State::Esc, b'[') => State::Csi,
                (State::Csi, b'?') => {
                    self.n_params = 0;
                    self.current = 0;
                    State::Private
                }
                (State::Private, b'0'..=b'9') => {
                    self.current = (self.current * 10 + u32::from(b - b'0')).min(65_535);
                    State::Private
                }
                (State::Private, b';') => {
                    self.push_param();
                    State::Private
                }
                (State::Private, b'h' | b'l') => {
                    self.push_param();
                    let on = b == b'h';
                    for p in &self.params[..self.n_params] {
                        if let Some(k) = TRACKED.iter().position(|m| m == p) {
                            self.set[k] = on;
                        }
                    }
                    State::Ground
                }
                _ => State::Ground,
            };
        }
    }

    fn push_param(&mut self) {
        if self.n_params < self.params.len() {
            self.params[self.n_params] = self.current as u16;
            self.n_params += 1;
        }
        self.current = 0;
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
