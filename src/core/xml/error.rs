//! Errors of the XML layer, each with the position it concerns.

use std::fmt;

/// Where in the input something is: a byte offset, and the 1-based line
/// and column it falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text`.
    pub fn in_text(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let before = &text.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Position {
            offset,
            line,
            column,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// What is wrong with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlErrorKind {
    /// Not well-formed XML (quick-xml's description).
    Malformed(String),
    /// The document is empty or has no root element.
    NoRoot,
    /// The root element is not the expected one.
    WrongRoot { expected: String, found: String },
    /// A required element or attribute is missing.
    Missing { path: String },
    /// A value that cannot be read as the type the field has.
    InvalidValue {
        path: String,
        value: String,
        expected: &'static str,
    },
}

/// An error of the XML layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub kind: XmlErrorKind,
    /// Where the problem is; for a missing field, the element that lacks it.
    pub position: Position,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            XmlErrorKind::Malformed(m) => write!(f, "malformed XML at {}: {m}", self.position),
            XmlErrorKind::NoRoot => write!(f, "the document has no root element"),
            XmlErrorKind::WrongRoot { expected, found } => {
                write!(
                    f,
                    "expected a <{expected}> document, found <{found}> at {}",
                    self.position
                )
            }
            XmlErrorKind::Missing { path } => {
                write!(f, "{path} is missing (element at {})", self.position)
            }
            XmlErrorKind::InvalidValue {
                path,
                value,
                expected,
            } => {
                write!(
                    f,
                    "{path} = '{value}' at {} is not {expected}",
                    self.position
                )
            }
        }
    }
}

impl std::error::Error for XmlError {}
