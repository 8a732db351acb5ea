//! A small YAML tree that remembers the line of every node, so a bad
//! entry in a GitOps file can be reported as `file:line`.

use yaml_rust2::{
    parser::{MarkedEventReceiver, Parser},
    scanner::{Marker, ScanError, TScalarStyle},
    Event, Yaml,
};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Scalar {
        value: String,
        quoted: bool,
        style: TScalarStyle,
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

    /// The scalar as a string, if YAML would type it as one: `"123"` is a
    /// string, a bare `123`, `true` or `~` is not.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar {
                value,
                quoted: true,
                ..
            } => Some(value),
            Node::Scalar {
                value,
                quoted: false,
                ..
            } => matches!(Yaml::from_str(value), Yaml::String(_)).then_some(value.as_str()),
            _ => None,
        }
    }

    /// A short name of what this node is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Scalar {
                value,
                quoted: false,
                ..
            } => match Yaml::from_str(value) {
                Yaml::Integer(_) | Yaml::Real(_) => "a number",
                Yaml::Boolean(_) => "a boolean",
                Yaml::Null => "empty",
                _ => "a string",
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
    let mut builder = TreeBuilder::default();
    Parser::new_from_str(text).load(&mut builder, true)?;
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
}

impl MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = mark.line();
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    self.second_document_line = line;
                }
            }
            Event::Scalar(value, style, _, _) => {
                let quoted = !matches!(style, TScalarStyle::Plain);
                self.push_value(Node::Scalar {
                    value,
                    quoted,
                    style,
                    line,
                    col: mark.col(),
                });
            }
            Event::Alias(_) => self.push_value(Node::Alias { line }),
            Event::MappingStart(..) => {
                self.stack.push(Node::Mapping {
                    entries: Vec::new(),
                    line,
                });
                self.pending_keys.push(None);
            }
            Event::SequenceStart(..) => self.stack.push(Node::Sequence {
                items: Vec::new(),
                line,
            }),
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_lines_of_mapping_entries() {
        let root = parse("# comment\na: x\nb: \"y\"\n").unwrap().unwrap();
        let Node::Mapping { entries, .. } = root else {
            panic!("not a mapping")
        };
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].0.line(), 2);
        assert_eq!(entries[1].1.line(), 3);
        assert_eq!(entries[1].1.as_str(), Some("y"));
    }

    #[test]
    fn numbers_and_booleans_are_not_strings() {
        let root = parse("a: 123\nb: true\nc: '123'\nd:\n").unwrap().unwrap();
        let Node::Mapping { entries, .. } = root else {
            panic!("not a mapping")
        };
        assert_eq!(entries[0].1.as_str(), None);
        assert_eq!(entries[0].1.kind(), "a number");
        assert_eq!(entries[1].1.kind(), "a boolean");
        assert_eq!(entries[2].1.as_str(), Some("123"));
        assert_eq!(entries[3].1.kind(), "empty");
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
}
