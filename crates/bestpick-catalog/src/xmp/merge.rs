//! Set, replace or remove a few properties in an XMP packet by editing its text in place.
//!
//! Everything outside the edited spans is kept byte-for-byte: other namespaces, keywords,
//! develop settings, darktable's history, comments, formatting. A property is found whether it
//! is written as an attribute of a top-level `rdf:Description` or as a child element, under any
//! prefix. After editing, the result is parsed again and checked to hold exactly the requested
//! values, so a bad edit is an error instead of a damaged sidecar.

use quick_xml::escape::escape;

use super::XmpError;
use super::doc::{Description, Form, RDF_NS, line_removal_start, prefix_in, scan};

/// A property: namespace URI, preferred prefix, local name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prop {
    pub(crate) ns: &'static str,
    pub(crate) prefix: &'static str,
    pub(crate) local: &'static str,
}

/// What to do with a property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// A simple value.
    Text(String),
    /// An `rdf:Seq` of simple values.
    Seq(Vec<String>),
    /// No such property.
    Remove,
}

/// One requested change.
#[derive(Clone, Debug)]
pub(crate) struct Change {
    pub(crate) prop: Prop,
    pub(crate) want: Want,
    /// Only touch the property if the packet already has it (keeps another app's copy of a
    /// value consistent without adding it to every file).
    pub(crate) only_if_present: bool,
}

/// A text edit: replace `start..end` with `text`.
#[derive(Debug)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

/// Additions to one description's start tag and content.
#[derive(Debug, Default)]
struct Additions {
    /// New `xmlns:p="uri"` declarations.
    declarations: Vec<(String, String)>,
    /// New attributes (`p:Name="value"`), in order.
    attributes: Vec<String>,
    /// New child elements (name, want) with the prefix to use.
    children: Vec<(String, Vec<String>)>,
}

/// The UTF-8 byte order mark; kept in front of the output if the input had one.
const BOM: &str = "\u{feff}";

/// Apply `changes` to the packet `text`.
pub(crate) fn merge(text: &str, changes: &[Change]) -> Result<String, XmpError> {
    let (bom, body) = match text.strip_prefix(BOM) {
        Some(rest) => (BOM, rest),
        None => ("", text),
    };
    let mut doc = scan(body)?;
    let mut body = body.to_owned();
    if doc.descriptions.is_empty() {
        body = with_empty_description(&body, &doc)?;
        doc = scan(&body)?;
        if doc.descriptions.is_empty() {
            return Err(XmpError::DescriptionNotAdded);
        }
    }

    let mut edits = Vec::new();
    let mut additions: Vec<Additions> = doc
        .descriptions
        .iter()
        .map(|_| Additions::default())
        .collect();
    for change in changes {
        let found: Vec<(usize, usize)> = doc
            .descriptions
            .iter()
            .enumerate()
            .flat_map(|(d, desc)| {
                desc.props
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.ns == change.prop.ns && f.local == change.prop.local)
                    .map(move |(p, _)| (d, p))
            })
            .collect();
        if change.only_if_present && found.is_empty() {
            continue;
        }
        // The first occurrence is updated in place where its form allows; the others go.
        let mut kept = false;
        for (i, &(d, p)) in found.iter().enumerate() {
            let desc = &doc.descriptions[d];
            let f = &desc.props[p];
            let first = i == 0;
            match (&change.want, f.form) {
                (Want::Text(value), Form::Attribute) if first => {
                    edits.push(Edit {
                        start: f.span.0,
                        end: f.span.1,
                        text: escape(value.as_str()).into_owned(),
                    });
                    kept = true;
                }
                (Want::Text(value), Form::Element) if first => {
                    let name = qualified(&f.prefix, change.prop.local);
                    edits.push(Edit {
                        start: f.span.0,
                        end: f.span.1,
                        text: format!("<{name}>{}</{name}>", escape(value.as_str())),
                    });
                    kept = true;
                }
                (Want::Seq(items), Form::Element) if first => {
                    let rdf = rdf_prefix(desc, &mut additions[d]);
                    let name = qualified(&f.prefix, change.prop.local);
                    edits.push(Edit {
                        start: f.span.0,
                        end: f.span.1,
                        text: seq_element(&name, &rdf, items, &f.indent),
                    });
                    kept = true;
                }
                _ => edits.push(Edit {
                    start: f.removal.0,
                    end: f.removal.1,
                    text: String::new(),
                }),
            }
        }
        if kept {
            continue;
        }
        match &change.want {
            Want::Remove => {}
            Want::Text(value) => {
                let d = target(&doc.descriptions, change.prop.ns);
                let prefix = prefix_for(&doc.descriptions[d], &mut additions[d], change.prop);
                additions[d].attributes.push(format!(
                    "{prefix}:{}=\"{}\"",
                    change.prop.local,
                    escape(value.as_str())
                ));
            }
            Want::Seq(items) => {
                let d = target(&doc.descriptions, change.prop.ns);
                let prefix = prefix_for(&doc.descriptions[d], &mut additions[d], change.prop);
                additions[d]
                    .children
                    .push((format!("{prefix}:{}", change.prop.local), items.clone()));
            }
        }
    }

    for (desc, add) in doc.descriptions.iter().zip(&mut additions) {
        addition_edits(&body, desc, add, &mut edits);
    }
    let merged = apply(&body, edits)?;
    verify(&merged, changes)?;
    Ok(format!("{bom}{merged}"))
}

