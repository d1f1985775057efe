//! `imsmanifest.xml`: SCORM 1.2 and SCORM 2004 (2nd, 3rd and 4th edition).
//!
//! The structure (organizations, items, resources, dependencies) and every item setting the
//! runtime needs are read into [`ScormManifest`]. SCORM 2004 sequencing definitions
//! (`imsss:sequencing` on items and organizations, and the manifest's `sequencingCollection`) are
//! kept as self-contained XML text for the sequencing engine, which interprets them; they are
//! checked with [`lara_sequencing::parse_sequencing`] at import, so a package whose sequencing
//! the engine would refuse is refused here, naming the item that carries it.

use std::collections::{BTreeMap, BTreeSet};

use roxmltree::Node;

use crate::refs::{check_file, file_of, is_external};
use crate::report::Report;
use crate::xml::{attr, boolean, child, child_text, children, path, source_with_namespaces, text};

/// The manifest's file name, at the root of the package.
pub const MANIFEST: &str = "imsmanifest.xml";

/// Which SCORM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScormVersion {
    Scorm12,
    /// SCORM 2004, by edition (2, 3 or 4).
    Scorm2004 {
        edition: u8,
    },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScormManifest {
    pub version: ScormVersion,
    pub identifier: String,
    /// The manifest's own version attribute, if any.
    pub manifest_version: Option<String>,
    /// The default organization's title (the manifest identifier when it has none).
    pub title: String,
    /// Identifier of the organization to deliver.
    pub default_organization: String,
    pub organizations: Vec<Organization>,
    pub resources: Vec<Resource>,
    /// SCORM 2004 `imsss:sequencingCollection`, verbatim but for the namespace declarations it
    /// inherits from the manifest root, which are added to its start tag.
    pub sequencing_collection: Option<String>,
}

impl ScormManifest {
    /// The organization to deliver.
    pub fn organization(&self) -> Option<&Organization> {
        self.organizations
            .iter()
            .find(|o| o.identifier == self.default_organization)
    }

    pub fn resource(&self, identifier: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.identifier == identifier)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub identifier: String,
    pub title: String,
    pub items: Vec<Item>,
    /// SCORM 2004 sequencing of the root activity, verbatim but for the inherited namespace
    /// declarations, which are added to its start tag.
    pub sequencing: Option<String>,
    /// SCORM 2004 `adlseq:objectivesGlobalToSystem` (default true).
    pub objectives_global_to_system: bool,
    /// SCORM 2004 4th edition `adlcp:sharedDataGlobalToSystem` (default true).
    pub shared_data_global_to_system: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub identifier: String,
    pub title: String,
    /// The resource this item launches (a leaf), if any.
    pub resource: Option<String>,
    /// Query string to add to the resource's launch URL.
    pub parameters: Option<String>,
    pub visible: bool,
    pub children: Vec<Item>,
    /// SCORM 1.2 `adlcp:masteryscore` (0–100).
    pub mastery_score: Option<f64>,
    /// SCORM 1.2 `adlcp:prerequisites` (AICC script), verbatim.
    pub prerequisites: Option<String>,
    /// `adlcp:maxtimeallowed` (1.2, a CMITimespan) .
    pub max_time_allowed: Option<String>,
    /// `adlcp:timelimitaction` (1.2) or `adlcp:timeLimitAction` (2004).
    pub time_limit_action: Option<String>,
    /// `adlcp:datafromlms` (1.2) or `adlcp:dataFromLMS` (2004): `cmi.launch_data`.
    pub data_from_lms: Option<String>,
    /// SCORM 2004 `adlcp:completionThreshold`.
    pub completion_threshold: Option<CompletionThreshold>,
    /// SCORM 2004 `adlnav:presentation/navigationInterface/hideLMSUI` values.
    pub hide_lms_ui: Vec<String>,
    /// SCORM 2004 4th edition `adlcp:data/map`: shared data buckets.
    pub data_maps: Vec<DataMap>,
    /// SCORM 2004 sequencing, verbatim but for the inherited namespace declarations, which are
    /// added to its start tag.
    pub sequencing: Option<String>,
    /// The objectives of the item's sequencing (its own, or those of the
    /// `sequencingCollection` entry it refers to), primary objective first: what the run-time
    /// needs for `cmi.objectives` and `cmi.scaled_passing_score`.
    #[serde(default)]
    pub objectives: Vec<SequencingObjective>,
}

