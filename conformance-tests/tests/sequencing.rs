//! SCORM 2004 sequencing through the player's HTTP endpoints, on both backends: SCO events as
//! the player page sends them, navigation requests, the course's rolled-up status as
//! statements, and global objectives shared between courses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;

use conformance_tests::{TestLrs, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

on_both_backends!(
    a_flowing_course_is_delivered_in_order_and_rolls_up,
    suspend_all_and_a_closed_browser_resume_where_the_learner_was,
    fourth_edition_objective_data_reaches_another_course,
    global_objectives_reach_the_learners_other_courses,
    objectives_kept_to_the_course_start_over_with_a_new_attempt,
    shared_data_kept_to_the_course_is_gone_when_the_page_opens_a_new_attempt,
    bad_navigation_requests_are_refused
);

const RESOURCES: &str = r#"<resources>
    <resource identifier="r" type="webcontent" adlcp:scormType="sco" href="sco.html"><file href="sco.html"/></resource>
  </resources>"#;

fn manifest(identifier: &str, items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="{identifier}" version="1"
    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
    xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
    xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>{identifier}</title>
      {items}
      <imsss:sequencing><imsss:controlMode choice="true" flow="true"/></imsss:sequencing>
    </organization>
  </organizations>
  {RESOURCES}
</manifest>"#
    )
}

fn zip(manifest: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    w.start_file("imsmanifest.xml", options).unwrap();
    w.write_all(manifest.as_bytes()).unwrap();
    w.start_file("sco.html", options).unwrap();
    w.write_all(b"<!DOCTYPE html><title>SCO</title>").unwrap();
    w.finish().unwrap().into_inner()
}

struct Learner<'a> {
    lrs: &'a TestLrs,
    /// The launch URL (ends with '/').
    launch: String,
    registration: String,
}

