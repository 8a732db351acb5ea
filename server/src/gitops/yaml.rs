//! A small YAML tree that remembers the line of every node, so a bad
//! entry in a GitOps file can be reported as `file:line`. Also owns what
//! makes YAML portable between Berth's YAML 1.2 parser and the YAML 1.1
//! parsers that read the same files (libyaml, PyYAML, Go's yaml.v2 under
//! Argo CD): `yaml11` finds text they read differently, `write` renders
//! scalars they all read the same.

mod write;
mod yaml11;

pub use write::{comment_text, double_quoted, scalar, single_quoted};
pub use yaml11::{check_portable, yaml11_type};

use yaml_rust2::{
    parser::Parser,
    scanner::{Marker, ScanError, TScalarStyle},
    Event, Yaml,
};

/// Deeper than any GitOps file needs. yaml-rust2's own loader recurses
/// once per level and overflows the stack on a few kilobytes of `- - - …`,
/// which aborts the whole server; events are read one by one here instead
/// and nesting is capped.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Scalar {
        value: String,
        quoted: bool,
        style: TScalarStyle,
        /// A tag such as `!!int` makes other parsers type the value in ways
        /// Berth does not follow, so a tagged scalar is never a string.
        tagged: bool,
        line: usize,
        /// 0-based character column where the scalar (or its quote) starts.
        col: usize,
    },
    Mapping {
        entries: Vec<(Node, Node)>,
        line: usize,
    },
    Sequence {
        items: Vec<Node>,
        line: usize,
    },
    Alias {
        line: usize,
    },
}

impl Node {
    pub fn line(&self) -> usize {
        match self {
            Node::Scalar { line, .. }
            | Node::Mapping { line, .. }
            | Node::Sequence { line, .. }
            | Node::Alias { line } => *line,
        }
    }

    /// The scalar as a string, if every mainstream YAML parser types it as
    /// one: `"123"` is a string; a bare `123`, `true` or `~` is not, and
    /// neither is a bare `yes` or `on`, which YAML 1.1 reads as a boolean.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { tagged: true, .. } => None,
            Node::Scalar {
                value,
                quoted: true,
                ..
            } => Some(value),
            Node::Scalar {
                value,
                quoted: false,
                ..
            } => (matches!(Yaml::from_str(value), Yaml::String(_)) && yaml11_type(value).is_none())
                .then_some(value.as_str()),
            _ => None,
        }
    }

    /// A short name of what this node is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Scalar { tagged: true, .. } => "a value with a YAML tag",
            Node::Scalar {
                value,
                quoted: false,
                ..
            } => match Yaml::from_str(value) {
                Yaml::Integer(_) | Yaml::Real(_) => "a number",
                Yaml::Boolean(_) => "a boolean",
                Yaml::Null => "empty",
                _ => yaml11_type(value).unwrap_or("a string"),
            },
            Node::Scalar { .. } => "a string",
            Node::Mapping { .. } => "a mapping",
            Node::Sequence { .. } => "a list",
            Node::Alias { .. } => "an alias",
        }
    }
}

/// A syntax error with the 1-based line it was found on.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

impl From<ScanError> for SyntaxError {
    fn from(err: ScanError) -> Self {
        SyntaxError {
            line: err.marker().line(),
            message: err.info().to_string(),
        }
    }
}

pub use yaml_rust2::scanner::TScalarStyle as ScalarStyle;

/// Parses one YAML document. An empty document yields `None`.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    // A leading byte order mark is not content (libyaml drops it), but
    // yaml-rust2 would read it as part of the first key.
    let (text, bom) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let mut builder = TreeBuilder {
        bom,
        ..TreeBuilder::default()
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, mark) = parser.next_token()?;
        if event == Event::StreamEnd {
            break;
        }
        builder.on_event(event, mark)?;
    }
    if builder.documents > 1 {
        return Err(SyntaxError {
            line: builder.second_document_line,
            message: "expected one YAML document, found several".into(),
        });
    }
    Ok(builder.root)
}

#[derive(Default)]
struct TreeBuilder {
    stack: Vec<Node>,
    /// For each open mapping, the key waiting for its value.
    pending_keys: Vec<Option<Node>>,
    root: Option<Node>,
    documents: usize,
    second_document_line: usize,
    /// The text started with a byte order mark that was cut off, so columns
    /// on the first line are one character further right in the file.
    bom: bool,
}

