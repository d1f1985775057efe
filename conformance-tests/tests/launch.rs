//! Launching a SCORM package and the player's event endpoint on the content origin: the
//! registration's learner, not the page, decides whose statements are recorded; events are
//! applied once and in order; the endpoint refuses what is not an event of one of the
//! package's SCOs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{Cursor, Write};

use conformance_tests::{TestLrs, basic, on_both_backends};
use lrs_core::auth::Scope;
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(scorm_events_become_the_learners_statements);

const MANIFEST: &str = r#"<?xml version="1.0"?>
<manifest identifier="org.example.lifting" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Safe lifting</title>
    <item identifier="lesson-1" identifierref="r"><title>Lifting</title>
      <adlcp:masteryscore>80</adlcp:masteryscore></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>"#;

fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

async fn registration_statements(lrs: &TestLrs, registration: &str) -> Vec<Value> {
    let r = lrs
        .req(Method::GET, "/statements")
        .query(&[("registration", registration), ("ascending", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["statements"].as_array().unwrap().clone()
}

fn verbs(statements: &[Value]) -> Vec<String> {
    statements
        .iter()
        .map(|s| {
            s["verb"]["id"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn scorm_events_become_the_learners_statements(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let admin = basic(&key, &secret);
    let imported: Value = lrs
        .client
        .post(lrs.base.replace("/xapi", "/api/packages"))
        .header("Authorization", &admin)
        .body(zip(&[
            ("imsmanifest.xml", MANIFEST),
            ("index.html", "<p>hi</p>"),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let learner = json!({"objectType": "Agent", "name": "Kari", "mbox": "mailto:kari@example.com"});
    let launch: Value = lrs
        .client
        .post(lrs.base.replace("/xapi", "/api/registrations"))
        .header("Authorization", &admin)
        .json(&json!({"actor": learner, "packageId": imported["packageId"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = launch["launchUrl"].as_str().unwrap();
    let registration = launch["registration"].as_str().unwrap();
    let event = |body: Value| {
        lrs.client
            .post(format!("{url}events/lesson-1"))
            .json(&body)
            .send()
    };
    let session = uuid::Uuid::new_v4();
    // The page claims another learner; the statements still name the registration's.
    let r = event(json!({"session": session, "seq": 1, "event": "initialize",
        "state": {"values": {"cmi.core.student_id": "someone-else"}}}))
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    let answered = json!({
        "values": {"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "90",
                   "cmi.core.exit": "suspend", "cmi.suspend_data": "page=2"},
        "interactions": [{"id": "q1", "type": "true-false", "student_response": "t", "result": "correct"}],
        "totalTime": "0000:00:00.00",
    });
    let r = event(json!({"session": session, "seq": 2, "event": "commit", "state": answered}))
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // A repeated (or late) event is accepted and changes nothing.
    let r =
        event(json!({"session": session, "seq": 2, "event": "commit", "state": {"values": {}}}))
            .await
            .unwrap();
    assert_eq!(r.status(), 204);
    let r = event(json!({"session": session, "seq": 3, "event": "terminate",
        "state": answered, "sessionTime": "0000:02:05.00"}))
    .await
    .unwrap();
    assert_eq!(r.status(), 204);

    let statements = registration_statements(lrs, registration).await;
    assert_eq!(
        verbs(&statements),
        [
            "initialized",
            "responded",
            "scored",
            "completed",
            "passed",
            "suspended"
        ]
    );
    for s in &statements {
        assert_eq!(s["actor"]["mbox"], "mailto:kari@example.com");
        assert_eq!(s["context"]["registration"], registration);
    }
    let sco = statements[0]["object"]["id"].as_str().unwrap();
    assert_eq!(
        sco,
        format!(
            "{}/scorm/{}/lesson-1",
            lrs.base.trim_end_matches("/xapi"),
            imported["packageId"].as_str().unwrap()
        )
    );
    assert_eq!(statements[1]["result"]["response"], "true");
    assert_eq!(statements[5]["result"]["duration"], "PT0H2M5S");
    // The SCO's definition is known to the LRS, and its activity profile holds the
    // mastery score as a scaled passing score.
    let r = lrs
        .req(Method::GET, "/activities")
        .query(&[("activityId", sco)])
        .send()
        .await
        .unwrap();
    let activity: Value = r.json().await.unwrap();
    assert_eq!(activity["definition"]["name"]["und"], "Lifting");
    let r = lrs
        .req(Method::GET, "/activities/profile")
        .query(&[
            ("activityId", sco),
            ("profileId", "https://w3id.org/xapi/scorm/activity-profile"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let profile: Value = r.json().await.unwrap();
    assert_eq!(profile["scaled_passing_score"], 0.8);
    let r = lrs
        .req(Method::GET, "/agents/profile")
        .query(&[
            ("agent", r#"{"mbox":"mailto:kari@example.com"}"#),
            ("profileId", "https://w3id.org/xapi/scorm/agent-profile"),
        ])
        .send()
        .await
        .unwrap();
    let agent_profile: Value = r.json().await.unwrap();
    assert_eq!(agent_profile["learner_name"], "Kari");

    // The player page resumes from the recorded data model.
    let page = lrs
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("page=2"),
        "the page does not carry the saved state"
    );

    // What is not an event of one of the package's SCOs is refused.
    let r = lrs
        .client
        .post(format!("{url}events/not-an-item"))
        .json(&json!({"session": session, "seq": 9, "event": "commit", "state": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    for bad in [
        json!({"session": session, "seq": 9, "event": "launch", "state": {}}),
        json!({"session": session, "seq": 9, "event": "commit", "state": []}),
        json!({"session": session, "seq": 9, "event": "commit", "state": {}, "actor": learner}),
        json!({"seq": 9, "event": "commit", "state": {}}),
    ] {
        let r = event(bad.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    // The SCO's data model is written through events only.
    let r = lrs
        .client
        .put(format!("{url}state/lesson-1"))
        .json(&json!({"values": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // A made-up token opens nothing.
    let r = lrs
        .client
        .post(format!(
            "{}/launch/made-up/events/lesson-1",
            lrs.content_base
        ))
        .json(&json!({"session": session, "seq": 1, "event": "initialize", "state": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(registration_statements(lrs, registration).await.len(), 6);
}
