//! `cmi5.xml`: the cmi5 course structure (course, blocks, AUs).

use std::collections::{BTreeMap, BTreeSet};

use roxmltree::Node;

use crate::report::Report;
use crate::xml::{attr, child, child_text, children, path, text};

/// The course structure's file name, at the root of the package.
pub const MANIFEST: &str = "cmi5.xml";

/// Text by language tag (`""` when the author gave none).
pub type LangString = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cmi5Course {
    /// The course IRI (`course/@id`).
    pub id: String,
    pub title: LangString,
    pub description: LangString,
    pub objectives: Vec<Objective>,
    pub children: Vec<Cmi5Node>,
}

impl Cmi5Course {
    /// Every AU, in course order.
    pub fn aus(&self) -> Vec<&Au> {
        fn walk<'a>(nodes: &'a [Cmi5Node], out: &mut Vec<&'a Au>) {
            for n in nodes {
                match n {
                    Cmi5Node::Au(au) => out.push(au),
                    Cmi5Node::Block(b) => walk(&b.children, out),
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.children, &mut out);
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Objective {
    pub id: String,
    pub title: LangString,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Cmi5Node {
    Block(Block),
    Au(Au),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    pub id: String,
    pub title: LangString,
    pub description: LangString,
    pub objectives: Vec<String>,
    pub children: Vec<Cmi5Node>,
}

/// cmi5 `moveOn`: what satisfies an AU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MoveOn {
    Passed,
    Completed,
    CompletedAndPassed,
    CompletedOrPassed,
    NotApplicable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LaunchMethod {
    AnyWindow,
    OwnWindow,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Au {
    pub id: String,
    pub title: LangString,
    pub description: LangString,
    /// The launch URL: relative to the package root, or absolute for an AU hosted elsewhere.
    pub url: String,
    pub move_on: MoveOn,
    /// `masteryScore`, 0 to 1.
    pub mastery_score: Option<f64>,
    pub launch_method: LaunchMethod,
    pub launch_parameters: Option<String>,
    pub entitlement_key: Option<String>,
    pub activity_type: Option<String>,
    pub objectives: Vec<String>,
}

/// Parses `cmi5.xml`; `exists` tells whether a path is a file of the package.
pub fn parse(
    text_in: &str,
    exists: &dyn Fn(&str) -> bool,
    report: &mut Report,
) -> Option<Cmi5Course> {
    let doc = crate::xml::document(text_in, MANIFEST, "courseStructure", report)?;
    let root = doc.root_element();
    let Some(course) = child(root, "course") else {
        report.error(MANIFEST, "courseStructure", "no <course> element");
        return None;
    };
    let id = attr(course, &["id"]).unwrap_or_default();
    if !is_iri(&id) {
        report.error(
            MANIFEST,
            "courseStructure/course/@id",
            format!("{id:?} is not an IRI"),
        );
    }
    let objectives = child(root, "objectives")
        .map(|o| {
            children(o, "objective")
                .map(|ob| Objective {
                    id: attr(ob, &["id"]).unwrap_or_default(),
                    title: lang_string(child(ob, "title")),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ids = BTreeSet::new();
    ids.insert(id.clone());
    let nodes = structure(root, exists, &mut ids, report);
    let parsed = Cmi5Course {
        id,
        title: lang_string(child(course, "title")),
        description: lang_string(child(course, "description")),
        objectives,
        children: nodes,
    };
    if parsed.aus().is_empty() {
        report.error(
            MANIFEST,
            "courseStructure",
            "the course has no AU to launch",
        );
    }
    Some(parsed)
}

fn is_iri(s: &str) -> bool {
    s.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
    })
}

/// Language strings: `<langstring lang="en-US">…</langstring>` children.
fn lang_string(node: Option<Node<'_, '_>>) -> LangString {
    let mut out = LangString::new();
    if let Some(n) = node {
        for l in children(n, "langstring") {
            if let Some(t) = text(l) {
                out.insert(attr(l, &["lang"]).unwrap_or_default(), t);
            }
        }
    }
    out
}

fn objective_refs(node: Node<'_, '_>) -> Vec<String> {
    child(node, "objectives")
        .map(|o| {
            children(o, "objective")
                .filter_map(|r| attr(r, &["idref"]))
                .collect()
        })
        .unwrap_or_default()
}

/// The blocks and AUs under `parent`, in document order.
fn structure(
    parent: Node<'_, '_>,
    exists: &dyn Fn(&str) -> bool,
    ids: &mut BTreeSet<String>,
    report: &mut Report,
) -> Vec<Cmi5Node> {
    let mut out = Vec::new();
    for n in parent.children().filter(Node::is_element) {
        let at = path(n);
        let id = attr(n, &["id"]).unwrap_or_default();
        match n.tag_name().name() {
            "au" | "block" => {
                if !is_iri(&id) {
                    report.error(
                        MANIFEST,
                        format!("{at}/@id"),
                        format!("{id:?} is not an IRI"),
                    );
                } else if !ids.insert(id.clone()) {
                    report.error(
                        MANIFEST,
                        format!("{at}/@id"),
                        format!("{id:?} is used twice"),
                    );
                }
            }
            _ => continue,
        }
        if n.tag_name().name() == "block" {
            out.push(Cmi5Node::Block(Block {
                id,
                title: lang_string(child(n, "title")),
                description: lang_string(child(n, "description")),
                objectives: objective_refs(n),
                children: structure(n, exists, ids, report),
            }));
            continue;
        }
        let url = child_text(n, "url").unwrap_or_default();
        if url.is_empty() {
            report.error(MANIFEST, format!("{at}/url"), "an AU without a launch URL");
        } else if !crate::refs::is_external(&url) {
            crate::refs::check_file(MANIFEST, &url, exists, report, &format!("{at}/url"), true);
        }
        let move_on = match attr(n, &["moveOn"]).as_deref() {
            None | Some("NotApplicable") => MoveOn::NotApplicable,
            Some("Passed") => MoveOn::Passed,
            Some("Completed") => MoveOn::Completed,
            Some("CompletedAndPassed") => MoveOn::CompletedAndPassed,
            Some("CompletedOrPassed") => MoveOn::CompletedOrPassed,
            Some(other) => {
                report.error(
                    MANIFEST,
                    format!("{at}/@moveOn"),
                    format!("{other:?} is not a cmi5 moveOn value"),
                );
                MoveOn::NotApplicable
            }
        };
        let mastery_score = match attr(n, &["masteryScore"]) {
            None => None,
            Some(v) => match v.parse::<f64>() {
                Ok(s) if (0.0..=1.0).contains(&s) => Some(s),
                _ => {
                    report.error(
                        MANIFEST,
                        format!("{at}/@masteryScore"),
                        format!("{v:?} is not a decimal from 0 to 1"),
                    );
                    None
                }
            },
        };
        let launch_method = match attr(n, &["launchMethod"]).as_deref() {
            None | Some("AnyWindow") => LaunchMethod::AnyWindow,
            Some("OwnWindow") => LaunchMethod::OwnWindow,
            Some(other) => {
                report.error(
                    MANIFEST,
                    format!("{at}/@launchMethod"),
                    format!("{other:?} is neither AnyWindow nor OwnWindow"),
                );
                LaunchMethod::AnyWindow
            }
        };
        out.push(Cmi5Node::Au(Au {
            id,
            title: lang_string(child(n, "title")),
            description: lang_string(child(n, "description")),
            url,
            move_on,
            mastery_score,
            launch_method,
            launch_parameters: child_text(n, "launchParameters"),
            entitlement_key: child_text(n, "entitlementKey"),
            activity_type: attr(n, &["activityType"]),
            objectives: objective_refs(n),
        }));
    }
    out
}
