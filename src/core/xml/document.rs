//! The retained, lossless XML tree.
//!
//! Text and attribute values are kept exactly as they were written
//! (escaped), with each attribute's quote character and each element's
//! self-closing form, so that a document that is parsed and written without
//! edits comes out byte for byte as it went in, apart from the whitespace
//! between attributes inside a tag (always one space). Edits only touch the
//! nodes they name.
//!
//! Length: the tree, its parser and its writer are one format's two
//! directions and share every escaping rule; splitting them would split that
//! knowledge.

use std::fmt::Write as _;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::error::{Position, XmlError, XmlErrorKind};

/// A node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    /// Character data, escaped as written (`a &amp; b`).
    Text(String),
    CData(String),
    Comment(String),
    /// A processing instruction, without `<?` and `?>`.
    ProcessingInstruction(String),
    /// The XML declaration, without `<?` and `?>`.
    Declaration(String),
    DocType(String),
}

/// An attribute with its value as written (escaped) and its quote character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    raw: String,
    quote: char,
}

impl Attribute {
    /// The value, unescaped.
    pub fn value(&self) -> String {
        unescape(&self.raw)
    }
}

/// An element: qualified name (with any prefix), attributes in order, children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    attrs: Vec<Attribute>,
    pub children: Vec<Node>,
    /// Written as `<x/>` when it has no children.
    self_closing: bool,
    /// Where the element started in the parsed text (default for new ones).
    pub position: Position,
}

/// A whole document: what comes before the root, the root, what follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub prolog: Vec<Node>,
    pub root: Element,
    pub epilog: Vec<Node>,
}

pub(crate) fn unescape(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_owned();
    }
    quick_xml::escape::unescape(raw)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| raw.to_owned())
}

/// Escape text for element content (what libvirt escapes: `& < >`).
pub(crate) fn escape_text(text: &str) -> String {
    escape(text, None)
}

fn escape_attr(value: &str, quote: char) -> String {
    escape(value, Some(quote))
}

/// Escape `& < >`, and in an attribute value the quote character it uses.
fn escape(value: &str, quote: Option<char>) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' if quote == Some('\'') => out.push_str("&apos;"),
            '"' if quote == Some('"') => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

impl Element {
    /// A new, empty element.
    pub fn new(name: &str) -> Element {
        Element {
            name: name.to_owned(),
            attrs: Vec::new(),
            children: Vec::new(),
            self_closing: true,
            position: Position::default(),
        }
    }

    /// Builder form of [`Element::set_attr`].
    pub fn with_attr(mut self, name: &str, value: &str) -> Element {
        self.set_attr(name, Some(value));
        self
    }

    /// Builder form of [`Element::set_text`].
    pub fn with_text(mut self, text: &str) -> Element {
        self.set_text(Some(text));
        self
    }

    /// Builder form: append a child element (indentation is added on write
    /// by [`Element::append_pretty`] users; this one appends as is).
    pub fn with_child(mut self, child: Element) -> Element {
        self.children.push(Node::Element(child));
        self.self_closing = false;
        self
    }

    pub fn attributes(&self) -> &[Attribute] {
        &self.attrs
    }

