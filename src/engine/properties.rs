//! An event's properties, held flat: one list of nodes in document order and one string that
//! holds the text of every key and string value.
//!
//! The engine only ever looks properties up by path and compares what it finds. A
//! `serde_json::Value` tree paid for that with an allocation per string, per key and per object
//! (a hash table each, with `preserve_order`): parsing the ten events of a request into trees cost
//! more than the whole of the echo baseline's request (issue 15). Here an event's properties are
//! two allocations, and a plain request's are read straight from its text ([`Properties::read`]).
//! Lookups walk a handful of nodes; objects this small are faster scanned than hashed.

use std::fmt;

use serde_json::{Map, Number, Value};

use crate::json::Cursor;

/// An event's properties (normally an object: the contract refuses anything else).
#[derive(Clone)]
pub struct Properties {
    /// Pre-order: a container node is followed by its children (an object's as key, value).
    nodes: Vec<Node>,
    /// Keys and strings are ranges of this text.
    text: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String {
        start: usize,
        end: usize,
    },
    /// `len` elements follow; the node after them is `next`.
    Array {
        len: usize,
        next: usize,
    },
    /// `len` key and value pairs follow; the node after them is `next`.
    Object {
        len: usize,
        next: usize,
    },
}

/// One value inside [`Properties`]: cheap to copy, borrows the properties.
#[derive(Clone, Copy)]
pub struct Prop<'p> {
    props: &'p Properties,
    at: usize,
}

/// What a [`Prop`] is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind<'p> {
    Null,
    Bool(bool),
    Number(&'p Number),
    String(&'p str),
    /// With its number of elements.
    Array(usize),
    /// With its number of members.
    Object(usize),
}

impl Properties {
    /// The properties' top-level value.
    pub fn root(&self) -> Prop<'_> {
        Prop { props: self, at: 0 }
    }

    /// A value's properties, converted once (tests, tools, the serde path of the emulator).
    pub fn from_value(value: &Value) -> Properties {
        let mut props = Properties {
            nodes: Vec::new(),
            text: String::new(),
        };
        props.push_value(value);
        props
    }

    fn push_value(&mut self, value: &Value) {
        match value {
            Value::Null => self.nodes.push(Node::Null),
            Value::Bool(b) => self.nodes.push(Node::Bool(*b)),
            Value::Number(n) => self.nodes.push(Node::Number(n.clone())),
            Value::String(s) => self.push_text(s),
            Value::Array(items) => {
                let at = self.open(Node::Array {
                    len: items.len(),
                    next: 0,
                });
                items.iter().for_each(|item| self.push_value(item));
                self.close(at);
            }
            Value::Object(map) => {
                let at = self.open(Node::Object {
                    len: map.len(),
                    next: 0,
                });
                for (key, value) in map {
                    self.push_text(key);
                    self.push_value(value);
                }
                self.close(at);
            }
        }
    }

    fn push_text(&mut self, s: &str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.nodes.push(Node::String {
            start,
            end: self.text.len(),
        });
    }

    fn open(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Sets the container at `at`'s `next` to the node after its last child.
    fn close(&mut self, at: usize) {
        let after = self.nodes.len();
        if let Node::Array { next, .. } | Node::Object { next, .. } = &mut self.nodes[at] {
            *next = after;
        }
    }

    /// The properties as a JSON value (for schemas, explanations and `Debug`).
    pub fn to_value(&self) -> Value {
        self.root().to_value()
    }

    /// Reads the JSON object at `text[start..]`, if it is in the plain form a client sends (no
    /// escapes or control characters in strings, no key twice in an object, nesting under 100,
    /// numbers serde reads), with the position after it. `None` for anything else, JSON or not:
    /// the caller reads it with serde, which decides (and words the error). What it reads is
    /// checked to be JSON as it goes.
    pub fn read(text: &str, start: usize) -> Option<(Properties, usize)> {
        let mut reader = PlainReader {
            cursor: Cursor::new(text, start),
            base: start,
            nodes: Vec::with_capacity(32),
        };
        if reader.peek()? != b'{' {
            return None;
        }
        reader.value(0)?;
        let end = reader.pos;
        let props = Properties {
            nodes: reader.nodes,
            text: text.get(start..end)?.to_string(),
        };
        Some((props, end))
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_value(), f)
    }
}

/// Equal when they hold the same JSON (their texts may be laid out differently).
impl PartialEq for Properties {
    fn eq(&self, other: &Properties) -> bool {
        self.to_value() == other.to_value()
    }
}

impl From<Value> for Properties {
    fn from(value: Value) -> Properties {
        Properties::from_value(&value)
    }
}

