//! Copying a call out of the console: its response JSON, a `curl` command, or a `segscope send`
//! command that reproduces it. The text goes to the terminal's clipboard with OSC 52
//! (`ESC ] 52 ; c ; <base64> ESC \\`, written by crossterm's `osc52` feature), which works over SSH
//! and through tmux (`set-clipboard on`).
//! The API key is never part of it: commands read it from `$PERMUTIVE_API_KEY`.

use super::call::Call;
use crate::api::client::DEFAULT_BASE_URL;
use crate::api::wire::STATELESS_PATH;
use crate::api::{Identity, Target};

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
pub fn curl_command(call: &Call, target: &Target) -> String {
    // Only the URL can hold the key (`--base-url …?k=KEY`): it alone is masked. The body is
    // copied byte for byte, never searched for the key's text.
    let url = format!(
        "{}{STATELESS_PATH}?synchronous-validation={}",
        target.display_url(),
        call.sync_validation
    );
    let command = format!(
        "curl -sS -X POST {} \\\n  -H 'Content-Type: application/json' \\\n  -H \"X-Api-Key: $PERMUTIVE_API_KEY\" \\\n  --data-raw {}\n",
        shell_quote(&url),
        shell_quote(&call.request_body())
    );
    command
}

/// The same call as `segscope send` (bash/zsh: the state is passed with `<(…)`).
pub fn send_command(call: &Call, target: &Target) -> Result<String, String> {
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
    if target.base_url != DEFAULT_BASE_URL {
        args.push(format!("--base-url {}", shell_quote(&target.display_url())));
    }
    let command = format!(
        "printf '%s' {} | \\\n  segscope send - {}\n",
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

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
