//! PHP values ⇄ `serde_json::Value`.
//!
//! PHP → JSON: a list (keys 0..n-1 in order) becomes an array, any other array an
//! object (integer keys as decimal strings), an empty array an empty array (callers that
//! need an object, such as claims, accept it as `{}`). Floats must be finite; strings and
//! keys must be UTF-8; objects, resources and nesting deeper than 32 levels are refused
//! with `WpOAuth\Exception` (`INVALID_ARGUMENT`).
//! JSON → PHP: objects become associative arrays, integers `int` (beyond `PHP_INT_MAX`:
//! `float`), other numbers `float`.

use ext_php_rs::convert::FromZval;
use ext_php_rs::flags::DataType;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use ext_php_rs::boxed::ZBox;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use std::cell::Cell;

use super::errors::php;
use crate::dpop::ExpectValue;
use crate::error::Error;
use crate::json::MAX_DEPTH;

/// A PHP `string` argument as raw bytes (PHP strings are byte strings).
pub struct Bytes<'a>(pub &'a [u8]);

impl<'a> FromZval<'a> for Bytes<'a> {
    const TYPE: DataType = DataType::String;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        zval.zend_str().map(|s| Bytes(s.as_bytes()))
    }
}

fn key_string(key: &Zval) -> Result<String, Error> {
    if let Some(n) = key.long() {
        return Ok(n.to_string());
    }
    let bytes = key.zend_str().map(|s| s.as_bytes()).ok_or(Error::InvalidArgument("array key"))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::InvalidArgument("array keys must be UTF-8"))
}

/// Whether the keys are 0, 1, 2, … in order (a PHP list). ext-php-rs's own
/// `has_sequential_keys` panics on a non-UTF-8 string key; this reads keys as zvals.
fn is_list(ht: &ZendHashTable) -> bool {
    let mut iter = ht.iter();
    let mut i: i64 = 0;
    while let Some((key, _)) = iter.next_zval() {
        if key.long() != Some(i) {
            return false;
        }
        i += 1;
    }
    true
}

fn table_to_value(ht: &ZendHashTable, depth: usize) -> Result<Value, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::InvalidArgument("arrays nest deeper than 32 levels"));
    }
    let list = is_list(ht);
    let mut arr = Vec::new();
    let mut map = Map::new();
    let mut iter = ht.iter();
    while let Some((key, value)) = iter.next_zval() {
        let v = zval_to_value(value, depth + 1)?;
        if list {
            arr.push(v);
        } else {
            map.insert(key_string(&key)?, v);
        }
    }
    Ok(if list { Value::Array(arr) } else { Value::Object(map) })
}

/// Converts one PHP value. Errors: [`Error::InvalidArgument`].
pub fn zval_to_value(z: &Zval, depth: usize) -> Result<Value, Error> {
    let z = z.dereference();
    if z.is_null() {
        Ok(Value::Null)
    } else if let Some(b) = z.bool() {
        Ok(Value::Bool(b))
    } else if let Some(n) = z.long() {
        Ok(Value::Number(Number::from(n)))
    } else if let Some(f) = z.double() {
        Number::from_f64(f)
            .map(Value::Number)
            .ok_or(Error::InvalidArgument("NAN and INF cannot be encoded as JSON"))
    } else if let Some(s) = z.zend_str() {
        String::from_utf8(s.as_bytes().to_vec())
            .map(Value::String)
            .map_err(|_| Error::InvalidArgument("strings must be UTF-8"))
    } else if let Some(ht) = z.array() {
        table_to_value(ht, depth)
    } else {
        Err(Error::InvalidArgument("objects and resources cannot be encoded as JSON"))
    }
}

/// Converts a PHP array that must map to a JSON object (an empty array gives `{}`).
pub fn table_to_object(ht: &ZendHashTable, what: &'static str) -> PhpResult<Map<String, Value>> {
    if ht.is_empty() {
        return Ok(Map::new());
    }
    match php(table_to_value(ht, 1))? {
        Value::Object(m) => Ok(m),
        _ => Err(super::errors::to_php(Error::InvalidArgument(what))),
    }
}

/// A PHP value serialized straight to JSON text, with the rules of [`zval_to_value`]
/// (same output as converting to a `Value` and serializing it, without building one).
/// The first rule broken is stored in `err`, as serde errors carry no `&'static str`.
struct Json<'a> {
    z: &'a Zval,
    depth: usize,
    err: &'a Cell<Option<&'static str>>,
}

