//! Engine errors as [`DriverError`]s. Status codes that mean something specific for one call
//! (404 on create = image missing, 409 on create = name taken) are matched at the call site;
//! this maps the rest: the engine not answering → `Unavailable`, an engine refusal → `Failed`.
use bollard::errors::Error;
use sandbox::DriverError;

/// The HTTP status of an engine refusal, if `e` is one.
pub(crate) fn status_of(e: &Error) -> Option<u16> {
    match e {
        Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

pub(crate) struct EngineError<'a> {
    host: &'a str,
    error: Error,
}

impl<'a> EngineError<'a> {
    pub(crate) fn new(host: &'a str, error: Error) -> Self {
        Self { host, error }
    }
}

impl From<EngineError<'_>> for DriverError {
    fn from(EngineError { host, error }: EngineError<'_>) -> Self {
        match error {
            Error::DockerResponseServerError {
                status_code: 404,
                message,
            } => DriverError::NotFound(message),
            Error::DockerResponseServerError {
                status_code,
                message,
            } => DriverError::Failed(format!(
                "the Docker engine refused ({status_code}): {message}"
            )),
            Error::RequestTimeoutError => DriverError::Unavailable(format!(
                "the Docker engine at {host} did not answer in time"
            )),
            Error::SocketNotFoundError(_)
            | Error::HyperLegacyError { .. }
            | Error::HyperResponseError { .. }
            | Error::IOError { .. } => DriverError::Unavailable(format!(
                "cannot reach the Docker engine at {host}: {error}. Is Docker running?"
            )),
            other => DriverError::Failed(format!("Docker engine call failed: {other}")),
        }
    }
}
