//! The exit status every command ends with, named (issue 10 §5): scripts and CI read these.

use std::process::ExitCode;

/// What a command came to, as its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: it ran and everything was as wanted (a 2xx answer, every step as recorded, no change).
    Passed,
    /// 1: it ran, and the answer was not the wanted one (a non-2xx answer, a mismatch, a
    /// difference, a warning under `--strict`).
    Mismatch,
    /// 2: it could not run (bad input, a file that cannot be read, nothing reached the server).
    CouldNotRun,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Passed => 0,
            Exit::Mismatch => 1,
            Exit::CouldNotRun => 2,
        }
    }

    /// The exit of a run that can fail both ways: not running outweighs a mismatch.
    pub fn of(could_not_run: bool, mismatch: bool) -> Exit {
        if could_not_run {
            Exit::CouldNotRun
        } else if mismatch {
            Exit::Mismatch
        } else {
            Exit::Passed
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// An error and every cause under it on one line, as a command prints it before it exits 2:
/// `cannot read the cohort names file names.json: No such file or directory (os error 2)`.
pub fn one_line(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_are_the_documented_ones() {
        assert_eq!(
            [Exit::Passed, Exit::Mismatch, Exit::CouldNotRun].map(Exit::code),
            [0, 1, 2]
        );
        assert_eq!(Exit::of(true, true), Exit::CouldNotRun);
        assert_eq!(Exit::of(false, true), Exit::Mismatch);
        assert_eq!(Exit::of(false, false), Exit::Passed);
    }
}
