//! A byte-position map of an XMP packet: where each top-level `rdf:Description` is, which
//! attributes and property elements it has and where, and which namespace prefixes are in scope.
//!
//! The merge edits the original text at these positions, so everything it does not touch stays
//! byte-for-byte as it was. Parsing is namespace-aware (quick-xml's `NsReader`): a property is
//! matched by namespace URI and local name, whatever prefix the file uses (old Adobe files say
//! `xap:Rating` for `xmp:Rating`).

use quick_xml::events::Event;
use quick_xml::name::{PrefixDeclaration, QName, ResolveResult};
use quick_xml::reader::NsReader;

use super::XmpError;

/// `rdf:` namespace.
pub(crate) const RDF_NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// The most top-level `rdf:Description` elements a packet may have. Writers use one, or one per
/// schema (older Adobe software: a dozen or so); each keeps a copy of the namespaces in scope
/// (up to quick-xml's limit of 128), so thousands would cost memory and time out of all
/// proportion to the file's size.
const MAX_DESCRIPTIONS: usize = 1024;

/// A parsed packet: the top-level descriptions and where a new one could go.
#[derive(Debug, Default)]
pub(crate) struct Doc {
    /// Top-level `rdf:Description` elements (children of `rdf:RDF`), in document order.
    pub(crate) descriptions: Vec<Description>,
    /// Whether an `rdf:RDF` element was found at all.
    pub(crate) has_rdf: bool,
    /// Offset of the first `</rdf:RDF>` end tag (for inserting a description).
    pub(crate) rdf_close: Option<usize>,
    /// The raw name of that `rdf:RDF` element (`rdf:RDF`), to name a new description alike.
    pub(crate) rdf_qname: String,
    /// Prefixes in scope inside `rdf:RDF` (`(prefix, uri)`).
    pub(crate) rdf_bindings: Vec<(String, String)>,
}

/// One top-level `rdf:Description`.
#[derive(Debug)]
pub(crate) struct Description {
    /// Raw element name (`rdf:Description`).
    pub(crate) qname: String,
    /// Offset of `<`.
    pub(crate) start: usize,
    /// Offset just past the start tag's `>`.
    pub(crate) tag_end: usize,
    /// Written as `<rdf:Description .../>`.
    pub(crate) empty: bool,
    /// Offset of `</rdf:Description>` (equals `tag_end` when `empty`).
    pub(crate) close_start: usize,
    /// Offset just past the last attribute (where a new attribute goes).
    pub(crate) attr_insert: usize,
    /// Whitespace before the last attribute, reused before new ones to keep the file's style.
    pub(crate) attr_sep: String,
    /// Named prefixes in scope on this element, including its own declarations.
    pub(crate) bindings: Vec<(String, String)>,
    /// Properties found on this description: attributes and child elements.
    pub(crate) props: Vec<Found>,
    /// Leading whitespace of the line holding the start tag.
    pub(crate) indent: String,
    /// Leading whitespace of the line of the last child element, if any.
    pub(crate) child_indent: Option<String>,
}

impl Description {
    /// The prefix bound to `ns` in scope here, if any.
    pub(crate) fn prefix_for(&self, ns: &str) -> Option<&str> {
        prefix_in(&self.bindings, ns)
    }
}

/// The prefix bound to `ns` in `bindings` (the innermost declaration wins).
pub(crate) fn prefix_in<'a>(bindings: &'a [(String, String)], ns: &str) -> Option<&'a str> {
    bindings
        .iter()
        .rev()
        .find(|(_, uri)| uri == ns)
        .map(|(prefix, _)| prefix.as_str())
        // A prefix redeclared further in to another namespace no longer means `ns`.
        .filter(|prefix| {
            bindings
                .iter()
                .rev()
                .find(|(p, _)| p == prefix)
                .is_some_and(|(_, uri)| uri == ns)
        })
}

/// Whether the attribute or property is written as an attribute or as a child element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// `xmp:Rating="3"` on the description's start tag.
    Attribute,
    /// `<xmp:Rating>3</xmp:Rating>` inside the description.
    Element,
}

