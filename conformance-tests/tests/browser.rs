//! Browser tests: Debian's Chromium driven by playwright-core (`player/browser-tests`) against a
//! live Lara. They skip with a notice when Chromium, Node.js or the npm packages are missing,
//! except when `LARA_TEST_REQUIRE_BROWSER=1` (CI), where that is a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use conformance_tests::browser::{browser_available, node, registration_statements, verb};
use conformance_tests::{TestLrs, basic, package_zip};
use lrs_core::auth::Scope;
use reqwest::Method;
use serde_json::Value;

fn demo_zip() -> Vec<u8> {
    package_zip("demo-scorm12")
}

/// Imports a package and returns a launch URL for a test learner.
/// Imports a package and registers the test learner: (launch URL, registration id).
async fn launch_url(lrs: &TestLrs, package: Vec<u8>) -> (String, String) {
    let learner = serde_json::json!({"name": "Test Learner", "mbox": "mailto:learner@example.com"});
    register(lrs, package, learner).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_content_cannot_reach_laras_origin() {
    if !browser_available() {
        return;
    }
    let lrs = TestLrs::start(conformance_tests::Backend::Sqlite)
        .await
        .unwrap();
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let r = lrs
        .client
        .post(lrs.base.replace("/xapi", "/api/packages"))
        .header("Authorization", basic(&key, &secret))
        .body(demo_zip())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let imported: Value = r.json().await.unwrap();
    let page = format!(
        "{}/content/{}/index.html",
        lrs.content_base,
        imported["versionId"].as_str().unwrap()
    );
    let api = lrs.base.replace("/xapi", "/api/packages");
    let admin = basic(&key, &secret);
    let result = tokio::task::spawn_blocking(move || node("sandbox.mjs", &[&page, &api, &admin]))
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["fetch"], "blocked", "{result}");
    assert_eq!(result["cookies"], 0, "{result}");
}

/// The SCORM 1.2 runtime's data model, access rules and error codes, in Chromium.
#[test]
fn scorm_1_2_runtime_in_the_browser() {
    if !browser_available() {
        return;
    }
    let result = node("scorm12.mjs", &[]);
    assert_eq!(result["ok"], true, "{result}");
    assert!(result["cases"].as_u64().unwrap() >= 70, "{result}");
}

/// The SCORM 2004 runtime's data model, dependencies and error codes, in Chromium.
#[test]
fn scorm_2004_runtime_in_the_browser() {
    if !browser_available() {
        return;
    }
    let result = node("scorm2004.mjs", &[]);
    assert_eq!(result["ok"], true, "{result}");
    assert!(result["cases"].as_u64().unwrap() >= 109, "{result}");
}

