//! Failures the emulator answers with, in Permutive's error envelope.

use crate::api::{ErrorBody, ErrorEnvelope};

const DOCS: &str = "https://developer.permutive.com/reference#errors";

/// An error answer before it gets its request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub code: i64,
    pub message: String,
    pub cause: Option<String>,
}

impl Failure {
    pub fn new(status: u16, code: i64, message: impl Into<String>) -> Failure {
        Failure {
            status,
            code,
            message: message.into(),
            cause: None,
        }
    }

    pub fn with_cause(mut self, cause: impl Into<String>) -> Failure {
        self.cause = Some(cause.into());
        self
    }

    /// 400, code 1002: the body is not what the endpoint expects.
    pub fn bad_body(message: impl Into<String>) -> Failure {
        Failure::new(400, 1002, message)
    }

    pub fn envelope(&self, request_id: String) -> ErrorEnvelope {
        let (kind, status) = status_words(self.status);
        ErrorEnvelope {
            request_id,
            error: ErrorBody {
                kind: kind.to_string(),
                status_code: self.status,
                status: status.to_string(),
                code: self.code,
                message: self.message.clone(),
                docs: DOCS.to_string(),
                cause: self.cause.clone(),
            },
        }
    }
}

fn status_words(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => (
            "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "Bad Request",
        ),
        401 => (
            "https://tools.ietf.org/html/rfc7235#section-3.1",
            "Unauthorized",
        ),
        403 => (
            "https://tools.ietf.org/html/rfc7231#section-6.5.3",
            "Forbidden",
        ),
        404 => (
            "https://tools.ietf.org/html/rfc7231#section-6.5.4",
            "Not Found",
        ),
        405 => (
            "https://tools.ietf.org/html/rfc7231#section-6.5.5",
            "Method Not Allowed",
        ),
        413 => (
            "https://tools.ietf.org/html/rfc7231#section-6.5.11",
            "Payload Too Large",
        ),
        503 => (
            "https://tools.ietf.org/html/rfc7231#section-6.6.4",
            "Service Unavailable",
        ),
        _ => (
            "https://tools.ietf.org/html/rfc7231#section-6.6.1",
            "Internal Server Error",
        ),
    }
}
