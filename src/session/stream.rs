//! `segscope replay` without `--update`: each file read a step at a time, each step's line
//! printed as soon as it is judged, and nothing kept that the summary does not need, so that
//! memory does not grow with the length of a session (a 10,000-step session takes what a
//! 100-step one does). The report is the one [`super::report::text`] writes, line for line.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::replay::{Replayer, StepResult, Verdict};
use super::report::{self, FileReport, Tally};
use super::{ReplayOptions, Session, Step};
use crate::api::{Client, OpaqueState};

/// Steps handed over at once by the thread reading the file (one wake-up per batch, not per
/// step), and batches read ahead of the one being replayed.
const BATCH: usize = 32;
const READ_AHEAD: usize = 2;
/// How long judged steps' lines may wait to be printed together.
const FLUSH: std::time::Duration = std::time::Duration::from_millis(50);

/// What a streamed replay of some files came to.
#[derive(Debug, Default)]
pub struct Streamed {
    /// One per file, in the order given: with its steps only when they were asked to be kept
    /// (for a JUnit report), and then without what came back (the JUnit report never shows it).
    pub reports: Vec<FileReport>,
    pub tally: Tally,
    /// Steps that ran, over all files.
    pub steps_run: usize,
}

/// Replays `paths`, `jobs` files at a time, handing the report's text to `print` as it is made,
/// file after file in the order given (a file that finishes early waits for those before it).
pub async fn run_files(
    client: &Client,
    paths: &[PathBuf],
    options: ReplayOptions,
    jobs: usize,
    keep_steps: bool,
    mut print: impl FnMut(&str),
) -> Streamed {
    let limit = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut runs = Vec::with_capacity(paths.len());
    for path in paths {
        let (client, path, limit) = (client.clone(), path.clone(), limit.clone());
        let (text, lines) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            run_file(&client, &path, options, keep_steps, &text).await
        });
        runs.push((task, lines));
    }
    let mut streamed = Streamed::default();
    for ((task, mut lines), path) in runs.into_iter().zip(paths) {
        while let Some(chunk) = lines.recv().await {
            print(&chunk);
        }
        let (report, tally, run) = task.await.unwrap_or_else(|e| {
            let report = failed(path, format!("the replay of this file failed: {e}"));
            print(&report::text_head(&report));
            (report, Tally::of(&[]), 0)
        });
        streamed.tally = add(streamed.tally, tally, report.error.is_some());
        streamed.steps_run += run;
        streamed.reports.push(report);
    }
    streamed
}

fn add(mut sum: Tally, one: Tally, file_error: bool) -> Tally {
    sum.passed += one.passed;
    sum.failed += one.failed;
    sum.errors += one.errors + usize::from(file_error);
    sum.skipped += one.skipped;
    sum
}

fn failed(path: &Path, error: String) -> FileReport {
    FileReport {
        file: path.display().to_string(),
        name: String::new(),
        total_steps: 0,
        steps: Vec::new(),
        error: Some(error),
        updated: false,
    }
}

/// Replays one file a step at a time, sending the report's text to `text` as it goes. Returns
/// the file's report (steps kept only with `keep_steps`), its tally and the steps that ran. A
/// file that cannot be used counts in the caller's tally, not in this one.
async fn run_file(
    client: &Client,
    path: &Path,
    options: ReplayOptions,
    keep_steps: bool,
    text: &mpsc::UnboundedSender<String>,
) -> (FileReport, Tally, usize) {
    let send = |chunk: String| {
        // The receiver goes only when the whole replay is abandoned.
        let _ = text.send(chunk);
    };
    let owned = path.to_path_buf();
    let retime = options.retime_to.is_some();
    let outline = tokio::task::spawn_blocking(move || Session::outline(&owned, retime))
        .await
        .map_err(|e| e.to_string())
        .and_then(|checked| checked.map_err(|e| e.to_string()));
    let outline = match outline {
        Ok(outline) => outline,
        Err(error) => {
            let report = failed(path, error);
            send(report::text_head(&report));
            return (report, Tally::default(), 0);
        }
    };
    let mut report = FileReport {
        file: path.display().to_string(),
        name: outline.name,
        total_steps: outline.step_count,
        steps: Vec::new(),
        error: None,
        updated: false,
    };
    send(report::text_head(&report));
    let shift = options
        .retime_to
        .zip(outline.last_event_time)
        .map(|(to, last)| to.duration_since(last));
    let initial = outline.initial_state.as_deref().map(OpaqueState::from_raw);
    let mut replayer = Replayer::new(outline.identity, initial, shift, options);

    // The file is read on a thread of its own, a batch or two ahead; dropping `batches` stops it.
    let (batch_sender, mut batches) = mpsc::channel::<Vec<(usize, Step)>>(READ_AHEAD);
    let owned = path.to_path_buf();
    let reading = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        Session::each_step(&owned, |index, step| {
            batch.push((index, step));
            if batch.len() < BATCH {
                return ControlFlow::Continue(());
            }
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            match batch_sender.blocking_send(full) {
                Ok(()) => ControlFlow::Continue(()),
                Err(_) => ControlFlow::Break(()),
            }
        })?;
        if !batch.is_empty() {
            // The replay may have stopped already: then nobody wants the rest.
            let _ = batch_sender.blocking_send(batch);
        }
        Ok::<(), super::SessionError>(())
    });
    let mut tally = Tally::default();
    let mut run = 0;
    // Lines go out at least every FLUSH (a slow target shows progress) but not one by one.
    let mut pending = String::new();
    let mut flushed = std::time::Instant::now();
    'steps: while let Some(batch) = batches.recv().await {
        for (index, step) in batch {
            let result = replayer.step(client, index, &step).await;
            drop(step);
            tally.count(&result.verdict);
            run += 1;
            pending.push_str(&report::step_text(&result));
            if flushed.elapsed() >= FLUSH {
                send(std::mem::take(&mut pending));
                flushed = std::time::Instant::now();
            }
            let stop = matches!(result.verdict, Verdict::TargetError(_));
            if keep_steps {
                report.steps.push(StepResult {
                    actual: None,
                    ..result
                });
            }
            if stop {
                break 'steps;
            }
        }
    }
    drop(batches);
    if !pending.is_empty() {
        send(pending);
    }
    // The file changed under the replay (it was checked whole before the first step).
    match reading.await.map_err(|e| e.to_string()) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => report.error = Some(e.to_string()),
        Err(e) => report.error = Some(e),
    }
    if report.error.is_some() {
        // Counted as a file that could not be used, as `Tally::of` counts it.
        send(report::text_head(&report));
        return (report, Tally::default(), run);
    }
    tally.skipped = report.total_steps.saturating_sub(run);
    send(report::text_tail(&report, run));
    (report, tally, run)
}
