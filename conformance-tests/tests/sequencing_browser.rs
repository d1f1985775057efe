//! SCORM 2004 sequencing through Lara's player in Chromium: the sample courses of
//! `content-packages/scorm2004-seq-*`, each walked by a script of `player/browser-tests`
//! (`seq-*.mjs`) that asserts what the page shows, then checked here against what the LRS
//! recorded. They skip with a notice when Chromium, Node.js or the npm packages are missing,
//! except when `LARA_TEST_REQUIRE_BROWSER=1` (CI), where that is a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use conformance_tests::browser::{self, browser_available, registration_statements, verb};
use conformance_tests::{TestLrs, package_zip};
use serde_json::{Value, json};

/// Runs one test script off the async threads; its result must say `ok`.
async fn node(script: &'static str, args: Vec<String>) -> Value {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = browser::node(script, &args);
        assert_eq!(result["ok"], true, "{result}");
        result
    })
    .await
    .unwrap()
}

/// Imports a sample package, which must import without an error or a warning: its package id.
async fn import(lrs: &TestLrs, folder: &str) -> Value {
    let imported = lrs.import_package(package_zip(folder)).await;
    assert_eq!(
        imported["report"],
        json!({"errors": [], "warnings": []}),
        "{folder}: {imported}"
    );
    imported["packageId"].clone()
}

/// Registers a learner for an imported package: (launch URL, registration id).
async fn register(lrs: &TestLrs, package: &Value, name: &str) -> (String, String) {
    register_as(lrs, package, name, None).await
}

/// Registers a learner with the registration id given, if any. The id seeds selection and
/// randomization.
async fn register_as(
    lrs: &TestLrs,
    package: &Value,
    name: &str,
    registration: Option<&str>,
) -> (String, String) {
    let actor = json!({
        "objectType": "Agent",
        "name": name,
        "mbox": format!("mailto:{}@example.com", name.to_lowercase()),
    });
    lrs.register_learner(package, actor, registration).await
}

/// A Lara with the sample package imported (which is checked also where the browser part
/// is skipped), or `None` when the browser tests cannot run here.
async fn start(folder: &str) -> Option<(TestLrs, Value)> {
    let lrs = TestLrs::start(conformance_tests::Backend::Sqlite)
        .await
        .unwrap();
    let package = import(&lrs, folder).await;
    if !browser_available() {
        return None;
    }
    Some((lrs, package))
}

/// The items whose SCO sessions began, in order: the last segment of each session-opening
/// statement's object, which is `<course IRI>/<item identifier>`.
async fn opened(lrs: &TestLrs, registration: &str) -> Vec<String> {
    registration_statements(lrs, registration)
        .await
        .iter()
        .filter(|s| opens_session(s))
        .map(|s| {
            let id = s["object"]["id"].as_str().unwrap();
            id.rsplit('/').next().unwrap().to_owned()
        })
        .collect()
}

/// A SCO session's first statement: `initialized` for a new attempt, `resumed` for a
/// suspended one.
fn opens_session(s: &Value) -> bool {
    matches!(verb(s), "initialized" | "resumed")
}

/// The attempt of each SCO session, in order: the attempt activity (`...?attemptId=`) in the
/// grouping of each session's first statement.
async fn attempts(lrs: &TestLrs, registration: &str) -> Vec<String> {
    registration_statements(lrs, registration)
        .await
        .iter()
        .filter(|s| opens_session(s))
        .map(|s| {
            s["context"]["contextActivities"]["grouping"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|g| g["id"].as_str())
                .find(|id| id.contains("attemptId="))
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// The delivery log a script returned, as strings.
fn delivered(result: &Value) -> Vec<String> {
    result["delivered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect()
}

/// scorm2004-seq-linear: choice off, flow forward only; continuing past the last SCO ends the
/// course, completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linear_course_flows_forward_only_to_its_end() {
    let Some((lrs, package)) = start("scorm2004-seq-linear").await else {
        return;
    };
    let (url, registration) = register(&lrs, &package, "Lin").await;
    let result = node("seq-linear.mjs", vec![url]).await;
    assert_eq!(delivered(&result), ["part-1", "part-2", "part-3"]);
    assert_eq!(
        opened(&lrs, &registration).await,
        ["part-1", "part-2", "part-3"]
    );
    assert_eq!(result["course"]["completed"], true, "{result}");
}

/// scorm2004-seq-pretest: a passed pre-test skips the lessons (global objective, precondition
/// `skip`); a failed one does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passed_pretest_skips_the_lessons_and_a_failed_one_does_not() {
    let Some((lrs, package)) = start("scorm2004-seq-pretest").await else {
        return;
    };
    let (passing_url, passing) = register(&lrs, &package, "Pia").await;
    let (failing_url, failing) = register(&lrs, &package, "Finn").await;
    let result = node("seq-pretest.mjs", vec![passing_url, failing_url]).await;
    assert_eq!(delivered(&result["passing"]), ["pretest", "final-check"]);
    assert_eq!(opened(&lrs, &passing).await, ["pretest", "final-check"]);
    assert_eq!(
        opened(&lrs, &failing).await,
        ["pretest", "lesson-1", "lesson-2", "final-check"]
    );
}

/// scorm2004-seq-remediation: the quiz's exitParent lets the module's post-condition retry it
/// until the quiz is passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_quiz_retries_its_module_until_passed() {
    let Some((lrs, package)) = start("scorm2004-seq-remediation").await else {
        return;
    };
    let (url, registration) = register(&lrs, &package, "Rea").await;
    let result = node("seq-remediation.mjs", vec![url]).await;
    let order = ["lesson", "quiz", "lesson", "quiz", "wrap-up"];
    assert_eq!(delivered(&result), order);
    assert_eq!(opened(&lrs, &registration).await, order);
    // Each delivery was a new attempt of the SCO: its own attempt activity in the grouping.
    let mut distinct = attempts(&lrs, &registration).await;
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "{distinct:#?}");
    let statements = registration_statements(&lrs, &registration).await;
    let failed = statements.iter().filter(|s| verb(s) == "failed").count();
    assert!(failed >= 1, "no failed statement for the first quiz");
}

