//! A load generator for the stateless endpoint: N concurrent keep-alive connections on loopback,
//! realistic bodies (10 events and a state accumulated over weeks), for a bounded time.
//! It reports requests/s, latency percentiles and errors.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use segscope::api::wire::STATELESS_PATH;
use segscope::api::{
    ApiKey, CallOutcome, Client, Identity, OpaqueState, SegmentationRequest, Target,
};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub connections: usize,
    pub duration: Duration,
    /// Stop after this many requests, if sooner.
    pub max_requests: Option<u64>,
}

/// What came of it.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// The first error seen, in words.
    pub first_error: Option<String>,
    /// Bytes of the state every request carried.
    pub state_bytes: usize,
}

impl LoadReport {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn line(&self) -> String {
        format!(
            "{:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  {} requests, {} errors, state {} KiB",
            self.requests_per_second(),
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.requests,
            self.errors,
            self.state_bytes / 1024
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A news reader's Pageview at `time`, valid against the demo workspace's schema.
pub fn reader_event(time: jiff::Timestamp, n: usize) -> Value {
    const CATEGORIES: [&str; 6] = [
        "football",
        "politics",
        "technology",
        "motoring",
        "culture",
        "business",
    ];
    let category = CATEGORIES[n % CATEGORIES.len()];
    let live = if n.is_multiple_of(7) { "live/" } else { "" };
    json!({
        "name": "Pageview",
        "time": time.to_string(),
        "properties": {
            "article": {"title": format!("Story {n}"), "category": category, "tags": ["economy", "news"]},
            "client": {
                "url": format!("https://www.dailycourier.example/{category}/{live}story-{n}"),
                "domain": "www.dailycourier.example",
                "type": "web"
            }
        }
    })
}

/// Ten events ending at `end`, a few minutes apart.
pub fn ten_events(end: jiff::Timestamp, salt: usize) -> Value {
    let events: Vec<Value> = (0..10)
        .map(|i| {
            let t = end - jiff::SignedDuration::from_secs(60 * (9 - i as i64));
            reader_event(t, salt + i)
        })
        .collect();
    Value::Array(events)
}

/// Builds a user's state the realistic way: `weeks` of reading, sent through the target itself.
pub async fn accumulate_state(
    client: &Client,
    identity: &Identity,
    end: jiff::Timestamp,
    weeks: i64,
) -> Result<Option<OpaqueState>, String> {
    let mut state = None;
    let days = weeks * 7;
    for day in 0..days {
        let day_end = end - jiff::SignedDuration::from_hours(24 * (days - day));
        let request = SegmentationRequest {
            identity: identity.clone(),
            events: raw(&ten_events(day_end, day as usize)),
            state: state.clone(),
        };
        match client.segment(&request, false).await {
            CallOutcome::Success { response, .. } => state = Some(response.state),
            other => return Err(format!("building the state failed: {}", other.summary())),
        }
    }
    Ok(state)
}

fn raw(value: &Value) -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string(value.to_string())
        .expect("serialised JSON is valid JSON")
}

fn client_for(base_url: &str, key: Option<ApiKey>) -> Client {
    let mut target = Target::new(base_url, key);
    target.timeout = Duration::from_secs(30);
    Client::new(target)
}

/// The request every load request sends: a returning reader with four weeks of state
/// (accumulated through the target at `base_url`) and ten fresh events.
pub async fn realistic_request(
    base_url: &str,
    key: Option<ApiKey>,
) -> Result<SegmentationRequest, String> {
    let client = client_for(base_url, key);
    let identity = Identity::UserId("0b5e5c3e-1d7a-4f3b-8e7e-5a1e0c0ffee0".into());
    let end: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().expect("a literal time");
    let state = accumulate_state(&client, &identity, end, 4).await?;
    Ok(SegmentationRequest {
        identity,
        events: raw(&ten_events(end + jiff::SignedDuration::from_mins(30), 1000)),
        state,
    })
}

/// Runs the plan against `base_url`, every request carrying `request` (as a publisher's server
/// would send for a returning reader). The body is built (and its state checked) once, before the
/// clock starts, and every request sends the same bytes; answers are read to the end but not
/// parsed (a status other than 200 counts as an error), so the generator spends its time on
/// HTTP, as wrk does, not on JSON.
pub async fn run(
    base_url: &str,
    key: Option<ApiKey>,
    request: &SegmentationRequest,
    plan: &LoadPlan,
) -> Result<LoadReport, String> {
    let state_bytes = request.state.as_ref().map_or(0, |s| s.as_str().len());
    // Leaked once per run, so each request's body is a borrowed slice, not a copy.
    let body: &'static str = Box::leak(request.to_body().into_boxed_str());
    let url = format!("{base_url}{}?synchronous-validation=false", STATELESS_PATH);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let deadline = started + plan.duration;
    let budget = plan.max_requests.unwrap_or(u64::MAX);
    let issued = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections.max(1) {
        let http = http.clone();
        let url = url.clone();
        let key = key.clone();
        let issued = issued.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let mut errors = 0u64;
            let mut first_error = None;
            while Instant::now() < deadline
                && issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < budget
            {
                let mut builder = http
                    .post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.as_bytes());
                if let Some(key) = &key {
                    builder = builder.header("X-Api-Key", key.expose());
                }
                let sent = Instant::now();
                let answer = async {
                    let response = builder.send().await?;
                    let status = response.status().as_u16();
                    response.bytes().await.map(|b| (status, b.len()))
                }
                .await;
                latencies.push(sent.elapsed());
                match answer {
                    Ok((200, _)) => {}
                    Ok((status, _)) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("status {status}"));
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("transport: {e}"));
                    }
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let mut latencies = Vec::new();
    let mut report = LoadReport {
        state_bytes,
        ..LoadReport::default()
    };
    for worker in workers {
        let (l, e, f) = worker.await.map_err(|e| e.to_string())?;
        latencies.extend(l);
        report.errors += e;
        if report.first_error.is_none() {
            report.first_error = f;
        }
    }
    report.elapsed = started.elapsed();
    report.requests = latencies.len() as u64;
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    report.p50 = pick(0.50);
    report.p99 = pick(0.99);
    report.max = latencies.last().copied().unwrap_or_default();
    Ok(report)
}

/// The minimum and median of some figures (`(0, 0)` for none).
pub fn min_median(figures: &[f64]) -> (f64, f64) {
    let mut sorted: Vec<f64> = figures.iter().copied().filter(|f| f.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => (0.0, 0.0),
        n if n % 2 == 1 => (sorted[0], sorted[n / 2]),
        n => (sorted[0], (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The resident memory of a process in KiB (Linux `/proc`), for soak tests.
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
