//! The Messages API wire format: a [`Reply`] as SSE events or as one JSON message, and a small
//! SSE parser for tests.
//!
//! Event order for a streamed reply (as the real API sends it):
//! `message_start` (usage with `output_tokens: 1`), `ping`, then per block
//! `content_block_start` / `content_block_delta`… / `content_block_stop`, then `message_delta`
//! (`stop_reason`, final `usage.output_tokens`) and `message_stop`. Text is split into several
//! `text_delta`s and tool input into several `input_json_delta`s (the first one empty), so
//! clients must assemble them.

use bytes::Bytes;
use serde_json::{json, Value};

use crate::script::{Block, Reply};

/// One server-sent event: its `event:` name and its `data:` JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event: String,
    pub data: Value,
}

impl Event {
    fn new(event: &str, data: Value) -> Self {
        Self {
            event: event.into(),
            data,
        }
    }

    /// `event: <name>\ndata: <json>\n\n`.
    pub fn encode(&self) -> Bytes {
        Bytes::from(format!("event: {}\ndata: {}\n\n", self.event, self.data))
    }
}

/// The usage object of `message_start` (`output_tokens` is 1 there, as with the real API) or of
/// the non-streaming message.
fn usage_json(reply: &Reply, output_tokens: u64) -> Value {
    json!({
        "input_tokens": reply.usage.input_tokens,
        "cache_creation_input_tokens": reply.usage.cache_creation_input_tokens,
        "cache_read_input_tokens": reply.usage.cache_read_input_tokens,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    })
}

fn block_json(block: &Block) -> Value {
    match block {
        Block::Text { text } => json!({"type": "text", "text": text}),
        Block::ToolUse { id, name, input } => {
            json!({"type": "tool_use", "id": id.clone().unwrap_or_default(), "name": name, "input": input})
        }
        Block::Thinking {
            thinking,
            signature,
        } => json!({
            "type": "thinking",
            "thinking": thinking,
            "signature": signature.clone().unwrap_or_else(|| MOCK_SIGNATURE.into()),
        }),
    }
}

/// Signature sent for thinking blocks that have none.
pub const MOCK_SIGNATURE: &str = "mock-signature";