/// An `imsss:primaryObjective` or `imsss:objective`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SequencingObjective {
    /// `objectiveID` (optional on the primary objective).
    pub id: Option<String>,
    pub primary: bool,
    pub satisfied_by_measure: bool,
    /// `imsss:minNormalizedMeasure` (default 1.0).
    pub min_normalized_measure: f64,
    /// `imsss:mapInfo`: the global objectives it reads and writes.
    pub maps: Vec<ObjectiveMap>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectiveMap {
    pub target: String,
    pub read_satisfied_status: bool,
    pub read_normalized_measure: bool,
    pub write_satisfied_status: bool,
    pub write_normalized_measure: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletionThreshold {
    pub completed_by_measure: bool,
    pub min_progress_measure: f64,
    pub progress_weight: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataMap {
    pub target_id: String,
    pub read_shared_data: bool,
    pub write_shared_data: bool,
}

/// `adlcp:scormtype` / `adlcp:scormType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ScormType {
    Sco,
    Asset,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub identifier: String,
    pub scorm_type: ScormType,
    /// The launch file, relative to the package root (with any `xml:base` applied), query and
    /// fragment kept.
    pub href: Option<String>,
    /// Files listed, relative to the package root.
    pub files: Vec<String>,
    /// Identifiers of resources this one depends on.
    pub dependencies: Vec<String>,
}

/// Parses `imsmanifest.xml`. `exists` tells whether a path is a file of the package. Problems go
/// to `report`; `None` when the manifest cannot be used at all.
pub fn parse(
    text: &str,
    exists: &dyn Fn(&str) -> bool,
    report: &mut Report,
) -> Option<ScormManifest> {
    let doc = crate::xml::document(text, MANIFEST, "manifest", report)?;
    let root = doc.root_element();
    let version = detect_version(root, report);
    let identifier = attr(root, &["identifier"]).unwrap_or_default();
    if identifier.is_empty() {
        report.warning(
            MANIFEST,
            "manifest/@identifier",
            "missing; the package gets a generated one",
        );
    }
    let manifest_base = attr(root, &["base"]).unwrap_or_default();

    // Resources first: items are checked against them.
    let mut resources = Vec::new();
    let mut seen = BTreeSet::new();
    if let Some(list) = child(root, "resources") {
        let list_base = join_base(&manifest_base, &attr(list, &["base"]).unwrap_or_default());
        for r in children(list, "resource") {
            let Some(res) = resource(r, &list_base, version, exists, report) else {
                continue;
            };
            if !seen.insert(res.identifier.clone()) {
                report.error(
                    MANIFEST,
                    path(r),
                    format!("resource identifier {:?} is used twice", res.identifier),
                );
                continue;
            }
            resources.push(res);
        }
    } else {
        report.error(MANIFEST, "manifest", "no <resources> element");
    }
    let by_id: BTreeMap<&str, &Resource> = resources
        .iter()
        .map(|r| (r.identifier.as_str(), r))
        .collect();
    for r in &resources {
        for d in &r.dependencies {
            if !by_id.contains_key(d.as_str()) {
                report.error(
                    MANIFEST,
                    format!("resource {:?}", r.identifier),
                    format!("depends on resource {d:?}, which the manifest does not define"),
                );
            }
        }
    }

    let sequencing_collection =
        child(root, "sequencingCollection").map(|n| source_with_namespaces(&doc, n));
    let sequencing = SequencingCheck {
        enabled: matches!(version, ScormVersion::Scorm2004 { .. }),
        collection: sequencing_collection.as_deref(),
    };
    let mut organizations = Vec::new();
    let orgs = child(root, "organizations");
    if let Some(orgs) = orgs {
        for o in children(orgs, "organization") {
            organizations.push(organization(&doc, o, &by_id, &sequencing, report));
        }
    }
    if organizations.is_empty() {
        report.error(
            MANIFEST,
            "manifest/organizations",
            "no <organization>: nothing to launch",
        );
        return None;
    }
    let default_organization = match orgs.and_then(|o| attr(o, &["default"])) {
        Some(d) if organizations.iter().any(|o| o.identifier == d) => d,
        Some(d) => {
            report.error(
                MANIFEST,
                "manifest/organizations/@default",
                format!("names organization {d:?}, which does not exist"),
            );
            return None;
        }
        None => {
            report.warning(
                MANIFEST,
                "manifest/organizations/@default",
                "missing; the first organization is delivered",
            );
            organizations
                .first()
                .map(|o| o.identifier.clone())
                .unwrap_or_default()
        }
    };
    let title = organizations
        .iter()
        .find(|o| o.identifier == default_organization)
        .map(|o| o.title.clone())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| identifier.clone());
    if !organizations.iter().any(|o| has_launchable(&o.items)) {
        report.error(
            MANIFEST,
            "manifest/organizations",
            "no item launches a resource",
        );
    }
    if child(root, "manifest").is_some() {
        report.warning(MANIFEST, "manifest/manifest", "sub-manifests are ignored");
    }
    Some(ScormManifest {
        version,
        identifier,
        manifest_version: attr(root, &["version"]),
        title,
        default_organization,
        organizations,
        resources,
        sequencing_collection,
    })
}

