//! `workspace pull`: list the remote cohorts, fetch each one's query (a bounded number at a
//! time), and write `DIR/cohorts.json` in the workspace format — sorted by code, pretty, written
//! to a temp file and renamed, so an interrupted pull leaves the old file as it was.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use futures_util::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};

use super::remote::{CohortsClient, RemoteError};
use super::{Error, Skipped, read_local_records};
use crate::api::cohorts::RemoteCohort;
use crate::emulator::workspace::{CohortRecord, cohorts_file_text, compile_records};

/// Cohorts fetched at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How progress is shown (on stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A progress bar (a terminal).
    Bar,
    /// One plain line per cohort fetched (logs, CI).
    Lines,
    Quiet,
}

impl Progress {
    /// A bar when stderr is a terminal, plain lines otherwise.
    pub fn for_stderr() -> Progress {
        if std::io::stderr().is_terminal() {
            Progress::Bar
        } else {
            Progress::Lines
        }
    }
}

/// The remote workspace in full.
#[derive(Debug, Clone, Default)]
pub struct RemoteWorkspace {
    /// Cohorts with a query, sorted by code.
    pub cohorts: Vec<RemoteCohort>,
    /// Cohorts that cannot be kept in the workspace format (no query: lookalikes and others).
    pub skipped: Vec<Skipped>,
}

/// Lists the remote cohorts and fetches each one's query, `concurrency` at a time. The first
/// request that fails (after its retries) ends the fetch.
pub async fn fetch_all(
    client: &CohortsClient,
    concurrency: usize,
    progress: Progress,
) -> Result<RemoteWorkspace, RemoteError> {
    let listed = client.list().await?;
    let total = listed.len();
    let shown = Shown::start(progress, total);
    let fetched: Vec<(RemoteCohort, Option<RemoteCohort>)> =
        futures_util::stream::iter(listed.into_iter().map(|summary| {
            let shown = &shown;
            async move {
                let full = match client.get(&summary.id).await {
                    Ok(full) => Some(full),
                    // Deleted between the list and now: nothing to keep.
                    Err(RemoteError {
                        status: Some(404), ..
                    }) => None,
                    Err(e) => return Err(e),
                };
                shown.fetched(&summary);
                Ok((summary, full))
            }
        }))
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
        .inspect_err(|_| shown.abandon())?;
    shown.finish();
    let mut remote = RemoteWorkspace::default();
    for (summary, full) in fetched {
        match full {
            Some(cohort) if cohort.query.is_some() => remote.cohorts.push(cohort),
            Some(cohort) => remote
                .skipped
                .push(Skipped::of(&cohort, "no query (a lookalike?)")),
            None => remote
                .skipped
                .push(Skipped::of(&summary, "deleted while the pull ran")),
        }
    }
    remote.cohorts.sort_by(|a, b| a.code.cmp(&b.code));
    remote.skipped.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(remote)
}

/// What a pull did.
#[derive(Debug, Clone)]
pub struct PullReport {
    pub file: PathBuf,
    pub written: usize,
    pub skipped: Vec<Skipped>,
    /// Set when the pulled cohorts do not load in the emulator (the file is written anyway:
    /// it is what the remote workspace holds).
    pub load_error: Option<String>,
}

/// Pulls the remote workspace into `dir/cohorts.json` (schemas in `dir/schemas/` are left as
/// they are; keys the workspace format does not name are kept for cohorts already there).
pub async fn pull(
    client: &CohortsClient,
    dir: &Path,
    concurrency: usize,
    progress: Progress,
) -> Result<PullReport, Error> {
    let remote = fetch_all(client, concurrency, progress).await?;
    let file = dir.join("cohorts.json");
    let kept_extras: HashMap<String, serde_json::Map<String, serde_json::Value>> =
        read_local_records(dir)
            .map(|records| {
                records
                    .into_iter()
                    .filter_map(|r| Some((r.id?, r.extra)))
                    .filter(|(_, extra)| !extra.is_empty())
                    .collect()
            })
            .unwrap_or_default();
    let records: Vec<CohortRecord> = remote
        .cohorts
        .iter()
        .map(|cohort| {
            let mut record = record_of(cohort);
            if let Some(extra) = kept_extras.get(&cohort.id) {
                record.extra = extra.clone();
            }
            record
        })
        .collect();
    crate::session::write_atomically(&file, cohorts_file_text(&records).as_bytes()).map_err(
        |source| Error::Write {
            file: file.clone(),
            source,
        },
    )?;
    Ok(PullReport {
        file,
        written: records.len(),
        skipped: remote.skipped,
        load_error: compile_records(&records).err().map(|e| e.to_string()),
    })
}

/// A remote cohort in the workspace format.
pub fn record_of(cohort: &RemoteCohort) -> CohortRecord {
    CohortRecord {
        id: Some(cohort.id.clone()),
        code: cohort.code.clone(),
        name: Some(cohort.name.clone()),
        description: cohort.description.clone(),
        tags: cohort.tags.clone(),
        state: Some(cohort.state.clone()),
        segment_type: cohort.segment_type.clone(),
        query: cohort.query.clone(),
        extra: Default::default(),
    }
}

/// Progress as it is shown: a bar, lines, or nothing.
struct Shown {
    bar: Option<ProgressBar>,
    lines: bool,
    total: usize,
    done: std::sync::atomic::AtomicUsize,
}

impl Shown {
    fn start(progress: Progress, total: usize) -> Shown {
        let bar = (progress == Progress::Bar).then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} cohorts {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Shown {
            bar,
            lines: progress == Progress::Lines,
            total,
            done: Default::default(),
        }
    }

    fn fetched(&self, cohort: &RemoteCohort) {
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} {}", cohort.code, cohort.name));
            bar.inc(1);
        } else if self.lines {
            let width = self.total.to_string().len();
            eprintln!(
                "[{done:>width$}/{}] {} {}",
                self.total, cohort.code, cohort.name
            );
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn abandon(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }
}
