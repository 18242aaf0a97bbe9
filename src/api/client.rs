//! The HTTP client: one connection pool, the key in a header, a typed outcome for every call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::key::ApiKey;
use super::wire::{
    EXPLAIN_PATH, ErrorEnvelope, STATELESS_PATH, SegmentationRequest, SegmentationResponse,
};

/// Where the real API lives.
pub const DEFAULT_BASE_URL: &str = "https://api.permutive.app";
/// How long a call may take before it is given up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to send calls and with what key.
#[derive(Clone)]
pub struct Target {
    pub base_url: String,
    pub api_key: Option<ApiKey>,
    pub timeout: Duration,
}

impl Target {
    pub fn new(base_url: impl Into<String>, api_key: Option<ApiKey>) -> Target {
        Target {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The target as it may be shown: base URL (with any key in it masked) and the masked key.
    pub fn describe(&self) -> String {
        let url = self.display_url();
        match &self.api_key {
            Some(key) => format!("{url} (key {})", key.masked()),
            None => url,
        }
    }

    /// The base URL as it may be printed or saved. The key belongs in the `X-Api-Key` header, but
    /// a URL may carry one anyway (`--base-url 'https://…?k=sk%2Dlive…'`): a query value that is
    /// the key or sits under a key-like name (`k`, `key`, `api_key`, `token`, …), a path segment
    /// that is the key, and a userinfo password are masked, compared after percent-decoding.
    /// Nothing else is touched: a URL without a secret comes back byte for byte.
    pub fn display_url(&self) -> String {
        mask_url(&self.base_url, self.api_key.as_ref())
    }

    /// Replaces every occurrence of the key in `text` with its masked form.
    ///
    /// Text-wide scrubbing rewrites user data that merely contains the key's text (with the key
    /// `web`, `"type": "web"` became `"type": "****"`), so nothing in `api`, `session` or the
    /// CLI uses it: the key is kept out of data by construction and masked only where the key
    /// itself is shown ([`Target::describe`], [`Target::display_url`]). Used only on the text of
    /// a remote's error and of a transport failure, which could quote the key back.
    pub fn scrub(&self, text: &str) -> String {
        match &self.api_key {
            Some(key) => key.scrub(text),
            None => text.to_string(),
        }
    }
}

/// Query parameter names that carry a key by convention.
const KEY_PARAMS: [&str; 8] = [
    "k",
    "key",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "token",
    "access_token",
];

/// See [`Target::display_url`].
fn mask_url(url: &str, key: Option<&ApiKey>) -> String {
    let masked = |value: &str| {
        key.filter(|k| k.expose() == value)
            .map_or_else(|| "****".to_string(), ApiKey::masked)
    };
    let is_key = |value: &str| key.is_some_and(|k| !k.expose().is_empty() && k.expose() == value);
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        // Not a URL (the client cannot use it either): show none of it that could be the key.
        return match key {
            Some(k) if !k.expose().is_empty() && url.contains(k.expose()) => {
                "(a URL that holds the key)".into()
            }
            _ => url.to_string(),
        };
    };
    let mut changed = false;
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("****"));
        changed = true;
    }
    if is_key(&percent_decoded(parsed.username())) {
        let _ = parsed.set_username("****");
        changed = true;
    }
    let segments: Option<Vec<String>> = parsed
        .path_segments()
        .map(|s| s.map(|seg| seg.to_string()).collect());
    if let Some(segments) = segments
        && segments.iter().any(|seg| is_key(&percent_decoded(seg)))
    {
        let path: Vec<String> = segments
            .iter()
            .map(|seg| {
                if is_key(&percent_decoded(seg)) {
                    masked(&percent_decoded(seg))
                } else {
                    seg.clone()
                }
            })
            .collect();
        parsed.set_path(&format!("/{}", path.join("/")));
        changed = true;
    }
    let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let secret = |(name, value): &(String, String)| {
        KEY_PARAMS.contains(&name.to_ascii_lowercase().as_str()) || is_key(value)
    };
    if pairs.iter().any(secret) {
        let shown: Vec<(String, String)> = pairs
            .iter()
            .map(|pair| {
                if secret(pair) {
                    (pair.0.clone(), masked(&pair.1))
                } else {
                    pair.clone()
                }
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(shown);
        changed = true;
    }
    if changed {
        parsed.to_string()
    } else {
        url.to_string()
    }
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry the key (a careless `--base-url ...?k=KEY`): show it masked.
        f.debug_struct("Target")
            .field("base_url", &self.display_url())
            .field("api_key", &self.api_key)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What one call came to.
#[derive(Debug, Clone)]
pub enum CallOutcome {
    /// 2xx with a body that is a segmentation response.
    Success {
        status: u16,
        latency: Duration,
        response: SegmentationResponse,
        raw_body: Arc<str>,
    },
    /// Any other HTTP answer: an error status, or a 2xx whose body is not a response.
    ApiError {
        status: u16,
        latency: Duration,
        /// The parsed error envelope, when the body is one.
        envelope: Option<ErrorEnvelope>,
        raw_body: Arc<str>,
    },
    /// No HTTP answer at all.
    Transport {
        latency: Duration,
        kind: TransportKind,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Timeout,
    Connect,
    /// The connection broke or the body could not be read.
    Body,
    Other,
    /// Given up by the user (the console's Esc) before an answer came.
    Cancelled,
}

impl CallOutcome {
    pub fn status(&self) -> Option<u16> {
        match self {
            CallOutcome::Success { status, .. } | CallOutcome::ApiError { status, .. } => {
                Some(*status)
            }
            CallOutcome::Transport { .. } => None,
        }
    }

    pub fn latency(&self) -> Duration {
        match self {
            CallOutcome::Success { latency, .. }
            | CallOutcome::ApiError { latency, .. }
            | CallOutcome::Transport { latency, .. } => *latency,
        }
    }

    /// One line in words: what happened.
    pub fn summary(&self) -> String {
        match self {
            CallOutcome::Success {
                status, latency, ..
            } => {
                format!("{status} OK in {} ms", latency.as_millis())
            }
            CallOutcome::ApiError {
                status,
                envelope: Some(env),
                ..
            } => {
                let first = env.headline();
                format!(
                    "{status} {} (code {}): {first}",
                    env.error.status, env.error.code
                )
            }
            CallOutcome::ApiError {
                status, raw_body, ..
            } => {
                let snippet: String = raw_body.chars().take(120).collect();
                format!("{status}: the body is not an error envelope: {snippet}")
            }
            CallOutcome::Transport { message, .. } => message.clone(),
        }
    }
}

/// An error's text (a [`ErrorEnvelope::headline`], a transport failure) as a sentence of its own:
/// no dangling `:` (what followed it is shown elsewhere) and one full stop, never two.
pub fn as_sentence(text: &str) -> String {
    let text = text.trim_end().trim_end_matches(':');
    if text.ends_with('.') {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

/// A client for the stateless endpoint of any target: the real API, a `segscope serve`, or the
/// embedded emulator.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    target: Target,
}

impl Client {
    pub fn new(target: Target) -> Client {
        let mut builder = reqwest::Client::builder()
            .timeout(target.timeout)
            .connect_timeout(target.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("segscope/", env!("CARGO_PKG_VERSION")));
        if is_plain_http(&target.base_url) {
            // No TLS to verify: skip loading the system's root certificates, which cost a
            // one-shot `segscope send` to a local `serve` about a millisecond of reading
            // /etc/ssl (an https URL keeps them, and a redirect to https would then fail).
            builder = builder.tls_certs_only([]);
        }
        let http = builder
            .build()
            // Building fails only when the TLS backend cannot start; fall back to defaults.
            .unwrap_or_default();
        Client { http, target }
    }

    /// The same client with calls given up after `timeout` (`--timeout`).
    pub fn with_timeout(self, timeout: Duration) -> Client {
        Client::new(Target {
            timeout,
            ..self.target
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// `POST /ccs/v1/segmentation/stateless`.
    pub async fn segment(
        &self,
        request: &SegmentationRequest,
        sync_validation: bool,
    ) -> CallOutcome {
        let (latency, answer) = self.post(STATELESS_PATH, request, sync_validation).await;
        match answer {
            Err(outcome) => outcome,
            Ok((status, raw_body)) => {
                if (200..300).contains(&status)
                    && let Ok(response) = SegmentationResponse::parse(&raw_body)
                {
                    return CallOutcome::Success {
                        status,
                        latency,
                        response,
                        raw_body,
                    };
                }
                CallOutcome::ApiError {
                    status,
                    latency,
                    envelope: ErrorEnvelope::parse(&raw_body),
                    raw_body,
                }
            }
        }
    }

    /// `POST /_segscope/explain` (emulator only): the engine's decision tree as JSON.
    pub async fn explain(
        &self,
        request: &SegmentationRequest,
    ) -> Result<serde_json::Value, String> {
        let (_, answer) = self.post(EXPLAIN_PATH, request, false).await;
        match answer {
            Err(outcome) => Err(outcome.summary()),
            Ok((200, body)) => {
                serde_json::from_str(&body).map_err(|e| format!("the explanation is not JSON: {e}"))
            }
            Ok((404, _)) => {
                Err("explanations need the segscope emulator; this target has none".into())
            }
            Ok((status, body)) => Err(match ErrorEnvelope::parse(&body) {
                Some(env) => format!("{status}: {}", env.error.message),
                None => format!("{status}"),
            }),
        }
    }

    /// `GET` a path and return its body (for the emulator's own endpoints).
    pub async fn get_json(&self, path: &str) -> Result<serde_json::Value, String> {
        let url = format!("{}{path}", self.target.base_url);
        let mut builder = self.http.get(&url);
        if let Some(key) = &self.target.api_key {
            builder = builder.header("X-Api-Key", key.expose());
        }
        let response = builder.send().await.map_err(|e| self.describe_error(&e))?;
        if !response.status().is_success() {
            return Err(format!("{} from {path}", response.status().as_u16()));
        }
        response.json().await.map_err(|e| self.describe_error(&e))
    }

    async fn post(
        &self,
        path: &str,
        request: &SegmentationRequest,
        sync_validation: bool,
    ) -> (Duration, Result<(u16, Arc<str>), CallOutcome>) {
        let url = format!("{}{path}", self.target.base_url);
        let mut builder = self
            .http
            .post(&url)
            .query(&[("synchronous-validation", sync_validation)])
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.to_body());
        if let Some(key) = &self.target.api_key {
            builder = builder.header("X-Api-Key", key.expose());
        }
        let started = Instant::now();
        let result = async {
            let response = builder.send().await?;
            let status = response.status().as_u16();
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, body_text(&bytes)))
        }
        .await;
        let latency = started.elapsed();
        let answer = result.map_err(|e| CallOutcome::Transport {
            latency,
            kind: transport_kind(&e),
            message: self.describe_error(&e),
        });
        (latency, answer)
    }

    /// A human message for a transport failure. reqwest's own text carries the URL (which may
    /// carry a key if the user put one in `--base-url`), so the message is built here from the
    /// masked URL and the innermost cause (with the URL taken out).
    fn describe_error(&self, error: &reqwest::Error) -> String {
        let host = self.target.display_url();
        if error.is_timeout() {
            format!(
                "timed out after {} s waiting for {host}",
                self.target.timeout.as_secs_f32()
            )
        } else if error.is_connect() {
            let cause = root_cause(error);
            format!("could not connect to {host}: {cause}")
        } else if error.is_builder() {
            // Nothing was sent: e.g. a key with a character no HTTP header may carry.
            format!(
                "the request to {host} could not be made: {}",
                root_cause(error)
            )
        } else {
            // Past connecting, the exchange itself failed: in practice the connection was cut.
            format!(
                "the connection to {host} broke before the answer was complete: {}",
                root_cause(error)
            )
        }
    }
}

/// Whether a base URL is plain HTTP (no TLS).
fn is_plain_http(base_url: &str) -> bool {
    base_url
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// A body as text, copied once into the shared string every outcome keeps: UTF-8 checked in
/// place (`Response::text` decodes into a `String` first, then it was copied again); a leading
/// byte-order mark dropped and invalid sequences replaced, as `text` does.
fn body_text(bytes: &[u8]) -> Arc<str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Arc::from(text),
        Err(_) => Arc::from(String::from_utf8_lossy(bytes).as_ref()),
    }
}

fn transport_kind(error: &reqwest::Error) -> TransportKind {
    if error.is_timeout() {
        TransportKind::Timeout
    } else if error.is_connect() {
        TransportKind::Connect
    } else if error.is_body() || error.is_decode() || error.is_request() {
        TransportKind::Body
    } else {
        TransportKind::Other
    }
}

/// The innermost cause of an error, without reqwest's URL-bearing wrapper text.
fn root_cause(error: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(next) = source.source() {
        source = next;
    }
    if std::ptr::addr_eq(source, error as &dyn std::error::Error) {
        // No deeper cause: reqwest's own text, with the URL taken out.
        let mut without = error.to_string();
        if let Some(url) = error.url() {
            without = without.replace(url.as_str(), "the target");
        }
        return without;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_text_becomes_one_sentence() {
        assert_eq!(
            as_sentence("Invalid request body:"),
            "Invalid request body."
        );
        assert_eq!(as_sentence("the key was refused."), "the key was refused.");
        assert_eq!(
            as_sentence("could not connect to http://127.0.0.1:9: refused \n"),
            "could not connect to http://127.0.0.1:9: refused."
        );
        assert_eq!(as_sentence(""), ".");
    }

    #[test]
    fn only_plain_http_goes_without_root_certificates() {
        assert!(is_plain_http("http://127.0.0.1:8787"));
        assert!(is_plain_http("HTTP://localhost"));
        assert!(!is_plain_http("https://api.permutive.app"));
        assert!(!is_plain_http("http:/"));
    }

    #[test]
    fn a_body_is_kept_as_sent_but_for_a_byte_order_mark() {
        let body = r#"{"state":{"a":"é"}}"#;
        assert_eq!(&*body_text(body.as_bytes()), body);
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), body.as_bytes()].concat();
        assert_eq!(&*body_text(&with_bom), body);
        assert_eq!(&*body_text(b"{\"a\":\"\xFF\"}"), "{\"a\":\"\u{FFFD}\"}");
    }
}
