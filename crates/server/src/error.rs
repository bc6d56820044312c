//! The one error type of the server. Each variant knows its Rocket.Chat status and body, so
//! a service raises it once and both transports (REST, DDP) render it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A `Meteor.Error(code, reason, details)`: 400 with `error: "<reason> [<code>]"`.
    #[error("{} [{code}]", reason.as_deref().unwrap_or(""))]
    Failure {
        code: String,
        reason: Option<String>,
        details: Option<Value>,
    },
    /// `API.v1.failure(message, errorType?)`: 400 with `error: "<message>"` as given (no
    /// ` [code]` suffix) and `errorType` only when there is one.
    #[error("{message}")]
    Plain {
        message: String,
        error_type: Option<String>,
    },
    /// Schema validation of a request (ajv in Rocket.Chat).
    #[error("{message}")]
    InvalidParams { message: String, in_query: bool },
    /// No or invalid credentials on a route that needs them.
    #[error("You must be logged in to do this.")]
    Unauthorized,
    /// `API.v1.unauthorized(msg)` from inside a handler: 401 `{"success": false, "error": msg}`.
    #[error("{0}")]
    UnauthorizedWith(String),
    /// A permission check failed.
    #[error("User does not have the permissions required for this action [error-unauthorized]")]
    Forbidden,
    /// A 403 with a specific message.
    #[error("{0}")]
    ForbiddenWith(String),
    #[error("{0}")]
    NotFound(String),
    #[error(
        "Error, too many requests. Please slow down. You must wait {seconds} seconds before trying this endpoint again."
    )]
    TooManyRequests { seconds: u64 },
    #[error("Request body too large")]
    PayloadTooLarge,
    /// Login failed: Rocket.Chat's special 401 shape.
    #[error("{reason}")]
    LoginFailed { error: Value, reason: String },
    #[error("Service Unavailable")]
    Unavailable,
    #[error("Internal server error")]
    Internal,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn failure(code: &str, reason: impl Into<String>) -> Self {
        Error::Failure {
            code: code.to_owned(),
            reason: Some(reason.into()),
            details: None,
        }
    }

    /// `API.v1.failure(message)`: a 400 whose `error` is the message itself.
    pub fn plain(message: impl Into<String>) -> Self {
        Error::Plain {
            message: message.into(),
            error_type: None,
        }
    }

    /// `API.v1.failure(message, errorType)`.
    pub fn plain_with_type(message: impl Into<String>, error_type: impl Into<String>) -> Self {
        Error::Plain {
            message: message.into(),
            error_type: Some(error_type.into()),
        }
    }

    pub fn with_details(self, details: Value) -> Self {
        match self {
            Error::Failure { code, reason, .. } => Error::Failure {
                code,
                reason,
                details: Some(details),
            },
            other => other,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Error::NotFound(message.into())
    }

    /// The status and JSON body Rocket.Chat 7.x sends for this error.
    pub fn status_and_body(&self) -> (StatusCode, Value) {
        match self {
            Error::Failure {
                code,
                reason,
                details,
            } => {
                let message = match reason {
                    Some(reason) => format!("{reason} [{code}]"),
                    None => format!("[{code}]"),
                };
                let mut body = json!({"success": false, "error": message, "errorType": code});
                if let Some(details) = details {
                    body["details"] = details.clone();
                }
                (StatusCode::BAD_REQUEST, body)
            }
            Error::Plain {
                message,
                error_type,
            } => {
                let mut body = json!({"success": false, "error": message});
                if let Some(error_type) = error_type {
                    body["errorType"] = Value::String(error_type.clone());
                }
                (StatusCode::BAD_REQUEST, body)
            }
            Error::InvalidParams { message, in_query } => {
                let body = if *in_query {
                    json!({"success": false, "error": message, "errorType": "error-invalid-params"})
                } else {
                    json!({"success": false, "error": format!("{message} [invalid-params]"), "errorType": "invalid-params"})
                };
                (StatusCode::BAD_REQUEST, body)
            }
            Error::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                json!({
                    "success": false,
                    "error": "You must be logged in to do this.",
                    "status": "error",
                    "message": "You must be logged in to do this.",
                }),
            ),
            Error::UnauthorizedWith(message) => (
                StatusCode::UNAUTHORIZED,
                json!({"success": false, "error": message}),
            ),
            Error::Forbidden => (
                StatusCode::FORBIDDEN,
                json!({"success": false, "error": self.to_string()}),
            ),
            Error::ForbiddenWith(message) => (
                StatusCode::FORBIDDEN,
                json!({"success": false, "error": message}),
            ),
            Error::NotFound(message) => (
                StatusCode::NOT_FOUND,
                json!({"success": false, "error": message}),
            ),
            Error::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"success": false, "error": format!("{self} [error-too-many-requests]"), "errorType": "error-too-many-requests"}),
            ),
            Error::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"success": false, "error": "Request body too large [error-payload-too-large]", "errorType": "error-payload-too-large"}),
            ),
            Error::LoginFailed { error, reason } => (
                StatusCode::UNAUTHORIZED,
                json!({"status": "error", "error": error, "message": reason, "success": false}),
            ),
            Error::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"success": false, "error": "Service Unavailable"}),
            ),
            Error::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"success": false, "error": "Internal server error"}),
            ),
        }
    }
}

impl From<ferrochat_store::StoreError> for Error {
    fn from(err: ferrochat_store::StoreError) -> Self {
        tracing::error!(error = %err, "store error");
        Error::Internal
    }
}

impl From<ferrochat_store::FilterError> for Error {
    fn from(err: ferrochat_store::FilterError) -> Self {
        Error::failure("error-invalid-query", err.to_string())
    }
}

/// A JSON response with exactly `Content-Type: application/json`, as Rocket.Chat's tests
/// expect.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, body) = self.status_and_body();
        json_response(status, &body)
    }
}