/// How sequencing definitions are checked: only in SCORM 2004 manifests (SCORM 1.2 has no
/// sequencing), against the manifest's collection.
struct SequencingCheck<'c> {
    enabled: bool,
    collection: Option<&'c str>,
}

impl SequencingCheck<'_> {
    /// Reports a definition the sequencing engine would refuse, at the element (`at`) that
    /// carries it.
    fn check(&self, text: &str, at: &str, report: &mut Report) {
        if !self.enabled {
            return;
        }
        if let Err(e) = lara_sequencing::parse_sequencing(text, self.collection) {
            report.error(MANIFEST, at, format!("sequencing: {e}"));
        }
    }
}

fn has_launchable(items: &[Item]) -> bool {
    items
        .iter()
        .any(|i| i.resource.is_some() || has_launchable(&i.children))
}

/// The SCORM version from `metadata/schemaversion`, else from the namespaces declared.
fn detect_version(root: Node<'_, '_>, report: &mut Report) -> ScormVersion {
    let declared = child(root, "metadata").and_then(|m| child_text(m, "schemaversion"));
    let from_namespaces = || {
        let uris: Vec<&str> = root.namespaces().map(|n| n.uri()).collect();
        if uris.iter().any(|u| u.contains("adlcp_rootv1p2")) {
            ScormVersion::Scorm12
        } else if uris.iter().any(|u| u.contains("adlcp_v1p3")) {
            // 4th edition added adlnav to the manifest's namespaces as 3rd did; without a
            // schemaversion the newest edition is the safest reading.
            ScormVersion::Scorm2004 { edition: 4 }
        } else {
            ScormVersion::Scorm12
        }
    };
    match declared.as_deref() {
        Some("1.2") => ScormVersion::Scorm12,
        Some("CAM 1.3") => ScormVersion::Scorm2004 { edition: 2 },
        Some("2004 3rd Edition") => ScormVersion::Scorm2004 { edition: 3 },
        Some("2004 4th Edition") => ScormVersion::Scorm2004 { edition: 4 },
        Some(other) => {
            let guess = from_namespaces();
            report.warning(
                MANIFEST,
                "manifest/metadata/schemaversion",
                format!("unknown value {other:?}; read as {guess:?} from the namespaces"),
            );
            guess
        }
        None => {
            let guess = from_namespaces();
            report.warning(
                MANIFEST,
                "manifest/metadata/schemaversion",
                format!("missing; read as {guess:?} from the namespaces"),
            );
            guess
        }
    }
}

fn join_base(base: &str, more: &str) -> String {
    if more.starts_with('/') || more.contains("://") {
        return more.to_owned();
    }
    format!("{base}{more}")
}

fn resource(
    r: Node<'_, '_>,
    base: &str,
    version: ScormVersion,
    exists: &dyn Fn(&str) -> bool,
    report: &mut Report,
) -> Option<Resource> {
    let at = path(r);
    let Some(identifier) = attr(r, &["identifier"]).filter(|i| !i.is_empty()) else {
        report.error(MANIFEST, at, "a resource without an identifier");
        return None;
    };
    let base = join_base(base, &attr(r, &["base"]).unwrap_or_default());
    let scorm_type = match attr(r, &["scormtype", "scormType"])
        .as_deref()
        .map(str::to_ascii_lowercase)
    {
        Some(t) if t == "sco" => ScormType::Sco,
        Some(t) if t == "asset" => ScormType::Asset,
        Some(t) => {
            report.error(
                MANIFEST,
                format!("{at}/@scormType"),
                format!("{t:?} is neither sco nor asset"),
            );
            ScormType::Asset
        }
        None => {
            let name = if version == ScormVersion::Scorm12 {
                "adlcp:scormtype"
            } else {
                "adlcp:scormType"
            };
            report.warning(
                MANIFEST,
                at.clone(),
                format!("no {name}; treated as an asset"),
            );
            ScormType::Asset
        }
    };
    let href = attr(r, &["href"]).filter(|h| !h.is_empty()).map(|h| {
        if is_external(&h) {
            h
        } else {
            join_base(&base, &h)
        }
    });
    if let Some(h) = &href
        && !is_external(h)
    {
        check_file(MANIFEST, h, exists, report, &format!("{at}/@href"), true);
    }
    let mut files = Vec::new();
    for f in children(r, "file") {
        if let Some(h) = attr(f, &["href"]).filter(|h| !h.is_empty()) {
            if is_external(&h) {
                continue;
            }
            let full = join_base(&base, &h);
            check_file(
                MANIFEST,
                &full,
                exists,
                report,
                &format!("{}/@href", path(f)),
                false,
            );
            files.push(file_of(&full));
        }
    }
    let dependencies = children(r, "dependency")
        .filter_map(|d| attr(d, &["identifierref"]))
        .filter(|d| !d.is_empty())
        .collect();
    Some(Resource {
        identifier,
        scorm_type,
        href,
        files,
        dependencies,
    })
}

