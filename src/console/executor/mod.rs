//! The executor: runs every effect the update step asks for — requests, file reads and writes,
//! timers, the clipboard, the autosave's journal, the live workspace's watcher and reloads — and
//! answers each with a [`Message`] on one channel. It holds what the model must not: the client,
//! the channel, the tasks, the autosave's lock and writer thread, the clipboard's sink.

pub mod autosave;
mod journal;
mod live;
pub mod sessions;

use std::collections::HashMap;
use std::io::Write as _;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::call::Call;
use super::clipboard::osc52;
use super::detail::{CallDetail, RenderOptions, Rendered};
use super::message::{Effect, Message};
use crate::api::Client;
use crate::api::wire::WORKSPACE_PATH;
use journal::{JournalWriter, Write};

/// Runs the effects; owns the machinery.
pub struct Executor {
    client: Client,
    render: RenderOptions,
    pub(crate) tx: mpsc::UnboundedSender<Message>,
    pub(crate) rx: mpsc::UnboundedReceiver<Message>,
    /// Background tasks by task id (the ones a test waits for, and `Cancel` aborts).
    pub(crate) tasks: HashMap<u64, JoinHandle<()>>,
    /// The autosave idle timer (one at a time: every key sets it again).
    timer: Option<JoinHandle<()>>,
    /// The advisory lock on the autosave file, held while the console runs.
    autosave_lock: Option<std::fs::File>,
    /// The thread that appends to the autosave journal (started with the first record).
    journal: Option<JournalWriter>,
    /// Where OSC 52 sequences are written (the terminal; a buffer in tests).
    clipboard: Option<Box<dyn std::io::Write + Send>>,
    /// The live workspace's file watcher.
    watcher: Option<notify::RecommendedWatcher>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("tasks", &self.tasks.len())
            .finish()
    }
}

