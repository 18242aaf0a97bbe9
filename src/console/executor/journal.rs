//! The journal's file and its writer: one thread appends the records in the order they were
//! made, and answers each write with a message.

use std::path::{Path, PathBuf};

use crate::console::message::Message;

/// Records to append to the journal: serialised on the UI task (small), written by the thread.
pub(super) struct Write {
    pub(super) task: u64,
    pub(super) lines: String,
}

/// The journal's writer: one thread, so records land in the order they were made.
pub(super) struct JournalWriter {
    pub(super) path: PathBuf,
    tx: Option<std::sync::mpsc::Sender<Write>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for JournalWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalWriter")
            .field("path", &self.path)
            .finish()
    }
}

impl JournalWriter {
    pub(super) fn start(
        path: PathBuf,
        answer: tokio::sync::mpsc::UnboundedSender<Message>,
    ) -> JournalWriter {
        let (tx, rx) = std::sync::mpsc::channel::<Write>();
        let journal = path.clone();
        let thread = std::thread::Builder::new()
            .name("segscope-autosave".into())
            .spawn(move || {
                for write in rx {
                    let result = append(&journal, write.lines.as_bytes())
                        .map_err(|e| format!("cannot write {}: {e}", journal.display()));
                    let _ = answer.send(Message::Autosaved {
                        task: write.task,
                        result,
                    });
                }
            })
            .ok();
        JournalWriter {
            path,
            tx: Some(tx),
            thread,
        }
    }

    pub(super) fn send(&self, write: Write) -> Result<(), String> {
        match &self.tx {
            Some(tx) => tx
                .send(write)
                .map_err(|_| "the autosave writer stopped".to_string()),
            None => Err("the autosave writer stopped".into()),
        }
    }

    /// Waits until every record sent has been written.
    pub(super) fn finish(mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(bytes)
}
