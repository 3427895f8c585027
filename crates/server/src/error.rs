//! The one error type at the HTTP edge. Every API error leaves as
//! `{"error":{"code","message","details","requestId"}}` with a stable `code`.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

tokio::task_local! {
    /// The current request's id, set by the request-id middleware.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> String {
    REQUEST_ID.try_with(|id| id.clone()).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    ForbiddenHost,
    ForbiddenOrigin,
    NotFound,
    InvalidRequest,
    InvalidSize,
    SpawnFailed,
    TerminalExited,
    PayloadTooLarge,
    Conflict,
    ImageMissing,
    EngineUnavailable,
    InvalidState,
    AgentUnavailable,
    SandboxFailed,
    /// The forge or remote refused our credentials (401/403), or there are none.
    ForgeAccessDenied,
    /// The forge or remote could not be reached.
    ForgeUnavailable,
    /// The forge rate-limited us.
    ForgeRateLimited,
    /// The remote or forge rejected the change (non-fast-forward push, not mergeable, head moved).
    Rejected,
    /// A feature needs configuration that is missing (e.g. the OAuth client id).
    NotConfigured,
    Internal,
}

impl ErrorCode {
    fn status(self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::ForbiddenHost | Self::ForbiddenOrigin => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::InvalidRequest | Self::InvalidSize => StatusCode::BAD_REQUEST,
            Self::SpawnFailed => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TerminalExited => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Conflict | Self::InvalidState => StatusCode::CONFLICT,
            Self::ImageMissing => StatusCode::BAD_REQUEST,
            Self::EngineUnavailable | Self::AgentUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::SandboxFailed => StatusCode::BAD_GATEWAY,
            Self::ForgeAccessDenied => StatusCode::FORBIDDEN,
            Self::ForgeUnavailable => StatusCode::BAD_GATEWAY,
            Self::ForgeRateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Rejected => StatusCode::CONFLICT,
            Self::NotConfigured => StatusCode::BAD_REQUEST,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

/// The error body (documented in OpenAPI).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    #[schema(value_type = Option<serde_json::Value>)]
    pub details: Option<serde_json::Value>,
    pub request_id: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
        }
    }
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} `{id}` does not exist"))
            .with_details(serde_json::json!({ "id": id }))
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }
    pub fn internal(err: impl std::fmt::Display) -> Self {
        // Logged once here; the client sees only a generic message and the request id.
        tracing::error!(error = %err, "internal error");
        Self::new(
            ErrorCode::Internal,
            "internal error; see the server log for this request id",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                details: self.details,
                request_id: current_request_id(),
            },
        };
        (self.code.status(), axum::Json(body)).into_response()
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        Self::internal(e)
    }
}
