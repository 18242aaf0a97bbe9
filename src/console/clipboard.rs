//! Copying a call out of the console: its response JSON, a `curl` command, or a `segscope send`
//! command that reproduces it. The text goes to the terminal's clipboard with OSC 52
//! (`ESC ] 52 ; c ; <base64> ESC \\`, written by crossterm's `osc52` feature), which works over SSH
//! and through tmux (`set-clipboard on`).
//! The API key is never part of it: commands read it from `$PERMUTIVE_API_KEY`. Against the
//! embedded emulator (which stops with the console) they name what reproduces it instead: the
//! same embedded default for `segscope send`, a `segscope serve` of the same workspace for curl,
//! and the emulator's fixed key, which is no secret.

use std::path::PathBuf;

use super::call::Call;
use crate::api::client::DEFAULT_BASE_URL;
use crate::api::wire::STATELESS_PATH;
use crate::api::{Identity, Target};
use crate::emulator::EMBEDDED_KEY;

/// Where the copied call goes: the console's target, or the emulator embedded in it.
#[derive(Debug, Clone)]
pub enum CopyTarget {
    /// The real API or a `--base-url`: the command names the URL (key masked) and reads the key
    /// from `$PERMUTIVE_API_KEY`.
    Remote(Target),
    /// The console's own emulator, gone when the console quits: the command starts its own.
    Embedded {
        /// `--workspace DIR` (`None`: the bundled demo).
        workspace: Option<PathBuf>,
        clock: crate::engine::Clock,
    },
}

/// Where the copied curl finds a `segscope serve` of the embedded emulator's workspace.
pub const SERVE_ADDR: &str = "127.0.0.1:8787";

impl CopyTarget {
    /// The flags that make a `segscope serve` or `send` use the embedded emulator's workspace
    /// and clock (nothing for the defaults).
    fn workspace_flags(workspace: &Option<PathBuf>, clock: crate::engine::Clock) -> String {
        let mut flags = String::new();
        if let Some(dir) = workspace {
            flags.push_str(&format!(
                " --workspace {}",
                shell_quote(&dir.display().to_string())
            ));
        }
        if clock != crate::engine::Clock::default() {
            flags.push_str(&format!(" --clock {}", clock.name()));
        }
        flags
    }
}

/// What `y`, `c` and `C` copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    Response,
    Curl,
    Send,
}

/// The OSC 52 sequence that puts `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    use crossterm::Command;
    let mut sequence = String::new();
    // Writing into a String cannot fail.
    let _ =
        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text).write_ansi(&mut sequence);
    sequence
}

/// `text` as one shell word in single quotes.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A `curl` command that sends the call's request body exactly as it was sent.
pub fn curl_command(call: &Call, target: &CopyTarget) -> String {
    let query = format!(
        "{STATELESS_PATH}?synchronous-validation={}",
        call.sync_validation
    );
    let (preamble, url, key) = match target {
        // Only the URL can hold the key (`--base-url …?k=KEY`): it alone is masked. The body is
        // copied byte for byte, never searched for the key's text.
        CopyTarget::Remote(target) => (
            String::new(),
            format!("{}{query}", target.display_url()),
            "\"X-Api-Key: $PERMUTIVE_API_KEY\"".to_string(),
        ),
        // The embedded emulator stops with the console: a `serve` of the same workspace answers
        // instead, and accepts any non-empty key by default.
        CopyTarget::Embedded { workspace, clock } => (
            format!(
                "# The console's emulator stops with it: this serves the same workspace.\nsegscope serve --addr {SERVE_ADDR} --quiet{} &\n",
                CopyTarget::workspace_flags(workspace, *clock)
            ),
            format!("http://{SERVE_ADDR}{query}"),
            shell_quote(&format!("X-Api-Key: {EMBEDDED_KEY}")),
        ),
    };
    let retry = if preamble.is_empty() {
        ""
    } else {
        // `serve` takes a moment to listen.
        " --retry 5 --retry-connrefused"
    };
    format!(
        "{preamble}curl -sS{retry} -X POST {} \\\n  -H 'Content-Type: application/json' \\\n  -H {key} \\\n  --data-raw {}\n",
        shell_quote(&url),
        shell_quote(&call.request_body())
    )
}

