//! A SCO's data model as sequencing input, and statements about the course's rolled-up status.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::Utc;
use player_core::sco_sequencing::content_report;
use player_core::scorm_xapi::{CourseIris, CourseRef, CourseStatus, course_statements};
use serde_json::json;
use uuid::Uuid;

#[test]
fn the_data_model_maps_to_the_tracking_model() {
    let state = json!({
        "values": {
            "cmi.completion_status": "completed",
            "cmi.success_status": "failed",
            "cmi.score.scaled": "0.45",
            "cmi.score.raw": "9",
            "cmi.score.min": "0",
            "cmi.score.max": "20",
            "cmi.progress_measure": "1",
        },
        "arrays": {
            "cmi.objectives": [
                { "id": "obj-a", "success_status": "passed", "score.scaled": "0.9",
                  "completion_status": "incomplete", "progress_measure": "0.5" },
                { "id": "obj-b", "success_status": "unknown" },
                { "success_status": "passed" },
            ],
        },
    });
    let r = content_report(&state);
    assert_eq!(r.completed, Some(true));
    assert_eq!(r.passed, Some(false));
    assert_eq!(r.score_scaled, Some(0.45));
    assert_eq!(
        (r.score_raw, r.score_min, r.score_max),
        (Some(9.0), Some(0.0), Some(20.0))
    );
    assert_eq!(r.progress_measure, Some(1.0));
    // An objective without an id cannot be matched and is left out.
    assert_eq!(r.objectives.len(), 2);
    assert_eq!(r.objectives[0].id, "obj-a");
    assert_eq!(r.objectives[0].passed, Some(true));
    assert_eq!(r.objectives[0].completed, Some(false));
    assert_eq!(r.objectives[0].score_scaled, Some(0.9));
    assert_eq!(r.objectives[0].progress_measure, Some(0.5));
    assert_eq!(r.objectives[1].passed, None);
    // Set to "unknown" by the SCO: reported, so it may clear a shared objective.
    assert!(r.objectives[1].success_reported && !r.objectives[1].completion_reported);
    assert!(r.completion_reported && r.success_reported);

    // "not attempted" is not completed; "unknown" and garbage are unknown.
    for (status, expected) in [
        ("not attempted", Some(false)),
        ("unknown", None),
        ("x", None),
    ] {
        let r = content_report(&json!({ "values": { "cmi.completion_status": status } }));
        assert_eq!(r.completed, expected, "{status}");
    }
    assert_eq!(content_report(&json!({})), Default::default());
}

#[test]
fn course_statements_report_each_change_once_per_attempt() {
    let actor = json!({ "mbox": "mailto:kari@example.com" });
    let iris = CourseIris::new("https://lara.example", Uuid::nil());
    let registration = Uuid::new_v4();
    let course = CourseRef {
        actor: &actor,
        registration,
        iris: &iris,
        title: "Onboarding",
    };
    let status = |completed, satisfied, attempts| CourseStatus {
        completed,
        satisfied,
        measure: Some(0.85),
        attempts,
    };
    let verbs = |before, after| -> Vec<String> {
        course_statements(&course, before, after, Utc::now())
            .iter()
            .map(|s| s["verb"]["display"]["en-US"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(verbs(status(None, None, 1), status(None, None, 1)).is_empty());
    assert_eq!(
        verbs(status(None, None, 1), status(Some(true), Some(true), 1)),
        ["completed", "passed"]
    );
    // Nothing new: nothing said.
    assert!(
        verbs(
            status(Some(true), Some(true), 1),
            status(Some(true), Some(true), 1)
        )
        .is_empty()
    );
    // Satisfied turned to not satisfied.
    assert_eq!(
        verbs(
            status(Some(true), Some(true), 1),
            status(Some(true), Some(false), 1)
        ),
        ["failed"]
    );
    // A new attempt on the course reports its outcome again.
    assert_eq!(
        verbs(
            status(Some(true), Some(true), 1),
            status(Some(true), Some(true), 2)
        ),
        ["completed", "passed"]
    );

    let s = &course_statements(
        &course,
        status(None, None, 1),
        status(None, Some(true), 1),
        Utc::now(),
    )[0];
    assert_eq!(s["object"]["id"], iris.course.as_str());
    assert_eq!(s["result"]["success"], true);
    assert_eq!(s["result"]["score"]["scaled"], 0.85);
    assert_eq!(s["context"]["registration"], registration.to_string());
    // The statements are valid xAPI.
    assert!(
        xapi_model::validate::validate_statement(s, player_core::scorm_xapi::STATEMENT_VERSION, "")
            .is_empty()
    );
}