/// The demo course (SCORM 1.2) launched through `POST /api/registrations` and the player page:
/// answered, saved, and resumed in a new browser session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scorm_1_2_course_launches_saves_and_resumes() {
    if !browser_available() {
        return;
    }
    let lrs = TestLrs::start(conformance_tests::Backend::Sqlite)
        .await
        .unwrap();
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let admin = basic(&key, &secret);
    let imported: Value = lrs
        .client
        .post(lrs.base.replace("/xapi", "/api/packages"))
        .header("Authorization", &admin)
        .body(demo_zip())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request = serde_json::json!({
        "actor": {"objectType": "Agent", "name": "Test Learner", "mbox": "mailto:learner@example.com"},
        "packageId": imported["packageId"],
    });
    let registrations = lrs.base.replace("/xapi", "/api/registrations");
    let r = lrs
        .client
        .post(&registrations)
        .header("Authorization", &admin)
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let launch: Value = r.json().await.unwrap();
    assert_eq!(launch["versionId"], imported["versionId"]);
    let url = launch["launchUrl"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&lrs.content_base), "{url}");

    let result = tokio::task::spawn_blocking(move || node("launch.mjs", &[&url]))
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");

    // The sessions are in the LRS as the xAPI SCORM profile describes them, with the
    // registration's learner and Lara's player as authority.
    let registration = launch["registration"].as_str().unwrap();
    let statements = registration_statements(&lrs, registration).await;
    let mut verbs: Vec<&str> = statements.iter().map(verb).collect();
    // Closing the browser at the end of the script suspends the resumed session; that
    // request may or may not have landed yet.
    if verbs.len() == 10 {
        assert_eq!(verbs.pop(), Some("suspended"));
    }
    assert_eq!(
        verbs,
        [
            "initialized",
            "responded",
            "responded",
            "responded",
            "scored",
            "completed",
            "passed",
            "suspended",
            "resumed"
        ],
        "{statements:#?}"
    );
    for s in &statements {
        assert_eq!(s["actor"]["mbox"], "mailto:learner@example.com");
        assert_eq!(s["authority"]["account"]["name"], "lara-player");
        assert_eq!(
            s["context"]["contextActivities"]["category"][0]["id"],
            "https://w3id.org/xapi/scorm"
        );
    }
    let suspended = &statements[7];
    assert_eq!(suspended["result"]["success"], true);
    assert_eq!(suspended["result"]["score"]["scaled"], 1.0);
    assert!(
        suspended["result"]["duration"]
            .as_str()
            .unwrap()
            .starts_with("PT")
    );
    // The resumed session is the same attempt as the first.
    let attempt = |s: &Value| s["context"]["contextActivities"]["grouping"][1]["id"].clone();
    assert_eq!(attempt(&statements[0]), attempt(&statements[8]));
    // The attempt's suspend data is a state document an analyst can read.
    let sco = statements[0]["object"]["id"].as_str().unwrap();
    let attempt_iri = attempt(&statements[0]);
    let r = lrs
        .req(Method::GET, "/activities/state")
        .query(&[
            ("activityId", attempt_iri.as_str().unwrap()),
            ("agent", r#"{"mbox":"mailto:learner@example.com"}"#),
            ("registration", registration),
            (
                "stateId",
                "https://w3id.org/xapi/scorm/types/adl-suspend-data",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "q1=b;q2=a;q3=c");
    let r = lrs
        .req(Method::GET, "/activities/state")
        .query(&[
            ("activityId", sco),
            ("agent", r#"{"mbox":"mailto:learner@example.com"}"#),
            ("registration", registration),
            ("stateId", "https://w3id.org/xapi/scorm/activity-state"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let attempts: Value = r.json().await.unwrap();
    assert_eq!(attempts["attempts"], serde_json::json!([attempt_iri]));

    // The same learner and package: the same registration, a new launch URL.
    let r = lrs
        .client
        .post(&registrations)
        .header("Authorization", &admin)
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["registration"], launch["registration"]);
    assert_ne!(again["launchUrl"], launch["launchUrl"]);
    // A made-up token opens nothing.
    let r = lrs
        .client
        .get(format!("{}/launch/not-a-token/", lrs.content_base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// The SCORM 2004 test course: SCOs that end with `adl.nav.request = continue` lead to the
/// next one, hideLMSUI hides a control, the table of contents and the player's buttons
/// navigate, and shared data written by one SCO is read by another, also after a new launch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scorm_2004_course_navigates_and_shares_data() {
    if !browser_available() {
        return;
    }
    let lrs = TestLrs::start(conformance_tests::Backend::Sqlite)
        .await
        .unwrap();
    let (url, registration) = launch_url(&lrs, package_zip("scorm2004-onboarding")).await;
    let result = tokio::task::spawn_blocking(move || node("launch2004.mjs", &[&url]))
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");

    // Each SCO's sessions are statements of the one course, and the quiz's answers are there.
    let statements = registration_statements(&lrs, &registration).await;
    let course = &statements[0]["context"]["contextActivities"]["grouping"][0]["id"];
    assert!(course.as_str().unwrap().contains("/scorm/"), "{course}");
    let mut opened: Vec<&str> = statements
        .iter()
        .filter(|s| verb(s) == "initialized")
        .map(|s| s["object"]["id"].as_str().unwrap())
        .collect();
    opened.sort();
    opened.dedup();
    assert_eq!(opened.len(), 3, "{opened:?}");
    let responded: Vec<&Value> = statements
        .iter()
        .filter(|s| verb(s) == "responded")
        .collect();
    assert_eq!(responded.len(), 2, "{statements:#?}");
    for r in &responded {
        assert_eq!(r["object"]["definition"]["interactionType"], "choice");
        assert!(r["result"]["response"].is_string());
    }
    let verbs: Vec<&str> = statements.iter().map(verb).collect();
    for v in ["scored", "completed", "passed", "terminated"] {
        assert!(verbs.contains(&v), "no {v} in {verbs:?}");
    }
    // Statements about a SCO are grouped under the course; those about the course itself
    // (its rolled-up status, from sequencing) are not.
    let (about_course, about_scos): (Vec<&Value>, Vec<&Value>) = statements
        .iter()
        .partition(|s| &s["object"]["id"] == course);
    for s in &about_scos {
        assert_eq!(
            &s["context"]["contextActivities"]["grouping"][0]["id"],
            course
        );
    }
    // Every SCO was completed before the learner left: the course rolled up to completed.
    let course_verbs: Vec<&str> = about_course.iter().map(|s| verb(s)).collect();
    assert!(course_verbs.contains(&"completed"), "{course_verbs:?}");
}

/// Imports a package and registers a learner given as `actor`: (launch URL, registration).
async fn register(lrs: &TestLrs, package: Vec<u8>, actor: Value) -> (String, String) {
    let imported = lrs.import_package(package).await;
    lrs.register_learner(&imported["packageId"], actor, None)
        .await
}

/// The cmi5 test course in Chromium: both AUs fetch their token, read LMS.LaunchData and
/// report; relaunching the unfinished test abandons its first session; the lesson satisfies
/// its block and the passed and completed test the course.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cmi5_course_launches_relaunches_and_is_satisfied() {
    if !browser_available() {
        return;
    }
    let lrs = TestLrs::start(conformance_tests::Backend::Sqlite)
        .await
        .unwrap();
    let learner = serde_json::json!({"objectType": "Agent", "name": "Ola",
        "account": {"homePage": "https://hr.example", "name": "e-1001"}});
    let (url, registration) = register(&lrs, package_zip("cmi5-medication"), learner).await;
    let result = tokio::task::spawn_blocking(move || node("launch-cmi5.mjs", &[&url]))
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    let statements = registration_statements(&lrs, &registration).await;
    let count = |v: &str| statements.iter().filter(|s| verb(s) == v).count();
    // Lesson, test, lesson again, test again.
    assert_eq!(count("launched"), 4, "{statements:#?}");
    assert_eq!(count("abandoned"), 1);
    assert_eq!(count("completed"), 2);
    assert_eq!(count("passed"), 1);
    assert_eq!(count("terminated"), 2);
    assert_eq!(count("satisfied"), 2);
    for s in &statements {
        assert_eq!(s["actor"]["account"]["name"], "e-1001");
        assert_eq!(s["context"]["registration"], registration.as_str());
    }
    // The course is satisfied last.
    let last_satisfied = statements
        .iter()
        .rev()
        .find(|s| verb(s) == "satisfied")
        .unwrap();
    assert_eq!(
        last_satisfied["object"]["definition"]["type"],
        "https://w3id.org/xapi/cmi5/activitytype/course"
    );
}

/// The xAPI test package in Chromium: launched with endpoint, auth, actor, registration and
/// activity_id, its statements are recorded for the registration's learner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xapi_package_launches_and_records() {
    if !browser_available() {
        return;
    }
    let lrs = TestLrs::start(conformance_tests::Backend::Sqlite)
        .await
        .unwrap();
    let learner = serde_json::json!({"name": "Kari", "mbox": "mailto:kari@example.com"});
    let (url, registration) = register(&lrs, package_zip("xapi-lifting"), learner).await;
    let result = tokio::task::spawn_blocking(move || node("launch-xapi.mjs", &[&url]))
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(
        result["params"],
        serde_json::json!(["activity_id", "actor", "auth", "endpoint", "registration"])
    );
    let statements = registration_statements(&lrs, &registration).await;
    let verbs: Vec<&str> = statements.iter().map(verb).collect();
    // The first launch, then the relaunch that resumed from the bookmark.
    assert_eq!(verbs, ["attempted", "completed", "attempted"]);
    for s in &statements {
        assert_eq!(s["actor"]["mbox"], "mailto:kari@example.com");
        assert_eq!(
            s["object"]["id"],
            "https://lara.example.org/test-courses/lifting"
        );
    }
}

/// A one-SCO SCORM 2004 course (no sequencing declared): the SCO's own Terminate without a
/// navigation request ends the course, or suspends it when the SCO exits with "suspend"; the
/// next launch resumes it, and the recorded statements keep one attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_sco_scorm_2004_course_ends_or_suspends_with_its_sco() {
    if !browser_available() {
        return;
    }
    let lrs = TestLrs::start(conformance_tests::Backend::Sqlite)
        .await
        .unwrap();
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="org.lara.test.one-sco" version="1"
    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"><title>One SCO</title>
      <item identifier="only" identifierref="r"><title>The lesson</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r" type="webcontent" adlcp:scormType="sco" href="sco.html"><file href="sco.html"/></resource>
  </resources>
</manifest>"#;
    let page = r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Lesson</title></head><body>
<p id="entry"></p>
<script>
  var api = window.parent.API_1484_11;
  api.Initialize("");
  document.getElementById("entry").textContent = api.GetValue("cmi.entry");
  window.finish = function (exit) {
    api.SetValue("cmi.completion_status", exit === "suspend" ? "incomplete" : "completed");
    api.SetValue("cmi.exit", exit);
    api.Terminate("");
  };
</script></body></html>"#;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in [("imsmanifest.xml", manifest), ("sco.html", page)] {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, text.as_bytes()).unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    let learner = serde_json::json!({"name": "Solo", "mbox": "mailto:solo@example.com"});
    let (url, registration) = register(&lrs, zip, learner).await;
    let result = tokio::task::spawn_blocking(move || node("single-sco.mjs", &[&url]))
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    let statements = registration_statements(&lrs, &registration).await;
    let verbs: Vec<&str> = statements.iter().map(verb).collect();
    // One attempt, suspended and resumed; then the course itself is completed.
    assert_eq!(
        verbs.iter().filter(|v| **v == "initialized").count(),
        1,
        "{verbs:?}"
    );
    assert!(verbs.contains(&"resumed"), "{verbs:?}");
    let course_completed = statements.iter().any(|s| {
        verb(s) == "completed"
            && s["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    });
    assert!(course_completed, "{verbs:?}");
}
