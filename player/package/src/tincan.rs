//! `tincan.xml`: xAPI ("Tin Can") packages.

use crate::cmi5::LangString;
use crate::report::Report;
use crate::xml::{attr, child, children, path, text};

/// The manifest's file name, at the root of the package.
pub const MANIFEST: &str = "tincan.xml";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TinCanManifest {
    pub activities: Vec<TinCanActivity>,
}

impl TinCanManifest {
    /// The activity to launch: the first one with a launch URL.
    pub fn launchable(&self) -> Option<&TinCanActivity> {
        self.activities.iter().find(|a| a.launch.is_some())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TinCanActivity {
    pub id: String,
    pub activity_type: Option<String>,
    pub name: LangString,
    pub description: LangString,
    /// Launch file relative to the package root.
    pub launch: Option<String>,
}

/// Parses `tincan.xml`; `exists` tells whether a path is a file of the package.
pub fn parse(
    text_in: &str,
    exists: &dyn Fn(&str) -> bool,
    report: &mut Report,
) -> Option<TinCanManifest> {
    let doc = crate::xml::document(text_in, MANIFEST, "tincan", report)?;
    let root = doc.root_element();
    let mut activities = Vec::new();
    for a in child(root, "activities")
        .into_iter()
        .flat_map(|l| children(l, "activity"))
    {
        let at = path(a);
        let id = attr(a, &["id"]).unwrap_or_default();
        if !id.contains(':') {
            report.error(
                MANIFEST,
                format!("{at}/@id"),
                format!("{id:?} is not an IRI"),
            );
        }
        let lang = |name: &'static str| {
            children(a, name)
                .filter_map(|n| Some((attr(n, &["lang"]).unwrap_or_default(), text(n)?)))
                .collect::<LangString>()
        };
        let launch = child(a, "launch").and_then(text);
        if let Some(l) = launch.as_deref().filter(|l| !crate::refs::is_external(l)) {
            crate::refs::check_file(MANIFEST, l, exists, report, &format!("{at}/launch"), true);
        }
        activities.push(TinCanActivity {
            id,
            activity_type: attr(a, &["type"]),
            name: lang("name"),
            description: lang("description"),
            launch,
        });
    }
    let parsed = TinCanManifest { activities };
    if parsed.launchable().is_none() {
        report.error(
            MANIFEST,
            "tincan/activities",
            "no activity has a <launch> URL",
        );
    }
    Some(parsed)
}