impl<'p> Prop<'p> {
    fn node(self) -> &'p Node {
        &self.props.nodes[self.at]
    }

    /// The node after this value (and all it holds).
    fn next(self) -> usize {
        match self.node() {
            Node::Array { next, .. } | Node::Object { next, .. } => *next,
            _ => self.at + 1,
        }
    }

    fn at(self, at: usize) -> Prop<'p> {
        Prop {
            props: self.props,
            at,
        }
    }

    pub fn kind(self) -> Kind<'p> {
        match self.node() {
            Node::Null => Kind::Null,
            Node::Bool(b) => Kind::Bool(*b),
            Node::Number(n) => Kind::Number(n),
            Node::String { start, end } => Kind::String(&self.props.text[*start..*end]),
            Node::Array { len, .. } => Kind::Array(*len),
            Node::Object { len, .. } => Kind::Object(*len),
        }
    }

    pub fn as_str(self) -> Option<&'p str> {
        match self.kind() {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_number(self) -> Option<&'p Number> {
        match self.node() {
            Node::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_f64(self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }

    pub fn is_array(self) -> bool {
        matches!(self.node(), Node::Array { .. })
    }

    /// An object's member `key`.
    pub fn get(self, key: &str) -> Option<Prop<'p>> {
        let nodes = &self.props.nodes;
        let Node::Object { len, .. } = nodes[self.at] else {
            return None;
        };
        let text = self.props.text.as_bytes();
        let mut at = self.at + 1;
        for _ in 0..len {
            if let Node::String { start, end } = nodes[at]
                && text[start..end] == *key.as_bytes()
            {
                return Some(self.at(at + 1));
            }
            at = match nodes[at + 1] {
                Node::Array { next, .. } | Node::Object { next, .. } => next,
                _ => at + 2,
            };
        }
        None
    }

    /// An array's elements (none if this is not an array).
    pub fn items(self) -> impl Iterator<Item = Prop<'p>> + 'p {
        let len = match self.node() {
            Node::Array { len, .. } => *len,
            _ => 0,
        };
        let mut at = self.at + 1;
        (0..len).map(move |_| {
            let item = self.at(at);
            at = item.next();
            item
        })
    }

    /// An object's members in order (none if this is not an object).
    pub fn members(self) -> impl Iterator<Item = (&'p str, Prop<'p>)> + 'p {
        let len = match self.node() {
            Node::Object { len, .. } => *len,
            _ => 0,
        };
        let mut at = self.at + 1;
        (0..len).map(move |_| {
            let key = self.at(at).as_str().unwrap_or_default();
            let value = self.at(at + 1);
            at = value.next();
            (key, value)
        })
    }

    /// Follows a path through objects (and lists, by numeric index).
    pub fn lookup(self, path: &[String]) -> Option<Prop<'p>> {
        path.iter()
            .try_fold(self, |current, segment| match current.node() {
                Node::Object { .. } => current.get(segment),
                Node::Array { .. } => {
                    let i = segment.parse::<usize>().ok()?;
                    current.items().nth(i)
                }
                _ => None,
            })
    }

    pub fn to_value(self) -> Value {
        match self.kind() {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::String(s) => Value::String(s.to_string()),
            Kind::Array(_) => Value::Array(self.items().map(Prop::to_value).collect()),
            Kind::Object(_) => {
                let mut map = Map::new();
                for (key, value) in self.members() {
                    map.insert(key.to_string(), value.to_value());
                }
                Value::Object(map)
            }
        }
    }
}

impl fmt::Debug for Prop<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_value(), f)
    }
}

/// Nesting deeper than this is left to serde (whose recursion limit is 128).
const MAX_DEPTH: usize = 100;

/// Reads plain JSON (see [`Properties::read`]) into nodes whose strings are ranges of the text
/// from `base` on.
struct PlainReader<'t> {
    cursor: Cursor<'t>,
    base: usize,
    nodes: Vec<Node>,
}

impl<'t> std::ops::Deref for PlainReader<'t> {
    type Target = Cursor<'t>;
    fn deref(&self) -> &Cursor<'t> {
        &self.cursor
    }
}

impl std::ops::DerefMut for PlainReader<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.cursor
    }
}