impl<'a> Learner<'a> {
    async fn register(lrs: &'a TestLrs, package: Vec<u8>, email: &str) -> Learner<'a> {
        let imported = lrs.import_package(package).await;
        let actor = json!({ "name": "Learner", "mbox": format!("mailto:{email}") });
        let (launch, registration) = lrs
            .register_learner(&imported["packageId"], actor, None)
            .await;
        Learner {
            lrs,
            launch,
            registration,
        }
    }

    async fn navigate(&self, request: &str, target: Option<&str>) -> Value {
        let r = self
            .lrs
            .client
            .post(format!("{}navigate", self.launch))
            .json(&json!({ "request": request, "target": target }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{request}: {}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// One SCO session as the player page reports it: initialize, then terminate with the
    /// data model's values.
    async fn run_sco(&self, item: &str, values: Value) -> Value {
        let session = Uuid::new_v4();
        let post = |seq: u64, event: &str, values: Value| {
            self.lrs
                .client
                .post(format!("{}events/{item}", self.launch))
                .json(&json!({
                    "session": session, "seq": seq, "event": event,
                    "state": { "values": values, "arrays": {} },
                    "sessionTime": if event == "terminate" { Some("PT30S") } else { None },
                }))
                .send()
        };
        let r = post(1, "initialize", json!({})).await.unwrap();
        assert!(r.status().is_success());
        let r = post(2, "terminate", values).await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        // The answer is what sequencing allows now.
        r.json().await.unwrap()
    }

    async fn statements(&self) -> Vec<Value> {
        let r = self
            .lrs
            .req(Method::GET, "/statements")
            .query(&[
                ("registration", self.registration.as_str()),
                ("ascending", "true"),
                ("limit", "500"),
            ])
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        body["statements"].as_array().unwrap().clone()
    }
}

fn delivered(answer: &Value) -> &str {
    answer["deliver"].as_str().unwrap_or("-")
}

async fn a_flowing_course_is_delivered_in_order_and_rolls_up(lrs: &TestLrs) {
    let items = r#"
      <item identifier="m1"><title>Module</title>
        <item identifier="a" identifierref="r"><title>A</title></item>
        <item identifier="b" identifierref="r"><title>B</title></item>
        <imsss:sequencing><imsss:controlMode flow="true"/></imsss:sequencing>
      </item>
      <item identifier="c" identifierref="r"><title>C</title>
        <imsss:sequencing>
          <imsss:deliveryControls objectiveSetByContent="true" completionSetByContent="true"/>
        </imsss:sequencing>
      </item>"#;
    let learner =
        Learner::register(lrs, zip(&manifest("seq.flow", items)), "flow@example.com").await;
    let answer = learner.navigate("launch", None).await;
    assert_eq!(delivered(&answer), "a");
    assert_eq!(answer["view"]["controls"]["previous"], false);
    let toc: Vec<&str> = answer["view"]["toc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(toc, ["org", "m1", "a", "b", "c"]);

    let view = learner
        .run_sco("a", json!({ "cmi.completion_status": "completed" }))
        .await;
    assert_eq!(view["controls"]["continue"], true);
    assert_eq!(delivered(&learner.navigate("continue", None).await), "b");
    assert_eq!(delivered(&learner.navigate("previous", None).await), "a");
    assert_eq!(delivered(&learner.navigate("continue", None).await), "b");
    // The SCO ends itself with adl.nav.request = continue, as the player forwards it.
    learner
        .run_sco("b", json!({ "cmi.completion_status": "completed" }))
        .await;
    let answer = learner.navigate("continue", None).await;
    assert_eq!(delivered(&answer), "c");
    // m1 is completed (both SCOs), the course not yet (c reports itself).
    assert_eq!(answer["view"]["course"]["completed"], Value::Null);
    learner
        .run_sco(
            "c",
            json!({ "cmi.completion_status": "completed", "cmi.success_status": "passed" }),
        )
        .await;
    let answer = learner.navigate("continue", None).await;
    assert_eq!(answer["sessionEnded"], true, "{answer}");
    assert_eq!(answer["view"]["course"]["completed"], true);
    assert_eq!(answer["view"]["course"]["satisfied"], true);

    // The course's outcome is in the LRS, once.
    let statements = learner.statements().await;
    let about_course: Vec<&str> = statements
        .iter()
        .filter(|s| {
            s["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
        })
        .map(|s| s["verb"]["display"]["en-US"].as_str().unwrap())
        .collect();
    assert_eq!(about_course, ["completed", "passed"], "{statements:#?}");

    // A new launch starts a new attempt on the course.
    let answer = learner.navigate("launch", None).await;
    assert_eq!(delivered(&answer), "a");
    assert_eq!(answer["view"]["course"]["attempts"], 2);
}

async fn suspend_all_and_a_closed_browser_resume_where_the_learner_was(lrs: &TestLrs) {
    let items = r#"
      <item identifier="a" identifierref="r"><title>A</title></item>
      <item identifier="b" identifierref="r"><title>B</title></item>
      <item identifier="c" identifierref="r"><title>C</title></item>"#;
    let learner = Learner::register(
        lrs,
        zip(&manifest("seq.suspend", items)),
        "suspend@example.com",
    )
    .await;
    assert_eq!(delivered(&learner.navigate("launch", None).await), "a");
    learner
        .run_sco("a", json!({ "cmi.completion_status": "completed" }))
        .await;
    assert_eq!(delivered(&learner.navigate("continue", None).await), "b");
    let answer = learner.navigate("suspendAll", None).await;
    assert_eq!(answer["sessionEnded"], true);
    assert_eq!(answer["view"]["controls"]["resumeAll"], true);

    // The next launch (a new browser session) resumes b's attempt.
    let answer = learner.navigate("launch", None).await;
    assert_eq!(delivered(&answer), "b");
    assert_eq!(answer["resume"], true);

    // b suspends itself (cmi.exit = suspend); the browser is closed without any request.
    learner
        .run_sco(
            "b",
            json!({ "cmi.exit": "suspend", "cmi.suspend_data": "page 3" }),
        )
        .await;
    let answer = learner.navigate("launch", None).await;
    assert_eq!(delivered(&answer), "b");
    assert_eq!(answer["resume"], true);
    // The attempt on b went on: still its first.
    let b = answer["view"]["toc"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["identifier"] == "b")
        .unwrap()
        .clone();
    assert_eq!(b["current"], true);
    assert_eq!(b["attempted"], true);

    // Finished normally, b starts afresh next time it is chosen.
    learner
        .run_sco("b", json!({ "cmi.completion_status": "completed" }))
        .await;
    assert_eq!(delivered(&learner.navigate("continue", None).await), "c");
    let answer = learner.navigate("choice", Some("b")).await;
    assert_eq!(delivered(&answer), "b");
    assert_eq!(answer["resume"], false);
}

async fn global_objectives_reach_the_learners_other_courses(lrs: &TestLrs) {
    // Course 1 teaches a skill and records it in a global objective; course 2 skips its own
    // lesson on that skill for a learner who has it (objectives are global to the system by
    // default).
    let teach = r#"
      <item identifier="lift" identifierref="r"><title>Lifting</title>
        <imsss:sequencing><imsss:objectives>
          <imsss:primaryObjective objectiveID="lift">
            <imsss:mapInfo targetObjectiveID="urn:lara:test:skill:lifting" writeSatisfiedStatus="true"/>
          </imsss:primaryObjective>
        </imsss:objectives></imsss:sequencing>
      </item>"#;
    let skip = r#"
      <item identifier="lift-refresher" identifierref="r"><title>Lifting refresher</title>
        <imsss:sequencing>
          <imsss:sequencingRules><imsss:preConditionRule>
            <imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions>
            <imsss:ruleAction action="skip"/>
          </imsss:preConditionRule></imsss:sequencingRules>
          <imsss:objectives><imsss:primaryObjective objectiveID="lift">
            <imsss:mapInfo targetObjectiveID="urn:lara:test:skill:lifting" readSatisfiedStatus="true"/>
          </imsss:primaryObjective></imsss:objectives>
        </imsss:sequencing>
      </item>
      <item identifier="wards" identifierref="r"><title>Ward routines</title></item>"#;
    let course1 = zip(&manifest("seq.teach", teach));
    let course2 = zip(&manifest("seq.skip", skip));

    let kari = Learner::register(lrs, course1, "kari@example.com").await;
    assert_eq!(delivered(&kari.navigate("launch", None).await), "lift");
    kari.run_sco(
        "lift",
        json!({ "cmi.completion_status": "completed", "cmi.success_status": "passed" }),
    )
    .await;
    assert_eq!(kari.navigate("exitAll", None).await["sessionEnded"], true);

    let kari2 = Learner::register(lrs, course2.clone(), "kari@example.com").await;
    assert_eq!(delivered(&kari2.navigate("launch", None).await), "wards");
    // Someone without the skill gets the refresher.
    let ola = Learner::register(lrs, course2.clone(), "ola@example.com").await;
    assert_eq!(
        delivered(&ola.navigate("launch", None).await),
        "lift-refresher"
    );

    // A global objective written by rollup (a module's objective, not a SCO's) is shared too.
    let module = r#"
      <item identifier="module"><title>Lifting module</title>
        <item identifier="part" identifierref="r"><title>Part</title></item>
        <imsss:sequencing><imsss:objectives>
          <imsss:primaryObjective objectiveID="module-done">
            <imsss:mapInfo targetObjectiveID="urn:lara:test:skill:lifting" writeSatisfiedStatus="true"/>
          </imsss:primaryObjective>
        </imsss:objectives></imsss:sequencing>
      </item>"#;
    let per = Learner::register(lrs, zip(&manifest("seq.module", module)), "per@example.com").await;
    assert_eq!(delivered(&per.navigate("launch", None).await), "part");
    per.run_sco(
        "part",
        json!({ "cmi.completion_status": "completed", "cmi.success_status": "passed" }),
    )
    .await;
    assert_eq!(per.navigate("exitAll", None).await["sessionEnded"], true);
    let per2 = Learner::register(lrs, course2, "per@example.com").await;
    assert_eq!(delivered(&per2.navigate("launch", None).await), "wards");

    // A module (not a SCO) that reads the skill from another course is skipped whole.
    let skip_module = r#"
      <item identifier="lifting-module"><title>Lifting module</title>
        <item identifier="lift-1" identifierref="r"><title>Lifting 1</title></item>
        <item identifier="lift-2" identifierref="r"><title>Lifting 2</title></item>
        <imsss:sequencing>
          <imsss:controlMode flow="true"/>
          <imsss:sequencingRules><imsss:preConditionRule>
            <imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions>
            <imsss:ruleAction action="skip"/>
          </imsss:preConditionRule></imsss:sequencingRules>
          <imsss:objectives><imsss:primaryObjective objectiveID="lifting">
            <imsss:mapInfo targetObjectiveID="urn:lara:test:skill:lifting" readSatisfiedStatus="true"/>
          </imsss:primaryObjective></imsss:objectives>
        </imsss:sequencing>
      </item>
      <item identifier="hygiene" identifierref="r"><title>Hygiene</title></item>"#;
    let course3 = zip(&manifest("seq.skip-module", skip_module));
    let kari3 = Learner::register(lrs, course3.clone(), "kari@example.com").await;
    assert_eq!(delivered(&kari3.navigate("launch", None).await), "hygiene");
    let ola3 = Learner::register(lrs, course3, "ola@example.com").await;
    assert_eq!(delivered(&ola3.navigate("launch", None).await), "lift-1");
}

async fn fourth_edition_objective_data_reaches_another_course(lrs: &TestLrs) {
    // Course 1's exam writes score, completion and progress to a global objective through
    // adlseq:mapInfo; course 2's review SCO reads them into its cmi.objectives.
    let exam = r#"
      <item identifier="exam" identifierref="r"><title>Exam</title>
        <imsss:sequencing>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="exam">
              <imsss:mapInfo targetObjectiveID="urn:lara:test:exam" writeSatisfiedStatus="true"/>
            </imsss:primaryObjective>
          </imsss:objectives>
          <adlseq:objectives>
            <adlseq:objective objectiveID="exam">
              <adlseq:mapInfo targetObjectiveID="urn:lara:test:exam" writeRawScore="true"
                  writeMaxScore="true" writeCompletionStatus="true" writeProgressMeasure="true"/>
            </adlseq:objective>
          </adlseq:objectives>
        </imsss:sequencing>
      </item>"#;
    let review = r#"
      <item identifier="review" identifierref="r"><title>Review</title>
        <imsss:sequencing>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="own"/>
            <imsss:objective objectiveID="exam-result">
              <imsss:mapInfo targetObjectiveID="urn:lara:test:exam"/>
            </imsss:objective>
          </imsss:objectives>
          <adlseq:objectives>
            <adlseq:objective objectiveID="exam-result">
              <adlseq:mapInfo targetObjectiveID="urn:lara:test:exam"/>
            </adlseq:objective>
          </adlseq:objectives>
        </imsss:sequencing>
      </item>"#;
    let learner =
        Learner::register(lrs, zip(&manifest("seq.exam", exam)), "exam@example.com").await;
    assert_eq!(delivered(&learner.navigate("launch", None).await), "exam");
    learner
        .run_sco(
            "exam",
            json!({
                "cmi.completion_status": "completed", "cmi.success_status": "passed",
                "cmi.score.raw": "42", "cmi.score.max": "50", "cmi.progress_measure": "1",
            }),
        )
        .await;
    assert_eq!(
        learner.navigate("exitAll", None).await["sessionEnded"],
        true
    );

    let other = Learner::register(
        lrs,
        zip(&manifest("seq.review", review)),
        "exam@example.com",
    )
    .await;
    let r = lrs
        .client
        .get(format!("{}objectives/review", other.launch))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let objectives: Value = r.json().await.unwrap();
    let result = objectives
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "exam-result")
        .unwrap();
    assert_eq!(result["success_status"], "passed", "{objectives}");
    assert_eq!(result["completion_status"], "completed");
    assert_eq!(result["score.raw"], "42");
    assert_eq!(result["score.max"], "50");
    assert_eq!(result["progress_measure"], "1");
    // Nothing wrote a minimum score.
    assert!(result.get("score.min").is_none());
    let own = objectives
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "own")
        .unwrap();
    // An unknown status is left out of the record: the run-time answers "unknown" for it, and
    // a status in a report is then one the SCO set (or a known one it was given).
    assert!(own.get("success_status").is_none(), "{own}");
}

async fn objectives_kept_to_the_course_start_over_with_a_new_attempt(lrs: &TestLrs) {
    // objectivesGlobalToSystem="false": the course's shared objectives live for one attempt
    // on the course. A passed check skips the refresher in the same attempt; after Exit All,
    // the next attempt delivers it again (ADL's test OB-03b).
    let items = r#"
      <item identifier="check" identifierref="r"><title>Check</title>
        <imsss:sequencing><imsss:objectives>
          <imsss:primaryObjective objectiveID="p">
            <imsss:mapInfo targetObjectiveID="urn:lara:test:course-scoped" writeSatisfiedStatus="true"/>
          </imsss:primaryObjective>
        </imsss:objectives>
        <imsss:deliveryControls objectiveSetByContent="true"/></imsss:sequencing>
      </item>
      <item identifier="refresher" identifierref="r"><title>Refresher</title>
        <imsss:sequencing>
          <imsss:sequencingRules><imsss:preConditionRule>
            <imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions>
            <imsss:ruleAction action="skip"/>
          </imsss:preConditionRule></imsss:sequencingRules>
          <imsss:objectives><imsss:primaryObjective objectiveID="p">
            <imsss:mapInfo targetObjectiveID="urn:lara:test:course-scoped"/>
          </imsss:primaryObjective></imsss:objectives>
        </imsss:sequencing>
      </item>
      <item identifier="wrap-up" identifierref="r"><title>Wrap-up</title></item>"#;
    let course = manifest("seq.scoped", items).replace(
        r#"<organization identifier="org">"#,
        r#"<organization identifier="org" adlseq:objectivesGlobalToSystem="false">"#,
    );
    let learner = Learner::register(lrs, zip(&course), "scoped@example.com").await;
    assert_eq!(delivered(&learner.navigate("launch", None).await), "check");
    learner
        .run_sco(
            "check",
            json!({ "cmi.completion_status": "completed", "cmi.success_status": "passed" }),
        )
        .await;
    assert_eq!(
        delivered(&learner.navigate("continue", None).await),
        "wrap-up"
    );
    assert_eq!(
        learner.navigate("exitAll", None).await["sessionEnded"],
        true
    );
    // A new attempt on the course: the check has to be passed again before the refresher is
    // skipped (this time it reports no result).
    assert_eq!(delivered(&learner.navigate("launch", None).await), "check");
    learner
        .run_sco("check", json!({ "cmi.completion_status": "completed" }))
        .await;
    assert_eq!(
        delivered(&learner.navigate("continue", None).await),
        "refresher"
    );
}

async fn shared_data_kept_to_the_course_is_gone_when_the_page_opens_a_new_attempt(lrs: &TestLrs) {
    // sharedDataGlobalToSystem="false": adl.data lives for one attempt on the course. After
    // Exit All, the player page that opens the next attempt already shows the store empty
    // (the SCO it launches reads "not initialized"), not what the last attempt wrote (ADL's
    // test DDM).
    let items = r#"
      <item identifier="notes" identifierref="r"><title>Notes</title>
        <adlcp:data><adlcp:map targetID="urn:lara:test:notes" readSharedData="true" writeSharedData="true"/></adlcp:data>
      </item>"#;
    let course = manifest("seq.shared", items).replace(
        r#"<organization identifier="org">"#,
        r#"<organization identifier="org" adlcp:sharedDataGlobalToSystem="false">"#,
    );
    let learner = Learner::register(lrs, zip(&course), "shared@example.com").await;
    let store = |page: &str| -> Value {
        let start = page
            .find(r#"<script id="lara-config" type="application/json">"#)
            .unwrap();
        let rest = &page[start..];
        let json = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
        let config: Value = serde_json::from_str(json).unwrap();
        config["sharedData"]["urn:lara:test:notes"].clone()
    };
    let page = || async {
        lrs.client
            .get(&learner.launch)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert_eq!(delivered(&learner.navigate("launch", None).await), "notes");
    let r = lrs
        .client
        .put(format!(
            "{}state/adl.data:urn:lara:test:notes",
            learner.launch
        ))
        .json(&json!({ "store": "first attempt" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(store(&page().await), "first attempt");
    learner
        .run_sco("notes", json!({ "cmi.completion_status": "completed" }))
        .await;
    assert_eq!(
        learner.navigate("exitAll", None).await["sessionEnded"],
        true
    );
    assert_eq!(store(&page().await), Value::Null);
}

async fn bad_navigation_requests_are_refused(lrs: &TestLrs) {
    let items = r#"<item identifier="a" identifierref="r"><title>A</title></item>"#;
    let learner = Learner::register(lrs, zip(&manifest("seq.bad", items)), "bad@example.com").await;
    for body in [
        json!({ "request": "fly" }),
        json!({ "request": "choice", "target": "nowhere" }),
    ] {
        let r = lrs
            .client
            .post(format!("{}navigate", learner.launch))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    let r = lrs
        .client
        .post(format!("{}navigate", learner.launch))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A request sequencing refuses is an answer, not an error: nothing is delivered and the
    // exception names the SN book's code.
    let answer = learner.navigate("previous", None).await;
    assert_eq!(answer["exception"]["code"], "NB.2.1-2");
    assert_eq!(answer["deliver"], Value::Null);
}
