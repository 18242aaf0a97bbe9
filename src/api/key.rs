//! The API key: a secret that appears nowhere but in the request header.

/// An API key. `Debug` and `Display` never show it; only [`ApiKey::expose`] does, and only the
/// client calls that, to set the `X-Api-Key` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// The key itself. Only for the request header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `****abcd`: at most the last four characters, and none of a short key.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 12 {
            return "****".to_string();
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("****{tail}")
    }

    /// Replaces every occurrence of the key in `text` with its masked form.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_string();
        }
        text.replace(&self.0, &self.masked())
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}
