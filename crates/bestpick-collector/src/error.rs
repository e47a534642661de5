//! The one error type handlers return; it renders as `{ "error": "..." }` with a status, plus
//! `"code"` when a client must act on the kind of error (see [`AppError::with_code`]).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An HTTP error with a message a client can show. Internal errors are logged, not echoed.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
    code: Option<&'static str>,
}

impl AppError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError {
            status,
            message: message.into(),
            retry_after: None,
            code: None,
        }
    }

    /// 500 with a generic message (the cause is for the log, not the client).
    pub fn internal(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// Adds a `Retry-After: secs` header to the answer.
    pub fn with_retry_after(mut self, secs: u64) -> AppError {
        self.retry_after = Some(secs);
        self
    }

    /// Adds a machine-readable `"code"` to the answer (such as
    /// [`crate::app::CODE_KEY_RETIRED`]): clients branch on it, never on the message.
    pub fn with_code(mut self, code: &'static str) -> AppError {
        self.code = Some(code);
        self
    }

    /// The machine-readable code, if any.
    pub fn code(&self) -> Option<&'static str> {
        self.code
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 that does not tell unknown ids from wrong tokens.
    pub fn not_found() -> AppError {
        AppError::new(
            StatusCode::NOT_FOUND,
            "no bundle with this id for this receipt",
        )
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// Seconds a client told 503 because the database or the object storage is down is asked
/// to wait.
pub const STORE_DOWN_RETRY_AFTER_SECS: u64 = 30;

impl From<crate::store::StoreError> for AppError {
    /// A store whose database or object storage cannot be reached answers 503 with
    /// `Retry-After` (the client keeps the bundle staged and retries); anything else is 500.
    fn from(e: crate::store::StoreError) -> AppError {
        eprintln!("collector: store error: {e}");
        match e.unavailable() {
            Some(service) => AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the collector's {service} is unavailable; retry later"),
            )
            .with_retry_after(STORE_DOWN_RETRY_AFTER_SECS),
            None => AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal storage error"),
        }
    }
}

impl From<crate::receive::ReceiveError> for AppError {
    fn from(e: crate::receive::ReceiveError) -> AppError {
        use crate::receive::ReceiveError as E;
        match e {
            E::TooLarge { max } => AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("bundle larger than {max} bytes"),
            ),
            E::TooSlow { .. } => AppError::new(StatusCode::REQUEST_TIMEOUT, e.to_string()),
            E::Read(_) => AppError::bad_request("reading the request body failed"),
            E::Store(e) => e.into(),
            E::Worker => AppError::internal("a worker thread failed"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = match self.code {
            Some(code) => serde_json::json!({ "error": self.message, "code": code }),
            None => serde_json::json!({ "error": self.message }),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::StoreError;

    #[test]
    fn a_server_that_is_down_is_503_anything_else_500() {
        let object = |source| StoreError::Object {
            key: "bundles/x.sealed".into(),
            source,
        };
        let cases = [
            (
                "pool timeout",
                StoreError::PoolTimeout {
                    waited: Duration::from_secs(30),
                },
                503,
                "database",
            ),
            (
                "object storage unreachable",
                object(object_store::Error::Generic {
                    store: "S3",
                    source: "error sending request".into(),
                }),
                503,
                "object storage",
            ),
            (
                "object missing",
                object(object_store::Error::NotFound {
                    path: "bundles/x.sealed".into(),
                    source: "404".into(),
                }),
                500,
                "internal",
            ),
            (
                "lock lost",
                StoreError::MaintenanceLockLost,
                500,
                "internal",
            ),
            ("setup", StoreError::Setup("bad".into()), 500, "internal"),
        ];
        for (name, error, status, says) in cases {
            let answer = AppError::from(error);
            assert_eq!(answer.status().as_u16(), status, "case {name}");
            assert!(
                answer.message.contains(says),
                "case {name}: {}",
                answer.message
            );
            assert_eq!(
                answer.retry_after.is_some(),
                status == 503,
                "case {name}: Retry-After"
            );
        }
    }
}