/// One property found on a description.
#[derive(Debug)]
pub(crate) struct Found {
    /// Namespace URI.
    pub(crate) ns: String,
    /// Local name.
    pub(crate) local: String,
    /// Raw prefix used in the file (`xmp`, `xap`, …); empty for a default-namespace element.
    pub(crate) prefix: String,
    /// Attribute or element.
    pub(crate) form: Form,
    /// The span removing the property cleanly: for an attribute, with its leading whitespace;
    /// for an element, with its indentation and the line break before it.
    pub(crate) removal: (usize, usize),
    /// The span of the property itself: the quoted value's content for an attribute, the whole
    /// element (`<p:x>…</p:x>`) for an element.
    pub(crate) span: (usize, usize),
    /// Leading whitespace of the element's line (elements only).
    pub(crate) indent: String,
    /// Direct text content (unescaped), or the attribute value.
    pub(crate) text: String,
    /// Items of an `rdf:Seq`/`rdf:Bag`/`rdf:Alt` value.
    pub(crate) items: Vec<String>,
    /// Whether the element had child elements (an array or a structure).
    pub(crate) structured: bool,
}

/// What the innermost open element is, for the scan.
#[derive(Debug)]
enum Frame {
    /// `rdf:RDF`.
    Rdf,
    /// A top-level description (index into `Doc::descriptions`).
    Description(usize),
    /// A property element (description index, index into its `props`).
    Property(usize, usize),
    /// Inside a property value; `depth` 1 is the array/struct element, 2 its items.
    Value {
        desc: usize,
        prop: usize,
        depth: usize,
        is_item: bool,
    },
    /// Anything else.
    Other,
}

/// Parse `text` into a [`Doc`].
pub(crate) fn scan(text: &str) -> Result<Doc, XmpError> {
    // The reader skips a byte-order mark at the start without counting it in its positions,
    // which are byte offsets into `text` here: hand it the text after every leading mark and
    // add their length back.
    let body = text.trim_start_matches('\u{feff}');
    let skipped = text.len() - body.len();
    let offset = |position: u64| offset(position).saturating_add(skipped);
    let mut reader = NsReader::from_str(body);
    reader.config_mut().enable_all_checks(true);
    reader.config_mut().trim_text(false);

    let mut doc = Doc::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut saw_root = false;
    loop {
        let before = offset(reader.buffer_position());
        let event = reader.read_event().map_err(|error| XmpError::Malformed {
            position: offset(reader.error_position()),
            error,
        })?;
        let after = offset(reader.buffer_position());
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                saw_root = true;
                let empty = matches!(event, Event::Empty(_));
                let (ns, local) = resolve_element(&reader, e.name())?;
                let frame = match stack.last() {
                    Some(Frame::Rdf) if ns == RDF_NS && local == "Description" => {
                        if doc.descriptions.len() == MAX_DESCRIPTIONS {
                            return Err(XmpError::TooManyDescriptions {
                                limit: MAX_DESCRIPTIONS,
                            });
                        }
                        let desc = description(&reader, text, before, after, empty)?;
                        doc.descriptions.push(desc);
                        Frame::Description(doc.descriptions.len() - 1)
                    }
                    Some(Frame::Description(d)) => {
                        let d = *d;
                        let desc = &mut doc.descriptions[d];
                        let indent = line_indent(text, before);
                        desc.child_indent = Some(indent.clone());
                        desc.props.push(Found {
                            ns: ns.clone(),
                            local: local.clone(),
                            prefix: e
                                .name()
                                .prefix()
                                .map(|p| p.into_inner().to_owned())
                                .unwrap_or_default(),
                            form: Form::Element,
                            removal: (line_removal_start(text, before), after),
                            span: (before, after),
                            indent,
                            text: String::new(),
                            items: Vec::new(),
                            structured: false,
                        });
                        Frame::Property(d, desc.props.len() - 1)
                    }
                    Some(Frame::Property(d, p)) => {
                        doc.descriptions[*d].props[*p].structured = true;
                        Frame::Value {
                            desc: *d,
                            prop: *p,
                            depth: 1,
                            is_item: false,
                        }
                    }
                    Some(Frame::Value {
                        desc, prop, depth, ..
                    }) => {
                        let is_item = *depth == 1 && ns == RDF_NS && local == "li";
                        if is_item {
                            doc.descriptions[*desc].props[*prop]
                                .items
                                .push(String::new());
                        }
                        Frame::Value {
                            desc: *desc,
                            prop: *prop,
                            depth: depth + 1,
                            is_item,
                        }
                    }
                    _ if ns == RDF_NS && local == "RDF" => {
                        doc.has_rdf = true;
                        if doc.rdf_qname.is_empty() {
                            doc.rdf_qname = e.name().into_inner().to_owned();
                            doc.rdf_bindings = bindings(&reader);
                        }
                        Frame::Rdf
                    }
                    _ => Frame::Other,
                };
                if empty {
                    close(&mut doc, &frame, before, after, false);
                } else {
                    stack.push(frame);
                }
            }
            Event::End(_) => {
                let frame = stack.pop().ok_or(XmpError::UnexpectedEndTag)?;
                close(&mut doc, &frame, before, after, true);
            }
            Event::Text(ref t) => {
                let content = t.xml10_content();
                append_text(&mut doc, stack.last(), &content);
            }
            Event::CData(ref c) => {
                let content = c.xml10_content();
                append_text(&mut doc, stack.last(), &content);
            }
            Event::GeneralRef(ref r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match r.xml10_content().as_ref() {
                        "amp" => "&".to_owned(),
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "quot" => "\"".to_owned(),
                        "apos" => "'".to_owned(),
                        other => return Err(XmpError::UnknownEntity(other.to_owned())),
                    },
                    Err(e) => return Err(XmpError::BadCharRef(e)),
                };
                append_text(&mut doc, stack.last(), &resolved);
            }
            Event::DocType(_) => return Err(XmpError::Doctype),
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmpError::UnclosedElements);
    }
    if !saw_root {
        return Err(XmpError::NoElement);
    }
    if !doc.has_rdf {
        return Err(XmpError::NoRdf);
    }
    Ok(doc)
}

fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

fn resolve_element<R>(reader: &NsReader<R>, name: QName<'_>) -> Result<(String, String), XmpError> {
    let (ns, local) = reader.resolver().resolve_element(name);
    let ns = match ns {
        ResolveResult::Bound(ns) => ns.into_inner().to_owned(),
        ResolveResult::Unbound => String::new(),
        ResolveResult::Unknown(prefix) => return Err(XmpError::UndeclaredPrefix(prefix)),
    };
    Ok((ns, local.into_inner().to_owned()))
}

/// Named prefixes in scope at the element just read.
fn bindings<R>(reader: &NsReader<R>) -> Vec<(String, String)> {
    reader
        .resolver()
        .bindings()
        .filter_map(|(prefix, ns)| match prefix {
            PrefixDeclaration::Named(p) => Some((p.to_owned(), ns.into_inner().to_owned())),
            PrefixDeclaration::Default => None,
        })
        .collect()
}

/// Map a description's start tag: its attributes with their byte spans.
fn description<R>(
    reader: &NsReader<R>,
    text: &str,
    start: usize,
    tag_end: usize,
    empty: bool,
) -> Result<Description, XmpError> {
    let tag = &text[start..tag_end];
    let attrs = tokenize_attributes(tag)?;
    let name_end = tag[1..]
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .map_or(tag.len(), |i| i + 1);
    let qname = tag[1..name_end].to_owned();

    let mut props = Vec::new();
    for attr in &attrs {
        let raw_name = &tag[attr.name.0..attr.name.1];
        if raw_name == "xmlns" || raw_name.starts_with("xmlns:") {
            continue;
        }
        let (ns, local) = reader.resolver().resolve_attribute(QName(raw_name));
        let ns = match ns {
            ResolveResult::Bound(ns) => ns.into_inner().to_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(prefix) => return Err(XmpError::UndeclaredPrefix(prefix)),
        };
        let raw_value = &tag[attr.value.0..attr.value.1];
        let value = quick_xml::escape::unescape(raw_value)
            .map_err(|error| XmpError::BadAttributeValue {
                value: raw_value.to_owned(),
                error,
            })?
            .into_owned();
        props.push(Found {
            ns,
            local: local.into_inner().to_owned(),
            prefix: raw_name
                .split_once(':')
                .map(|(p, _)| p.to_owned())
                .unwrap_or_default(),
            form: Form::Attribute,
            removal: (start + attr.ws_start, start + attr.end),
            span: (start + attr.value.0, start + attr.value.1),
            indent: String::new(),
            text: value,
            items: Vec::new(),
            structured: false,
        });
    }
    let (attr_insert, attr_sep) = match attrs.last() {
        Some(last) => (start + last.end, tag[last.ws_start..last.name.0].to_owned()),
        None => (start + name_end, " ".to_owned()),
    };
    Ok(Description {
        qname,
        start,
        tag_end,
        empty,
        close_start: tag_end,
        attr_insert,
        attr_sep,
        bindings: bindings(reader),
        props,
        indent: line_indent(text, start),
        child_indent: None,
    })
}

