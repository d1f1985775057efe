//! Manifests of each standard are read into the model, and broken or hostile ones are refused
//! with the manifest path of the problem.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{Cursor, Write};

use lara_package::cmi5::{Cmi5Node, LaunchMethod, MoveOn};
use lara_package::scorm::ScormType;
use lara_package::{
    Archive, ImportError, Limits, Manifest, Package, Report, Standard, read_package,
};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in files {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn read(files: &[(&str, &str)]) -> Result<Package, ImportError> {
    let mut a = Archive::open(Cursor::new(zip(files)), Limits::default()).unwrap();
    read_package(&mut a)
}

fn refused(files: &[(&str, &str)]) -> Report {
    match read(files) {
        Err(ImportError::Invalid(r)) => r,
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(p) => panic!("accepted: {p:?}"),
    }
}

/// The report holds an error at `path` whose message contains `words`.
fn has_error(r: &Report, path: &str, words: &str) -> bool {
    r.errors()
        .any(|p| p.path == path && p.message.contains(words))
}

#[test]
fn scorm_1_2() {
    let p = read(&[
        ("imsmanifest.xml", &data("scorm12.xml")),
        ("quiz/index.html", "<html/>"),
        ("quiz/quiz.js", ""),
        ("common/style.css", ""),
    ])
    .unwrap();
    assert_eq!(p.standard(), Standard::Scorm12);
    assert_eq!(p.standard().name(), "scorm12");
    assert!(p.report.problems.is_empty(), "{:?}", p.report);
    let Manifest::Scorm(m) = &p.manifest else {
        panic!()
    };
    assert_eq!(m.identifier, "com.example.fire-safety");
    assert_eq!(m.title, "Fire safety at work");
    let item = &m.organization().unwrap().items[0];
    assert_eq!(item.mastery_score, Some(80.0));
    assert_eq!(item.max_time_allowed.as_deref(), Some("00:30:00"));
    assert_eq!(item.time_limit_action.as_deref(), Some("exit,message"));
    assert_eq!(item.data_from_lms.as_deref(), Some("mode=exam"));
    assert_eq!(item.prerequisites.as_deref(), Some("item0"));
    assert_eq!(item.parameters.as_deref(), Some("?lang=sv"));
    let quiz = m.resource("res_quiz").unwrap();
    assert_eq!(quiz.scorm_type, ScormType::Sco);
    assert_eq!(quiz.href.as_deref(), Some("quiz/index.html"));
    assert_eq!(quiz.dependencies, vec!["res_common"]);
    assert_eq!(
        m.resource("res_common").unwrap().scorm_type,
        ScormType::Asset
    );
}

#[test]
fn scorm_2004_4th_edition() {
    let p = read(&[
        ("imsmanifest.xml", &data("scorm2004-4.xml")),
        ("content/hygiene/index.html", "<html/>"),
        ("content/medication/start here.html", "<html/>"),
    ])
    .unwrap();
    assert_eq!(p.standard(), Standard::Scorm2004 { edition: 4 });
    // The listed but absent image is a warning, not an error.
    let warnings: Vec<String> = p.report.warnings().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("content/medication/missing.png"),
        "{warnings:?}"
    );
    let Manifest::Scorm(m) = &p.manifest else {
        panic!()
    };
    let org = m.organization().unwrap();
    assert!(!org.objectives_global_to_system);
    assert!(org.shared_data_global_to_system);
    let module = &org.items[0];
    assert!(module.resource.is_none());
    assert!(
        module
            .sequencing
            .as_deref()
            .unwrap()
            .contains("controlMode")
    );
    let sco1 = &module.children[0];
    let ct = sco1.completion_threshold.unwrap();
    assert!(ct.completed_by_measure);
    assert_eq!((ct.min_progress_measure, ct.progress_weight), (0.8, 2.0));
    assert_eq!(sco1.hide_lms_ui, vec!["continue", "previous"]);
    assert_eq!(sco1.data_maps[0].target_id, "urn:example:notes");
    assert!(sco1.data_maps[0].write_shared_data);
    // cmi.max_time_allowed: the attempt's absolute duration limit, here from the collection.
    assert_eq!(sco1.max_time_allowed.as_deref(), Some("PT30M"));
    // A bare map may read and write (both default to true).
    let sco2 = &module.children[1];
    assert_eq!(sco2.data_maps[0].target_id, "urn:example:glossary");
    assert!(sco2.data_maps[0].read_shared_data && sco2.data_maps[0].write_shared_data);
    assert_eq!(sco2.max_time_allowed, None);
    assert!(
        sco1.sequencing
            .as_deref()
            .unwrap()
            .contains("IDRef=\"common\"")
    );
    // The objectives come from the collection entry the SCO refers to.
    let objectives = &sco1.objectives;
    assert_eq!(objectives.len(), 2, "{objectives:?}");
    assert!(objectives[0].primary && objectives[0].satisfied_by_measure);
    assert_eq!(objectives[0].id.as_deref(), Some("hygiene-mastered"));
    assert_eq!(objectives[0].min_normalized_measure, 0.75);
    let map = &objectives[0].maps[0];
    assert_eq!(map.target, "urn:example:objectives:hygiene");
    assert!(map.write_satisfied_status && map.read_satisfied_status);
    assert!(!map.write_normalized_measure);
    assert_eq!(objectives[1].id.as_deref(), Some("hands-washed"));
    assert!(!objectives[1].primary && !objectives[1].satisfied_by_measure);
    let sco2 = &module.children[1];
    assert!(sco2.objectives.is_empty());
    assert!(!sco2.visible);
    assert_eq!(
        sco2.time_limit_action.as_deref(),
        Some("continue,no message")
    );
    assert_eq!(sco2.data_from_lms.as_deref(), Some("level=2"));
    // xml:base of <resources> and <resource> apply; the query string stays.
    assert_eq!(
        m.resource("RES1").unwrap().href.as_deref(),
        Some("content/hygiene/index.html?start=1")
    );
    assert!(
        m.sequencing_collection
            .as_deref()
            .unwrap()
            .contains("attemptLimit=\"3\"")
    );
}

