//! Why a `workspace` command could not do its work. Each error names the file or the request
//! it is about, and keeps what went wrong underneath as its source: `main` prints the chain
//! (`path: cannot read: No such file or directory`). No text here can hold an API key: files
//! are named by path, and a remote error's text was scrubbed when it was made (`api::scrub`).

use std::path::PathBuf;

use super::remote::RemoteError;
use crate::engine::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The local `cohorts.json` could not be read.
    #[error("{}: cannot read", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The local `cohorts.json` is not a list of cohorts in the workspace format.
    #[error("{}: not a cohorts file", file.display())]
    Parse {
        file: PathBuf,
        #[source]
        source: LoadError,
    },
    /// The local cohorts parse but do not load in the emulator (a push would send them anyway).
    #[error(
        "{}: the local cohorts do not load (`segscope workspace check` lists the errors)",
        file.display()
    )]
    DoesNotLoad {
        file: PathBuf,
        #[source]
        source: LoadError,
    },
    /// `cohorts.json` could not be written (what was there is left as it was).
    #[error("{}: cannot write", file.display())]
    Write {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A push created cohorts, but their ids could not be written back to `cohorts.json`.
    #[error("{}: cannot write the created cohorts' ids", file.display())]
    WriteIds {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A request to the Cohorts API failed (after its retries).
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

impl Error {
    /// The whole chain on one line, `main`'s way: `path: cannot read: No such file or directory`.
    pub fn chain(&self) -> String {
        crate::exit::one_line(self)
    }
}