    /// An attribute's unescaped value.
    pub fn attr(&self, name: &str) -> Option<String> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(Attribute::value)
    }

    /// Set (`Some`) or remove (`None`) an attribute. A new attribute goes
    /// last; an existing one keeps its place and quote character.
    pub fn set_attr(&mut self, name: &str, value: Option<&str>) {
        match (self.attrs.iter().position(|a| a.name == name), value) {
            (Some(i), Some(v)) => {
                let q = self.attrs[i].quote;
                if self.attrs[i].value() != v {
                    self.attrs[i].raw = escape_attr(v, q);
                }
            }
            (Some(i), None) => {
                self.attrs.remove(i);
            }
            (None, Some(v)) => self.attrs.push(Attribute {
                name: name.to_owned(),
                raw: escape_attr(v, '\''),
                quote: '\'',
            }),
            (None, None) => {}
        }
    }

    /// The element's own text (its direct text and CDATA), unescaped, or
    /// `None` when it has none.
    pub fn text(&self) -> Option<String> {
        let mut out = String::new();
        let mut any = false;
        for c in &self.children {
            match c {
                Node::Text(t) => {
                    out.push_str(&unescape(t));
                    any = true;
                }
                Node::CData(t) => {
                    out.push_str(t);
                    any = true;
                }
                _ => {}
            }
        }
        any.then_some(out)
    }

    /// Replace the element's text; `None` removes it. Child elements stay.
    pub fn set_text(&mut self, text: Option<&str>) {
        if self.text().as_deref() == text {
            return;
        }
        self.children
            .retain(|c| !matches!(c, Node::Text(_) | Node::CData(_)));
        if let Some(t) = text {
            self.children.insert(0, Node::Text(escape_text(t)));
            self.self_closing = false;
        }
    }

    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// Child elements, mutable.
    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.elements_mut().find(|e| e.name == name)
    }

    /// All child elements called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    /// The `n`th child element called `name`, mutable.
    pub fn nth_child_mut(&mut self, name: &str, n: usize) -> Option<&mut Element> {
        self.elements_mut().filter(|e| e.name == name).nth(n)
    }

    /// True when the element carries nothing: no attributes, no child
    /// elements, no text but whitespace, no comments.
    pub fn is_empty(&self) -> bool {
        self.attrs.is_empty()
            && self.children.iter().all(|c| match c {
                Node::Text(t) => t.trim().is_empty(),
                _ => false,
            })
    }

    /// The whitespace that precedes this element's children's lines, guessed
    /// from existing children, else from the parent's indentation.
    fn child_indent(&self, own_indent: &str) -> String {
        for (i, c) in self.children.iter().enumerate() {
            if let (Node::Text(t), Some(Node::Element(_))) = (c, self.children.get(i + 1))
                && let Some(nl) = t.rfind('\n')
            {
                return t[nl + 1..].to_owned();
            }
        }
        format!("{own_indent}  ")
    }

    /// Append `child` as the last child element, indented like its siblings
    /// (libvirt's two spaces per level), its own children indented below it.
    /// `own_indent` is the indentation of `self`'s start tag.
    pub fn append_pretty(&mut self, child: Element, own_indent: &str) -> &mut Element {
        self.insert_pretty(child, own_indent, &[])
    }

    /// Like [`Element::append_pretty`], but keeps libvirt's element order:
    /// the child goes before the first existing sibling that `order` lists
    /// after it. Names missing from `order` go last.
    pub fn insert_pretty(
        &mut self,
        child: Element,
        own_indent: &str,
        order: &[&str],
    ) -> &mut Element {
        let rank = |name: &str| order.iter().position(|n| *n == name);
        let before = rank(&child.name).and_then(|mine| {
            self.children.iter().position(
                |c| matches!(c, Node::Element(e) if rank(&e.name).is_some_and(|r| r > mine)),
            )
        });
        match before {
            Some(at) => {
                let indent = self.child_indent(own_indent);
                let mut child = child;
                child.reindent(&indent);
                self.children.insert(at, Node::Element(child));
                self.children
                    .insert(at + 1, Node::Text(format!("\n{indent}")));
                match &mut self.children[at] {
                    Node::Element(e) => e,
                    _ => unreachable!("an element was just inserted here"),
                }
            }
            None => self.append_last(child, own_indent),
        }
    }

    fn append_last(&mut self, child: Element, own_indent: &str) -> &mut Element {
        let indent = self.child_indent(own_indent);
        let mut child = child;
        child.reindent(&indent);
        let idx = match self
            .children
            .iter()
            .rposition(|c| matches!(c, Node::Element(_)))
        {
            Some(last) => {
                self.children
                    .insert(last + 1, Node::Text(format!("\n{indent}")));
                self.children.insert(last + 2, Node::Element(child));
                last + 2
            }
            None => {
                // Whitespace-only content is replaced; real text is kept.
                if self.text().is_none_or(|t| t.trim().is_empty()) {
                    self.children.retain(|c| !matches!(c, Node::Text(_)));
                }
                self.children.push(Node::Text(format!("\n{indent}")));
                self.children.push(Node::Element(child));
                self.children.push(Node::Text(format!("\n{own_indent}")));
                self.children.len() - 2
            }
        };
        self.self_closing = false;
        match &mut self.children[idx] {
            Node::Element(e) => e,
            _ => unreachable!("an element was just inserted here"),
        }
    }

    /// The same subtree, indented the way libvirt writes it (two spaces a level).
    pub fn into_pretty(mut self) -> Element {
        self.reindent("");
        self
    }

    /// Give a new subtree indentation for `indent` (children two spaces deeper).
    fn reindent(&mut self, indent: &str) {
        if !self.children.iter().any(|c| matches!(c, Node::Element(_))) {
            return;
        }
        let inner = format!("{indent}  ");
        let mut out = Vec::with_capacity(self.children.len() * 2 + 1);
        for c in self.children.drain(..) {
            match c {
                Node::Text(t) if t.trim().is_empty() => {}
                Node::Element(mut e) => {
                    e.reindent(&inner);
                    out.push(Node::Text(format!("\n{inner}")));
                    out.push(Node::Element(e));
                }
                other => out.push(other),
            }
        }
        out.push(Node::Text(format!("\n{indent}")));
        self.children = out;
    }

    /// Remove the `n`th child element called `name` with the whitespace
    /// before it; returns it.
    pub fn remove_child(&mut self, name: &str, n: usize) -> Option<Element> {
        let idx = self
            .children
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c, Node::Element(e) if e.name == name))
            .map(|(i, _)| i)
            .nth(n)?;
        let removed = match self.children.remove(idx) {
            Node::Element(e) => e,
            _ => unreachable!(),
        };
        if idx > 0 && matches!(&self.children[idx - 1], Node::Text(t) if t.trim().is_empty()) {
            self.children.remove(idx - 1);
        }
        if !self
            .children
            .iter()
            .any(|c| matches!(c, Node::Element(_) | Node::Comment(_) | Node::CData(_)))
            && self.text().is_some_and(|t| t.trim().is_empty())
        {
            self.children.clear();
            self.self_closing = true;
        }
        Some(removed)
    }

    fn write_to(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for a in &self.attrs {
            let _ = write!(out, " {}={}{}{}", a.name, a.quote, a.raw, a.quote);
        }
        if self.children.is_empty() && self.self_closing {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for c in &self.children {
            c.write_to(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// This element and its subtree as XML text.
    pub fn to_xml_string(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }
}

impl Node {
    fn write_to(&self, out: &mut String) {
        match self {
            Node::Element(e) => e.write_to(out),
            Node::Text(t) => out.push_str(t),
            Node::CData(t) => {
                let _ = write!(out, "<![CDATA[{t}]]>");
            }
            Node::Comment(t) => {
                let _ = write!(out, "<!--{t}-->");
            }
            Node::ProcessingInstruction(t) | Node::Declaration(t) => {
                let _ = write!(out, "<?{t}?>");
            }
            Node::DocType(t) => {
                let _ = write!(out, "<!DOCTYPE {t}>");
            }
        }
    }
}

/// Tracks line and column incrementally while the reader moves forward.
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
    line_start: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            return Position::in_text(self.text, offset);
        }
        let bytes = &self.text.as_bytes()[self.offset..offset];
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = offset;
        let column = self
            .text
            .get(self.line_start..offset)
            .map_or(offset - self.line_start, |s| s.chars().count())
            + 1;
        Position {
            offset,
            line: self.line,
            column,
        }
    }
}