impl Json<'_> {
    fn fail<E: serde::ser::Error>(&self, why: &'static str) -> E {
        self.err.set(Some(why));
        E::custom(why)
    }

    fn child<'b>(&'b self, z: &'b Zval) -> Json<'b> {
        Json { z, depth: self.depth + 1, err: self.err }
    }

    fn table<S: Serializer>(&self, ht: &ZendHashTable, s: S) -> Result<S::Ok, S::Error> {
        if self.depth > MAX_DEPTH {
            return Err(self.fail("arrays nest deeper than 32 levels"));
        }
        let mut iter = ht.iter();
        if is_list(ht) {
            let mut seq = s.serialize_seq(Some(ht.len()))?;
            while let Some((_, value)) = iter.next_zval() {
                seq.serialize_element(&self.child(value))?;
            }
            return seq.end();
        }
        let mut map = s.serialize_map(Some(ht.len()))?;
        while let Some((key, value)) = iter.next_zval() {
            if let Some(n) = key.long() {
                map.serialize_key(&n)?;
            } else {
                let bytes = key.zend_str().map(|k| k.as_bytes()).ok_or_else(|| self.fail("array key"))?;
                let k = std::str::from_utf8(bytes).map_err(|_| self.fail("array keys must be UTF-8"))?;
                map.serialize_key(k)?;
            }
            map.serialize_value(&self.child(value))?;
        }
        map.end()
    }
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let z = self.z.dereference();
        if z.is_null() {
            s.serialize_unit()
        } else if let Some(b) = z.bool() {
            s.serialize_bool(b)
        } else if let Some(n) = z.long() {
            s.serialize_i64(n)
        } else if let Some(f) = z.double() {
            if f.is_finite() {
                s.serialize_f64(f)
            } else {
                Err(self.fail("NAN and INF cannot be encoded as JSON"))
            }
        } else if let Some(st) = z.zend_str() {
            s.serialize_str(std::str::from_utf8(st.as_bytes()).map_err(|_| self.fail("strings must be UTF-8"))?)
        } else if let Some(ht) = z.array() {
            self.table(ht, s)
        } else {
            Err(self.fail("objects and resources cannot be encoded as JSON"))
        }
    }
}

/// Serializes a PHP array that must map to a JSON object (an empty array gives `{}`)
/// directly to JSON text, as `serde_json::to_vec(&table_to_object(ht, what)?)` would.
pub fn table_to_object_json(ht: &ZendHashTable, what: &'static str) -> PhpResult<Vec<u8>> {
    if ht.is_empty() {
        return Ok(b"{}".to_vec());
    }
    if is_list(ht) {
        return Err(super::errors::to_php(Error::InvalidArgument(what)));
    }
    let err = Cell::new(None);
    // An access token's claims are ~300 bytes: one allocation, no regrowth.
    let mut out = Vec::with_capacity(512);
    let json = Json { z: &Zval::new(), depth: 1, err: &err };
    match json.table(ht, &mut serde_json::Serializer::new(&mut out)) {
        Ok(()) => Ok(out),
        Err(_) => Err(super::errors::to_php(Error::InvalidArgument(err.get().unwrap_or(what)))),
    }
}

/// Converts a PHP array to a JSON value (list or object).
pub fn table_to_json(ht: &ZendHashTable) -> PhpResult<Value> {
    php(table_to_value(ht, 1))
}

fn value_to_zval(v: &Value) -> PhpResult<Zval> {
    let mut z = Zval::new();
    match v {
        Value::Null => z.set_null(),
        Value::Bool(b) => z.set_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => z.set_long(i),
            None => z.set_double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => z.set_string(s, false)?,
        Value::Array(a) => {
            let mut ht = ZendHashTable::with_capacity(u32::try_from(a.len()).unwrap_or(u32::MAX));
            for item in a {
                ht.push(value_to_zval(item)?)?;
            }
            z.set_hashtable(ht);
        }
        Value::Object(m) => z.set_hashtable(object_to_table(m)?),
    }
    Ok(z)
}

/// Converts a JSON object to an associative PHP array.
pub fn object_to_table(m: &Map<String, Value>) -> PhpResult<ZBox<ZendHashTable>> {
    let mut ht = ZendHashTable::with_capacity(u32::try_from(m.len()).unwrap_or(u32::MAX));
    for (k, v) in m {
        ht.insert(k.as_str(), value_to_zval(v)?)?;
    }
    Ok(ht)
}

/// The longest list read into an [`ExpectValue::List`]; longer lists become `Other` (and
/// are refused by the core) without being copied.
const MAX_EXPECT_LIST: usize = 64;

fn expect_scalar(z: &Zval) -> ExpectValue<'_> {
    let z = z.dereference();
    if let Some(n) = z.long() {
        ExpectValue::Int(n)
    } else if let Some(s) = z.zend_str() {
        ExpectValue::Str(s.as_bytes())
    } else {
        ExpectValue::Other
    }
}

fn expect_value(z: &Zval) -> ExpectValue<'_> {
    let z = z.dereference();
    match z.array() {
        Some(ht) if ht.len() <= MAX_EXPECT_LIST && is_list(ht) => {
            let mut out = Vec::with_capacity(ht.len());
            let mut iter = ht.iter();
            while let Some((_, v)) = iter.next_zval() {
                out.push(expect_scalar(v));
            }
            ExpectValue::List(out)
        }
        Some(_) => ExpectValue::Other,
        None => expect_scalar(z),
    }
}

/// The members of an options array as (name, value) for the core: names as bytes
/// (integer keys as their decimal text), values as [`ExpectValue`]s that borrow the PHP
/// strings. The core decides what is valid.
pub fn expect_members(ht: &ZendHashTable) -> (Vec<Vec<u8>>, Vec<ExpectValue<'_>>) {
    let mut names = Vec::with_capacity(ht.len());
    let mut values = Vec::with_capacity(ht.len());
    let mut iter = ht.iter();
    while let Some((key, value)) = iter.next_zval() {
        let name = match key.long() {
            Some(n) => n.to_string().into_bytes(),
            None => key.zend_str().map(|s| s.as_bytes().to_vec()).unwrap_or_default(),
        };
        names.push(name);
        values.push(expect_value(value));
    }
    (names, values)
}
