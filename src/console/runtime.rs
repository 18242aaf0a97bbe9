//! The app loop: messages first, then terminal input, then the spinner; draw when the queue is
//! drained. The same loop runs in the terminal and in tests (with an injected input stream and
//! ratatui's `TestBackend`).

use std::time::Duration;

use crossterm::event::Event;
use futures_util::{FutureExt, Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::app::App;
use super::error::Error;
use super::message::Message;
use super::update::start;
use super::view::draw;

/// How often the spinner moves while a request is in flight.
const SPINNER_PERIOD: Duration = Duration::from_millis(100);

/// At most this many queued input events are handled before a frame is drawn, so a long paste
/// shows progress instead of one frame at the end.
const INPUT_PER_FRAME: usize = 512;

/// Runs the console until it quits or `input` ends, and gives the app back.
///
/// When the input ends and [`super::AppOptions::wait_for_requests`] is set, the loop keeps
/// going until every background task (requests, workspace load) has answered — so a test can
/// send keys, let the calls finish, and then look at the screen, without any timing.
pub async fn run_app<B, S>(mut app: App, terminal: &mut Terminal<B>, input: S) -> Result<App, Error>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = Event>,
{
    let mut input = std::pin::pin!(input);
    let mut input_open = true;
    let size = terminal.size().map_err(Error::draw)?;
    app.model.size = (size.width, size.height);
    let effects = start(&mut app.model);
    app.perform_all(effects);
    let mut spinner = tokio::time::interval(SPINNER_PERIOD);
    spinner.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    terminal
        .draw(|frame| draw(&app, frame))
        .map_err(Error::draw)?;
    loop {
        if app.model.quit {
            break;
        }
        if !input_open && (!app.model.options.wait_for_requests || app.pending_tasks() == 0) {
            break;
        }
        // Keys wait, in order, while a file the next keys act on is read or written.
        let take_input = input_open && !app.model.holds_input();
        let message = tokio::select! {
            biased;
            Some(message) = app.executor.rx.recv() => message,
            event = input.next(), if take_input => match event {
                Some(event) => Message::Input(event),
                None => {
                    input_open = false;
                    continue;
                }
            },
            _ = spinner.tick(), if app.model.in_flight.is_some() => Message::Tick,
        };
        step(&mut app, terminal, message)?;
        // Input that is already waiting (a paste, keys typed during a slow frame) is handled now,
        // before the next frame: every byte the terminal sent is acted on without another key.
        let mut handled = 0;
        while input_open && !app.model.quit && !app.model.holds_input() && handled < INPUT_PER_FRAME
        {
            match input.next().now_or_never() {
                Some(Some(event)) => step(&mut app, terminal, Message::Input(event))?,
                Some(None) => input_open = false,
                None => break,
            }
            handled += 1;
        }
        if app.executor.rx.is_empty() && !app.model.quit {
            terminal
                .draw(|frame| draw(&app, frame))
                .map_err(Error::draw)?;
        }
    }
    if app.model.quit {
        app.executor.abort_all();
    }
    // On quit: the autosave compacted into its snapshot (a failure is kept for `launch` to
    // report). When only the input ended (tests, the headless driver), the calls not yet saved
    // go to the journal and the loop waits until they are written.
    if app.model.quit {
        if let Err(e) = app.autosave_now() {
            app.model.set_status(
                super::model::StatusKind::Warning,
                format!("Autosave failed: {e}"),
            );
        }
    } else {
        app.flush_autosave();
    }
    Ok(app)
}

/// One message: the update, then its effects started.
fn step<B>(app: &mut App, terminal: &mut Terminal<B>, message: Message) -> Result<(), Error>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    if let Message::Input(Event::Resize(..)) = message {
        terminal.autoresize().map_err(Error::draw)?;
    }
    app.handle(message);
    Ok(())
}