fn malformed(text: &str, offset: usize, message: impl Into<String>) -> XmlError {
    XmlError {
        kind: XmlErrorKind::Malformed(message.into()),
        position: Position::in_text(text, offset),
    }
}

fn valid_reference(name: &str) -> bool {
    match name {
        "amp" | "lt" | "gt" | "apos" | "quot" => true,
        _ => {
            let num = name.strip_prefix('#');
            match num {
                Some(n) => {
                    let code = match n.strip_prefix('x') {
                        Some(h) => u32::from_str_radix(h, 16).ok(),
                        None => n.parse::<u32>().ok(),
                    };
                    code.and_then(char::from_u32).is_some()
                }
                None => false,
            }
        }
    }
}

impl Document {
    /// Parse a document. Malformed input gives [`XmlErrorKind::Malformed`]
    /// with the position quick-xml stopped at; never a panic.
    pub fn parse(text: &str) -> Result<Document, XmlError> {
        let mut reader = Reader::from_str(text);
        {
            let config = reader.config_mut();
            config.trim_text(false);
            config.check_end_names = true;
            config.check_comments = true;
            config.expand_empty_elements = false;
        }
        let mut lines = Lines {
            text,
            offset: 0,
            line: 1,
            line_start: 0,
        };
        let mut prolog = Vec::new();
        let mut epilog = Vec::new();
        let mut root: Option<Element> = None;
        let mut stack: Vec<Element> = Vec::new();

        loop {
            let start = reader.buffer_position() as usize;
            let event = reader
                .read_event()
                .map_err(|e| malformed(text, reader.error_position() as usize, e.to_string()))?;
            let node = match event {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) if root.is_some() => {
                    let _ = e;
                    return Err(malformed(text, start, "content after the root element"));
                }
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let self_closing = matches!(event, Event::Empty(_));
                    let raw: &str = e;
                    let mut element = Element {
                        name: e.name().as_ref().to_owned(),
                        attrs: Vec::new(),
                        children: Vec::new(),
                        self_closing,
                        position: lines.at(start),
                    };
                    for attr in e.attributes().with_checks(true) {
                        let attr = attr.map_err(|err| malformed(text, start, err.to_string()))?;
                        let value: &str = &attr.value;
                        // The quote is the byte before the borrowed value in the raw tag.
                        let quote = match (value.as_ptr() as usize)
                            .checked_sub(raw.as_ptr() as usize + 1)
                        {
                            Some(i) if i < raw.len() => raw.as_bytes()[i] as char,
                            _ => '\'',
                        };
                        let quote = if quote == '"' { '"' } else { '\'' };
                        if let Some(bad) = value.split('&').skip(1).find(|r| {
                            !r.split(';')
                                .next()
                                .is_some_and(|n| r.contains(';') && valid_reference(n))
                        }) {
                            return Err(malformed(
                                text,
                                start,
                                format!(
                                    "invalid reference '&{}' in attribute",
                                    bad.chars().take(12).collect::<String>()
                                ),
                            ));
                        }
                        if value.contains('<') {
                            return Err(malformed(text, start, "'<' in an attribute value"));
                        }
                        element.attrs.push(Attribute {
                            name: attr.key.as_ref().to_owned(),
                            raw: value.to_owned(),
                            quote,
                        });
                    }
                    if self_closing {
                        Node::Element(element)
                    } else {
                        stack.push(element);
                        continue;
                    }
                }
                Event::End(_) => {
                    let done = stack
                        .pop()
                        .ok_or_else(|| malformed(text, start, "unexpected end tag"))?;
                    Node::Element(done)
                }
                Event::Text(t) => {
                    let raw: &str = &t;
                    if stack.is_empty() && !raw.trim().is_empty() {
                        return Err(malformed(text, start, "text outside the root element"));
                    }
                    Node::Text(raw.to_owned())
                }
                Event::GeneralRef(r) => {
                    let name: &str = &r;
                    if !valid_reference(name) {
                        return Err(malformed(text, start, format!("unknown entity '&{name};'")));
                    }
                    if stack.is_empty() {
                        return Err(malformed(text, start, "text outside the root element"));
                    }
                    Node::Text(format!("&{name};"))
                }
                Event::CData(t) => {
                    if stack.is_empty() {
                        return Err(malformed(text, start, "CDATA outside the root element"));
                    }
                    Node::CData((*t).to_owned())
                }
                Event::Comment(t) => Node::Comment((*t).to_owned()),
                Event::PI(t) => Node::ProcessingInstruction((*t).to_owned()),
                Event::Decl(t) => {
                    if root.is_some() || !stack.is_empty() || !prolog.is_empty() {
                        return Err(malformed(text, start, "misplaced XML declaration"));
                    }
                    Node::Declaration((*t).to_owned())
                }
                Event::DocType(t) => Node::DocType((*t).to_owned()),
            };
            match stack.last_mut() {
                Some(parent) => {
                    // Merge runs of text split around entity references.
                    if let (Node::Text(new), Some(Node::Text(prev))) =
                        (&node, parent.children.last_mut())
                    {
                        prev.push_str(new);
                    } else {
                        parent.children.push(node);
                    }
                }
                None => match node {
                    Node::Element(e) => root = Some(e),
                    other if root.is_none() => prolog.push(other),
                    other => epilog.push(other),
                },
            }
        }
        if let Some(open) = stack.last() {
            return Err(XmlError {
                kind: XmlErrorKind::Malformed(format!("<{}> is never closed", open.name)),
                position: open.position,
            });
        }
        let root = root.ok_or(XmlError {
            kind: XmlErrorKind::NoRoot,
            position: Position::in_text(text, text.len()),
        })?;
        Ok(Document {
            prolog,
            root,
            epilog,
        })
    }

    /// The document as XML text.
    pub fn to_xml_string(&self) -> String {
        let mut out = String::new();
        for n in &self.prolog {
            n.write_to(&mut out);
        }
        self.root.write_to(&mut out);
        for n in &self.epilog {
            n.write_to(&mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_node_survives_a_round_trip() {
        let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE domain>\n<!-- top -->\n<?pi data?>\n\
            <domain xmlns:qemu=\"http://libvirt.org/schemas/domain/qemu/1.0\" type='kvm'>\n  \
            <description><![CDATA[a <raw> & block]]></description>\n  \
            <title>Tom &amp; &#x4E2D; &quot;x&quot;</title>\n  <x a=\"it's\" b='say &apos;hi&apos;'/>\n  \
            <empty></empty>\n  <qemu:commandline/>\n</domain>\n<!-- after -->\n";
        let doc = Document::parse(text).unwrap();
        assert_eq!(doc.to_xml_string(), text);
        assert_eq!(
            doc.root.child("title").unwrap().text().as_deref(),
            Some("Tom & 中 \"x\"")
        );
        assert_eq!(
            doc.root.child("description").unwrap().text().as_deref(),
            Some("a <raw> & block")
        );
        let x = doc.root.child("x").unwrap();
        assert_eq!(x.attr("a").as_deref(), Some("it's"));
        assert_eq!(x.attr("b").as_deref(), Some("say 'hi'"));
    }

    #[test]
    fn edits_escape_and_keep_quote_styles() {
        let mut doc = Document::parse("<a x=\"1\" y='2'><b>old</b></a>").unwrap();
        doc.root.set_attr("x", Some("say \"hi\" & 'bye'"));
        doc.root.set_attr("z", Some("<new>"));
        doc.root.child_mut("b").unwrap().set_text(Some("a < b"));
        assert_eq!(
            doc.to_xml_string(),
            "<a x=\"say &quot;hi&quot; &amp; 'bye'\" y='2' z='&lt;new&gt;'><b>a &lt; b</b></a>"
        );
        let again = Document::parse(&doc.to_xml_string()).unwrap();
        assert_eq!(again.root.attr("x").as_deref(), Some("say \"hi\" & 'bye'"));
    }

    #[test]
    fn removing_a_child_takes_its_indentation_with_it() {
        let mut doc = Document::parse("<a>\n  <b/>\n  <c/>\n</a>").unwrap();
        assert!(doc.root.remove_child("b", 0).is_some());
        assert_eq!(doc.to_xml_string(), "<a>\n  <c/>\n</a>");
        doc.root.remove_child("c", 0);
        assert_eq!(doc.to_xml_string(), "<a/>");
    }

    #[test]
    fn positions_count_lines_and_columns() {
        let doc = Document::parse("<a>\n  <b>\n    <c/></b></a>").unwrap();
        let c = doc.root.child("b").unwrap().child("c").unwrap();
        assert_eq!((c.position.line, c.position.column), (3, 5));
        let e = Document::parse("<a>\n<b></c></a>").unwrap_err();
        assert_eq!(e.position.line, 2, "{e}");
    }
}