/// Splits `text` into up to `parts` pieces on char boundaries (never an empty piece unless the
/// text is empty).
fn split(text: &str, parts: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    let size = chars.len().div_ceil(parts.max(1));
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// The SSE events of a streamed reply. Tool-use ids must already be filled in.
pub fn reply_events(reply: &Reply, message_id: &str, model: &str) -> Vec<Event> {
    let mut events = vec![
        Event::new(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": message_id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": usage_json(reply, 1),
            }}),
        ),
        Event::new("ping", json!({"type": "ping"})),
    ];
    for (index, block) in reply.content.iter().enumerate() {
        let (start, deltas): (Value, Vec<Value>) = match block {
            Block::Text { text } => (
                json!({"type": "text", "text": ""}),
                split(text, 3)
                    .into_iter()
                    .map(|t| json!({"type": "text_delta", "text": t}))
                    .collect(),
            ),
            Block::ToolUse { id, name, input } => {
                let mut deltas = vec![json!({"type": "input_json_delta", "partial_json": ""})];
                deltas.extend(
                    split(&input.to_string(), 4)
                        .into_iter()
                        .map(|p| json!({"type": "input_json_delta", "partial_json": p})),
                );
                (
                    json!({"type": "tool_use", "id": id.clone().unwrap_or_default(), "name": name, "input": {}}),
                    deltas,
                )
            }
            Block::Thinking {
                thinking,
                signature,
            } => {
                let mut deltas: Vec<Value> = split(thinking, 2)
                    .into_iter()
                    .map(|t| json!({"type": "thinking_delta", "thinking": t}))
                    .collect();
                deltas.push(json!({
                    "type": "signature_delta",
                    "signature": signature.clone().unwrap_or_else(|| MOCK_SIGNATURE.into()),
                }));
                (
                    json!({"type": "thinking", "thinking": "", "signature": ""}),
                    deltas,
                )
            }
        };
        events.push(Event::new(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        for delta in deltas {
            events.push(Event::new(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ));
        }
        events.push(Event::new(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
    }
    events.push(Event::new(
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": reply.effective_stop_reason(), "stop_sequence": null},
               "usage": {"output_tokens": reply.usage.output_tokens}}),
    ));
    events.push(Event::new("message_stop", json!({"type": "message_stop"})));
    events
}

/// The non-streaming response body of a reply. Tool-use ids must already be filled in.
pub fn message_json(reply: &Reply, message_id: &str, model: &str) -> Value {
    json!({
        "id": message_id, "type": "message", "role": "assistant", "model": model,
        "content": reply.content.iter().map(block_json).collect::<Vec<_>>(),
        "stop_reason": reply.effective_stop_reason(), "stop_sequence": null,
        "usage": usage_json(reply, reply.usage.output_tokens),
    })
}

/// Parses an SSE body into events (`data:` lines that are not JSON become JSON strings).
/// Comment lines and events without `data` are skipped.
pub fn parse(text: &str) -> Vec<Event> {
    let mut events = Vec::new();
    for chunk in text.replace("\r\n", "\n").split("\n\n") {
        let mut name = String::from("message");
        let mut data: Vec<&str> = Vec::new();
        for line in chunk.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if data.is_empty() {
            continue;
        }
        let data = data.join("\n");
        let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
        events.push(Event { event: name, data });
    }
    events
}

/// Rebuilds the message content from streamed events, the way a client does: text deltas
/// concatenated, `input_json_delta`s concatenated and parsed. Returns the blocks as JSON.
/// Blocks whose `content_block_stop` never arrived are left out.
pub fn assemble(events: &[Event]) -> Vec<Value> {
    let mut blocks: Vec<(Value, String, bool)> = Vec::new();
    for e in events {
        let index = e.data["index"].as_u64().unwrap_or(0) as usize;
        match e.event.as_str() {
            "content_block_start" => {
                if blocks.len() <= index {
                    blocks.resize(index + 1, (Value::Null, String::new(), false));
                }
                blocks[index].0 = e.data["content_block"].clone();
            }
            "content_block_delta" => {
                let Some((block, json_buf, _)) = blocks.get_mut(index) else {
                    continue;
                };
                let d = &e.data["delta"];
                match d["type"].as_str() {
                    Some("text_delta") => append(block, "text", d["text"].as_str()),
                    Some("thinking_delta") => append(block, "thinking", d["thinking"].as_str()),
                    Some("signature_delta") => {
                        block["signature"] = d["signature"].clone();
                    }
                    Some("input_json_delta") => {
                        json_buf.push_str(d["partial_json"].as_str().unwrap_or_default());
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                if let Some((block, json_buf, done)) = blocks.get_mut(index) {
                    if !json_buf.is_empty() {
                        block["input"] = serde_json::from_str(json_buf).unwrap_or(Value::Null);
                    }
                    *done = true;
                }
            }
            _ => {}
        }
    }
    blocks
        .into_iter()
        .filter(|(_, _, done)| *done)
        .map(|(b, _, _)| b)
        .collect()
}

fn append(block: &mut Value, field: &str, piece: Option<&str>) {
    let mut s = block[field].as_str().unwrap_or_default().to_string();
    s.push_str(piece.unwrap_or_default());
    block[field] = Value::String(s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Usage;

    fn reply() -> Reply {
        let mut r = Reply::new([
            Block::thinking("hmm, let me think"),
            Block::text("Hello there, wörld!"),
            Block::ToolUse {
                id: Some("toolu_1".into()),
                name: "Write".into(),
                input: json!({"file_path": "/tmp/a.txt", "content": "line\n\"q\""}),
            },
        ]);
        r.usage = Usage {
            input_tokens: 42,
            output_tokens: 17,
            ..Usage::default()
        };
        r
    }

    #[test]
    fn encode_parse_assemble_round_trip() {
        let reply = reply();
        let events = reply_events(&reply, "msg_1", "m");
        let wire: String = events
            .iter()
            .map(|e| String::from_utf8(e.encode().to_vec()).unwrap())
            .collect();
        let parsed = parse(&wire);
        assert_eq!(parsed, events);
        let blocks = assemble(&parsed);
        let expected = message_json(&reply, "msg_1", "m");
        assert_eq!(Value::Array(blocks), expected["content"]);
        assert_eq!(parsed[0].data["message"]["usage"]["output_tokens"], 1);
        let delta = &parsed[parsed.len() - 2];
        assert_eq!(delta.data["usage"]["output_tokens"], 17);
        assert_eq!(delta.data["delta"]["stop_reason"], "tool_use");
    }

    #[test]
    fn split_keeps_chars() {
        assert_eq!(split("wörld", 3).concat(), "wörld");
        assert_eq!(split("", 3), vec![String::new()]);
        assert_eq!(split("ab", 5), vec!["a".to_string(), "b".to_string()]);
    }
}
