//! Stateful UTF-8 decoding of a byte stream: characters split across chunks are joined, invalid
//! bytes become U+FFFD. Both the screen emulator and asciicast `o` events need valid text.

#[derive(Debug, Default)]
pub struct Utf8Stream {
    pending: Vec<u8>,
}

impl Utf8Stream {
    /// Decodes `input`, keeping an incomplete trailing sequence for the next call.
    pub fn decode(&mut self, input: &[u8]) -> String {
        let mut buf;
        let mut bytes: &[u8] = if self.pending.is_empty() {
            input
        } else {
            buf = std::mem::take(&mut self.pending);
            buf.extend_from_slice(input);
            &buf[..]
        };
        let mut out = String::with_capacity(bytes.len());
        loop {
            match std::str::from_utf8(bytes) {
                Ok(s) => {
                    out.push_str(s);
                    return out;
                }
                Err(e) => {
                    let (valid, rest) = bytes.split_at(e.valid_up_to());
                    // SAFETY-free: `valid` was just checked by from_utf8.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            out.push('\u{FFFD}');
                            bytes = &rest[n..];
                        }
                        None => {
                            self.pending = rest.to_vec();
                            return out;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_characters_split_across_chunks() {
        let text = "héllo ✓ 🦀";
        let bytes = text.as_bytes();
        for split in 0..bytes.len() {
            let mut d = Utf8Stream::default();
            let mut out = d.decode(&bytes[..split]);
            out.push_str(&d.decode(&bytes[split..]));
            assert_eq!(out, text, "split at {split}");
        }
    }

    #[test]
    fn replaces_invalid_bytes() {
        let mut d = Utf8Stream::default();
        assert_eq!(d.decode(b"a\xffb\xc3("), "a\u{FFFD}b\u{FFFD}(");
    }
}
