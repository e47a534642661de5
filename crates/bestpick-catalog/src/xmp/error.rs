//! What can be wrong with an XMP packet, as the parser and the merge find it.
//!
//! These errors know nothing of files: [`XmpError::in_sidecar`] turns one into the crate's
//! [`Error::SidecarParse`] with the sidecar's path.

use std::path::Path;

use crate::error::Error;

/// Why a packet cannot be read or edited. Most variants say what is wrong with the file (the
/// user's to fix or leave); the last ones are bugs of the merge, caught before anything is
/// written.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum XmpError {
    // ---- The file is not a sidecar we can read. ----
    /// The file is not UTF-8 text.
    #[error("not UTF-8 text (invalid byte at {position})")]
    NotUtf8 {
        /// Offset of the first byte that is not UTF-8.
        position: usize,
    },
    /// The XML is not well-formed (a mismatched or duplicate name, a stray character, ...).
    #[error("not well-formed XML near byte {position}: {error}")]
    Malformed {
        /// Byte offset in the file where the reader stopped.
        position: usize,
        /// What the XML reader said.
        error: quick_xml::Error,
    },
    /// An end tag with no element open.
    #[error("unexpected end tag")]
    UnexpectedEndTag,
    /// The file ends with elements still open.
    #[error("unexpected end of file: elements left open")]
    UnclosedElements,
    /// No element at all (an empty file, text only).
    #[error("no XML element in the file")]
    NoElement,
    /// XML, but no `rdf:RDF` element.
    #[error("no rdf:RDF element: not an XMP packet")]
    NoRdf,
    /// A `<!DOCTYPE>`: XMP has none, and it could declare entities.
    #[error("DOCTYPE declarations are not allowed in XMP")]
    Doctype,
    /// An entity reference other than the five XML predefines.
    #[error("unknown entity &{0};")]
    UnknownEntity(String),
    /// A character reference that is not a character (`&#xD800;`, `&#x;`).
    #[error("bad character reference: {0}")]
    BadCharRef(quick_xml::Error),
    /// An element or attribute name with a prefix no `xmlns:` declares.
    #[error("undeclared namespace prefix {0:?}")]
    UndeclaredPrefix(String),
    /// An attribute value of an `rdf:Description` with a bad escape.
    #[error("bad attribute value {value:?}: {error}")]
    BadAttributeValue {
        /// The value as written.
        value: String,
        /// What is wrong in it.
        error: quick_xml::escape::EscapeError,
    },
    /// The attributes of an `rdf:Description` start tag cannot be split.
    #[error("cannot read the attributes of {tag:?}")]
    BadAttributes {
        /// The start tag.
        tag: String,
    },
    /// More top-level `rdf:Description` elements than a sidecar ever has.
    #[error("more than {limit} top-level rdf:Description elements; not a sidecar")]
    TooManyDescriptions {
        /// The most allowed.
        limit: usize,
    },
    /// `<rdf:RDF/>`: no place to add a description with our properties.
    #[error("rdf:RDF is empty (<rdf:RDF/>); cannot add properties to it")]
    EmptyRdf,

    // ---- A bug of the merge: nothing was written. ----
    /// A description was added to a packet without one, and still none was found.
    #[error("could not add an rdf:Description")]
    DescriptionNotAdded,
    /// Two edits of the merge overlap.
    #[error("internal error: overlapping edits")]
    OverlappingEdits,
    /// The merged packet does not parse again.
    #[error("internal error: merged sidecar is invalid: {0}")]
    MergedInvalid(Box<XmpError>),
    /// The merged packet parses but does not hold the value asked for.
    #[error("internal error: merged sidecar does not hold the intended {property}")]
    MergedWrong {
        /// The property (`xmp:Rating`).
        property: String,
    },
}

impl XmpError {
    /// This error as the crate's error on the sidecar at `path`.
    pub fn in_sidecar(self, path: &Path) -> Error {
        Error::SidecarParse {
            path: path.to_path_buf(),
            reason: self,
        }
    }
}
