//! REST handlers, one module per resource. Handlers parse, call one core function, map the result.
pub mod claude;
pub mod projects;
pub mod sandboxes;
pub mod tasks;
pub mod terminals;
pub mod workflows;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};

/// `Json<T>` whose rejections are API errors with stable codes.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "request body too large",
                ))
            }
            Err(e) => Err(ApiError::invalid(e.body_text())),
        }
    }
}
