//! Sessions: a sequence of calls kept as a fixture file, replayed by hand or headless in CI.

pub mod file;
pub mod reader;
pub mod replay;
pub mod report;
pub mod stream;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use file::{FORMAT, RecordedState, Recording, Session, SessionError, SessionIdentity, Step};
pub use replay::{ReplayOptions, StepResult, Verdict, replay};
pub use report::{FileReport, Tally};

use crate::api::Client;

/// Writes a file so that readers see the old or the new content, never half of one: a temp file
/// of its own (so two tasks writing the same file never share one) in the same directory, synced,
/// then renamed over the target. A symlink is written through (the file it points to is
/// replaced, the link stays), an existing file keeps its permissions, and a read-only file is
/// refused rather than replaced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let path = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(e),
    };
    let existing = match std::fs::metadata(&path) {
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if existing.as_ref().is_some_and(|p| p.readonly()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the file is read-only; it was left as it was",
        ));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    if let Some(permissions) = existing {
        temp.as_file().set_permissions(permissions)?;
    }
    temp.as_file().sync_all()?;
    // On failure the temp file is removed when `temp` drops.
    temp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

/// How `replay` runs a set of files.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub replay: ReplayOptions,
    /// Rewrite each file's recordings from the live responses.
    pub update: bool,
    /// Files replayed at once.
    pub jobs: usize,
}

/// Replays one file (and with `update`, writes the live recordings back into it).
pub async fn run_file(client: &Client, path: &Path, options: RunOptions) -> FileReport {
    let file = path.display().to_string();
    let mut session = match Session::load(path) {
        Ok(s) => s,
        Err(e) => {
            return FileReport {
                file,
                name: String::new(),
                total_steps: 0,
                steps: Vec::new(),
                error: Some(e.to_string()),
                updated: false,
            };
        }
    };
    let steps = replay(client, &session, options.replay).await;
    let mut report = FileReport {
        file: file.clone(),
        name: session.name.clone(),
        total_steps: session.steps.len(),
        steps,
        error: None,
        updated: false,
    };
    let reached_target = !report
        .steps
        .iter()
        .any(|s| matches!(s.verdict, Verdict::TargetError(_)));
    if options.update && reached_target {
        for result in &report.steps {
            if let Some(actual) = &result.actual {
                session.steps[result.index].expect = Some(actual.clone());
            }
        }
        match session.save(path) {
            Ok(()) => {
                report.updated = true;
                for step in &mut report.steps {
                    step.verdict = Verdict::Passed;
                }
            }
            Err(e) => report.error = Some(e.to_string()),
        }
    }
    report
}

/// Replays many files, `jobs` at a time; reports come back in the order of `paths`.
pub async fn run_files(client: &Client, paths: &[PathBuf], options: RunOptions) -> Vec<FileReport> {
    let limit = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    let mut tasks = Vec::with_capacity(paths.len());
    for path in paths {
        let client = client.clone();
        let path = path.clone();
        let limit = limit.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            run_file(&client, &path, options).await
        }));
    }
    let mut reports = Vec::with_capacity(tasks.len());
    for (task, path) in tasks.into_iter().zip(paths) {
        reports.push(task.await.unwrap_or_else(|e| FileReport {
            file: path.display().to_string(),
            name: String::new(),
            total_steps: 0,
            steps: Vec::new(),
            error: Some(format!("the replay of this file failed: {e}")),
            updated: false,
        }));
    }
    reports
}