/// `prefix:local`, or `local` for an element in the default namespace.
fn qualified(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_owned()
    } else {
        format!("{prefix}:{local}")
    }
}

/// The description that gets new properties of namespace `ns`: the first one where `ns` is
/// already declared, else the first one.
fn target(descriptions: &[Description], ns: &str) -> usize {
    descriptions
        .iter()
        .position(|d| d.prefix_for(ns).is_some())
        .unwrap_or(0)
}

/// The prefix to write `prop` with on `desc`, declaring one if `prop.ns` is not in scope.
fn prefix_for(desc: &Description, add: &mut Additions, prop: Prop) -> String {
    if let Some(prefix) = desc.prefix_for(prop.ns) {
        return prefix.to_owned();
    }
    if let Some((prefix, _)) = add.declarations.iter().find(|(_, ns)| ns == prop.ns) {
        return prefix.clone();
    }
    // Use the usual prefix unless the file already binds it to something else.
    let taken = |p: &str| {
        desc.bindings.iter().any(|(b, _)| b == p) || add.declarations.iter().any(|(b, _)| b == p)
    };
    let mut prefix = prop.prefix.to_owned();
    let mut n = 2;
    while taken(&prefix) {
        prefix = format!("{}{n}", prop.prefix);
        n += 1;
    }
    add.declarations.push((prefix.clone(), prop.ns.to_owned()));
    prefix
}

/// The prefix of the RDF namespace on `desc` (declared if needed, for files that use a
/// default namespace for RDF).
fn rdf_prefix(desc: &Description, add: &mut Additions) -> String {
    prefix_for(
        desc,
        add,
        Prop {
            ns: RDF_NS,
            prefix: "rdf",
            local: "",
        },
    )
}

/// `<name>` holding an `rdf:Seq` of `items`, laid out below `indent`.
fn seq_element(name: &str, rdf: &str, items: &[String], indent: &str) -> String {
    let mut s = format!("<{name}>\n{indent} <{rdf}:Seq>\n");
    for item in items {
        s.push_str(&format!(
            "{indent}  <{rdf}:li>{}</{rdf}:li>\n",
            escape(item.as_str())
        ));
    }
    s.push_str(&format!("{indent} </{rdf}:Seq>\n{indent}</{name}>"));
    s
}

