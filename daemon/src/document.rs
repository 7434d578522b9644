//! The secrets API's answer: one profile's variables, held so that values are
//! wiped from memory when dropped and never printed.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use zeroize::Zeroizing;

/// A profile's variables as the API returned them.
///
/// Values live in [`Zeroizing`] strings: their bytes are overwritten when the
/// document is dropped. `Debug` prints names and counts, never values.
#[derive(Deserialize)]
pub struct Document {
    /// The profile the API says this is; checked against the one requested.
    pub profile: String,
    /// Identifies the sealed value the API opened, not the secrets themselves.
    pub version: String,
    /// Variable names to values, sorted by name so renders are stable.
    pub variables: BTreeMap<String, Zeroizing<String>>,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("profile", &self.profile)
            .field("version", &self.version)
            .field("variables", &self.variables.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debug output names the variables but never shows a value.
    #[test]
    fn debug_hides_values() {
        let doc: Document = serde_json::from_str(
            r#"{"profile":"app","version":"v1","variables":{"TOKEN":"hunter2"}}"#,
        )
        .unwrap();
        let shown = format!("{doc:?}");
        assert!(shown.contains("TOKEN"));
        assert!(!shown.contains("hunter2"));
    }
}