impl PlainReader<'_> {
    /// A string without escapes: its node, its range relative to `base`.
    fn string(&mut self) -> Option<()> {
        let (start, end) = self.plain_string_span()?;
        self.nodes.push(Node::String {
            start: start - self.base,
            end: end - self.base,
        });
        Some(())
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true", Node::Bool(true)),
            b'f' => self.literal(b"false", Node::Bool(false)),
            b'n' => self.literal(b"null", Node::Null),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let at = self.nodes.len();
        self.nodes.push(Node::Object { len: 0, next: 0 });
        self.ws();
        let mut len = 0;
        if self.peek()? != b'}' {
            loop {
                let key_at = self.nodes.len();
                self.string()?;
                // serde keeps the last of a repeated key: leave that rare case to it.
                if self.is_repeated(at, key_at) {
                    return None;
                }
                len += 1;
                self.ws();
                self.expect(b':')?;
                self.ws();
                self.value(depth + 1)?;
                self.ws();
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        self.ws();
                    }
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.pos += 1;
        let after = self.nodes.len();
        self.nodes[at] = Node::Object { len, next: after };
        Some(())
    }

    /// Whether the key at node `key_at` is one of the keys before it in the object at `at`.
    fn is_repeated(&self, at: usize, key_at: usize) -> bool {
        let text = &self.bytes[self.base..];
        let range = |node: &Node| match *node {
            Node::String { start, end } => &text[start..end],
            _ => &[],
        };
        let key = range(&self.nodes[key_at]);
        let mut member = at + 1;
        while member < key_at {
            if range(&self.nodes[member]) == key {
                return true;
            }
            // The value after the key: a container's `next` is set once it is read.
            member = match self.nodes[member + 1] {
                Node::Array { next, .. } | Node::Object { next, .. } => next,
                _ => member + 2,
            };
        }
        false
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let at = self.nodes.len();
        self.nodes.push(Node::Array { len: 0, next: 0 });
        self.ws();
        let mut len = 0;
        if self.peek()? != b']' {
            loop {
                self.value(depth + 1)?;
                len += 1;
                self.ws();
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        self.ws();
                    }
                    b']' => break,
                    _ => return None,
                }
            }
        }
        self.pos += 1;
        let after = self.nodes.len();
        self.nodes[at] = Node::Array { len, next: after };
        Some(())
    }

    fn literal(&mut self, word: &[u8], node: Node) -> Option<()> {
        self.cursor.literal(word)?;
        self.nodes.push(node);
        Some(())
    }

    /// A number, read by serde's own number parser so it is the `Number` serde would give.
    fn number(&mut self) -> Option<()> {
        let start = self.pos;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
        // Small non-negative integers, the common case, without serde's machinery.
        let number = if text.len() < 19 && text.bytes().all(|b| b.is_ascii_digit()) {
            if text.len() > 1 && text.starts_with('0') {
                return None;
            }
            Number::from(text.parse::<u64>().ok()?)
        } else {
            text.parse::<Number>().ok()?
        };
        self.nodes.push(Node::Number(number));
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn read(text: &str) -> Option<Properties> {
        let (props, end) = Properties::read(text, 0)?;
        (end == text.len()).then_some(props)
    }

    #[test]
    fn lookups_follow_objects_and_list_indexes() {
        let props = Properties::from(json!({
            "article": {"category": "Sport", "tags": ["a", "b"], "n": 3},
            "empty": {}, "list": [], "x": null
        }));
        let root = props.root();
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            root.lookup(&path(&["article", "category"]))
                .and_then(Prop::as_str),
            Some("Sport")
        );
        assert_eq!(
            root.lookup(&path(&["article", "tags", "1"]))
                .and_then(Prop::as_str),
            Some("b")
        );
        assert_eq!(
            root.lookup(&path(&["article", "n"])).and_then(Prop::as_f64),
            Some(3.0)
        );
        assert!(root.lookup(&path(&["article", "missing"])).is_none());
        assert!(root.lookup(&path(&["article", "tags", "2"])).is_none());
        assert_eq!(root.get("empty").map(Prop::kind), Some(Kind::Object(0)));
        assert_eq!(root.get("x").map(Prop::kind), Some(Kind::Null));
        assert_eq!(root.get("list").map(|l| l.items().count()), Some(0));
    }

    #[test]
    fn plain_text_reads_as_its_value_and_anything_else_is_left_to_serde() {
        let text = r#"{ "a" : {"b": [1, -2, -0, 0, 3.5, 1e3, 18446744073709551615, 18446744073709551616, true, false, null, "s"]}, "c": "" }"#;
        let props = read(text).expect("plain");
        assert_eq!(
            props.to_value(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert_eq!(props, Properties::from_value(&props.to_value()));
        for other in [
            r#"{"a": "with \" escape"}"#,
            r#"{"a": 1, "a": 2}"#,
            r#"{"a": {"b": 1, "b": 1}}"#,
            r#"{"a": 1e999}"#,
            r#"{"a": 01}"#,
            r#"["not an object"]"#,
        ] {
            assert!(read(other).is_none(), "{other}");
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1.0e6f64..1.0e6).prop_map(Value::from),
            "[a-zA-Z0-9 _./:-]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn read_agrees_with_serde(value in json_value(), pretty in any::<bool>()) {
            let object = json!({"v": value, "w": [value.clone()]});
            let text = if pretty {
                serde_json::to_string_pretty(&object).unwrap()
            } else {
                serde_json::to_string(&object).unwrap()
            };
            let props = read(&text).expect("a client's plain JSON is read");
            let serde: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(props.to_value(), serde.clone());
            prop_assert_eq!(props, Properties::from_value(&serde));
        }
    }
}
