//! JSON control messages of the terminal WebSocket, `{"type": …, "payload": {…}}`. They are part
//! of the OpenAPI document so the browser's TypeScript types come from here.
use serde::{Deserialize, Serialize};

/// Envelope as received; `payload` is parsed per `type` so errors name the field.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub payload: serde_json::Value,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct InputPayload {
    pub data: String,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ResizePayload {
    #[schema(minimum = 1, maximum = 1000)]
    pub cols: u32,
    #[schema(minimum = 1, maximum = 500)]
    pub rows: u32,
}

#[derive(Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PingPayload {
    #[serde(default)]
    #[schema(value_type = Option<serde_json::Value>)]
    pub timestamp: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TerminalCommand {
    Interrupt,
    Kill,
    Restart,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CommandPayload {
    pub command: TerminalCommand,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AckPayload {
    pub offset: u64,
}

/// Client → server (documented shape; parsing goes through [`Envelope`]).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "payload", rename_all = "lowercase")]
pub enum TerminalClientMessage {
    Input(InputPayload),
    Resize(ResizePayload),
    Ping(PingPayload),
    Command(CommandPayload),
    Ack(AckPayload),
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TerminalConnectionStatus {
    Connecting,
    Ready,
    Busy,
    Disconnected,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelloPayload {
    pub terminal_id: String,
    pub cols: u16,
    pub rows: u16,
    pub start_offset: u64,
    pub end_offset: u64,
    /// Flow-control window in bytes.
    pub window: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusPayload {
    pub status: TerminalConnectionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExitPayload {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WsErrorPayload {
    pub code: String,
    pub message: String,
}

/// Server → client JSON messages. Output and snapshots travel as binary frames.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "payload", rename_all = "lowercase")]
pub enum TerminalServerMessage {
    Hello(HelloPayload),
    Status(StatusPayload),
    Resize(ResizePayload),
    Exit(ExitPayload),
    Error(WsErrorPayload),
    Pong(PingPayload),
}

impl TerminalServerMessage {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hello(_) => "hello",
            Self::Status(_) => "status",
            Self::Resize(_) => "resize",
            Self::Exit(_) => "exit",
            Self::Error(_) => "error",
            Self::Pong(_) => "pong",
        }
    }

    pub fn status(status: TerminalConnectionStatus, reason: Option<&str>) -> Self {
        Self::Status(StatusPayload {
            status,
            reason: reason.map(str::to_owned),
        })
    }

    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Self::Error(WsErrorPayload {
            code: code.into(),
            message: message.into(),
        })
    }
}

/// Binary frame kinds (byte 0).
pub const FRAME_OUTPUT: u8 = 0;
pub const FRAME_SNAPSHOT: u8 = 1;