/// Byte spans of one attribute within its start tag.
struct AttrSpan {
    /// Start of the whitespace before the name.
    ws_start: usize,
    /// The name.
    name: (usize, usize),
    /// The value between the quotes.
    value: (usize, usize),
    /// Just past the closing quote.
    end: usize,
}

/// Split a start tag (`<name a="1" b='2'>`) into attribute spans. The tag has already been
/// checked by quick-xml, so this only has to find boundaries.
fn tokenize_attributes(tag: &str) -> Result<Vec<AttrSpan>, XmpError> {
    let bytes = tag.as_bytes();
    let bad = || XmpError::BadAttributes {
        tag: tag.to_owned(),
    };
    let mut i = 1;
    while i < bytes.len() && !is_ws(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
        i += 1;
    }
    let mut attrs = Vec::new();
    loop {
        let ws_start = i;
        while i < bytes.len() && is_ws(bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b'/' || bytes[i] == b'>' {
            break;
        }
        let name_start = i;
        while i < bytes.len() && bytes[i] != b'=' && !is_ws(bytes[i]) {
            i += 1;
        }
        let name = (name_start, i);
        while i < bytes.len() && is_ws(bytes[i]) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(bad());
        }
        i += 1;
        while i < bytes.len() && is_ws(bytes[i]) {
            i += 1;
        }
        let quote = *bytes.get(i).ok_or_else(bad)?;
        if quote != b'"' && quote != b'\'' {
            return Err(bad());
        }
        let value_start = i + 1;
        let value_end = tag[value_start..]
            .find(quote as char)
            .map(|j| value_start + j)
            .ok_or_else(bad)?;
        i = value_end + 1;
        attrs.push(AttrSpan {
            ws_start,
            name,
            value: (value_start, value_end),
            end: i,
        });
    }
    Ok(attrs)
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Leading whitespace of the line that contains `pos` (empty if other text precedes `pos`).
///
/// Looks back only over the spaces and tabs right before `pos`, never to the start of the line:
/// the scan asks this for every element, and on a one-line packet a search for the line start
/// would walk the whole text each time (quadratic).
pub(crate) fn line_indent(text: &str, pos: usize) -> String {
    let bytes = text.as_bytes();
    let mut start = pos;
    while start > 0 && (bytes[start - 1] == b' ' || bytes[start - 1] == b'\t') {
        start -= 1;
    }
    if start == 0 || bytes[start - 1] == b'\n' {
        text[start..pos].to_owned()
    } else {
        String::new()
    }
}

/// Where removing an element starting at `pos` should start so its line disappears with it:
/// back over the indentation and the line break before it, if only whitespace is there.
pub(crate) fn line_removal_start(text: &str, pos: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = pos;
    while i > 0 && (bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
        i -= 1;
    }
    if i > 0 && bytes[i - 1] == b'\n' {
        i -= 1;
        if i > 0 && bytes[i - 1] == b'\r' {
            i -= 1;
        }
    }
    i
}

/// Record where an element ends. `end_tag`: closed by an end tag (not `<x/>`).
fn close(doc: &mut Doc, frame: &Frame, before: usize, after: usize, end_tag: bool) {
    match *frame {
        Frame::Rdf => {
            if doc.rdf_close.is_none() && end_tag {
                doc.rdf_close = Some(before);
            }
        }
        Frame::Description(d) => {
            let desc = &mut doc.descriptions[d];
            if !desc.empty {
                desc.close_start = before;
            }
        }
        Frame::Property(d, p) => {
            let prop = &mut doc.descriptions[d].props[p];
            prop.span.1 = after;
            prop.removal.1 = after;
        }
        Frame::Value { .. } | Frame::Other => {}
    }
}

fn append_text(doc: &mut Doc, top: Option<&Frame>, content: &str) {
    match top {
        Some(Frame::Property(d, p)) => doc.descriptions[*d].props[*p].text.push_str(content),
        Some(Frame::Value {
            desc,
            prop,
            is_item: true,
            ..
        }) => {
            if let Some(item) = doc.descriptions[*desc].props[*prop].items.last_mut() {
                item.push_str(content);
            }
        }
        _ => {}
    }
}
