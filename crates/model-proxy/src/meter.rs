//! Token metering from a Messages API reply, streamed or not, without buffering it: an SSE
//! scanner that reads `message_start` / `message_delta` usage as the bytes pass.
use serde_json::Value;

/// Tokens of one reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

/// Where usage goes (the store, metrics); called once per reply.
pub trait UsageSink: Send + Sync + 'static {
    fn record(&self, sandbox: &str, usage: Usage);
}

fn n(v: &Value, k: &str) -> Option<u64> {
    v.get(k).and_then(Value::as_u64)
}

impl Usage {
    fn absorb(&mut self, usage: &Value) {
        if let Some(x) = n(usage, "input_tokens") {
            self.input_tokens = x;
        }
        if let Some(x) = n(usage, "output_tokens") {
            self.output_tokens = x;
        }
        if let Some(x) = n(usage, "cache_creation_input_tokens") {
            self.cache_creation_input_tokens = x;
        }
        if let Some(x) = n(usage, "cache_read_input_tokens") {
            self.cache_read_input_tokens = x;
        }
    }

    /// From a whole (non-streamed) JSON reply.
    pub fn from_json(body: &[u8]) -> Option<Usage> {
        let v: Value = serde_json::from_slice(body).ok()?;
        let mut u = Usage {
            model: v.get("model")?.as_str().unwrap_or_default().to_string(),
            ..Default::default()
        };
        u.absorb(v.get("usage")?);
        Some(u)
    }
}

/// Reads SSE `data:` lines as chunks arrive (lines may be split across chunks).
#[derive(Default)]
pub struct SseMeter {
    line: Vec<u8>,
    pub usage: Usage,
    pub seen: bool,
}

const MAX_LINE: usize = 1 << 20;

impl SseMeter {
    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if b == b'\n' {
                self.line_done();
            } else if self.line.len() < MAX_LINE {
                self.line.push(b);
            }
        }
    }

    fn line_done(&mut self) {
        let line = std::mem::take(&mut self.line);
        let Some(data) = line.strip_prefix(b"data:") else {
            return;
        };
        let Ok(v) = serde_json::from_slice::<Value>(data.trim_ascii()) else {
            return;
        };
        match v.get("type").and_then(Value::as_str) {
            Some("message_start") => {
                if let Some(m) = v.get("message") {
                    self.usage.model = m
                        .get("model")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    if let Some(u) = m.get("usage") {
                        self.usage.absorb(u);
                        self.seen = true;
                    }
                }
            }
            Some("message_delta") => {
                if let Some(u) = v.get("usage") {
                    self.usage.absorb(u);
                    self.seen = true;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_usage_from_a_stream_split_anywhere() {
        let stream = concat!(
            "event: message_start\n",
            "data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\",\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":3,\"output_tokens\":1}}}\n\n",
            "event: content_block_delta\n",
            "data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n",
            "event: message_delta\n",
            "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":42}}\n\n",
        );
        for split in [1, 7, 50, 200] {
            let mut m = SseMeter::default();
            for chunk in stream.as_bytes().chunks(split) {
                m.feed(chunk);
            }
            assert!(m.seen);
            assert_eq!(
                m.usage,
                Usage {
                    model: "claude-x".into(),
                    input_tokens: 12,
                    output_tokens: 42,
                    cache_creation_input_tokens: 0,
                    cache_read_input_tokens: 3
                }
            );
        }
    }

    #[test]
    fn reads_usage_from_json() {
        let u = Usage::from_json(br#"{"model":"m","usage":{"input_tokens":5,"output_tokens":6}}"#)
            .unwrap();
        assert_eq!((u.input_tokens, u.output_tokens), (5, 6));
        assert!(Usage::from_json(b"not json").is_none());
    }
}
