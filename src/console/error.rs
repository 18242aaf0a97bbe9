//! Why the console could not start or could not end well (issue 10 §5: a `thiserror` error per
//! domain, each with its cause as a source; `anyhow` only in `main`, which prints the chain on
//! one line and exits 2).

use std::path::PathBuf;

use crate::engine::LoadError;
use crate::launch::LaunchError;

/// An error of the console's start, loop or exit. Each names the file it is about (where there
/// is one) and keeps what went wrong underneath as its [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--cohort-names FILE` could not be read.
    #[error("cannot read the cohort names file {}", file.display())]
    ReadNames {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `--cohort-names FILE` is not JSON.
    #[error("{}: not JSON (expected {{\"code\": \"name\"}})", file.display())]
    NamesNotJson {
        file: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// `--cohort-names FILE` is JSON, but not an object of names.
    #[error("{}: expected a JSON object {{\"code\": \"name\"}}", file.display())]
    NamesNotObject { file: PathBuf },
    /// `--cohort-definitions DIR`'s `cohorts.json` could not be read.
    #[error("cannot read the cohort definitions {}", file.display())]
    ReadDefinitions {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `--cohort-definitions DIR`'s `cohorts.json` is not in the workspace format.
    #[error("{}: not a cohorts file", file.display())]
    ParseDefinitions {
        file: PathBuf,
        #[source]
        source: LoadError,
    },
    /// `--schemas DIR`: the event schemas cannot be read, or one is not a JSON Schema (the
    /// error names the file).
    #[error(transparent)]
    Schemas(#[from] crate::emulator::WorkspaceError),
    /// The target (embedded emulator, real API, `--base-url`) could not be opened.
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// The terminal could not be put in raw mode.
    #[error("cannot switch the terminal to raw mode")]
    RawMode(#[source] std::io::Error),
    /// The alternate screen, mouse capture or bracketed paste could not be switched on.
    #[error("cannot set up the terminal")]
    SetUp(#[source] std::io::Error),
    /// Drawing on (or measuring) the terminal failed while the console ran.
    #[error("cannot draw on the terminal")]
    Draw(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Quitting compacts the autosave; when that fails the session is not saved, and the exit
    /// must say so (never a silent exit 0 with the calls gone).
    #[error("the autosave could not be written at exit, so this session is not saved")]
    SaveAtExit {
        file: Option<PathBuf>,
        #[source]
        source: SaveFailure,
    },
}

/// Why the autosave could not be written, as the executor said it (it names the file).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SaveFailure(pub String);

impl Error {
    /// The file this error is about, if it is about one.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Error::ReadNames { file, .. }
            | Error::NamesNotJson { file, .. }
            | Error::NamesNotObject { file }
            | Error::ReadDefinitions { file, .. }
            | Error::ParseDefinitions { file, .. } => Some(file),
            Error::SaveAtExit { file, .. } => file.as_deref(),
            Error::Schemas(e) => Some(&e.file),
            Error::Launch(_) | Error::RawMode(_) | Error::SetUp(_) | Error::Draw(_) => None,
        }
    }

    /// The whole chain on one line, as `main` prints it:
    /// `cannot read the cohort names file names.json: No such file or directory (os error 2)`.
    pub fn chain(&self) -> String {
        crate::exit::one_line(self)
    }

    /// A terminal backend's error, kept as the source of [`Error::Draw`].
    pub(crate) fn draw(error: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Draw(Box::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::terminal::{read_cohort_definitions, read_cohort_names};
    use std::error::Error as _;

    #[test]
    fn errors_name_the_file_and_keep_their_cause() {
        let dir = tempfile::tempdir().unwrap();

        let names = dir.path().join("names.json");
        let error = read_cohort_names(&names).unwrap_err();
        let Error::ReadNames { source, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(error.file(), Some(names.as_path()));
        assert!(
            error.chain().starts_with(&format!(
                "cannot read the cohort names file {}: ",
                names.display()
            )),
            "{}",
            error.chain()
        );

        std::fs::write(&names, "{\"1001\": ").unwrap();
        let error = read_cohort_names(&names).unwrap_err();
        assert!(matches!(error, Error::NamesNotJson { .. }), "{error:?}");
        assert!(error.source().is_some_and(|s| s.is::<serde_json::Error>()));
        assert!(
            error
                .chain()
                .starts_with(&format!("{}: not JSON", names.display()))
        );

        std::fs::write(&names, "[\"Football fans\"]").unwrap();
        let error = read_cohort_names(&names).unwrap_err();
        assert!(matches!(error, Error::NamesNotObject { .. }), "{error:?}");
        assert_eq!(error.file(), Some(names.as_path()));

        let cohorts = dir.path().join("cohorts.json");
        let error = read_cohort_definitions(dir.path()).unwrap_err();
        assert!(matches!(error, Error::ReadDefinitions { .. }), "{error:?}");
        assert_eq!(error.file(), Some(cohorts.as_path()));
        assert!(error.source().is_some_and(|s| s.is::<std::io::Error>()));

        std::fs::write(&cohorts, "[\n  {\"code\": 1001,\n  oops\n]").unwrap();
        let error = read_cohort_definitions(dir.path()).unwrap_err();
        let Error::ParseDefinitions { source, .. } = &error else {
            panic!("{error:?}")
        };
        assert!(
            matches!(source, LoadError::Syntax { line: 3, .. }),
            "{source:?}"
        );
        assert!(
            error.chain().starts_with(&format!(
                "{}: not a cohorts file: line 3, column 3: ",
                cohorts.display()
            )),
            "{}",
            error.chain()
        );
    }

    #[test]
    fn unreadable_schemas_name_their_directory() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-schemas");
        let error: Error = crate::emulator::workspace::read_schema_dir(&missing)
            .unwrap_err()
            .into();
        assert!(matches!(error, Error::Schemas(_)), "{error:?}");
        assert_eq!(error.file(), Some(missing.as_path()));
        assert!(
            error.chain().contains("cannot read the event schemas"),
            "{}",
            error.chain()
        );
    }

    #[test]
    fn a_save_failing_at_exit_keeps_the_executor_s_reason() {
        let error = Error::SaveAtExit {
            file: Some(PathBuf::from("/ro/autosave.json")),
            source: SaveFailure("cannot write /ro/autosave.json: Permission denied".into()),
        };
        assert_eq!(
            error.chain(),
            "the autosave could not be written at exit, so this session is not saved: \
             cannot write /ro/autosave.json: Permission denied"
        );
        assert_eq!(
            error.file(),
            Some(std::path::Path::new("/ro/autosave.json"))
        );
    }
}
