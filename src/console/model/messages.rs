//! The message log: every status message, with the time it was said (from the injected clock),
//! so nothing the status line showed is lost when the next one replaces it or a narrow line cuts
//! it. The log popup (Ctrl+L) reads it.

use super::StatusKind;

/// One status message as it was said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// When it was said (the console's clock: a fixed clock gives the same instant every time).
    pub at: jiff::Timestamp,
    pub kind: StatusKind,
    pub text: String,
    /// How many times in a row it was said (a repeated message takes one entry).
    pub times: usize,
}

/// Every status message, oldest first. Bounded so a console left open for days keeps a
/// constant memory: past [`MessageLog::KEEP`] the oldest go, and the log says how many.
#[derive(Debug, Clone, Default)]
pub struct MessageLog {
    entries: std::collections::VecDeque<Logged>,
    /// Entries dropped from the front (past `KEEP`).
    pub dropped: usize,
}

impl MessageLog {
    pub const KEEP: usize = 2000;

    pub fn push(&mut self, at: jiff::Timestamp, kind: StatusKind, text: &str) {
        if let Some(last) = self.entries.back_mut()
            && last.kind == kind
            && last.text == text
        {
            last.times += 1;
            last.at = at;
            return;
        }
        if self.entries.len() == Self::KEEP {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(Logged {
            at,
            kind,
            text: text.to_string(),
            times: 1,
        });
    }

    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Logged> + ExactSizeIterator {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_share_an_entry_and_the_oldest_go_past_the_bound() {
        let at = jiff::Timestamp::UNIX_EPOCH;
        let mut log = MessageLog::default();
        log.push(at, StatusKind::Info, "a");
        log.push(at, StatusKind::Info, "a");
        log.push(at, StatusKind::Error, "a");
        assert_eq!(log.len(), 2);
        assert_eq!(log.entries().next().unwrap().times, 2);
        for n in 0..MessageLog::KEEP {
            log.push(at, StatusKind::Info, &n.to_string());
        }
        assert_eq!(log.len(), MessageLog::KEEP);
        assert_eq!(log.dropped, 2);
    }
}
