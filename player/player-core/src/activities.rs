//! A package's course structure as xAPI activity definitions, written to the LRS at import so
//! that statements about the course, its blocks and AUs show their names.
//!
//! cmi5 and xAPI packages name their activities with IRIs of their own. SCORM packages do not:
//! their activity IRIs are minted by the player with the statements it records (xAPI SCORM
//! profile), and their definitions are written then.

use std::collections::BTreeMap;

use lara_package::Manifest;
use lara_package::scorm::Item;
use uuid::Uuid;

use crate::au_launch::Cmi5Iris;
use crate::scorm_xapi::CourseIris;
use lara_package::cmi5::{Cmi5Node, LangString};
use lrs_core::StoreError;
use lrs_core::store::StatementStore;
use serde_json::{Map, Value, json};

const SCORM_COURSE: &str = "http://adlnet.gov/expapi/activities/course";
const SCORM_LESSON: &str = "http://adlnet.gov/expapi/activities/lesson";

/// cmi5 activity types (cmi5 spec, section 9.6.2).
const CMI5_COURSE: &str = "https://w3id.org/xapi/cmi5/activitytype/course";
const CMI5_BLOCK: &str = "https://w3id.org/xapi/cmi5/activitytype/block";

/// A language map for xAPI: a langstring without a language becomes `und` (undetermined), the
/// BCP 47 tag for it, since xAPI language maps need a tag on every entry.
pub(crate) fn language_map(strings: &LangString) -> Option<Value> {
    let map: Map<String, Value> = strings
        .iter()
        .map(|(lang, text)| {
            let tag = if lang.trim().is_empty() {
                "und"
            } else {
                lang.trim()
            };
            (tag.to_owned(), Value::String(text.clone()))
        })
        .collect();
    (!map.is_empty()).then_some(Value::Object(map))
}

pub(crate) fn definition(name: &LangString, description: &LangString, kind: Option<&str>) -> Value {
    let mut d = Map::new();
    if let Some(n) = language_map(name) {
        d.insert("name".into(), n);
    }
    if let Some(n) = language_map(description) {
        d.insert("description".into(), n);
    }
    if let Some(t) = kind.filter(|t| !t.is_empty()) {
        d.insert("type".into(), json!(t));
    }
    Value::Object(d)
}

/// The definitions a manifest gives, by activity IRI (the last one wins for a repeated IRI).
pub fn activity_definitions(manifest: &Manifest) -> Vec<(String, Value)> {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    match manifest {
        Manifest::Scorm(_) => {}
        Manifest::Cmi5(course) => {
            out.insert(
                course.id.clone(),
                definition(&course.title, &course.description, Some(CMI5_COURSE)),
            );
            fn walk(nodes: &[Cmi5Node], out: &mut BTreeMap<String, Value>) {
                for n in nodes {
                    match n {
                        Cmi5Node::Block(b) => {
                            out.insert(
                                b.id.clone(),
                                definition(&b.title, &b.description, Some(CMI5_BLOCK)),
                            );
                            walk(&b.children, out);
                        }
                        Cmi5Node::Au(au) => {
                            out.insert(
                                au.id.clone(),
                                definition(&au.title, &au.description, au.activity_type.as_deref()),
                            );
                        }
                    }
                }
            }
            walk(&course.children, &mut out);
        }
        Manifest::Xapi(t) => {
            for a in &t.activities {
                out.insert(
                    a.id.clone(),
                    definition(&a.name, &a.description, a.activity_type.as_deref()),
                );
            }
        }
    }
    out.into_iter()
        .filter(|(id, d)| !id.is_empty() && d.as_object().is_some_and(|m| !m.is_empty()))
        .collect()
}

