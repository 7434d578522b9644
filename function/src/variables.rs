//! The variables of one profile: checked names, and values wiped from memory
//! when they are dropped.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::Error;

/// Whether `name` can be a variable name: letters, digits and `_`, not
/// starting with a digit.
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Names and values of one profile, sorted by name.
///
/// Values are zeroed when the set is dropped. Its `Debug` form shows names
/// only.
#[derive(Default)]
pub struct Variables(BTreeMap<String, String>);

impl Variables {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a variable; returns the value back if the name was already there,
    /// so the caller can report where.
    pub fn insert(&mut self, name: String, value: String) -> Result<(), String> {
        if self.0.contains_key(&name) {
            return Err(value);
        }
        self.0.insert(name, value);
        Ok(())
    }

    /// How many variables there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The value of one variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The compact JSON object that is sealed, in a buffer wiped on drop.
    pub fn to_json(&self) -> Zeroizing<Vec<u8>> {
        // Sized for the worst case of JSON escaping (six bytes for one) so
        // that the buffer is never reallocated, which would leave an unwiped
        // copy behind.
        let capacity = 2 + self
            .0
            .iter()
            .map(|(k, v)| 6 * (k.len() + v.len()) + 6)
            .sum::<usize>();
        let mut buffer = Zeroizing::new(Vec::with_capacity(capacity));
        serde_json::to_writer(&mut *buffer, self).expect("a map of strings always serializes");
        buffer
    }

    /// Reads a JSON object of strings, as the seal tool accepts and as the
    /// sealed payload holds. Errors name an entry by position or by name,
    /// never by value.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        // Anything but an object would make serde quote the input in its
        // error message, so that case is refused here first.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(Error::JsonInput("expected an object of strings".into()));
        }
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let variables = Variables::deserialize(&mut deserializer).map_err(json_error)?;
        deserializer.end().map_err(json_error)?;
        Ok(variables)
    }
}

/// Turns a serde_json error into a message that quotes no input: syntax
/// errors have fixed texts, and data errors come from the visitor below.
fn json_error(err: serde_json::Error) -> Error {
    Error::JsonInput(err.to_string())
}

impl Drop for Variables {
    fn drop(&mut self) {
        for value in self.0.values_mut() {
            value.zeroize();
        }
    }
}

impl fmt::Debug for Variables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Variables")
            .field("names", &self.0.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Serialize for Variables {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Variables {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(VariablesVisitor)
    }
}

struct VariablesVisitor;

impl<'de> Visitor<'de> for VariablesVisitor {
    type Value = Variables;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Variables, A::Error> {
        let mut variables = Variables::new();
        let mut position = 0;
        while let Some(name) = map.next_key::<String>()? {
            position += 1;
            // Taken as any JSON value so that serde never describes a
            // non-string value in its own words.
            let value = map.next_value::<serde_json::Value>()?;
            if !is_valid_name(&name) {
                return Err(de::Error::custom(format_args!(
                    "entry {position}: invalid variable name; use letters, digits and '_', \
                     not starting with a digit"
                )));
            }
            let serde_json::Value::String(value) = value else {
                return Err(de::Error::custom(format_args!(
                    "`{name}`: value is not a string; quote it"
                )));
            };
            if let Err(mut value) = variables.insert(name, value) {
                value.zeroize();
                return Err(de::Error::custom(format_args!(
                    "entry {position}: variable defined twice; keep one definition"
                )));
            }
        }
        Ok(variables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Valid names are shell-style identifiers.
    #[test]
    fn checks_names() {
        for good in ["A", "_", "DATABASE_URL", "a1", "_9"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "1A", "A-B", "A B", "A.B", "É"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    /// JSON round-trips, with names sorted and values intact.
    #[test]
    fn round_trips_json() {
        let vars = Variables::from_json(br#"{"B":"two words","A":"line\nbreak","C":""}"#).unwrap();
        assert_eq!(vars.names().collect::<Vec<_>>(), ["A", "B", "C"]);
        let again = Variables::from_json(&vars.to_json()).unwrap();
        assert_eq!(again.get("A"), Some("line\nbreak"));
        assert_eq!(again.get("B"), Some("two words"));
        assert_eq!(again.get("C"), Some(""));
    }

    /// Every refusal names the entry, and none repeats a value.
    #[test]
    fn json_errors_never_quote_values() {
        let cases: [&[u8]; 7] = [
            br#""s3cr3t-value""#,
            br#"["s3cr3t-value"]"#,
            br#"{"PIN": 731999}"#,
            br#"{"bad name": "s3cr3t-value"}"#,
            br#"{"A": "s3cr3t-value", "A": "s3cr3t-value"}"#,
            br#"{"A": "s3cr3t-value""#,
            br#"{"A": "s3cr3t-value"} trailing"#,
        ];
        for input in cases {
            let message = Variables::from_json(input).unwrap_err().to_string();
            assert!(!message.contains("s3cr3t"), "{message}");
            assert!(!message.contains("731999"), "{message}");
        }
        let message = Variables::from_json(br#"{"PIN": 731999}"#)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("`PIN`: value is not a string"),
            "{message}"
        );
    }

    /// Debug output lists names only.
    #[test]
    fn debug_hides_values() {
        let vars = Variables::from_json(br#"{"TOKEN":"s3cr3t-value"}"#).unwrap();
        let shown = format!("{vars:?}");
        assert!(
            shown.contains("TOKEN") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
}