/// The same call as `segscope send` (bash/zsh: the state is passed with `<(…)`).
pub fn send_command(call: &Call, target: &CopyTarget) -> Result<String, String> {
    let who = match call.identity() {
        Identity::UserId(id) => format!("--user-id {}", shell_quote(id)),
        Identity::Alias(a) => format!("--alias {}", shell_quote(&format!("{}:{}", a.tag, a.id))),
        Identity::Aliases(_) => {
            return Err(
                "`segscope send` takes one alias; this call used several (c copies a curl command)"
                    .into(),
            );
        }
    };
    let mut args = vec![who];
    if let Some(state) = call.state_before() {
        args.push(format!(
            "--state <(printf '%s' {})",
            shell_quote(state.as_str())
        ));
    }
    if !call.sync_validation {
        args.push("--no-sync-validation".into());
    }
    let program = match target {
        CopyTarget::Remote(target) => {
            if target.base_url != DEFAULT_BASE_URL {
                args.push(format!("--base-url {}", shell_quote(&target.display_url())));
            }
            "segscope"
        }
        CopyTarget::Embedded { workspace, clock } => {
            let flags = CopyTarget::workspace_flags(workspace, *clock);
            if !flags.is_empty() {
                args.push(flags.trim_start().to_string());
            }
            // `send` with no target flag starts the same embedded emulator, unless
            // PERMUTIVE_API_KEY is set, which would send these events to the real API.
            "env -u PERMUTIVE_API_KEY segscope"
        }
    };
    let command = format!(
        "printf '%s' {} | \\\n  {program} send - {}\n",
        shell_quote(call.events()),
        args.join(" \\\n  ")
    );
    Ok(command)
}

pub(crate) fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} kB", bytes as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_in_the_clipboard_sequence() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x1b\\");
        assert_eq!(osc52("foobar"), "\x1b]52;c;Zm9vYmFy\x1b\\");
    }

    fn call() -> Call {
        let pending = super::super::call::PendingCall {
            id: 1,
            events_layout: super::super::call::EventsLayout::AsTyped,
            event_count: 0,
            sync_validation: false,
            sent_at: jiff::Timestamp::UNIX_EPOCH,
            request: crate::api::SegmentationRequest {
                identity: Identity::UserId("u-1".into()),
                events: serde_json::value::RawValue::from_string("[]".into()).unwrap(),
                state: None,
            },
        };
        let outcome = crate::api::CallOutcome::Transport {
            latency: std::time::Duration::ZERO,
            kind: crate::api::TransportKind::Other,
            message: String::new(),
        };
        Call::complete(pending, outcome)
    }

    /// Against the embedded emulator: the same workspace and clock, no URL, no key variable;
    /// elsewhere, the URL and `$PERMUTIVE_API_KEY`.
    #[test]
    fn commands_name_what_reproduces_the_call() {
        let embedded = CopyTarget::Embedded {
            workspace: Some(PathBuf::from("/tmp/my ws")),
            clock: crate::engine::Clock::Wall,
        };
        let send = send_command(&call(), &embedded).unwrap();
        assert!(
            send.contains("env -u PERMUTIVE_API_KEY segscope send -"),
            "{send}"
        );
        assert!(
            send.contains("--workspace '/tmp/my ws' --clock wall"),
            "{send}"
        );
        assert!(send.contains("--no-sync-validation"), "{send}");
        assert!(!send.contains("--base-url"), "{send}");
        let curl = curl_command(&call(), &embedded);
        assert!(
            curl.contains(
                "segscope serve --addr 127.0.0.1:8787 --quiet --workspace '/tmp/my ws' --clock wall &"
            ),
            "{curl}"
        );
        assert!(curl.contains("-H 'X-Api-Key: segscope-embedded'"), "{curl}");
        assert!(curl.contains("http://127.0.0.1:8787/"), "{curl}");

        let remote = CopyTarget::Remote(Target::new(
            "http://example.test",
            Some(crate::api::ApiKey::new("sk-live-secret")),
        ));
        let send = send_command(&call(), &remote).unwrap();
        assert!(send.contains("--base-url 'http://example.test'"), "{send}");
        assert!(!send.contains("env -u"), "{send}");
        let curl = curl_command(&call(), &remote);
        assert!(curl.contains("$PERMUTIVE_API_KEY"), "{curl}");
        assert!(!curl.contains("serve"), "{curl}");
        assert!(!curl.contains("sk-live-secret") && !send.contains("sk-live-secret"));
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
