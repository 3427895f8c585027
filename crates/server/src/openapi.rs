//! The OpenAPI document, generated from the handlers and types. `anycode openapi` prints it;
//! `web/src/shared/api/schema.d.ts` is generated from that output (checked in CI).
use utoipa::OpenApi;

use crate::api::claude::*;
use crate::api::sandboxes::*;
use crate::api::terminals::*;
use crate::error::{ErrorBody, ErrorCode, ErrorDetail};
use crate::ws::messages::*;

#[derive(OpenApi)]
#[openapi(
    info(title = "AnyCode API", description = "Control room for many Claude Code agents. Every route needs the access token (Bearer header, cookie, or ?token= on WebSockets)."),
    paths(list_terminals, create_terminal, get_terminal, rename_terminal, resize_terminal, delete_terminal, get_recording,
        list_sandboxes, create_sandbox, get_sandbox, start_sandbox, stop_sandbox, delete_sandbox, exec_in_sandbox,
        credential_status, add_credential, delete_credential, inbox, mark_seen, usage, list_agents, start_run, list_runs, get_run),
    components(schemas(
        ErrorBody, ErrorDetail, ErrorCode,
        TerminalView, TerminalStatusView, CreateTerminalRequest, RenameTerminalRequest, ResizeTerminalRequest,
        TerminalClientMessage, TerminalServerMessage, InputPayload, ResizePayload, PingPayload, CommandPayload,
        TerminalCommand, AckPayload, HelloPayload, StatusPayload, TerminalConnectionStatus, ExitPayload, WsErrorPayload,
        SandboxView, SandboxStatus, SandboxLimitsView, SandboxStatsView, NetworkModeView, CreateSandboxRequest, ExecRequest, ExecResponse,
        CredentialStatus, AddCredentialRequest, credentials::CredentialInfo, credentials::CredentialKind, credentials::CredentialSource, credentials::StoredKind,
        AgentStateView, AgentStatusView, AgentEntry, InboxItem, InboxKind, UsageRowView,
        StartRunRequest, RunView, RunEventView, RunDetail,
    )),
    tags((name = "credentials", description = "The user's Claude credentials; only prefixes are ever shown"),
        (name = "agents", description = "Claude agents' states (from hooks), the inbox, token usage"),
        (name = "sandboxes", description = "A container (or local process group) per agent; state changes over WebSocket /ws/events"),
        (name = "terminals", description = "Interactive terminals; live I/O over WebSocket /ws/terminals/{id} (docs/protocol.md)"))
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub fn json() -> String {
    document().to_pretty_json().unwrap_or_default()
}
