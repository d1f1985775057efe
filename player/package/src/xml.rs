//! Small helpers over roxmltree shared by the manifest parsers.
//!
//! Manifests from authoring tools are matched by local names: real packages declare the SCORM
//! and cmi5 namespaces inconsistently (old URIs, missing prefixes), and what an element means
//! is clear from its name and place. DTDs are refused by the parser (roxmltree's default), which
//! also rules out external entities.

use roxmltree::{Document, Node, ParsingOptions};

/// Parses manifest text. The error text names the line and column.
fn parse(text: &str) -> Result<Document<'_>, String> {
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options).map_err(|e| e.to_string())
}

/// Parses a manifest and checks its root element's name; a problem goes to `report` (under
/// `file`) and gives `None`.
pub(crate) fn document<'i>(
    text: &'i str,
    file: &str,
    root: &str,
    report: &mut crate::report::Report,
) -> Option<Document<'i>> {
    let doc = match parse(text) {
        Ok(d) => d,
        Err(e) => {
            report.error(file, "", format!("not well-formed XML: {e}"));
            return None;
        }
    };
    let found = doc.root_element();
    if found.tag_name().name() != root {
        report.error(
            file,
            path(found),
            format!(
                "the root element is <{}>, not <{root}>",
                found.tag_name().name()
            ),
        );
        return None;
    }
    Some(doc)
}

/// Element children of `node` with local name `name`.
pub(crate) fn children<'a, 'i>(
    node: Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The first element child named `name`.
pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> Option<Node<'a, 'i>> {
    children(node, name).next()
}

/// The trimmed text of the first child named `name`, if not empty.
pub(crate) fn child_text(node: Node<'_, '_>, name: &'static str) -> Option<String> {
    child(node, name).and_then(text)
}

/// The trimmed text content of an element, if not empty.
pub(crate) fn text(node: Node<'_, '_>) -> Option<String> {
    let t: String = node
        .descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// An attribute by local name, whatever its namespace (`adlcp:scormtype`, `scormType`...);
/// `names` lists the spellings to accept, the first found wins.
pub(crate) fn attr(node: Node<'_, '_>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        node.attributes()
            .find(|a| a.name() == *n)
            .map(|a| a.value().trim().to_owned())
    })
}

/// The element path of `node` from the root, e.g. `manifest/organizations/organization[1]`.
/// Positions count from 1 among element siblings of the same name.
pub(crate) fn path(node: Node<'_, '_>) -> String {
    let mut parts: Vec<String> = node
        .ancestors()
        .filter(|n| n.is_element())
        .map(|n| {
            let name = n.tag_name().name();
            let same: Vec<_> = n
                .parent()
                .map(|p| {
                    p.children()
                        .filter(|c| c.is_element() && c.tag_name().name() == name)
                        .collect()
                })
                .unwrap_or_default();
            if same.len() > 1 {
                let pos = same.iter().position(|c| *c == n).unwrap_or(0) + 1;
                format!("{name}[{pos}]")
            } else {
                name.to_owned()
            }
        })
        .collect();
    parts.reverse();
    parts.join("/")
}

/// The XML text of an element and its content, for parts kept verbatim (SCORM 2004 sequencing
/// definitions, read by the sequencing engine).
pub(crate) fn source<'i>(doc: &Document<'i>, node: Node<'_, 'i>) -> String {
    doc.input_text()
        .get(node.range())
        .unwrap_or_default()
        .to_owned()
}

/// xs:boolean as SCORM and cmi5 manifests write it.
pub(crate) fn boolean(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "1" | "True" | "TRUE" => Some(true),
        "false" | "0" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}