/// The definitions of the activity ids Lara makes for a package (the player's statements use
/// them): a SCORM course and its SCOs (`scorm_xapi::CourseIris`), and a cmi5 course, its
/// blocks and AUs (`au_launch::Cmi5Iris`, which cmi5 wants distinct from the publisher's).
pub fn lms_activity_definitions(
    manifest: &Manifest,
    package_id: Uuid,
    activity_base: &str,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    match manifest {
        Manifest::Scorm(m) => {
            let iris = CourseIris::new(activity_base, package_id);
            out.push((
                iris.course.clone(),
                json!({ "name": { "und": m.title }, "type": SCORM_COURSE }),
            ));
            fn walk(items: &[Item], iris: &CourseIris, out: &mut Vec<(String, Value)>) {
                for i in items {
                    if i.resource.is_some() {
                        out.push((
                            iris.sco(&i.identifier),
                            json!({ "name": { "und": i.title }, "type": SCORM_LESSON }),
                        ));
                    }
                    walk(&i.children, iris, out);
                }
            }
            for org in &m.organizations {
                walk(&org.items, &iris, &mut out);
            }
        }
        Manifest::Cmi5(course) => {
            let iris = Cmi5Iris::new(activity_base, package_id);
            out.push((
                iris.course.clone(),
                definition(&course.title, &course.description, Some(CMI5_COURSE)),
            ));
            fn walk(nodes: &[Cmi5Node], iris: &Cmi5Iris, out: &mut Vec<(String, Value)>) {
                for n in nodes {
                    match n {
                        Cmi5Node::Block(b) => {
                            out.push((
                                iris.block(&b.id),
                                definition(&b.title, &b.description, Some(CMI5_BLOCK)),
                            ));
                            walk(&b.children, iris, out);
                        }
                        Cmi5Node::Au(au) => out.push((
                            iris.au(&au.id),
                            definition(&au.title, &au.description, au.activity_type.as_deref()),
                        )),
                    }
                }
            }
            walk(&course.children, &iris, &mut out);
        }
        Manifest::Xapi(_) => {}
    }
    out.retain(|(_, d)| {
        d.get("name").is_some_and(|n| {
            n.as_object().is_some_and(|m| {
                m.values()
                    .all(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            })
        })
    });
    out
}

/// Writes the manifest's activity definitions, and those of the ids Lara makes for the
/// package, to the LRS; returns how many.
pub async fn publish_activities(
    lrs: &dyn StatementStore,
    manifest: &Manifest,
    package_id: Uuid,
    activity_base: &str,
) -> Result<usize, StoreError> {
    let mut definitions = activity_definitions(manifest);
    definitions.extend(lms_activity_definitions(
        manifest,
        package_id,
        activity_base,
    ));
    let n = definitions.len();
    lrs.merge_activity_definitions(definitions).await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

    use lara_package::cmi5::{Au, Block, Cmi5Course, LaunchMethod, MoveOn};
    use lara_package::tincan::{TinCanActivity, TinCanManifest};

    use super::*;

    fn lang(pairs: &[(&str, &str)]) -> LangString {
        pairs
            .iter()
            .map(|(l, t)| ((*l).to_owned(), (*t).to_owned()))
            .collect()
    }

    #[test]
    fn cmi5_course_blocks_and_aus() {
        let au = Au {
            id: "https://e.org/au".into(),
            title: lang(&[("en-US", "Lesson"), ("", "Lektion")]),
            description: LangString::new(),
            url: "a.html".into(),
            move_on: MoveOn::Completed,
            mastery_score: None,
            launch_method: LaunchMethod::AnyWindow,
            launch_parameters: None,
            entitlement_key: None,
            activity_type: Some("http://adlnet.gov/expapi/activities/lesson".into()),
            objectives: Vec::new(),
        };
        let course = Cmi5Course {
            id: "https://e.org/course".into(),
            title: lang(&[("en-US", "Course")]),
            description: lang(&[("en-US", "About")]),
            objectives: Vec::new(),
            children: vec![Cmi5Node::Block(Block {
                id: "https://e.org/block".into(),
                title: lang(&[("en-US", "Block")]),
                description: LangString::new(),
                objectives: Vec::new(),
                children: vec![Cmi5Node::Au(au)],
            })],
        };
        let defs: BTreeMap<String, Value> = activity_definitions(&Manifest::Cmi5(course))
            .into_iter()
            .collect();
        assert_eq!(
            defs["https://e.org/course"],
            json!({"name": {"en-US": "Course"}, "description": {"en-US": "About"}, "type": CMI5_COURSE})
        );
        assert_eq!(defs["https://e.org/block"]["type"], CMI5_BLOCK);
        assert_eq!(
            defs["https://e.org/au"],
            json!({"name": {"en-US": "Lesson", "und": "Lektion"}, "type": "http://adlnet.gov/expapi/activities/lesson"})
        );
    }

    #[test]
    fn xapi_activities_and_nothing_empty() {
        let manifest = Manifest::Xapi(TinCanManifest {
            activities: vec![
                TinCanActivity {
                    id: "https://e.org/a".into(),
                    activity_type: Some("http://adlnet.gov/expapi/activities/course".into()),
                    name: lang(&[("en-US", "A")]),
                    description: LangString::new(),
                    launch: Some("index.html".into()),
                },
                TinCanActivity {
                    id: "https://e.org/bare".into(),
                    activity_type: None,
                    name: LangString::new(),
                    description: LangString::new(),
                    launch: None,
                },
            ],
        });
        let defs = activity_definitions(&manifest);
        assert_eq!(defs.len(), 1, "{defs:?}");
        assert_eq!(defs[0].0, "https://e.org/a");
    }
}