#[test]
fn scorm_2004_editions_from_schemaversion() {
    for (declared, edition) in [
        ("CAM 1.3", 2),
        ("2004 3rd Edition", 3),
        ("2004 4th Edition", 4),
    ] {
        let text = data("scorm2004-4.xml").replace("2004 4th Edition", declared);
        let p = read(&[
            ("imsmanifest.xml", &text),
            ("content/hygiene/index.html", ""),
            ("content/medication/start here.html", ""),
        ])
        .unwrap();
        assert_eq!(p.standard(), Standard::Scorm2004 { edition }, "{declared}");
    }
}

#[test]
fn cmi5_course() {
    let p = read(&[
        ("cmi5.xml", &data("cmi5.xml")),
        ("lesson/index.html", ""),
        ("test/index.html", ""),
    ])
    .unwrap();
    assert_eq!(p.standard(), Standard::Cmi5);
    let Manifest::Cmi5(c) = &p.manifest else {
        panic!()
    };
    assert_eq!(c.id, "https://example.org/courses/medication");
    assert_eq!(c.title["sv-SE"], "Säker läkemedelshantering");
    assert_eq!(c.objectives[0].id, "https://example.org/objectives/dosage");
    let Cmi5Node::Block(block) = &c.children[0] else {
        panic!()
    };
    assert_eq!(block.title["en-US"], "Lessons");
    let aus = c.aus();
    assert_eq!(aus.len(), 2);
    assert_eq!(aus[0].move_on, MoveOn::Completed);
    assert_eq!(aus[0].launch_method, LaunchMethod::OwnWindow);
    assert_eq!(aus[0].url, "lesson/index.html?x=1");
    let test = aus[1];
    assert_eq!(test.move_on, MoveOn::CompletedAndPassed);
    assert_eq!(test.mastery_score, Some(0.75));
    assert_eq!(test.launch_method, LaunchMethod::AnyWindow);
    assert_eq!(
        test.launch_parameters.as_deref(),
        Some(r#"{"difficulty":"hard"}"#)
    );
    assert_eq!(test.entitlement_key.as_deref(), Some("medication-2026"));
    assert_eq!(
        test.objectives,
        vec!["https://example.org/objectives/dosage"]
    );
}

#[test]
fn xapi_package() {
    let p = read(&[("tincan.xml", &data("tincan.xml")), ("story.html", "")]).unwrap();
    assert_eq!(p.standard(), Standard::Xapi);
    let Manifest::Xapi(t) = &p.manifest else {
        panic!()
    };
    let a = t.launchable().unwrap();
    assert_eq!(a.id, "https://example.org/activities/lifting");
    assert_eq!(a.launch.as_deref(), Some("story.html"));
    assert_eq!(a.name["en-US"], "Safe lifting");
    assert_eq!(t.activities.len(), 2);
}

#[test]
fn cmi5_wins_over_other_manifests_with_a_warning() {
    let p = read(&[
        ("cmi5.xml", &data("cmi5.xml")),
        ("tincan.xml", &data("tincan.xml")),
        ("lesson/index.html", ""),
        ("test/index.html", ""),
    ])
    .unwrap();
    assert_eq!(p.standard(), Standard::Cmi5);
    assert!(
        p.report
            .warnings()
            .any(|w| w.message.contains("tincan.xml"))
    );
}

#[test]
fn dtds_and_external_entities_are_refused() {
    let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE manifest [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<manifest identifier="m"><organizations/><resources/></manifest>"#;
    let r = refused(&[("imsmanifest.xml", xxe)]);
    assert!(
        r.errors().any(|p| p.message.contains("not well-formed")),
        "{r:?}"
    );
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<tincan><activities/></tincan>"#;
    let r = refused(&[("tincan.xml", bomb)]);
    assert!(
        r.errors().any(|p| p.message.contains("not well-formed")),
        "{r:?}"
    );
}

#[test]
fn scorm_references_are_checked() {
    let base = data("scorm12.xml");
    // The launch file is missing.
    let r = refused(&[
        ("imsmanifest.xml", &base),
        ("quiz/quiz.js", ""),
        ("common/style.css", ""),
    ]);
    assert!(
        has_error(
            &r,
            "manifest/resources/resource[1]/@href",
            "\"quiz/index.html\" is not in the package"
        ),
        "{r:?}"
    );
    // An item names a resource that does not exist.
    let text = base.replace("identifierref=\"res_quiz\"", "identifierref=\"res_nope\"");
    let r = refused(&[
        ("imsmanifest.xml", &text),
        ("quiz/index.html", ""),
        ("quiz/quiz.js", ""),
        ("common/style.css", ""),
    ]);
    assert!(
        r.errors()
            .any(|p| p.path.ends_with("item/@identifierref") && p.message.contains("res_nope")),
        "{r:?}"
    );
    // A launch path that climbs out of the package.
    let text = base.replace("href=\"quiz/index.html\">", "href=\"../../etc/passwd\">");
    let r = refused(&[
        ("imsmanifest.xml", &text),
        ("quiz/index.html", ""),
        ("quiz/quiz.js", ""),
        ("common/style.css", ""),
    ]);
    assert!(
        r.errors()
            .any(|p| p.message.contains("points outside the package")),
        "{r:?}"
    );
    // A default organization that does not exist.
    let text = base.replace("default=\"org1\"", "default=\"orgX\"");
    let r = refused(&[
        ("imsmanifest.xml", &text),
        ("quiz/index.html", ""),
        ("quiz/quiz.js", ""),
        ("common/style.css", ""),
    ]);
    assert!(
        has_error(&r, "manifest/organizations/@default", "orgX"),
        "{r:?}"
    );
    // A dependency on an undefined resource.
    let text = base.replace("identifierref=\"res_common\"", "identifierref=\"res_gone\"");
    let r = refused(&[
        ("imsmanifest.xml", &text),
        ("quiz/index.html", ""),
        ("quiz/quiz.js", ""),
        ("common/style.css", ""),
    ]);
    assert!(r.errors().any(|p| p.message.contains("res_gone")), "{r:?}");
    // Not XML at all.
    let r = refused(&[("imsmanifest.xml", "<manifest><unclosed></manifest>")]);
    assert!(
        r.errors().any(|p| p.message.contains("not well-formed")),
        "{r:?}"
    );
}

#[test]
fn cmi5_rules_are_checked() {
    let base = data("cmi5.xml");
    let files = |text: &str| -> Report {
        refused(&[
            ("cmi5.xml", text),
            ("lesson/index.html", ""),
            ("test/index.html", ""),
        ])
    };
    let r = files(&base.replace("moveOn=\"Completed\"", "moveOn=\"Finished\""));
    assert!(
        r.errors()
            .any(|p| p.path.ends_with("au/@moveOn") && p.message.contains("Finished")),
        "{r:?}"
    );
    let r = files(&base.replace("masteryScore=\"0.75\"", "masteryScore=\"75\""));
    assert!(
        r.errors().any(|p| p.path.ends_with("@masteryScore")),
        "{r:?}"
    );
    let r = files(&base.replace("medication/test\"", "medication/au1\""));
    assert!(
        r.errors().any(|p| p.message.contains("used twice")),
        "{r:?}"
    );
    let r = files(&base.replace("<url>test/index.html</url>", "<url>test/missing.html</url>"));
    assert!(
        r.errors().any(|p| p.message.contains("test/missing.html")),
        "{r:?}"
    );
    let r = files(&base.replace("launchMethod=\"OwnWindow\"", "launchMethod=\"Popup\""));
    assert!(
        r.errors().any(|p| p.path.ends_with("@launchMethod")),
        "{r:?}"
    );
}

#[test]
fn a_missing_manifest_is_explained() {
    let Err(ImportError::NoManifest(msg)) = read(&[("index.html", "")]) else {
        panic!()
    };
    assert!(msg.contains("imsmanifest.xml"), "{msg}");
    let Err(ImportError::NoManifest(msg)) = read(&[
        ("MyCourse/imsmanifest.xml", &data("scorm12.xml")),
        ("MyCourse/quiz/index.html", ""),
    ]) else {
        panic!()
    };
    assert!(
        msg.contains("MyCourse/imsmanifest.xml") && msg.contains("not the folder"),
        "{msg}"
    );
}

#[test]
fn a_bom_is_accepted() {
    let text = format!("\u{feff}{}", data("tincan.xml"));
    assert!(read(&[("tincan.xml", &text), ("story.html", "")]).is_ok());
}

/// The SCORM 2004 fixture with its files.
fn scorm2004(text: &str) -> Result<Package, ImportError> {
    read(&[
        ("imsmanifest.xml", text),
        ("content/hygiene/index.html", ""),
        ("content/medication/start here.html", ""),
    ])
}

/// The SCORM 2004 fixture with `sequencing` in place of MODULE1's sequencing.
fn with_module_sequencing(sequencing: &str) -> String {
    let text = data("scorm2004-4.xml");
    let module =
        r#"<imsss:sequencing><imsss:controlMode choice="false" flow="true"/></imsss:sequencing>"#;
    assert!(text.contains(module));
    text.replace(module, sequencing)
}

#[test]
fn stored_sequencing_text_parses_on_its_own() {
    // The fixture's root declares xmlns:imsss and the other prefixes; the stored texts
    // declare them too, so they parse without the manifest.
    let p = scorm2004(&data("scorm2004-4.xml")).unwrap();
    let Manifest::Scorm(m) = &p.manifest else {
        panic!()
    };
    let module = &m.organization().unwrap().items[0];
    let texts = [
        module.sequencing.as_deref().unwrap(),
        module.children[0].sequencing.as_deref().unwrap(),
        m.sequencing_collection.as_deref().unwrap(),
    ];
    for text in texts {
        let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let root = doc.root_element();
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.imsglobal.org/xsd/imsss"),
            "{text}"
        );
        assert!(
            root.descendants()
                .filter(|n| n.is_element())
                .all(|n| n.tag_name().namespace() == Some("http://www.imsglobal.org/xsd/imsss")),
            "{text}"
        );
    }
    assert!(
        texts[0].starts_with("<imsss:sequencing xmlns"),
        "{}",
        texts[0]
    );
    assert!(texts[0].ends_with("</imsss:sequencing>"), "{}", texts[0]);
    // And the sequencing engine reads them, IDRef included.
    let sco1 = lara_sequencing::parse_sequencing(texts[1], Some(texts[2])).unwrap();
    assert_eq!(sco1.limit_conditions.attempt_limit, Some(3));
    assert_eq!(sco1.objectives[0].id.as_deref(), Some("hygiene-mastered"));
    let module = lara_sequencing::parse_sequencing(texts[0], None).unwrap();
    assert!(module.control_mode.flow && !module.control_mode.choice);
}

#[test]
fn scorm_2004_with_full_sequencing_imports() {
    let text = with_module_sequencing(
        r#"<imsss:sequencing>
          <imsss:controlMode choice="false" flow="true" forwardOnly="true"/>
          <imsss:sequencingRules>
            <imsss:preConditionRule>
              <imsss:ruleConditions conditionCombination="any">
                <imsss:ruleCondition condition="satisfied" referencedObjective="module-done"/>
                <imsss:ruleCondition condition="attemptLimitExceeded"/>
              </imsss:ruleConditions>
              <imsss:ruleAction action="disabled"/>
            </imsss:preConditionRule>
            <imsss:postConditionRule>
              <imsss:ruleConditions><imsss:ruleCondition condition="satisfied" operator="not"/></imsss:ruleConditions>
              <imsss:ruleAction action="retry"/>
            </imsss:postConditionRule>
          </imsss:sequencingRules>
          <imsss:rollupRules objectiveMeasureWeight="0.5">
            <imsss:rollupRule childActivitySet="atLeastCount" minimumCount="1">
              <imsss:rollupConditions><imsss:rollupCondition condition="completed"/></imsss:rollupConditions>
              <imsss:rollupAction action="completed"/>
            </imsss:rollupRule>
          </imsss:rollupRules>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="module-done">
              <imsss:mapInfo targetObjectiveID="urn:example:module1"/>
            </imsss:primaryObjective>
          </imsss:objectives>
          <imsss:randomizationControls reorderChildren="true" randomizationTiming="once"/>
          <adlseq:rollupConsiderations requiredForSatisfied="ifAttempted"/>
          <adlseq:objectives>
            <adlseq:objective objectiveID="module-done">
              <adlseq:mapInfo targetObjectiveID="urn:example:module1" writeCompletionStatus="true"/>
            </adlseq:objective>
          </adlseq:objectives>
        </imsss:sequencing>"#,
    );
    let p = scorm2004(&text).unwrap();
    assert!(!p.report.has_errors(), "{:?}", p.report);
    let Manifest::Scorm(m) = &p.manifest else {
        panic!()
    };
    let stored = m.organization().unwrap().items[0]
        .sequencing
        .as_deref()
        .unwrap();
    let d = lara_sequencing::parse_sequencing(stored, None).unwrap();
    assert_eq!(d.pre_condition_rules.len(), 1);
    assert!(d.objectives[0].maps[0].write_completion_status);
}

#[test]
fn an_unknown_rule_condition_is_refused() {
    let text = with_module_sequencing(
        r#"<imsss:sequencing><imsss:sequencingRules><imsss:preConditionRule>
             <imsss:ruleConditions><imsss:ruleCondition condition="passed"/></imsss:ruleConditions>
             <imsss:ruleAction action="skip"/>
           </imsss:preConditionRule></imsss:sequencingRules></imsss:sequencing>"#,
    );
    let r = match scorm2004(&text) {
        Err(ImportError::Invalid(r)) => r,
        other => panic!("not refused for its sequencing: {other:?}"),
    };
    assert!(
        has_error(
            &r,
            "manifest/organizations/organization/item",
            "sequencing: sequencing/sequencingRules/preConditionRule/ruleConditions/ruleCondition/@condition: \"passed\""
        ),
        "{r:?}"
    );
    // The message lists what is allowed, and the import error shows it.
    let message = &r.errors().next().unwrap().message;
    assert!(
        message.contains("satisfied, objectiveStatusKnown"),
        "{message}"
    );
    let e = scorm2004(&text).unwrap_err().to_string();
    assert!(e.contains("\"passed\""), "{e}");
}

#[test]
fn an_idref_to_a_missing_collection_entry_is_refused() {
    let text = data("scorm2004-4.xml").replace("IDRef=\"common\"", "IDRef=\"uncommon\"");
    let r = match scorm2004(&text) {
        Err(ImportError::Invalid(r)) => r,
        other => panic!("not refused for its IDRef: {other:?}"),
    };
    assert!(
        has_error(
            &r,
            "manifest/organizations/organization/item/item[1]",
            "sequencing: sequencing/@IDRef: names \"uncommon\""
        ),
        "{r:?}"
    );
    // Without any collection.
    let start = text.find("<imsss:sequencingCollection>").unwrap();
    let end =
        text.find("</imsss:sequencingCollection>").unwrap() + "</imsss:sequencingCollection>".len();
    let text = format!("{}{}", &text[..start], &text[end..]);
    let r = match scorm2004(&text) {
        Err(ImportError::Invalid(r)) => r,
        other => panic!("not refused for its IDRef: {other:?}"),
    };
    assert!(
        has_error(
            &r,
            "manifest/organizations/organization/item/item[1]",
            "no sequencingCollection"
        ),
        "{r:?}"
    );
}

#[test]
fn organization_sequencing_is_checked_too() {
    let text = data("scorm2004-4.xml").replace(
        "<title>Onboarding for home care</title>",
        r#"<title>Onboarding for home care</title><imsss:sequencing><imsss:limitConditions attemptLimit="many"/></imsss:sequencing>"#,
    );
    let r = match scorm2004(&text) {
        Err(ImportError::Invalid(r)) => r,
        other => panic!("not refused for its sequencing: {other:?}"),
    };
    assert!(
        has_error(
            &r,
            "manifest/organizations/organization",
            "sequencing/limitConditions/@attemptLimit: \"many\""
        ),
        "{r:?}"
    );
}

#[test]
fn scorm_1_2_sequencing_is_not_interpreted() {
    // SCORM 1.2 has no sequencing: an imsss element there is carried, not checked.
    let text = data("scorm12.xml").replace(
        "</organization>",
        r#"<imsss:sequencing xmlns:imsss="http://www.imsglobal.org/xsd/imsss"><imsss:controlMode flow="perhaps"/></imsss:sequencing></organization>"#,
    );
    assert!(text.contains("perhaps"));
    let p = read(&[
        ("imsmanifest.xml", &text),
        ("quiz/index.html", ""),
        ("quiz/quiz.js", ""),
        ("common/style.css", ""),
    ])
    .unwrap();
    assert!(!p.report.has_errors(), "{:?}", p.report);
}
