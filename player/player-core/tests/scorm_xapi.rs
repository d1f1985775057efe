#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The xAPI SCORM profile mapping, event by event.

use chrono::{TimeZone, Utc};

use lara_package::scorm::{ObjectiveMap, SequencingObjective};
use player_core::scorm_xapi::{
    ACTIVITY_STATE_ID, ATTEMPT_STATE_ID, CourseIris, DocumentWrite, EventKind, Outcome,
    PROFILE_ACTIVITY, RuntimeEvent, STATEMENT_VERSION, SUSPEND_DATA_ID, ScoContext, ScoRecord,
    apply_event,
};
use serde_json::{Value, json};
use uuid::Uuid;

fn ctx(scorm12: bool) -> ScoContext {
    ScoContext {
        actor: json!({"objectType": "Agent", "account": {"homePage": "https://hr.example", "name": "a-17"}}),
        registration: Uuid::from_u128(7),
        iris: CourseIris::new("https://lara.example/", Uuid::from_u128(1)),
        course_title: "Fire safety".into(),
        item: "quiz 1".into(),
        item_title: "Quiz".into(),
        scorm12,
        activity_profile: serde_json::Map::new(),
        objectives: Vec::new(),
        objectives_global_to_system: true,
    }
}

fn event(session: Uuid, seq: u64, kind: EventKind, state: Value) -> RuntimeEvent {
    RuntimeEvent {
        session,
        seq,
        event: kind,
        state,
        session_time: None,
        entry: None,
    }
}

