//! Launching cmi5 courses and xAPI packages: the launch URL and its parameters, the one-time
//! fetch URL, `LMS.LaunchData`, the LMS's statements (launched, abandoned, satisfied, waived),
//! cmi5's rules for AU statements, and what a launch credential may and may not do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;

use conformance_tests::{TestLrs, basic, on_both_backends, package_zip};
use lrs_core::auth::Scope;
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

on_both_backends!(
    a_cmi5_course_launches_and_its_rules_hold,
    an_xapi_package_launches_with_a_credential_for_its_learner
);

const SESSION: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
const CMI5: &str = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
const MOVEON: &str = "https://w3id.org/xapi/cmi5/context/categories/moveon";
const LESSON: &str = "https://lara.example.org/test-courses/medication/lesson";
const TEST: &str = "https://lara.example.org/test-courses/medication/test";

struct Admin<'a> {
    lrs: &'a TestLrs,
    auth: String,
}

impl Admin<'_> {
    fn api(&self, path: &str) -> String {
        self.lrs.base.replace("/xapi", &format!("/api{path}"))
    }

    async fn import(&self, folder: &str) -> Value {
        let r = self
            .lrs
            .client
            .post(self.api("/packages"))
            .header("Authorization", &self.auth)
            .body(package_zip(folder))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    async fn register(&self, package: &Value, actor: &Value) -> Value {
        let r = self
            .lrs
            .client
            .post(self.api("/registrations"))
            .header("Authorization", &self.auth)
            .json(&json!({"actor": actor, "packageId": package["packageId"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    /// Statements of a registration with a verb, oldest first (read with Lara's own credential).
    async fn statements(&self, registration: &str, verb: &str) -> Vec<Value> {
        let verb = if ["abandoned", "waived", "satisfied"].contains(&verb) {
            format!("https://w3id.org/xapi/adl/verbs/{verb}")
        } else {
            format!("http://adlnet.gov/expapi/verbs/{verb}")
        };
        let r = self
            .lrs
            .req(Method::GET, "/statements")
            .query(&[
                ("registration", registration),
                ("verb", verb.as_str()),
                ("ascending", "true"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["statements"].as_array().unwrap().clone()
    }
}

/// A started unit: its launch parameters.
struct Started {
    params: HashMap<String, String>,
    session: String,
}

async fn start(lrs: &TestLrs, launch: &Value, unit: usize) -> reqwest::Response {
    let url = launch["launchUrl"].as_str().unwrap();
    lrs.client
        .post(format!("{url}units/{unit}"))
        .send()
        .await
        .unwrap()
}

async fn started(lrs: &TestLrs, launch: &Value, unit: usize) -> Started {
    let r = start(lrs, launch, unit).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let url = Url::parse(body["url"].as_str().unwrap()).unwrap();
    Started {
        params: url.query_pairs().into_owned().collect(),
        session: body["session"].as_str().unwrap().to_owned(),
    }
}

/// Content's view: its endpoint and the Authorization it was given.
struct Content<'a> {
    lrs: &'a TestLrs,
    endpoint: String,
    auth: String,
}

impl Content<'_> {
    fn req(&self, method: Method, resource: &str) -> reqwest::RequestBuilder {
        self.lrs
            .client
            .request(method, format!("{}{resource}", self.endpoint))
            .header("Authorization", &self.auth)
            .header("X-Experience-API-Version", "1.0.3")
    }

    async fn post(&self, statement: &Value) -> StatusCode {
        self.req(Method::POST, "statements")
            .json(statement)
            .send()
            .await
            .unwrap()
            .status()
    }
}

async fn fetch_token(lrs: &TestLrs, fetch: &str) -> Value {
    let r = lrs.client.post(fetch).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    r.json().await.unwrap()
}

/// A cmi5-defined statement of a session, as an AU makes it from LMS.LaunchData.
fn cmi5_statement(s: &Started, publisher: &str, verb: &str, result: Option<Value>) -> Value {
    let mut category = vec![json!({"id": CMI5})];
    if result
        .as_ref()
        .is_some_and(|r| r.get("success").is_some() || r.get("completion").is_some())
    {
        category.push(json!({"id": MOVEON}));
    }
    let mut st = json!({
        "actor": serde_json::from_str::<Value>(&s.params["actor"]).unwrap(),
        "verb": {"id": format!("http://adlnet.gov/expapi/verbs/{verb}")},
        "object": {"id": s.params["activityId"]},
        "context": {
            "registration": s.params["registration"],
            "contextActivities": {"grouping": [{"id": publisher}], "category": category},
            "extensions": {SESSION: s.session},
        },
        "timestamp": "2026-11-23T12:00:00Z",
    });
    if let Some(r) = result {
        st["result"] = r;
    }
    st
}

async fn a_cmi5_course_launches_and_its_rules_hold(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let admin = Admin {
        lrs,
        auth: basic(&key, &secret),
    };
    let package = admin.import("cmi5-medication").await;

    // cmi5 identifies learners by an account.
    let by_mail = admin
        .register(&package, &json!({"mbox": "mailto:ola@example.com"}))
        .await;
    assert_eq!(start(lrs, &by_mail, 0).await.status(), 409);

    let learner = json!({"objectType": "Agent", "name": "Ola",
        "account": {"homePage": "https://hr.example", "name": "e-1001"}});
    let launch = admin.register(&package, &learner).await;
    let registration = launch["registration"].as_str().unwrap().to_owned();
    let page = lrs
        .client
        .get(launch["launchUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Lesson: the five rights") && page.contains("\"cmi5\""));
    assert_eq!(start(lrs, &launch, 9).await.status(), 404);

    // The lesson: the launch parameters cmi5 names, with an LMS-made activity id.
    let lesson = started(lrs, &launch, 0).await;
    let endpoint = format!("{}/xapi/", lrs.content_base);
    assert_eq!(lesson.params["endpoint"], endpoint);
    assert_eq!(lesson.params["registration"], registration);
    assert_eq!(
        serde_json::from_str::<Value>(&lesson.params["actor"]).unwrap(),
        learner
    );
    let activity = lesson.params["activityId"].clone();
    assert_ne!(activity, LESSON);
    assert!(activity.contains("/cmi5/"), "{activity}");
    assert!(lesson.params["fetch"].starts_with(&format!("{}/cmi5/fetch/", lrs.content_base)));

    // LMS.LaunchData and the launched statement are there before the AU runs.
    let r = lrs
        .req(Method::GET, "/activities/state")
        .query(&[
            ("activityId", activity.as_str()),
            ("agent", &learner.to_string()),
            ("registration", &registration),
            ("stateId", "LMS.LaunchData"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let data: Value = r.json().await.unwrap();
    assert_eq!(data["launchMode"], "Normal");
    assert_eq!(data["moveOn"], "Completed");
    assert_eq!(
        data["contextTemplate"]["extensions"][SESSION],
        lesson.session
    );
    assert_eq!(
        data["contextTemplate"]["contextActivities"]["grouping"][0]["id"],
        LESSON
    );
    let launched = admin.statements(&registration, "launched").await;
    assert_eq!(launched.len(), 1);
    let ext = &launched[0]["context"]["extensions"];
    assert_eq!(ext[SESSION], lesson.session);
    assert_eq!(
        ext["https://w3id.org/xapi/cmi5/context/extensions/launchmode"],
        "Normal"
    );
    assert_eq!(
        ext["https://w3id.org/xapi/cmi5/context/extensions/moveon"],
        "Completed"
    );
    assert!(
        ext["https://w3id.org/xapi/cmi5/context/extensions/launchurl"]
            .as_str()
            .unwrap()
            .ends_with("/lesson/index.html")
    );
    assert_eq!(launched[0]["object"]["id"], activity);

    // The fetch URL: POST only, the token once, then error 1; an unknown one is error 2.
    let fetch = lesson.params["fetch"].clone();
    assert_eq!(lrs.client.get(&fetch).send().await.unwrap().status(), 405);
    let token = fetch_token(lrs, &fetch).await;
    let token = token["auth-token"].as_str().unwrap().to_owned();
    assert_eq!(fetch_token(lrs, &fetch).await["error-code"], "1");
    assert_eq!(
        fetch_token(lrs, &format!("{}/cmi5/fetch/made-up", lrs.content_base)).await["error-code"],
        "2"
    );
    let au = Content {
        lrs,
        endpoint: endpoint.clone(),
        auth: format!("Basic {token}"),
    };

    // The session's first statement must be initialized.
    let completed = cmi5_statement(
        &lesson,
        LESSON,
        "completed",
        Some(json!({"completion": true, "duration": "PT1M"})),
    );
    assert_eq!(au.post(&completed).await, 400);
    assert_eq!(
        au.post(&cmi5_statement(&lesson, LESSON, "initialized", None))
            .await,
        200
    );
    assert_eq!(
        au.post(&cmi5_statement(&lesson, LESSON, "initialized", None))
            .await,
        400,
        "initialized twice"
    );
    // Only the learner's statements, never a voiding one.
    let mut other = cmi5_statement(&lesson, LESSON, "experienced", None);
    other["actor"] = json!({"mbox": "mailto:someone@example.com"});
    assert_eq!(au.post(&other).await, 403);
    let mut void = cmi5_statement(&lesson, LESSON, "experienced", None);
    void["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/voided");
    void["object"] = json!({"objectType": "StatementRef", "id": launched[0]["id"]});
    assert_eq!(au.post(&void).await, 403);
    // A cmi5-allowed statement (no cmi5 category) is fine during the session.
    let mut allowed = cmi5_statement(&lesson, LESSON, "experienced", None);
    allowed["context"]["contextActivities"]
        .as_object_mut()
        .unwrap()
        .remove("category");
    allowed["object"]["id"] = json!(format!("{activity}/page-2"));
    assert_eq!(au.post(&allowed).await, 200);
    // cmi5's result rules: completed needs completion, a duration and the moveOn category.
    let no_duration = cmi5_statement(
        &lesson,
        LESSON,
        "completed",
        Some(json!({"completion": true})),
    );
    assert_eq!(au.post(&no_duration).await, 400);
    let mut no_moveon = completed.clone();
    no_moveon["context"]["contextActivities"]["category"] = json!([{"id": CMI5}]);
    assert_eq!(au.post(&no_moveon).await, 400);
    let mut wrong_session = completed.clone();
    wrong_session["context"]["extensions"][SESSION] = json!("another-session");
    assert_eq!(au.post(&wrong_session).await, 400);
    assert_eq!(au.post(&completed).await, 200);
    assert_eq!(au.post(&completed).await, 400, "completed twice");

    // LMS.LaunchData is the LMS's: the AU reads it and may not write it; its own state is fine.
    let state = |id: &str| {
        au.req(Method::PUT, "activities/state").query(&[
            ("activityId", activity.as_str()),
            ("agent", &learner.to_string()),
            ("registration", &registration),
            ("stateId", id),
        ])
    };
    let r = state("LMS.LaunchData")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = state("bookmark")
        .json(&json!({"page": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = au
        .req(Method::GET, "activities/state")
        .query(&[
            ("activityId", activity.as_str()),
            ("agent", &learner.to_string()),
            ("registration", &registration),
            ("stateId", "LMS.LaunchData"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Another learner's state is out of reach.
    let r = au
        .req(Method::GET, "activities/state")
        .query(&[
            ("activityId", activity.as_str()),
            ("agent", r#"{"mbox":"mailto:someone@example.com"}"#),
            ("stateId", "bookmark"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // It reads only statements about its learner.
    let stranger = json!({
        "actor": {"mbox": "mailto:someone@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": activity},
    });
    assert_eq!(lrs.post_statement(&stranger).await.status(), 200);
    let r = au
        .req(Method::GET, "statements")
        .query(&[("activity", activity.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen: Value = r.json().await.unwrap();
    let seen = seen["statements"].as_array().unwrap();
    assert!(!seen.is_empty());
    for s in seen {
        assert_eq!(s["actor"]["account"]["name"], "e-1001", "{s}");
    }

    // The lesson completed: its block (moveOn Completed) is satisfied, the course not yet.
    let satisfied = admin.statements(&registration, "satisfied").await;
    assert_eq!(satisfied.len(), 1, "{satisfied:#?}");
    assert_eq!(
        satisfied[0]["object"]["definition"]["type"],
        "https://w3id.org/xapi/cmi5/activitytype/block"
    );
    assert_eq!(
        satisfied[0]["context"]["extensions"][SESSION],
        lesson.session
    );
    assert_eq!(
        satisfied[0]["context"]["contextActivities"]["grouping"][0]["id"],
        "https://lara.example.org/test-courses/medication/learn"
    );
    let terminated = cmi5_statement(
        &lesson,
        LESSON,
        "terminated",
        Some(json!({"duration": "PT3M"})),
    );
    assert_eq!(au.post(&terminated).await, 200);
    assert_eq!(au.post(&allowed).await, 403, "after terminated");

    // The test: its score must agree with masteryScore 0.8; one passed or failed a session.
    let first = started(lrs, &launch, 1).await;
    let token = fetch_token(lrs, &first.params["fetch"]).await["auth-token"]
        .as_str()
        .unwrap()
        .to_owned();
    let test = Content {
        lrs,
        endpoint: endpoint.clone(),
        auth: format!("Basic {token}"),
    };
    let judged = |s: &Started, verb: &str, scaled: f64| {
        cmi5_statement(
            s,
            TEST,
            verb,
            Some(
                json!({"success": verb == "passed", "score": {"scaled": scaled}, "duration": "PT2M"}),
            ),
        )
    };
    assert_eq!(
        test.post(&cmi5_statement(&first, TEST, "initialized", None))
            .await,
        200
    );
    assert_eq!(test.post(&judged(&first, "passed", 0.5)).await, 400);
    assert_eq!(test.post(&judged(&first, "failed", 0.5)).await, 200);
    assert_eq!(test.post(&judged(&first, "passed", 0.9)).await, 400);

    // Launching the test again abandons the session that never terminated.
    let second = started(lrs, &launch, 1).await;
    let abandoned = admin.statements(&registration, "abandoned").await;
    assert_eq!(abandoned.len(), 1);
    assert_eq!(
        abandoned[0]["context"]["extensions"][SESSION],
        first.session
    );
    assert!(abandoned[0]["result"]["duration"].is_string());
    assert_eq!(
        test.post(&cmi5_statement(
            &first,
            TEST,
            "terminated",
            Some(json!({"duration": "PT1M"}))
        ))
        .await,
        403,
        "an abandoned session takes nothing more"
    );
    let token = fetch_token(lrs, &second.params["fetch"]).await["auth-token"]
        .as_str()
        .unwrap()
        .to_owned();
    let test = Content {
        lrs,
        endpoint,
        auth: format!("Basic {token}"),
    };
    // The first session's token does not work in the second session.
    assert_eq!(
        test.post(&cmi5_statement(&first, TEST, "initialized", None))
            .await,
        400
    );
    let batch = json!([
        cmi5_statement(&second, TEST, "initialized", None),
        judged(&second, "passed", 0.9),
        cmi5_statement(
            &second,
            TEST,
            "completed",
            Some(json!({"completion": true, "duration": "PT2M"}))
        ),
        cmi5_statement(
            &second,
            TEST,
            "terminated",
            Some(json!({"duration": "PT4M"}))
        ),
    ]);
    let r = test
        .req(Method::POST, "statements")
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Everything is met: the course is satisfied too, once.
    let satisfied = admin.statements(&registration, "satisfied").await;
    assert_eq!(satisfied.len(), 2, "{satisfied:#?}");
    assert_eq!(
        satisfied[1]["object"]["definition"]["type"],
        "https://w3id.org/xapi/cmi5/activitytype/course"
    );
    assert_eq!(
        satisfied[1]["context"]["extensions"][SESSION],
        second.session
    );

    // Waiving: once per AU and registration, with its reason.
    let waive = |registration: &str, body: Value| {
        lrs.client
            .post(admin.api(&format!("/registrations/{registration}/waive")))
            .header("Authorization", &admin.auth)
            .json(&body)
            .send()
    };
    let body = json!({"au": LESSON, "reason": "Administrative"});
    assert_eq!(
        waive(&registration, body.clone()).await.unwrap().status(),
        204
    );
    assert_eq!(
        waive(&registration, body.clone()).await.unwrap().status(),
        409
    );
    let unknown_au = json!({"au": "urn:no-such-au", "reason": "Administrative"});
    assert_eq!(
        waive(&registration, unknown_au).await.unwrap().status(),
        400
    );
    let nobody = uuid::Uuid::new_v4().to_string();
    assert_eq!(waive(&nobody, body).await.unwrap().status(), 404);
    let waived = admin.statements(&registration, "waived").await;
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["result"]["success"], true);
    assert_eq!(
        waived[0]["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/reason"],
        "Administrative"
    );
    assert_eq!(admin.statements(&registration, "satisfied").await.len(), 2);
}

async fn an_xapi_package_launches_with_a_credential_for_its_learner(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let admin = Admin {
        lrs,
        auth: basic(&key, &secret),
    };
    let package = admin.import("xapi-lifting").await;
    let learner = json!({"objectType": "Agent", "name": "Kari", "mbox": "mailto:kari@example.com"});
    let launch = admin.register(&package, &learner).await;
    let registration = launch["registration"].as_str().unwrap().to_owned();
    let unit = started(lrs, &launch, 0).await;
    for name in ["endpoint", "auth", "actor", "registration", "activity_id"] {
        assert!(unit.params.contains_key(name), "{name} missing");
    }
    assert_eq!(unit.params["registration"], registration);
    let content = Content {
        lrs,
        endpoint: unit.params["endpoint"].clone(),
        auth: unit.params["auth"].clone(),
    };
    let statement = json!({
        "actor": learner,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": unit.params["activity_id"]},
        "context": {"registration": registration},
    });
    assert_eq!(content.post(&statement).await, 200);
    let mut stranger = statement.clone();
    stranger["actor"] = json!({"mbox": "mailto:someone@example.com"});
    assert_eq!(content.post(&stranger).await, 403);
    let mut elsewhere = statement.clone();
    elsewhere["context"]["registration"] = json!(uuid::Uuid::new_v4());
    assert_eq!(content.post(&elsewhere).await, 403);
    // The credential is no administrator, and activity profiles are read-only to it.
    let r = lrs
        .client
        .get(admin.api("/packages"))
        .header("Authorization", &content.auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = content
        .req(Method::PUT, "activities/profile")
        .query(&[
            ("activityId", unit.params["activity_id"].as_str()),
            ("profileId", "p"),
        ])
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // What it wrote is the registration's, with the launch credential as authority.
    let completed = admin.statements(&registration, "completed").await;
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0]["actor"]["mbox"], "mailto:kari@example.com");
    assert_eq!(
        completed[0]["authority"]["account"]["homePage"],
        "urn:lara:credential"
    );
}
