//! JSON limits shared by the token parser and the PHP converters.
#![forbid(unsafe_code)]

use serde_json::Value;

/// The deepest nesting accepted in token headers, claims and converted PHP arrays.
pub const MAX_DEPTH: usize = 32;

/// Whether `value` nests no deeper than `max` arrays/objects (iterative, no recursion).
pub fn depth_ok(value: &Value, max: usize) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(a) if !a.is_empty() => {
                if d + 1 > max {
                    return false;
                }
                stack.extend(a.iter().map(|c| (c, d + 1)));
            }
            Value::Object(o) if !o.is_empty() => {
                if d + 1 > max {
                    return false;
                }
                stack.extend(o.values().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    true
}

/// Parses a JSON object from bytes (UTF-8 checked by serde_json, whose own recursion
/// limit of 128 prevents stack exhaustion), then applies [`MAX_DEPTH`].
pub fn parse_object(bytes: &[u8]) -> Option<serde_json::Map<String, Value>> {
    let value = serde_json::from_slice::<Value>(bytes).ok()?;
    if !depth_ok(&value, MAX_DEPTH) {
        return None;
    }
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth() {
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        let v: Value = serde_json::from_str(&deep).unwrap();
        assert!(!depth_ok(&v, MAX_DEPTH));
        assert!(depth_ok(&v, 40));
        assert!(parse_object(format!("{{\"a\":{deep}}}").as_bytes()).is_none());
        let very_deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_object(very_deep.as_bytes()).is_none());
        assert!(parse_object(b"[1]").is_none());
        assert!(parse_object(b"{\"a\":\"\xff\"}").is_none());
        assert!(parse_object(b"{\"a\":1}").is_some());
    }
}
