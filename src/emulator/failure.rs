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
    /// A failure; its message is [`bounded`], whatever input it quotes.
    pub fn new(status: u16, code: i64, message: impl Into<String>) -> Failure {
        Failure {
            status,
            code,
            message: bounded(message.into()),
            cause: None,
        }
    }

    pub fn with_cause(mut self, cause: impl Into<String>) -> Failure {
        self.cause = Some(bounded(cause.into()));
        self
    }

    /// 400, code 1002: the body is not what the endpoint expects.
    pub fn bad_body(message: impl Into<String>) -> Failure {
        Failure::new(400, 1002, message)
    }

    /// The envelope as JSON, with a fresh request id.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.envelope(uuid::Uuid::new_v4().to_string())).unwrap_or_default()
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

/// Input quoted back in an error or a log line: at most [`QUOTE_LIMIT`] characters, then "…".
/// A 9 MiB event name must not come back as a 9 MiB message.
pub fn quote(text: &str) -> std::borrow::Cow<'_, str> {
    clip(text, QUOTE_LIMIT)
}

/// At most `limit` characters of `text`, then "…".
pub fn clip(text: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(limit) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// How many characters of an input an error quotes.
pub const QUOTE_LIMIT: usize = 200;

/// The longest line of a message, in characters; longer lines end in "…".
pub const MAX_LINE: usize = 400;
/// The most lines of a message (one per schema violation); more are counted, not listed.
pub const MAX_LINES: usize = 50;

/// A message no longer than [`MAX_LINES`] lines of [`MAX_LINE`] characters: error answers and
/// log lines quote the input, and the input may be megabytes.
pub fn bounded(message: String) -> String {
    let too_long = message.lines().count() > MAX_LINES
        || message.lines().any(|l| l.chars().nth(MAX_LINE).is_some());
    if !too_long {
        return message;
    }
    let total = message.lines().count();
    let mut out = String::new();
    for (i, line) in message.lines().take(MAX_LINES).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match line.char_indices().nth(MAX_LINE) {
            Some((cut, _)) => {
                out.push_str(&line[..cut]);
                out.push('…');
            }
            None => out.push_str(line),
        }
    }
    if total > MAX_LINES {
        out.push_str(&format!("\n… and {} more", total - MAX_LINES));
    }
    out
}

/// The envelope's `type` (the RFC section that defines the status) and `status` (its words).
fn status_words(status: u16) -> (&'static str, &'static str) {
    // Exact statuses first, then the class: the overlap is the point.
    #[allow(clippy::match_overlapping_arm)]
    let kind = match status {
        400 => "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        401 => "https://tools.ietf.org/html/rfc7235#section-3.1",
        403 => "https://tools.ietf.org/html/rfc7231#section-6.5.3",
        404 => "https://tools.ietf.org/html/rfc7231#section-6.5.4",
        405 => "https://tools.ietf.org/html/rfc7231#section-6.5.5",
        408 => "https://tools.ietf.org/html/rfc7231#section-6.5.7",
        413 => "https://tools.ietf.org/html/rfc7231#section-6.5.11",
        414 => "https://tools.ietf.org/html/rfc7231#section-6.5.12",
        415 => "https://tools.ietf.org/html/rfc7231#section-6.5.13",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        431 => "https://tools.ietf.org/html/rfc6585#section-5",
        502 => "https://tools.ietf.org/html/rfc7231#section-6.6.3",
        503 => "https://tools.ietf.org/html/rfc7231#section-6.6.4",
        504 => "https://tools.ietf.org/html/rfc7231#section-6.6.5",
        _ if status < 500 => "https://tools.ietf.org/html/rfc7231#section-6.5",
        _ => "https://tools.ietf.org/html/rfc7231#section-6.6.1",
    };
    let words = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or(if status < 500 {
            "Client Error"
        } else {
            "Internal Server Error"
        });
    (kind, words)
}