fn organization(
    doc: &roxmltree::Document<'_>,
    o: Node<'_, '_>,
    resources: &BTreeMap<&str, &Resource>,
    check: &SequencingCheck<'_>,
    report: &mut Report,
) -> Organization {
    let items = children(o, "item")
        .map(|i| item(doc, i, resources, check, report))
        .collect();
    let sequencing = child(o, "sequencing").map(|n| source_with_namespaces(doc, n));
    if let Some(text) = &sequencing {
        check.check(text, &path(o), report);
    }
    Organization {
        identifier: attr(o, &["identifier"]).unwrap_or_default(),
        title: child_text(o, "title").unwrap_or_default(),
        items,
        sequencing,
        objectives_global_to_system: attr(o, &["objectivesGlobalToSystem"])
            .and_then(|v| boolean(&v))
            .unwrap_or(true),
        shared_data_global_to_system: attr(o, &["sharedDataGlobalToSystem"])
            .and_then(|v| boolean(&v))
            .unwrap_or(true),
    }
}

fn item(
    doc: &roxmltree::Document<'_>,
    i: Node<'_, '_>,
    resources: &BTreeMap<&str, &Resource>,
    check: &SequencingCheck<'_>,
    report: &mut Report,
) -> Item {
    let at = path(i);
    let identifier = attr(i, &["identifier"]).unwrap_or_default();
    if identifier.is_empty() {
        report.error(MANIFEST, at.clone(), "an item without an identifier");
    }
    let children_items: Vec<Item> = children(i, "item")
        .map(|c| item(doc, c, resources, check, report))
        .collect();
    let resource = attr(i, &["identifierref"]).filter(|r| !r.is_empty());
    if let Some(r) = &resource {
        match resources.get(r.as_str()) {
            None => report.error(
                MANIFEST,
                format!("{at}/@identifierref"),
                format!("names resource {r:?}, which the manifest does not define"),
            ),
            Some(res) if res.href.is_none() => report.error(
                MANIFEST,
                format!("{at}/@identifierref"),
                format!("resource {r:?} has no href to launch"),
            ),
            Some(_) => {}
        }
        if !children_items.is_empty() {
            report.warning(
                MANIFEST,
                at.clone(),
                "an item with children also names a resource; only leaves launch",
            );
        }
    }
    let adlcp_text = |names: &[&'static str]| names.iter().find_map(|n| child_text(i, n));
    let mastery_score = match adlcp_text(&["masteryscore"]) {
        Some(v) => match v.parse::<f64>() {
            Ok(s) if (0.0..=100.0).contains(&s) => Some(s),
            _ => {
                report.warning(
                    MANIFEST,
                    format!("{at}/masteryscore"),
                    format!("{v:?} is not a number from 0 to 100; ignored"),
                );
                None
            }
        },
        None => None,
    };
    let completion_threshold = child(i, "completionThreshold").map(|c| {
        let number = |name: &str, default: f64| {
            attr(c, &[name])
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(default)
        };
        CompletionThreshold {
            completed_by_measure: attr(c, &["completedByMeasure"])
                .and_then(|v| boolean(&v))
                .unwrap_or(false),
            // 2nd/3rd edition wrote the threshold as the element's text.
            min_progress_measure: attr(c, &["minProgressMeasure"])
                .and_then(|v| v.parse().ok())
                .or_else(|| text(c).and_then(|t| t.parse().ok()))
                .unwrap_or(1.0),
            progress_weight: number("progressWeight", 1.0),
        }
    });
    let sequencing = child(i, "sequencing").map(|n| source_with_namespaces(doc, n));
    if let Some(text) = &sequencing {
        check.check(text, &at, report);
    }
    let hide_lms_ui = child(i, "presentation")
        .and_then(|p| child(p, "navigationInterface"))
        .map(|n| children(n, "hideLMSUI").filter_map(text).collect())
        .unwrap_or_default();
    let data_maps = child(i, "data")
        .map(|d| {
            children(d, "map")
                .filter_map(|m| {
                    Some(DataMap {
                        target_id: attr(m, &["targetID"])?,
                        read_shared_data: attr(m, &["readSharedData"])
                            .and_then(|v| boolean(&v))
                            .unwrap_or(true),
                        // Both default to true (CAM 4th edition; ADL's test packages rely
                        // on a bare map being writable).
                        write_shared_data: attr(m, &["writeSharedData"])
                            .and_then(|v| boolean(&v))
                            .unwrap_or(true),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Item {
        identifier,
        title: child_text(i, "title").unwrap_or_default(),
        resource,
        parameters: attr(i, &["parameters"]).filter(|p| !p.is_empty()),
        visible: attr(i, &["isvisible"])
            .and_then(|v| boolean(&v))
            .unwrap_or(true),
        children: children_items,
        mastery_score,
        prerequisites: adlcp_text(&["prerequisites"]),
        // SCORM 2004 has no adlcp:maxTimeAllowed: cmi.max_time_allowed is the attempt's
        // absolute duration limit from sequencing.
        max_time_allowed: adlcp_text(&["maxtimeallowed"]).or_else(|| {
            let sequencing = child(i, "sequencing")?;
            let limits = sequencing_element(doc, sequencing, "limitConditions")?;
            attr(limits, &["attemptAbsoluteDurationLimit"]).filter(|d| !d.trim().is_empty())
        }),
        time_limit_action: adlcp_text(&["timelimitaction", "timeLimitAction"]),
        data_from_lms: adlcp_text(&["datafromlms", "dataFromLMS"]),
        completion_threshold,
        hide_lms_ui,
        data_maps,
        sequencing,
        objectives: child(i, "sequencing")
            .map(|n| sequencing_objectives(doc, n))
            .unwrap_or_default(),
    }
}

/// A child of a sequencing element: its own, or, when it has none, that of the
/// `sequencingCollection` entry its `IDRef` names (element by element, as SCORM merges them).
fn sequencing_element<'a, 'input>(
    doc: &'a roxmltree::Document<'input>,
    sequencing: Node<'a, 'input>,
    name: &'static str,
) -> Option<Node<'a, 'input>> {
    child(sequencing, name).or_else(|| {
        let idref = attr(sequencing, &["IDRef"])?;
        let collection = child(doc.root_element(), "sequencingCollection")?;
        children(collection, "sequencing")
            .find(|s| attr(*s, &["ID"]).as_deref() == Some(idref.as_str()))
            .and_then(|s| child(s, name))
    })
}

/// The objectives of a sequencing element: its own `imsss:objectives`, or those of the
/// `sequencingCollection` entry its `IDRef` names.
fn sequencing_objectives(
    doc: &roxmltree::Document<'_>,
    sequencing: Node<'_, '_>,
) -> Vec<SequencingObjective> {
    let Some(objectives) = sequencing_element(doc, sequencing, "objectives") else {
        return Vec::new();
    };
    let flag = |n: Node<'_, '_>, name: &str, default: bool| {
        attr(n, &[name])
            .and_then(|v| boolean(&v))
            .unwrap_or(default)
    };
    let read = |n: Node<'_, '_>, primary: bool| SequencingObjective {
        id: attr(n, &["objectiveID"]).filter(|id| !id.trim().is_empty()),
        primary,
        satisfied_by_measure: flag(n, "satisfiedByMeasure", false),
        min_normalized_measure: child_text(n, "minNormalizedMeasure")
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|m| (-1.0..=1.0).contains(m))
            .unwrap_or(1.0),
        maps: children(n, "mapInfo")
            .filter_map(|m| {
                Some(ObjectiveMap {
                    target: attr(m, &["targetObjectiveID"])?,
                    read_satisfied_status: flag(m, "readSatisfiedStatus", true),
                    read_normalized_measure: flag(m, "readNormalizedMeasure", true),
                    write_satisfied_status: flag(m, "writeSatisfiedStatus", false),
                    write_normalized_measure: flag(m, "writeNormalizedMeasure", false),
                })
            })
            .collect(),
    };
    child(objectives, "primaryObjective")
        .map(|p| read(p, true))
        .into_iter()
        .chain(children(objectives, "objective").map(|o| read(o, false)))
        .collect()
}