impl Executor {
    pub fn new(client: Client, render: RenderOptions) -> Executor {
        let (tx, rx) = mpsc::unbounded_channel();
        Executor {
            client,
            render,
            tx,
            rx,
            tasks: HashMap::new(),
            timer: None,
            autosave_lock: None,
            journal: None,
            clipboard: None,
            watcher: None,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn set_clipboard(&mut self, sink: Box<dyn std::io::Write + Send>) {
        self.clipboard = Some(sink);
    }

    /// Runs an effect: starts the work that will answer with a message.
    pub fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::LoadWorkspace { task } => {
                let client = self.client.clone();
                self.spawn(task, async move {
                    // Read into the emulator's own type.
                    let result = client.get_json(WORKSPACE_PATH).await.and_then(|value| {
                        serde_json::from_value(value).map_err(|e| {
                            format!("the workspace description is not one this console reads: {e}")
                        })
                    });
                    Message::WorkspaceLoaded { task, result }
                });
            }
            Effect::Send(pending) => {
                let task = pending.id;
                let client = self.client.clone();
                let options = self.render;
                let tx = self.tx.clone();
                let handle = tokio::spawn(async move {
                    let outcome = client
                        .segment(&pending.request, pending.sync_validation)
                        .await;
                    // Diffing a big state takes a while: keep it off the async workers.
                    let finished = tokio::task::spawn_blocking(move || {
                        let call = Call::complete(*pending, outcome);
                        let detail = CallDetail::of(&call, options);
                        (call, detail)
                    })
                    .await;
                    if let Ok((call, detail)) = finished {
                        let _ = tx.send(Message::CallFinished {
                            task,
                            call: Box::new(call),
                            detail: Rendered::new(detail),
                        });
                    }
                });
                self.tasks.insert(task, handle);
            }
            Effect::Cancel { task } => {
                if let Some(handle) = self.tasks.remove(&task) {
                    handle.abort();
                }
            }
            Effect::Explain { task, request } => {
                let client = self.client.clone();
                self.spawn(task, async move {
                    // The emulator's answer, read into the engine's own type.
                    let result = client
                        .explain(&request)
                        .await
                        .and_then(|value| super::timeline::parse(&value));
                    Message::Explained { task, result }
                });
            }
            Effect::RenderDetail { task, call } => {
                let options = self.render;
                let tx = self.tx.clone();
                let handle = tokio::spawn(async move {
                    let id = call.id;
                    let rendered =
                        tokio::task::spawn_blocking(move || CallDetail::of(&call, options)).await;
                    if let Ok(detail) = rendered {
                        let _ = tx.send(Message::DetailRendered {
                            task,
                            call_id: id,
                            detail: Rendered::new(detail),
                        });
                    }
                });
                self.tasks.insert(task, handle);
            }
            Effect::StartAutosave { task, request } => {
                // Claiming, reading, restoring and compacting (which grows with the history) run
                // on a blocking thread; the lock comes back with the answer (see `received`).
                let tx = self.tx.clone();
                let handle = tokio::spawn(async move {
                    let started =
                        tokio::task::spawn_blocking(move || autosave::start(*request)).await;
                    if let Ok(started) = started {
                        let _ = tx.send(Message::AutosaveStarted {
                            task,
                            started: Box::new(started),
                        });
                    }
                });
                self.tasks.insert(task, handle);
            }
            Effect::AppendJournal { task, path, lines } => {
                let writer = self
                    .journal
                    .take()
                    .filter(|w| w.path == path)
                    .unwrap_or_else(|| JournalWriter::start(path, self.tx.clone()));
                if let Err(e) = writer.send(Write { task, lines }) {
                    let _ = self.tx.send(Message::Autosaved {
                        task,
                        result: Err(e),
                    });
                }
                self.journal = Some(writer);
            }
            Effect::AutosaveTimer { after, input } => {
                // Not a task a test waits for: it only ever saves what is saved at the end anyway.
                if let Some(timer) = self.timer.take() {
                    timer.abort();
                }
                let tx = self.tx.clone();
                self.timer = Some(tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let _ = tx.send(Message::AutosaveDue { input });
                }));
            }
            Effect::Copy { task, text, file } => {
                if let Some(path) = file {
                    let text = text.clone();
                    self.spawn_blocking(task, move || {
                        let result = write_copy(&path, &text).map_err(|e| e.to_string());
                        Message::CopyWritten { task, path, result }
                    });
                }
                let Some(sink) = self.clipboard.as_mut() else {
                    return;
                };
                let written = sink
                    .write_all(osc52(&text).as_bytes())
                    .and_then(|()| sink.flush());
                if let Err(e) = written {
                    let _ = self.tx.send(Message::CopyFailed { why: e.to_string() });
                }
            }
            Effect::WatchWorkspace(setup) => match live::watch(&setup, self.tx.clone()) {
                Ok(watcher) => self.watcher = Some(watcher),
                Err(e) => {
                    let _ = self.tx.send(Message::Live(super::live::LiveEvent::NotWatching(
                        format!(
                            "Cannot watch {} ({e}): edits to the workspace are not picked up until restart.",
                            setup.dir.display()
                        ),
                    )));
                }
            },
            Effect::Live { setup, reload } => live::reload(self, setup, *reload),
            Effect::ListSessions { task } => self.spawn_blocking(task, move || {
                let dirs = sessions::dirs();
                let dirs: Vec<&std::path::Path> = dirs.iter().map(|d| d.as_path()).collect();
                let (entries, skipped) = sessions::list_sessions(&dirs);
                Message::SessionsListed {
                    task,
                    entries,
                    skipped,
                }
            }),
            Effect::OpenSession { task, path } => self.spawn_blocking(task, move || {
                let result = sessions::load(&path);
                Message::SessionOpened { task, path, result }
            }),
            Effect::SaveSession {
                task,
                session,
                path,
                overwrite,
                done,
            } => self.spawn_blocking(task, move || {
                let result = sessions::save(&session, &path, overwrite.as_deref());
                Message::SessionSaved {
                    task,
                    path,
                    result,
                    done,
                }
            }),
        }
    }

    /// Runs blocking work (files) on a blocking thread; its message answers.
    fn spawn_blocking(&mut self, task: u64, work: impl FnOnce() -> Message + Send + 'static) {
        self.spawn(task, async move {
            tokio::task::spawn_blocking(work)
                .await
                .unwrap_or_else(|e| Message::TaskFailed {
                    task,
                    why: e.to_string(),
                })
        });
    }

    fn spawn(&mut self, task: u64, work: impl Future<Output = Message> + Send + 'static) {
        let tx = self.tx.clone();
        let handle = tokio::spawn(async move {
            let _ = tx.send(work.await);
        });
        self.tasks.insert(task, handle);
    }

    /// A message arrived: its task is over, and what belongs to the executor (the autosave's
    /// lock) is taken out before the update step sees it.
    pub(crate) fn received(&mut self, message: &mut Message) {
        if let Some(task) = message.task() {
            self.tasks.remove(&task);
        }
        if let Message::AutosaveStarted { started, .. } = message {
            self.autosave_lock = started.lock.take();
        }
    }

    /// Aborts every background task (on quit).
    pub(crate) fn abort_all(&mut self) {
        for (_, handle) in self.tasks.drain() {
            handle.abort();
        }
        if let Some(timer) = self.timer.take() {
            timer.abort();
        }
    }

    /// Waits until the journal's writer has written every record sent to it.
    pub(crate) fn finish_journal(&mut self) {
        if let Some(writer) = self.journal.take() {
            writer.finish();
        }
    }

    /// The compaction at exit: the journal's last records written, then everything into the
    /// snapshot (`text`, serialised by the caller from the model) and an empty journal.
    pub(crate) fn compact_autosave(
        &mut self,
        path: &std::path::Path,
        text: &str,
    ) -> Result<(), String> {
        self.finish_journal();
        autosave::compact(path, text)
    }

    /// Lets another console take the autosave file.
    pub(crate) fn release_autosave(&mut self) {
        self.autosave_lock = None;
    }
}

/// A copy's file: readable by its owner only (it can hold a user's state).
fn write_copy(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())
}
