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

/// [`source`] made self-contained: the element's start tag gains a declaration of every
/// namespace in scope that it does not declare itself (typically `xmlns:imsss` and
/// `xmlns:adlseq` from the manifest root), so the text parses on its own.
pub(crate) fn source_with_namespaces<'i>(doc: &Document<'i>, node: Node<'_, 'i>) -> String {
    let text = source(doc, node);
    let own = declared_prefixes(&text);
    let mut declarations = String::new();
    for ns in node.namespaces() {
        let attribute = match ns.name() {
            // Bound by XML itself; never declared.
            Some("xml") => continue,
            Some(prefix) => format!("xmlns:{prefix}"),
            None => "xmlns".to_owned(),
        };
        if own.contains(&attribute) {
            continue;
        }
        declarations.push_str(&format!(" {attribute}=\"{}\"", escape_attribute(ns.uri())));
    }
    // The start tag's name runs from after `<` to the first blank, `/` or `>`.
    let name_end = text
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_whitespace() || *c == '/' || *c == '>')
        .map(|(i, _)| i);
    match name_end.and_then(|i| text.split_at_checked(i)) {
        Some((head, tail)) if !declarations.is_empty() => format!("{head}{declarations}{tail}"),
        _ => text,
    }
}

/// The `xmlns` and `xmlns:p` attribute names of the start tag `element` begins with. The text
/// comes from a parsed document, so the tag is well-formed.
fn declared_prefixes(element: &str) -> Vec<String> {
    let mut names = Vec::new();
    let Some(mut rest) = element.strip_prefix('<') else {
        return names;
    };
    // Skip the element's name.
    rest = rest.trim_start_matches(|c: char| !(c.is_whitespace() || c == '/' || c == '>'));
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('>') || rest.starts_with('/') {
            return names;
        }
        let Some((name, after)) = rest.split_once('=') else {
            return names;
        };
        let name = name.trim();
        let after = after.trim_start();
        let Some(quote) = after.chars().next().filter(|q| *q == '"' || *q == '\'') else {
            return names;
        };
        let Some((_, after_value)) = after
            .get(quote.len_utf8()..)
            .and_then(|v| v.split_once(quote))
        else {
            return names;
        };
        if name == "xmlns" || name.starts_with("xmlns:") {
            names.push(name.to_owned());
        }
        rest = after_value;
    }
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// xs:boolean as SCORM and cmi5 manifests write it.
pub(crate) fn boolean(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "1" | "True" | "TRUE" => Some(true),
        "false" | "0" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use roxmltree::Document;

    use super::{declared_prefixes, parse, source_with_namespaces};

    /// The text of the first element named `name`, made self-contained, and whether it parses.
    fn standalone(manifest: &str, name: &str) -> String {
        let doc = parse(manifest).unwrap();
        let node = doc
            .descendants()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .unwrap();
        let text = source_with_namespaces(&doc, node);
        let alone = Document::parse(&text).unwrap();
        let root = alone.root_element();
        assert_eq!(root.tag_name().name(), name);
        assert_eq!(root.tag_name().namespace(), node.tag_name().namespace());
        text
    }

    #[test]
    fn inherited_namespaces_are_declared() {
        let manifest = r#"<manifest xmlns="urn:cp" xmlns:imsss="urn:ss" xmlns:adlseq="urn:seq">
            <item><imsss:sequencing><imsss:controlMode flow="true"/>
            <adlseq:objectives/></imsss:sequencing></item></manifest>"#;
        let text = standalone(manifest, "sequencing");
        assert!(text.starts_with("<imsss:sequencing xmlns"), "{text}");
        for d in [
            r#"xmlns="urn:cp""#,
            r#"xmlns:imsss="urn:ss""#,
            r#"xmlns:adlseq="urn:seq""#,
        ] {
            assert!(text.contains(d), "{d} missing: {text}");
        }
        assert!(!text.contains("xmlns:xml"), "{text}");
    }

    #[test]
    fn own_declarations_are_not_repeated() {
        let manifest = r#"<m xmlns:imsss="urn:ss" xmlns:a="urn:a"><imsss:sequencing
            xmlns:imsss = 'urn:other' data="x>y"><imsss:objectives/></imsss:sequencing></m>"#;
        let text = standalone(manifest, "sequencing");
        assert_eq!(text.matches("xmlns:imsss").count(), 1, "{text}");
        assert!(text.contains(r#"xmlns:a="urn:a""#), "{text}");
        let text = standalone("<m xmlns:a='urn:&amp;\"'><a:b/></m>", "b");
        assert!(text.contains("urn:&amp;&quot;"), "{text}");
        // Nothing to add: the text is unchanged.
        assert_eq!(standalone("<m><e  /></m>", "e"), "<e  />");
    }

    #[test]
    fn start_tag_declarations_are_found() {
        assert_eq!(
            declared_prefixes(r#"<a:b c="1" xmlns:a='u' d = "x>'" xmlns="v"/>"#),
            vec!["xmlns:a", "xmlns"]
        );
        assert!(declared_prefixes("<b>").is_empty());
    }
}
