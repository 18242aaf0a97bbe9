//! A client of the Cohorts API v2 (the real one or a `segscope serve`): the key in the
//! `X-Api-Key` header only, and retries with backoff when the service is busy (429) or failing
//! (5xx, no answer).
//!
//! Which requests are retried: reads, updates and deletes are idempotent, so any 429, 5xx or
//! transport failure is retried. A create is retried only on 429 — a rate-limited request was
//! not processed — because after a 5xx or a cut connection the cohort may exist already, and a
//! second `POST` would make a duplicate.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::cohorts::{COHORTS_PATH, CreateCohort, RemoteCohort, UpdateCohort};
use crate::api::{ErrorEnvelope, Target};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The wait before the first retry; doubled before each later one.
    pub first_delay: Duration,
    /// No wait is longer than this (a `Retry-After` included).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): exponential, with up to a quarter of
    /// jitter so that parallel requests refused together do not come back together.
    fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self
            .first_delay
            .saturating_mul(1u32 << (retry - 1).min(16))
            .min(self.max_delay);
        let jitter = exponential.mul_f64(random_fraction() / 4.0);
        retry_after
            .unwrap_or_default()
            .max(exponential + jitter)
            .min(self.max_delay)
    }
}

/// Why a request failed (after its retries).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{request}: {message}")]
pub struct RemoteError {
    /// e.g. `PATCH /cohorts-api/v2/cohorts/<id>`.
    pub request: String,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    pub message: String,
}

/// The Cohorts API of one target.
#[derive(Clone, Debug)]
pub struct CohortsClient {
    http: reqwest::Client,
    target: Target,
    pub retry: RetryPolicy,
}

enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    fn name(&self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl CohortsClient {
    pub fn new(target: Target) -> CohortsClient {
        let http = reqwest::Client::builder()
            .timeout(target.timeout)
            .connect_timeout(target.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("segscope/", env!("CARGO_PKG_VERSION")))
            .build()
            // Building fails only when the TLS backend cannot start; fall back to defaults.
            .unwrap_or_default();
        CohortsClient {
            http,
            target,
            retry: RetryPolicy::default(),
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Every cohort of the workspace, in summary form (no queries).
    pub async fn list(&self) -> Result<Vec<RemoteCohort>, RemoteError> {
        self.send(Method::Get, COHORTS_PATH.to_string(), None::<&()>)
            .await
            .and_then(|(request, body)| parse(&request, &body))
    }

    /// One cohort in full (with its query, unless it is a lookalike).
    pub async fn get(&self, id: &str) -> Result<RemoteCohort, RemoteError> {
        self.send(Method::Get, cohort_path(id), None::<&()>)
            .await
            .and_then(|(request, body)| parse(&request, &body))
    }

    pub async fn create(&self, cohort: &CreateCohort) -> Result<RemoteCohort, RemoteError> {
        self.send(Method::Post, COHORTS_PATH.to_string(), Some(cohort))
            .await
            .and_then(|(request, body)| parse(&request, &body))
    }

    pub async fn update(
        &self,
        id: &str,
        patch: &UpdateCohort,
    ) -> Result<RemoteCohort, RemoteError> {
        self.send(Method::Patch, cohort_path(id), Some(patch))
            .await
            .and_then(|(request, body)| parse(&request, &body))
    }

    pub async fn delete(&self, id: &str) -> Result<(), RemoteError> {
        self.send(Method::Delete, cohort_path(id), None::<&()>)
            .await
            .map(|_| ())
    }

    /// Sends one request, retrying as the policy says; the 2xx body, or why not.
    async fn send<B: Serialize>(
        &self,
        method: Method,
        path: String,
        body: Option<&B>,
    ) -> Result<(String, String), RemoteError> {
        let request = format!("{} {path}", method.name());
        let url = format!("{}{path}", self.target.base_url);
        let body = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        let mut attempt = 1;
        loop {
            let mut builder = match method {
                Method::Get => self.http.get(&url),
                Method::Post => self.http.post(&url),
                Method::Patch => self.http.patch(&url),
                Method::Delete => self.http.delete(&url),
            };
            if let Some(key) = &self.target.api_key {
                builder = builder.header("X-Api-Key", key.expose());
            }
            if let Some(body) = &body {
                builder = builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let (failure, retryable, retry_after) = match builder.send().await {
                Err(e) => {
                    let failure = RemoteError {
                        request: request.clone(),
                        status: None,
                        message: self.describe_error(&e),
                    };
                    (failure, !matches!(method, Method::Post), None)
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    match response.text().await {
                        Ok(text) if (200..300).contains(&status) => return Ok((request, text)),
                        Ok(text) => {
                            let retryable =
                                status == 429 || (status >= 500 && !matches!(method, Method::Post));
                            let failure = RemoteError {
                                request: request.clone(),
                                status: Some(status),
                                message: self.target.scrub(&error_message(status, &text)),
                            };
                            (failure, retryable, retry_after)
                        }
                        Err(e) => {
                            let failure = RemoteError {
                                request: request.clone(),
                                status: Some(status),
                                message: self.describe_error(&e),
                            };
                            (failure, !matches!(method, Method::Post), retry_after)
                        }
                    }
                }
            };
            if !retryable || attempt >= self.retry.attempts {
                let mut failure = failure;
                if attempt > 1 {
                    failure
                        .message
                        .push_str(&format!(" (after {attempt} tries)"));
                }
                return Err(failure);
            }
            tokio::time::sleep(self.retry.delay(attempt, retry_after)).await;
            attempt += 1;
        }
    }

    /// A transport failure in words, without the URL (which a careless `--base-url` could have
    /// given a key) and scrubbed of the key whatever it says.
    fn describe_error(&self, error: &reqwest::Error) -> String {
        let host = self.target.display_url();
        let what = if error.is_timeout() {
            format!(
                "timed out after {} s waiting for {host}",
                self.target.timeout.as_secs_f32()
            )
        } else if error.is_connect() {
            format!("could not connect to {host}")
        } else {
            format!("the connection to {host} broke before the answer was complete")
        };
        let mut source: &dyn std::error::Error = error;
        while let Some(next) = source.source() {
            source = next;
        }
        let cause = if std::ptr::addr_eq(source, error as &dyn std::error::Error) {
            String::new()
        } else {
            format!(": {source}")
        };
        self.target.scrub(&format!("{what}{cause}"))
    }
}

fn cohort_path(id: &str) -> String {
    // Ids are UUIDs; anything else is sent percent-encoded rather than as more path.
    let encoded: String = id
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("{COHORTS_PATH}/{encoded}")
}

fn parse<T: DeserializeOwned>(request: &str, body: &str) -> Result<T, RemoteError> {
    serde_json::from_str(body).map_err(|e| RemoteError {
        request: request.to_string(),
        status: None,
        message: format!("the answer is not what the Cohorts API returns: {e}"),
    })
}

/// An error answer in one line: the envelope's message (and cause) when it is one.
fn error_message(status: u16, body: &str) -> String {
    match ErrorEnvelope::parse(body) {
        Some(envelope) => {
            let mut line = format!(
                "{status} {} (code {}): {}",
                envelope.error.status, envelope.error.code, envelope.error.message
            );
            if let Some(cause) = envelope.error.cause {
                line.push_str(&format!(" — {cause}"));
            }
            line
        }
        None => {
            let snippet: String = body.chars().take(200).collect();
            if snippet.trim().is_empty() {
                format!("{status}")
            } else {
                format!("{status}: {snippet}")
            }
        }
    }
}

/// A uniform number in [0, 1), from the OS-seeded generator behind UUID v4.
fn random_fraction() -> f64 {
    let bits = (uuid::Uuid::new_v4().as_u128() >> 64) as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_are_capped() {
        let policy = RetryPolicy {
            attempts: 10,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        let first = policy.delay(1, None);
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(125));
        let third = policy.delay(3, None);
        assert!(third >= Duration::from_millis(400) && third <= Duration::from_millis(500));
        assert_eq!(policy.delay(9, None), Duration::from_secs(1));
        // A Retry-After longer than the backoff is honoured, up to the cap.
        assert_eq!(
            policy.delay(1, Some(Duration::from_millis(700))),
            Duration::from_millis(700)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(60))),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn ids_cannot_add_path_segments() {
        assert_eq!(
            cohort_path("38470a62-9837-4c86-bbf3-45dd6d52dd83"),
            "/cohorts-api/v2/cohorts/38470a62-9837-4c86-bbf3-45dd6d52dd83"
        );
        assert_eq!(
            cohort_path("../x?y"),
            "/cohorts-api/v2/cohorts/%2E%2E%2Fx%3Fy"
        );
    }
}