fn verbs(o: &Outcome) -> Vec<String> {
    o.statements
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

fn all_valid(o: &Outcome) {
    for s in &o.statements {
        let problems = xapi_model::validate::validate_statement(s, STATEMENT_VERSION, "");
        assert!(problems.is_empty(), "{s}: {problems:?}");
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

#[test]
fn iris_follow_the_profile_layout_and_escape_identifiers() {
    let iris = CourseIris::new("https://lara.example/", Uuid::from_u128(1));
    assert_eq!(
        iris.course,
        "https://lara.example/scorm/00000000-0000-0000-0000-000000000001"
    );
    assert_eq!(iris.sco("quiz 1"), format!("{}/quiz%201", iris.course));
    assert_eq!(
        iris.interaction("quiz 1", "q/1"),
        format!("{}/quiz%201/interactions/q%2F1", iris.course)
    );
    assert_eq!(
        iris.objective("sco", "obj-1"),
        format!("{}/sco/objectives/obj-1", iris.course)
    );
    let a = Uuid::from_u128(9);
    assert_eq!(
        iris.attempt("sco", a),
        format!("{}/sco?attemptId={a}", iris.course)
    );
    assert!(xapi_model::validate::is_iri(
        &iris.interaction("quiz 1", "q ä")
    ));
}

#[test]
fn a_scorm_2004_attempt_is_initialized_reported_suspended_resumed_and_terminated() {
    let c = ctx(false);
    let s1 = Uuid::new_v4();
    let o = apply_event(
        &c,
        ScoRecord::default(),
        &event(s1, 1, EventKind::Initialize, json!({"values": {}})),
        now(),
    );
    assert_eq!(verbs(&o), ["initialized"]);
    all_valid(&o);
    let st = &o.statements[0];
    assert_eq!(st["actor"], c.actor);
    assert_eq!(st["object"]["id"], c.iris.sco("quiz 1"));
    assert_eq!(
        st["object"]["definition"]["type"],
        "http://adlnet.gov/expapi/activities/lesson"
    );
    assert_eq!(st["context"]["registration"], c.registration.to_string());
    let grouping = st["context"]["contextActivities"]["grouping"]
        .as_array()
        .unwrap();
    assert_eq!(grouping[0]["id"], c.iris.course);
    let attempt = o.record.attempt.unwrap();
    assert_eq!(grouping[1]["id"], c.iris.attempt("quiz 1", attempt));
    assert_eq!(
        st["context"]["contextActivities"]["category"][0]["id"],
        PROFILE_ACTIVITY
    );
    // The SCO's attempt list is in the activity state.
    let DocumentWrite::State {
        activity_id,
        state_id,
        content,
        ..
    } = &o.documents[0]
    else {
        panic!("{:?}", o.documents)
    };
    assert_eq!(activity_id, &c.iris.sco("quiz 1"));
    assert_eq!(state_id, ACTIVITY_STATE_ID);
    let doc: Value = serde_json::from_slice(content).unwrap();
    assert_eq!(doc["attempts"], json!([c.iris.attempt("quiz 1", attempt)]));

    // A commit with an answered interaction, a score and both statuses.
    let answered = json!({
        "values": {
            "cmi.score.scaled": "0.9", "cmi.score.raw": "9", "cmi.score.min": "0", "cmi.score.max": "10",
            "cmi.completion_status": "completed", "cmi.success_status": "passed",
            "cmi.progress_measure": "1", "cmi.location": "page-3", "cmi.suspend_data": "p=3",
            "cmi.exit": "suspend",
        },
        "arrays": {
            "cmi.interactions": [
                {"id": "q1", "type": "choice", "learner_response": "a[,]c", "result": "correct",
                 "latency": "PT12S", "description": "{lang=sv}Vilka?", "correct_responses": [{"pattern": "a[,]c"}]},
                {"id": "q2", "type": "fill-in"}
            ],
            "cmi.objectives": [{"id": "obj-1", "success_status": "passed", "score.scaled": "0.9"}],
            "cmi.comments_from_learner": [{"comment": "{lang=en}Nice", "location": "p3"}],
        },
        "totalTime": "PT5M",
        "evaluated": {"completion": "completed", "success": "passed"},
    });
    let o = apply_event(
        &c,
        o.record,
        &event(s1, 2, EventKind::Commit, answered.clone()),
        now(),
    );
    all_valid(&o);
    assert_eq!(
        verbs(&o),
        [
            "responded",
            "passed",
            "commented",
            "scored",
            "progressed",
            "completed",
            "passed"
        ]
    );
    let responded = &o.statements[0];
    assert_eq!(
        responded["object"]["id"],
        c.iris.interaction("quiz 1", "q1")
    );
    assert_eq!(
        responded["object"]["definition"]["interactionType"],
        "choice"
    );
    assert_eq!(
        responded["object"]["definition"]["correctResponsesPattern"],
        json!(["a[,]c"])
    );
    assert_eq!(
        responded["object"]["definition"]["description"],
        json!({"sv": "Vilka?"})
    );
    assert_eq!(
        responded["result"],
        json!({"response": "a[,]c", "success": true, "duration": "PT12S"})
    );
    assert_eq!(
        responded["context"]["contextActivities"]["parent"][0]["id"],
        c.iris.sco("quiz 1")
    );
    assert_eq!(
        o.statements[1]["object"]["id"],
        c.iris.objective("quiz 1", "obj-1")
    );
    assert_eq!(o.statements[2]["result"]["response"], "Nice");
    assert_eq!(
        o.statements[3]["result"]["score"],
        json!({"scaled": 0.9, "raw": 9.0, "min": 0.0, "max": 10.0})
    );
    // Attempt state and suspend data are documents of the attempt.
    let docs: Vec<(&str, &str, &[u8])> = o
        .documents
        .iter()
        .map(|d| match d {
            DocumentWrite::State {
                activity_id,
                state_id,
                content,
                ..
            } => (activity_id.as_str(), state_id.as_str(), content.as_slice()),
            other => panic!("{other:?}"),
        })
        .collect();
    let attempt_iri = c.iris.attempt("quiz 1", attempt);
    assert_eq!(docs[0].0, attempt_iri);
    assert_eq!(docs[0].1, ATTEMPT_STATE_ID);
    let state: Value = serde_json::from_slice(docs[0].2).unwrap();
    assert_eq!(state["location"], "page-3");
    assert_eq!(state["total_time"], "PT5M");
    assert_eq!(state["credit"], "credit");
    assert_eq!(
        docs[1],
        (attempt_iri.as_str(), SUSPEND_DATA_ID, &b"p=3"[..])
    );

    // The same model committed again reports nothing new.
    let o = apply_event(
        &c,
        o.record,
        &event(s1, 3, EventKind::Commit, answered.clone()),
        now(),
    );
    assert!(verbs(&o).is_empty(), "{:?}", verbs(&o));

    // Terminate with exit suspend: suspended, with the result and the session time.
    let mut end = event(s1, 4, EventKind::Terminate, answered.clone());
    end.session_time = Some("PT1M30S".into());
    let o = apply_event(&c, o.record, &end, now());
    assert_eq!(verbs(&o), ["suspended"]);
    assert_eq!(
        o.statements[0]["result"],
        json!({"score": {"scaled": 0.9, "raw": 9.0, "min": 0.0, "max": 10.0},
               "success": true, "completion": true, "duration": "PT1M30S"})
    );
    assert!(!o.record.open);

    // The next session resumes the same attempt.
    let s2 = Uuid::new_v4();
    let o = apply_event(
        &c,
        o.record,
        &event(s2, 1, EventKind::Initialize, answered.clone()),
        now(),
    );
    assert_eq!(verbs(&o), ["resumed"]);
    assert_eq!(o.record.attempt, Some(attempt));
    let grouping = &o.statements[0]["context"]["contextActivities"]["grouping"];
    assert_eq!(grouping[1]["id"], attempt_iri);

    // It ends normally: terminated. The session after that is a new attempt.
    let mut normal = answered.clone();
    normal["values"]["cmi.exit"] = json!("normal");
    let o = apply_event(
        &c,
        o.record,
        &event(s2, 2, EventKind::Terminate, normal),
        now(),
    );
    assert_eq!(verbs(&o), ["terminated"]);
    let s3 = Uuid::new_v4();
    let o = apply_event(
        &c,
        o.record,
        &event(s3, 1, EventKind::Initialize, json!({"values": {}})),
        now(),
    );
    assert_eq!(verbs(&o), ["initialized"]);
    let second = o.record.attempt.unwrap();
    assert_ne!(second, attempt);
    assert_eq!(o.record.attempts, [attempt, second]);
    // A new attempt reports its own progress afresh.
    assert_eq!(o.record.reported, Default::default());
}

#[test]
fn stale_and_late_events_change_nothing() {
    let c = ctx(false);
    let s1 = Uuid::new_v4();
    let o = apply_event(
        &c,
        ScoRecord::default(),
        &event(
            s1,
            2,
            EventKind::Commit,
            json!({"values": {"cmi.location": "2"}}),
        ),
        now(),
    );
    // A commit without an initialize seen first still opens the session.
    assert_eq!(verbs(&o), ["initialized"]);
    // The initialize, arriving late, is older than what was applied.
    let late = apply_event(
        &c,
        o.record.clone(),
        &event(s1, 1, EventKind::Initialize, json!({"values": {}})),
        now(),
    );
    assert!(!late.applied);
    assert_eq!(late.record, o.record);
    let o = apply_event(
        &c,
        o.record,
        &event(
            s1,
            3,
            EventKind::Terminate,
            json!({"values": {"cmi.exit": "suspend"}}),
        ),
        now(),
    );
    let s2 = Uuid::new_v4();
    let o = apply_event(
        &c,
        o.record,
        &event(s2, 1, EventKind::Initialize, json!({"values": {}})),
        now(),
    );
    // A request of the ended session that arrives now is ignored.
    let stale = apply_event(
        &c,
        o.record.clone(),
        &event(s1, 9, EventKind::Commit, json!({"values": {}})),
        now(),
    );
    assert!(!stale.applied);
    assert!(stale.statements.is_empty());
}

#[test]
fn scorm_1_2_responses_scores_and_times_are_converted() {
    let c = ctx(true);
    let s = Uuid::new_v4();
    let o = apply_event(
        &c,
        ScoRecord::default(),
        &event(s, 1, EventKind::Initialize, json!({"values": {}})),
        now(),
    );
    let model = json!({
        "values": {
            "cmi.core.lesson_status": "passed", "cmi.core.score.raw": "80",
            "cmi.core.score.max": "100", "cmi.core.score.min": "0", "cmi.comments": "Good",
            "cmi.core.lesson_location": "4", "cmi.student_preference.audio": "50",
        },
        "objectives": [{"id": "o1", "status": "failed", "score.raw": "20"}],
        "interactions": [
            {"id": "tf", "type": "true-false", "student_response": "t", "result": "wrong", "latency": "0000:00:07.5", "correct_responses": ["f"]},
            {"id": "ch", "type": "choice", "student_response": "a,b", "result": "correct", "correct_responses": ["{a,b}"]},
            {"id": "mt", "type": "matching", "student_response": "1.a,2.b", "result": "neutral"},
            {"id": "odd", "type": "essay", "student_response": "x"}
        ],
        "totalTime": "0001:02:03.5",
    });
    let mut end = event(s, 2, EventKind::Terminate, model);
    end.session_time = Some("0000:01:30.5".into());
    let o = apply_event(&c, o.record, &end, now());
    all_valid(&o);
    assert_eq!(
        verbs(&o),
        [
            "responded",
            "responded",
            "responded",
            "responded",
            "failed",
            "commented",
            "scored",
            "completed",
            "passed",
            "terminated"
        ]
    );
    let r = |i: usize| &o.statements[i]["result"];
    assert_eq!(r(0)["response"], "true");
    assert_eq!(r(0)["success"], false);
    assert_eq!(r(0)["duration"], "PT0H0M7.5S");
    assert_eq!(
        o.statements[0]["object"]["definition"]["correctResponsesPattern"],
        json!(["false"])
    );
    assert_eq!(r(1)["response"], "a[,]b");
    assert_eq!(
        o.statements[1]["object"]["definition"]["correctResponsesPattern"],
        json!(["a[,]b"])
    );
    assert_eq!(r(2)["response"], "1[.]a[,]2[.]b");
    assert!(r(2).get("success").is_none());
    // An unknown type is reported without an interaction type.
    assert!(
        o.statements[3]["object"]["definition"]
            .get("interactionType")
            .is_none()
    );
    assert_eq!(r(4)["score"], json!({"scaled": 0.2, "raw": 20.0}));
    assert_eq!(
        r(6)["score"],
        json!({"scaled": 0.8, "raw": 80.0, "min": 0.0, "max": 100.0})
    );
    assert_eq!(
        r(9),
        &json!({"score": {"scaled": 0.8, "raw": 80.0, "min": 0.0, "max": 100.0},
                "success": true, "completion": true, "duration": "PT0H1M30.5S"})
    );
    let DocumentWrite::State { content, .. } = &o.documents[0] else {
        panic!()
    };
    let state: Value = serde_json::from_slice(content).unwrap();
    assert_eq!(state["total_time"], "PT1H2M3.5S");
    assert_eq!(state["location"], "4");
    assert_eq!(state["preferences"]["audio_level"], 50.0);

    // SCORM 1.2 keeps its data in the next attempt: what it reported stays reported.
    let s2 = Uuid::new_v4();
    let o2 = apply_event(
        &c,
        o.record.clone(),
        &event(s2, 1, EventKind::Initialize, json!({"values": {}})),
        now(),
    );
    assert_eq!(verbs(&o2), ["initialized"]);
    assert_eq!(o2.record.reported, o.record.reported);
    // Appended comments report only what was added.
    let more = json!({"values": {"cmi.comments": "Good Better", "cmi.core.lesson_status": "passed",
        "cmi.core.score.raw": "80", "cmi.core.score.max": "100", "cmi.core.score.min": "0"},
        "objectives": [{"id": "o1", "status": "failed", "score.raw": "20"}]});
    let o3 = apply_event(&c, o2.record, &event(s2, 2, EventKind::Commit, more), now());
    assert_eq!(verbs(&o3), ["commented"]);
    assert_eq!(o3.statements[0]["result"]["response"], "Better");
}

#[test]
fn scores_xapi_would_refuse_are_trimmed() {
    let c = ctx(false);
    let s = Uuid::new_v4();
    let model = json!({"values": {"cmi.score.raw": "150", "cmi.score.max": "100", "cmi.score.min": "0", "cmi.score.scaled": "1.5"}});
    let o = apply_event(
        &c,
        ScoRecord::default(),
        &event(s, 1, EventKind::Commit, model),
        now(),
    );
    all_valid(&o);
    assert_eq!(verbs(&o), ["initialized", "scored"]);
    assert_eq!(
        o.statements[1]["result"]["score"],
        json!({"min": 0.0, "max": 100.0})
    );
}

#[test]
fn records_saved_before_attempts_were_tracked_still_resume() {
    let bare = r#"{"values":{"cmi.core.exit":"suspend","cmi.suspend_data":"x"},"totalTime":"0000:00:10.00"}"#;
    let r = ScoRecord::from_stored(bare).unwrap();
    assert!(r.suspended());
    assert_eq!(r.state.unwrap()["values"]["cmi.suspend_data"], "x");
    let round = ScoRecord {
        attempt: Some(Uuid::from_u128(3)),
        ..ScoRecord::default()
    };
    let text = serde_json::to_string(&round).unwrap();
    assert_eq!(ScoRecord::from_stored(&text), Some(round));
}

fn objective(id: &str, primary: bool, target: &str, write: bool) -> SequencingObjective {
    SequencingObjective {
        id: Some(id.into()),
        primary,
        satisfied_by_measure: primary,
        min_normalized_measure: 0.8,
        maps: vec![ObjectiveMap {
            target: target.into(),
            read_satisfied_status: true,
            read_normalized_measure: true,
            write_satisfied_status: write,
            write_normalized_measure: write && primary,
        }],
    }
}

fn global_writes(o: &Outcome) -> Vec<(String, bool, Value)> {
    o.documents
        .iter()
        .filter_map(|d| match d {
            DocumentWrite::GlobalObjective {
                activity_id,
                registration,
                merge,
            } => Some((activity_id.clone(), *registration, merge.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn global_objectives_are_written_through_write_maps_and_read_back() {
    let mut c = ctx(false);
    c.objectives = vec![
        objective("mastery", true, "urn:g:course", true),
        objective("obj-2", false, "urn:g:two", true),
        objective("obj-3", false, "urn:g:three", false),
    ];
    let s = Uuid::new_v4();
    let model = json!({
        "values": {"cmi.score.scaled": "0.9"},
        "arrays": {"cmi.objectives": [
            {"id": "obj-2", "success_status": "failed", "score.scaled": "0.1"},
            {"id": "obj-3", "success_status": "passed"},
        ]},
        "evaluated": {"success": "passed"},
    });
    let o = apply_event(
        &c,
        ScoRecord::default(),
        &event(s, 1, EventKind::Commit, model.clone()),
        now(),
    );
    assert_eq!(
        global_writes(&o),
        [
            (
                c.iris.global_objective("urn:g:course"),
                false,
                json!({"satisfied": true, "measure": 0.9})
            ),
            (
                c.iris.global_objective("urn:g:two"),
                false,
                json!({"satisfied": false})
            ),
        ]
    );
    // Unchanged objectives are not written again.
    let again = apply_event(&c, o.record, &event(s, 2, EventKind::Commit, model), now());
    assert!(global_writes(&again).is_empty());
    // Objectives global to one registration only.
    c.objectives_global_to_system = false;
    let o = apply_event(
        &c,
        ScoRecord::default(),
        &event(
            Uuid::new_v4(),
            1,
            EventKind::Commit,
            json!({"values": {}, "evaluated": {"success": "failed"}}),
        ),
        now(),
    );
    assert_eq!(
        global_writes(&o),
        [(
            c.iris.global_objective("urn:g:course"),
            true,
            json!({"satisfied": false})
        )]
    );
}