/// Turn a description's pending additions into edits of its start tag and content.
fn addition_edits(body: &str, desc: &Description, add: &mut Additions, edits: &mut Vec<Edit>) {
    // Children may need the RDF prefix declared; resolve it before writing the start tag.
    let rdf = if add.children.is_empty() {
        String::new()
    } else {
        rdf_prefix(desc, add)
    };

    let mut attrs = String::new();
    for (prefix, ns) in &add.declarations {
        attrs.push_str(&format!(
            "{}xmlns:{prefix}=\"{}\"",
            desc.attr_sep,
            escape(ns.as_str())
        ));
    }
    for attr in &add.attributes {
        attrs.push_str(&desc.attr_sep);
        attrs.push_str(attr);
    }
    if !attrs.is_empty() {
        edits.push(Edit {
            start: desc.attr_insert,
            end: desc.attr_insert,
            text: attrs,
        });
    }

    if add.children.is_empty() {
        return;
    }
    let indent = desc
        .child_indent
        .clone()
        .unwrap_or_else(|| format!("{} ", desc.indent));
    let mut children = String::new();
    for (name, items) in &add.children {
        children.push('\n');
        children.push_str(&indent);
        children.push_str(&seq_element(name, &rdf, items, &indent));
    }
    if desc.empty {
        // `<rdf:Description …/>` becomes `<rdf:Description …>children</rdf:Description>`.
        let slash = body[desc.start..desc.tag_end]
            .rfind('/')
            .map_or(desc.tag_end - 2, |i| desc.start + i);
        edits.push(Edit {
            start: slash,
            end: desc.tag_end,
            text: format!(">{children}\n{}</{}>", desc.indent, desc.qname),
        });
    } else {
        let at = line_removal_start(body, desc.close_start);
        if at == desc.close_start {
            // The end tag does not start its own line: give it one after the new children.
            children.push('\n');
            children.push_str(&desc.indent);
        }
        edits.push(Edit {
            start: at,
            end: at,
            text: children,
        });
    }
}

/// Insert an empty `rdf:Description` into a packet whose `rdf:RDF` has none.
fn with_empty_description(body: &str, doc: &super::doc::Doc) -> Result<String, XmpError> {
    let close = doc.rdf_close.ok_or(XmpError::EmptyRdf)?;
    let rdf = prefix_in(&doc.rdf_bindings, RDF_NS)
        .map(str::to_owned)
        .or_else(|| doc.rdf_qname.split_once(':').map(|(p, _)| p.to_owned()))
        .unwrap_or_else(|| "rdf".to_owned());
    let at = line_removal_start(body, close);
    let indent = super::doc::line_indent(body, close);
    let mut out = String::with_capacity(body.len() + 64);
    out.push_str(&body[..at]);
    out.push_str(&format!("\n{indent} <{rdf}:Description {rdf}:about=\"\"/>"));
    if at == close {
        out.push('\n');
        out.push_str(&indent);
    }
    out.push_str(&body[at..]);
    Ok(out)
}

/// Apply non-overlapping edits.
fn apply(body: &str, mut edits: Vec<Edit>) -> Result<String, XmpError> {
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(body.len() + 256);
    let mut pos = 0;
    for edit in edits {
        if edit.start < pos || edit.end < edit.start || edit.end > body.len() {
            return Err(XmpError::OverlappingEdits);
        }
        out.push_str(&body[pos..edit.start]);
        out.push_str(&edit.text);
        pos = edit.end;
    }
    out.push_str(&body[pos..]);
    Ok(out)
}

/// Parse the result again and check it holds exactly the requested values.
fn verify(merged: &str, changes: &[Change]) -> Result<(), XmpError> {
    let doc = scan(merged).map_err(|e| XmpError::MergedInvalid(Box::new(e)))?;
    for change in changes {
        let found: Vec<_> = doc
            .descriptions
            .iter()
            .flat_map(|d| &d.props)
            .filter(|f| f.ns == change.prop.ns && f.local == change.prop.local)
            .collect();
        let ok = match &change.want {
            Want::Remove => found.is_empty(),
            _ if change.only_if_present && found.is_empty() => true,
            Want::Text(value) => {
                found.len() == 1 && found[0].text == *value && !found[0].structured
            }
            Want::Seq(items) => found.len() == 1 && found[0].items == *items,
        };
        if !ok {
            return Err(XmpError::MergedWrong {
                property: format!("{}:{}", change.prop.prefix, change.prop.local),
            });
        }
    }
    Ok(())
}