/// scorm2004-seq-random: two of five pool questions selected and ordered once; the same two
/// after a new launch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_random_selection_delivers_the_same_two_questions_of_five() {
    let Some((lrs, package)) = start("scorm2004-seq-random").await else {
        return;
    };
    let (url, registration) = register(&lrs, &package, "Rand").await;
    let result = node("seq-random.mjs", vec![url]).await;
    let selected: Vec<&str> = result["selected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let expected = [
        selected[0],
        selected[1],
        "results",
        selected[0],
        selected[1],
    ];
    assert_eq!(delivered(&result), expected);
    let opened = opened(&lrs, &registration).await;
    assert_eq!(opened, expected);
    let mut questions: Vec<&String> = opened
        .iter()
        .filter(|o| o.starts_with("question-"))
        .collect();
    questions.sort();
    questions.dedup();
    assert_eq!(questions.len(), 2, "{opened:?}");
}

/// The table of contents lists a randomized pool in the order flow delivers it. This
/// registration's seed makes the engine reorder the two questions it selects (question-5
/// before question-3): Lara's table of contents still lists them in manifest order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_randomized_pool_is_listed_in_the_order_it_is_delivered() {
    let Some((lrs, package)) = start("scorm2004-seq-random").await else {
        return;
    };
    let (url, _) = register_as(
        &lrs,
        &package,
        "Rory",
        Some("12ce68a1-7a06-409c-9f31-e834731c7efd"),
    )
    .await;
    let result = node("seq-random.mjs", vec![url, "toc-order".into()]).await;
    // The test means something only if this registration's draw reorders the questions.
    let selected: Vec<&str> = result["selected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut sorted = selected.clone();
    sorted.sort_unstable();
    assert_ne!(selected, sorted, "the draw did not reorder: {result}");
    assert_eq!(result["shown"], result["selected"], "{result}");
}

/// scorm2004-seq-global: module 2 is disabled until module 1's check satisfies the global
/// objective it reads; that survives new launches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_objective_written_in_module_1_opens_module_2() {
    let Some((lrs, package)) = start("scorm2004-seq-global").await else {
        return;
    };
    let (url, registration) = register(&lrs, &package, "Gil").await;
    let result = node("seq-global.mjs", vec![url]).await;
    let order = [
        "reading",
        "check",
        "check",
        "practice-a",
        "practice-a",
        "reading",
    ];
    assert_eq!(delivered(&result), order);
    assert_eq!(opened(&lrs, &registration).await, order);
    // Taking the check again is a new attempt of it.
    let attempts = attempts(&lrs, &registration).await;
    assert_ne!(attempts[1], attempts[2], "{attempts:#?}");
}

/// A learner who closed the browser comes back to the same attempt: the player resumes it
/// (`resume` in the answer, `cmi.entry` "resume", the data model kept), and the statements of
/// the new session name the same attempt (the recorder follows the entry the SCO was given).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_resumed_after_the_browser_was_closed_keeps_its_attempt() {
    let Some((lrs, package)) = start("scorm2004-seq-global").await else {
        return;
    };
    let (url, registration) = register(&lrs, &package, "Res").await;
    let result = node("seq-global.mjs", vec![url]).await;
    assert_eq!(result["entry"], "resume", "{result}");
    // Sessions 4 and 5 are practice-a before and after the new launch.
    let attempts = attempts(&lrs, &registration).await;
    assert_eq!(attempts[3], attempts[4], "{attempts:#?}");
}

/// scorm2004-seq-constrained: constrainChoice limits choice to the neighbours of the cluster
/// the learner is in; preventActivation keeps choice out of a cluster not yet begun.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constrained_choice_and_prevent_activation_limit_the_table_of_contents() {
    let Some((lrs, package)) = start("scorm2004-seq-constrained").await else {
        return;
    };
    let (url, registration) = register(&lrs, &package, "Con").await;
    let result = node("seq-constrained.mjs", vec![url]).await;
    let order = ["intro", "p1-a", "p2-b", "p4-a", "p4-b"];
    assert_eq!(delivered(&result), order);
    assert_eq!(opened(&lrs, &registration).await, order);
    assert_eq!(result["refused"], json!(["SB.2.9-8", "SB.2.9-6"]));
}
