//! Cohorts as code: a Permutive workspace's cohorts kept in a directory (`cohorts.json` in the
//! workspace format, `schemas/`), pulled from and pushed to a Cohorts API v2, checked as the
//! emulator loads them, and diffed against the remote.
//!
//! - [`remote`]: the Cohorts API client (retries with backoff),
//! - [`pull`]: remote → `cohorts.json`,
//! - [`check`]: errors and warnings of a workspace directory, per cohort and JSON path,
//! - [`diff`]: local against remote, cohort by cohort, queries as JSON diffs with paths,
//! - [`push`]: create, update (and with `--prune`, delete) remote cohorts to match the file,
//! - [`redecide`]: what a history of calls would decide under other cohort definitions.

pub mod check;
pub mod diff;
pub mod error;
pub mod json_diff;
pub mod pull;
pub mod push;
pub mod redecide;
pub mod remote;

use std::path::Path;

use crate::api::cohorts::{CohortCode, RemoteCohort};
use crate::emulator::workspace::{CohortRecord, parse_records};

pub use error::Error;
pub use remote::{CohortsClient, RemoteError, RetryPolicy};

/// A remote cohort the workspace format cannot hold, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub id: String,
    pub code: CohortCode,
    pub name: String,
    pub reason: String,
}

impl Skipped {
    fn of(cohort: &RemoteCohort, reason: &str) -> Skipped {
        Skipped {
            id: cohort.id.clone(),
            code: cohort.code.clone(),
            name: cohort.name.clone(),
            reason: reason.to_string(),
        }
    }

    /// `2001 "Lookalike of football fans": no query (a lookalike?)`
    pub fn line(&self) -> String {
        format!("{} \"{}\": {}", self.code, self.name, self.reason)
    }
}

/// The records of `dir/cohorts.json` as written (no ids assigned).
pub fn read_local_records(dir: &Path) -> Result<Vec<CohortRecord>, Error> {
    let file = dir.join("cohorts.json");
    let text = std::fs::read_to_string(&file).map_err(|source| Error::Read {
        file: file.clone(),
        source,
    })?;
    parse_records(&text).map_err(|source| Error::Parse { file, source })
}