impl TreeBuilder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Node::Sequence { items, .. }) => items.push(node),
            Some(Node::Mapping { entries, .. }) => {
                let slot = self
                    .pending_keys
                    .last_mut()
                    .expect("mapping has a key slot");
                match slot.take() {
                    None => *slot = Some(node),
                    Some(key) => entries.push((key, node)),
                }
            }
            Some(_) => unreachable!("only collections are kept open"),
        }
    }

    fn open(&mut self, node: Node, line: usize) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxError {
                line,
                message: format!("nested more than {MAX_DEPTH} levels deep"),
            });
        }
        if matches!(node, Node::Mapping { .. }) {
            self.pending_keys.push(None);
        }
        self.stack.push(node);
        Ok(())
    }

    fn on_event(&mut self, event: Event, mark: Marker) -> Result<(), SyntaxError> {
        let line = mark.line();
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    self.second_document_line = line;
                }
            }
            Event::Scalar(value, style, _, tag) => {
                let quoted = !matches!(style, TScalarStyle::Plain);
                let col = mark.col() + usize::from(self.bom && line == 1);
                self.push_value(Node::Scalar {
                    value,
                    quoted,
                    style,
                    tagged: tag.is_some(),
                    line,
                    col,
                });
            }
            Event::Alias(_) => self.push_value(Node::Alias { line }),
            Event::MappingStart(..) => self.open(
                Node::Mapping {
                    entries: Vec::new(),
                    line,
                },
                line,
            )?,
            Event::SequenceStart(..) => self.open(
                Node::Sequence {
                    items: Vec::new(),
                    line,
                },
                line,
            )?,
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(node) = self.stack.pop() {
                    if matches!(node, Node::Mapping { .. }) {
                        self.pending_keys.pop();
                    }
                    self.push_value(node);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(Node, Node)> {
        match parse(text).unwrap() {
            Some(Node::Mapping { entries, .. }) => entries,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    #[test]
    fn remembers_lines_of_mapping_entries() {
        let entries = entries("# comment\na: x\nb: \"y\"\n");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].0.line(), 2);
        assert_eq!(entries[1].1.line(), 3);
        assert_eq!(entries[1].1.as_str(), Some("y"));
    }

    #[test]
    fn numbers_and_booleans_are_not_strings() {
        let entries = entries("a: 123\nb: true\nc: '123'\nd:\n");
        assert_eq!(entries[0].1.as_str(), None);
        assert_eq!(entries[0].1.kind(), "a number");
        assert_eq!(entries[1].1.kind(), "a boolean");
        assert_eq!(entries[2].1.as_str(), Some("123"));
        assert_eq!(entries[3].1.kind(), "empty");
    }

    #[test]
    fn what_yaml_1_1_types_is_not_a_string_either() {
        let entries = entries("a: yes\nb: \"yes\"\nc: 1_000\nd: 2024-01-02\ne: !!str x\n");
        assert_eq!(entries[0].1.as_str(), None);
        assert!(entries[0].1.kind().starts_with("a boolean to YAML 1.1"));
        assert_eq!(entries[1].1.as_str(), Some("yes"));
        assert!(entries[2].1.kind().starts_with("a number"));
        assert!(entries[3].1.kind().starts_with("a timestamp"));
        assert_eq!(entries[4].1.as_str(), None, "tags are not followed");
    }

    #[test]
    fn syntax_error_has_a_line() {
        let err = parse("a: x\nb: [unclosed\nc: y\n").unwrap_err();
        assert!(err.line >= 2, "line was {}", err.line);
    }

    #[test]
    fn empty_text_is_no_document() {
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }

    #[test]
    fn several_documents_are_refused() {
        let err = parse("a: x\n---\nb: y\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // Run on a small stack like a tokio worker's: the old recursive
        // loader overflowed it at a few hundred levels.
        let deep = "- ".repeat(100_000) + "x\n";
        let err = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || parse(&deep))
            .unwrap()
            .join()
            .expect("no stack overflow")
            .unwrap_err();
        assert!(err.message.contains("nested more than 32"), "{err:?}");
        let flow = "[".repeat(10_000);
        assert!(parse(&flow).is_err());
    }

    #[test]
    fn a_leading_byte_order_mark_is_not_part_of_the_first_key() {
        let entries = entries("\u{feff}a: x\n");
        assert_eq!(entries[0].0.as_str(), Some("a"));
        let Node::Scalar { col, .. } = entries[0].1 else {
            panic!("not a scalar")
        };
        assert_eq!(col, 4, "columns count the mark, as the file has it");
    }
}
