//! Launching cmi5 AUs and xAPI (Tin Can) packages, and the LMS side of cmi5.
//!
//! Such content speaks xAPI itself. Lara gives it an endpoint on the content origin and a
//! credential bound to the learner, the registration and the launch session
//! ([`lrs_core::auth::Binding`]):
//!
//! - **xAPI packages** get `endpoint`, `auth`, `actor`, `registration` and `activity_id` in the
//!   launch URL (the Tin Can launch convention).
//! - **cmi5 AUs** get `endpoint`, `fetch`, `actor`, `registration` and `activityId`; the fetch
//!   URL hands out the credential once. Before the launch Lara writes the `LMS.LaunchData`
//!   state document and a `launched` statement, and abandons the AU's previous session if it
//!   never terminated. While the session runs, the statements the AU writes are held to
//!   cmi5's rules ([`AuLauncher`] is the LRS's [`LaunchRules`]). When an AU's moveOn criteria
//!   are met (or it is waived), the blocks and the course that become complete get a
//!   `satisfied` statement.
//!
//! cmi5 wants LMS-made activity ids for AUs, blocks and the course, distinct from the
//! publisher's ids in the course structure; the publisher's id goes in `grouping`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use lara_package::Manifest;
use lara_package::cmi5::{Au, Cmi5Course, Cmi5Node, LangString, LaunchMethod, MoveOn};
use lrs_core::auth::{AUTHORITY_HOMEPAGE, Binding, Credential, Scope};
use lrs_core::binding::LaunchRules;
use lrs_core::documents::Preconditions;
use lrs_core::store::DocumentKey;
use lrs_core::{Lrs, LrsError, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use thiserror::Error;
use uuid::Uuid;
use xapi_model::version::XapiVersion;

use crate::activities::definition;
use crate::launch::LAUNCH_LIFETIME_HOURS;
use crate::sco_session::SessionLocks;
use crate::scorm_xapi::segment;
use crate::store::{AuSession, FetchClaim, LaunchStore, PackageStore, Registration};

pub const CMI5_CATEGORY: &str = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
pub const MOVEON_CATEGORY: &str = "https://w3id.org/xapi/cmi5/context/categories/moveon";
pub const SESSION_ID: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
const EXT_MASTERY: &str = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
const EXT_LAUNCH_MODE: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchmode";
const EXT_LAUNCH_URL: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchurl";
const EXT_MOVE_ON: &str = "https://w3id.org/xapi/cmi5/context/extensions/moveon";
const EXT_LAUNCH_PARAMETERS: &str =
    "https://w3id.org/xapi/cmi5/context/extensions/launchparameters";
pub const EXT_REASON: &str = "https://w3id.org/xapi/cmi5/result/extensions/reason";
pub const LAUNCH_DATA: &str = "LMS.LaunchData";
const TYPE_COURSE: &str = "https://w3id.org/xapi/cmi5/activitytype/course";
const TYPE_BLOCK: &str = "https://w3id.org/xapi/cmi5/activitytype/block";

const ADL: &str = "http://adlnet.gov/expapi/verbs/";
const W3ID_ADL: &str = "https://w3id.org/xapi/adl/verbs/";

fn verb_id(verb: &str) -> String {
    match verb {
        "abandoned" | "waived" | "satisfied" => format!("{W3ID_ADL}{verb}"),
        _ => format!("{ADL}{verb}"),
    }
}

/// The short name of a cmi5 verb IRI, if it is one.
fn cmi5_verb(id: &str) -> Option<&str> {
    let name = id.strip_prefix(ADL).or_else(|| id.strip_prefix(W3ID_ADL))?;
    matches!(
        name,
        "launched"
            | "initialized"
            | "completed"
            | "passed"
            | "failed"
            | "abandoned"
            | "waived"
            | "terminated"
            | "satisfied"
    )
    .then_some(name)
}

#[derive(Debug, Error)]
pub enum AuError {
    #[error("the package has no launchable unit {0}")]
    UnknownUnit(usize),
    #[error(
        "cmi5 identifies the learner by an account (cmi5 9.2); this registration's actor has none"
    )]
    ActorWithoutAccount,
    #[error("the AU {0} is already waived in this registration")]
    AlreadyWaived(String),
    #[error("no AU {0} in this course")]
    UnknownAu(String),
    #[error("this package is not a cmi5 course")]
    NotCmi5,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lrs(#[from] LrsError),
}

/// LMS-made activity ids of a cmi5 course (and of an xAPI package's launch, which keeps the
/// package's own ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmi5Iris {
    pub course: String,
}

impl Cmi5Iris {
    pub fn new(base: &str, package_id: Uuid) -> Self {
        Self {
            course: format!("{}/cmi5/{package_id}", base.trim_end_matches('/')),
        }
    }

    pub fn au(&self, publisher_id: &str) -> String {
        format!("{}/au/{}", self.course, segment(publisher_id))
    }

    pub fn block(&self, publisher_id: &str) -> String {
        format!("{}/block/{}", self.course, segment(publisher_id))
    }
}

/// Something the player can launch: a cmi5 AU, or an xAPI package's launch activity.
#[derive(Debug, Clone, Copy)]
pub enum Unit<'a> {
    Au(&'a Au),
    Xapi(&'a lara_package::tincan::TinCanActivity),
}

impl Unit<'_> {
    pub fn publisher_id(&self) -> &str {
        match self {
            Unit::Au(a) => &a.id,
            Unit::Xapi(a) => &a.id,
        }
    }

    pub fn title(&self) -> String {
        let strings = match self {
            Unit::Au(a) => &a.title,
            Unit::Xapi(a) => &a.name,
        };
        first_text(strings).unwrap_or_else(|| self.publisher_id().to_owned())
    }

    pub fn url(&self) -> &str {
        match self {
            Unit::Au(a) => &a.url,
            Unit::Xapi(a) => a.launch.as_deref().unwrap_or_default(),
        }
    }

    /// Whether the unit must have a window of its own (cmi5 `launchMethod="OwnWindow"`).
    pub fn own_window(&self) -> bool {
        matches!(self, Unit::Au(a) if a.launch_method == LaunchMethod::OwnWindow)
    }
}

fn first_text(strings: &LangString) -> Option<String> {
    strings.values().find(|t| !t.trim().is_empty()).cloned()
}

/// The launchable units of a cmi5 or xAPI package, in course order.
pub fn units(manifest: &Manifest) -> Vec<Unit<'_>> {
    match manifest {
        Manifest::Cmi5(c) => c.aus().into_iter().map(Unit::Au).collect(),
        Manifest::Xapi(t) => t.launchable().into_iter().map(Unit::Xapi).collect(),
        Manifest::Scorm(_) => Vec::new(),
    }
}

/// A session's progress, kept with the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionState {
    /// `cmi5` or `xapi`.
    pub kind: String,
    /// The activity id the unit was launched with.
    pub activity_id: String,
    pub publisher_id: String,
    #[serde(default)]
    pub launch_mode: String,
    #[serde(default)]
    pub mastery_score: Option<f64>,
    pub launched: Option<DateTime<Utc>>,
    /// The time of the last statement the AU wrote.
    #[serde(default)]
    pub last: Option<DateTime<Utc>>,
    #[serde(default)]
    pub initialized: bool,
    #[serde(default)]
    pub terminated: bool,
    #[serde(default)]
    pub abandoned: bool,
    /// cmi5-defined verbs the AU used in this session.
    #[serde(default)]
    pub verbs: BTreeSet<String>,
}

/// What a registration has achieved in each AU, and which blocks and the course were
/// reported satisfied. Kept in the launch store as the registration's item `cmi5:progress`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    #[serde(default)]
    pub aus: BTreeMap<String, AuProgress>,
    /// LMS activity ids of the blocks and course reported satisfied.
    #[serde(default)]
    pub satisfied: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuProgress {
    #[serde(default)]
    pub completed: bool,
    #[serde(default)]
    pub passed: bool,
    #[serde(default)]
    pub failed: bool,
    #[serde(default)]
    pub waived: bool,
}

const PROGRESS_ITEM: &str = "cmi5:progress";

/// Whether an AU's moveOn criteria are met (a waived AU's are).
pub fn au_satisfied(au: &Au, p: Option<&AuProgress>) -> bool {
    let p = p.cloned().unwrap_or_default();
    p.waived
        || match au.move_on {
            MoveOn::Passed => p.passed,
            MoveOn::Completed => p.completed,
            MoveOn::CompletedAndPassed => p.completed && p.passed,
            MoveOn::CompletedOrPassed => p.completed || p.passed,
            MoveOn::NotApplicable => true,
        }
}

fn node_satisfied(node: &Cmi5Node, progress: &Progress) -> bool {
    match node {
        Cmi5Node::Au(au) => au_satisfied(au, progress.aus.get(&au.id)),
        Cmi5Node::Block(b) => b.children.iter().all(|c| node_satisfied(c, progress)),
    }
}

/// The blocks and the course that are satisfied now and were not reported yet, innermost
/// first: (LMS id, publisher id, definition).
fn newly_satisfied(
    course: &Cmi5Course,
    iris: &Cmi5Iris,
    progress: &Progress,
) -> Vec<(String, String, Value)> {
    fn walk(
        nodes: &[Cmi5Node],
        iris: &Cmi5Iris,
        progress: &Progress,
        out: &mut Vec<(String, String, Value)>,
    ) {
        for n in nodes {
            if let Cmi5Node::Block(b) = n {
                walk(&b.children, iris, progress, out);
                let id = iris.block(&b.id);
                if !progress.satisfied.contains(&id) && node_satisfied(n, progress) {
                    out.push((
                        id,
                        b.id.clone(),
                        definition(&b.title, &b.description, Some(TYPE_BLOCK)),
                    ));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&course.children, iris, progress, &mut out);
    if !progress.satisfied.contains(&iris.course)
        && course.children.iter().all(|c| node_satisfied(c, progress))
    {
        out.push((
            iris.course.clone(),
            course.id.clone(),
            definition(&course.title, &course.description, Some(TYPE_COURSE)),
        ));
    }
    out
}

/// A unit launched: the URL to open and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedUnit {
    pub url: String,
    pub own_window: bool,
    pub session: Uuid,
}

/// What the fetch URL answers (always with status 200, as cmi5 says).
#[derive(Debug, Clone, PartialEq)]
pub enum FetchAnswer {
    Token(String),
    /// cmi5 8.2.3 error codes: 1 already used or expired, 2 unknown, 3 failure.
    Error(u8, String),
}

impl FetchAnswer {
    pub fn to_json(&self) -> Value {
        match self {
            FetchAnswer::Token(t) => json!({ "auth-token": t }),
            FetchAnswer::Error(code, text) => {
                json!({ "error-code": code.to_string(), "error-text": text })
            }
        }
    }
}

/// The player's side of launching cmi5 and xAPI content, and the cmi5 rules for the LRS.
pub struct AuLauncher {
    /// Writes the LMS's own statements and documents (no launch rules on it).
    pub lrs: Lrs,
    pub launches: Arc<dyn LaunchStore>,
    pub packages: Arc<dyn PackageStore>,
    /// The content origin as browsers reach it: the endpoint and fetch URLs are there.
    pub content_base: String,
    /// The base of LMS-made activity ids.
    pub activity_base: String,
    pub locks: Arc<SessionLocks>,
}

/// The authority of the LMS's own cmi5 statements.
fn lms_credential(now: DateTime<Utc>) -> Credential {
    Credential::internal(
        "lara-lms",
        "Lara",
        vec![Scope::StatementsWrite, Scope::State],
        json!({
            "objectType": "Agent",
            "name": "Lara",
            "account": { "homePage": AUTHORITY_HOMEPAGE, "name": "lara-lms" },
        }),
        now,
    )
}

fn duration_between(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let ms = (to - from).num_milliseconds().max(0);
    format!("PT{}.{:03}S", ms / 1000, ms % 1000)
}

fn has_account(actor: &Value) -> bool {
    actor.get("account").is_some_and(Value::is_object)
}

impl AuLauncher {
    fn iris(&self, registration: &Registration) -> Cmi5Iris {
        Cmi5Iris::new(&self.activity_base, registration.package_id)
    }

    async fn manifest(&self, registration: &Registration) -> Result<Manifest, AuError> {
        let version = self
            .packages
            .get_version(registration.version_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a registration's version is gone".into()))?;
        serde_json::from_str(&version.manifest)
            .map_err(|e| StoreError::Corrupt(format!("stored manifest: {e}")).into())
    }

    async fn store(&self, statements: Vec<Value>, now: DateTime<Utc>) -> Result<(), AuError> {
        if statements.is_empty() {
            return Ok(());
        }
        self.lrs
            .store_statements(
                &lms_credential(now),
                XapiVersion::V1_0_3,
                statements,
                Vec::new(),
                None,
            )
            .await?;
        Ok(())
    }

    /// A statement the LMS makes about the learner in a cmi5 session.
    #[allow(clippy::too_many_arguments)]
    fn lms_statement(
        registration: &Registration,
        verb: &str,
        object: Value,
        publisher_id: &str,
        session: Uuid,
        result: Option<Value>,
        move_on: bool,
        extensions: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Value {
        let actor: Value = serde_json::from_str(&registration.actor).unwrap_or(Value::Null);
        let mut category = vec![json!({ "objectType": "Activity", "id": CMI5_CATEGORY })];
        if move_on {
            category.push(json!({ "objectType": "Activity", "id": MOVEON_CATEGORY }));
        }
        let mut ext = extensions;
        ext.insert(SESSION_ID.into(), json!(session.to_string()));
        let mut s = Map::new();
        s.insert("id".into(), json!(Uuid::new_v4()));
        s.insert("actor".into(), actor);
        s.insert(
            "verb".into(),
            json!({ "id": verb_id(verb), "display": { "en-US": verb } }),
        );
        s.insert("object".into(), object);
        if let Some(r) = result {
            s.insert("result".into(), r);
        }
        s.insert(
            "context".into(),
            json!({
                "registration": registration.id,
                "contextActivities": {
                    "category": category,
                    "grouping": [{ "objectType": "Activity", "id": publisher_id }],
                },
                "extensions": ext,
            }),
        );
        s.insert(
            "timestamp".into(),
            json!(xapi_model::time::format_timestamp(now)),
        );
        Value::Object(s)
    }

    fn au_object(iris: &Cmi5Iris, au: &Au) -> Value {
        json!({
            "objectType": "Activity",
            "id": iris.au(&au.id),
            "definition": definition(
                &au.title,
                &au.description,
                au.activity_type.as_deref(),
            ),
        })
    }

    /// Launches unit `index` of the registration's package: a new session, with the launch URL.
    pub async fn start(
        &self,
        registration: &Registration,
        index: usize,
        now: DateTime<Utc>,
    ) -> Result<StartedUnit, AuError> {
        let manifest = self.manifest(registration).await?;
        let all = units(&manifest);
        let unit = *all.get(index).ok_or(AuError::UnknownUnit(index))?;
        let actor: Value = serde_json::from_str(&registration.actor).unwrap_or(Value::Null);
        if matches!(unit, Unit::Au(_)) && !has_account(&actor) {
            return Err(AuError::ActorWithoutAccount);
        }
        let lock = self
            .locks
            .lock(registration.id, &format!("au:{}", unit.publisher_id()));
        let _guard = lock.lock().await;
        let iris = self.iris(registration);
        let session = Uuid::new_v4();
        let expires = now + Duration::hours(LAUNCH_LIFETIME_HOURS);
        let secret = lrs_core::auth::random_token(43);
        let base = if unit.url().contains("://") {
            unit.url().to_owned()
        } else {
            format!(
                "{}/content/{}/{}",
                self.content_base.trim_end_matches('/'),
                registration.version_id,
                unit.url()
            )
        };
        let endpoint = format!("{}/xapi/", self.content_base.trim_end_matches('/'));
        // Launch parameters, URL-encoded at the end.
        let mut query: Vec<(&str, String)> = vec![("endpoint", endpoint)];
        let state = match unit {
            Unit::Au(au) => {
                self.abandon_open_sessions(registration, &iris, au, now)
                    .await?;
                self.evaluate(registration, session, now).await?;
                let activity_id = iris.au(&au.id);
                self.write_launch_data(registration, au, &activity_id, session)
                    .await?;
                let mut ext = Map::new();
                ext.insert(EXT_LAUNCH_MODE.into(), json!("Normal"));
                ext.insert(EXT_LAUNCH_URL.into(), json!(base));
                ext.insert(EXT_MOVE_ON.into(), json!(move_on_name(au.move_on)));
                if let Some(p) = &au.launch_parameters {
                    ext.insert(EXT_LAUNCH_PARAMETERS.into(), json!(p));
                }
                if let Some(m) = au.mastery_score {
                    ext.insert(EXT_MASTERY.into(), json!(m));
                }
                let launched = Self::lms_statement(
                    registration,
                    "launched",
                    Self::au_object(&iris, au),
                    &au.id,
                    session,
                    None,
                    false,
                    ext,
                    now,
                );
                self.store(vec![launched], now).await?;
                query.push((
                    "fetch",
                    format!(
                        "{}/cmi5/fetch/{secret}",
                        self.content_base.trim_end_matches('/')
                    ),
                ));
                query.push(("actor", actor.to_string()));
                query.push(("registration", registration.id.to_string()));
                query.push(("activityId", activity_id.clone()));
                SessionState {
                    kind: "cmi5".into(),
                    activity_id,
                    publisher_id: au.id.clone(),
                    launch_mode: "Normal".into(),
                    mastery_score: au.mastery_score,
                    launched: Some(now),
                    ..SessionState::default()
                }
            }
            Unit::Xapi(activity) => {
                // The Tin Can convention passes the credential itself in the URL.
                let credential = self.bound_credential(registration, session, now, expires);
                self.lrs
                    .store()
                    .create_credential(&credential.credential)
                    .await?;
                let auth = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    credential.credential.key, credential.secret
                ));
                query.push(("auth", format!("Basic {auth}")));
                query.push(("actor", actor.to_string()));
                query.push(("registration", registration.id.to_string()));
                query.push(("activity_id", activity.id.clone()));
                SessionState {
                    kind: "xapi".into(),
                    activity_id: activity.id.clone(),
                    publisher_id: activity.id.clone(),
                    launched: Some(now),
                    ..SessionState::default()
                }
            }
        };
        let state_text = serde_json::to_string(&state)
            .map_err(|e| StoreError::Backend(format!("encoding a session: {e}")))?;
        self.launches
            .add_au_session(AuSession {
                id: session,
                registration_id: registration.id,
                au: unit.publisher_id().to_owned(),
                fetch_hash: lrs_core::auth::hash_secret(&secret),
                // An xAPI launch has no fetch URL: its credential is in the URL already.
                fetched: matches!(unit, Unit::Xapi(_)).then_some(now),
                state: state_text,
                created: now,
                expires,
            })
            .await?;
        let separator = if base.contains('?') { '&' } else { '?' };
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        Ok(StartedUnit {
            url: format!("{base}{separator}{query}"),
            own_window: unit.own_window(),
            session,
        })
    }

    fn bound_credential(
        &self,
        registration: &Registration,
        session: Uuid,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> lrs_core::auth::NewCredential {
        let binding = Binding {
            agent: serde_json::from_str(&registration.actor).unwrap_or(Value::Null),
            agent_key: registration.actor_key.clone(),
            registration: registration.id,
            session,
        };
        Credential::generate_bound("launched content", binding, now, expires)
    }

    /// `LMS.LaunchData`, written before every launch of an AU.
    async fn write_launch_data(
        &self,
        registration: &Registration,
        au: &Au,
        activity_id: &str,
        session: Uuid,
    ) -> Result<(), AuError> {
        let mut data = Map::new();
        data.insert(
            "contextTemplate".into(),
            json!({
                "contextActivities": {
                    "grouping": [{ "objectType": "Activity", "id": au.id }],
                },
                "extensions": { SESSION_ID: session.to_string() },
            }),
        );
        data.insert("launchMode".into(), json!("Normal"));
        if let Some(p) = &au.launch_parameters {
            data.insert("launchParameters".into(), json!(p));
        }
        if let Some(m) = au.mastery_score {
            data.insert("masteryScore".into(), json!(m));
        }
        data.insert("moveOn".into(), json!(move_on_name(au.move_on)));
        if let Some(k) = &au.entitlement_key {
            data.insert("entitlementKey".into(), json!({ "courseStructure": k }));
        }
        let key = DocumentKey::State {
            activity_id: activity_id.to_owned(),
            agent: registration.actor_key.clone(),
            registration: Some(registration.id),
            state_id: LAUNCH_DATA.into(),
        };
        self.lrs
            .put_document(
                &key,
                "application/json",
                Value::Object(data).to_string().into_bytes(),
                &Preconditions::default(),
                XapiVersion::V1_0_3,
            )
            .await?;
        Ok(())
    }

    /// Ends the AU's earlier sessions that never terminated with an `abandoned` statement.
    async fn abandon_open_sessions(
        &self,
        registration: &Registration,
        iris: &Cmi5Iris,
        au: &Au,
        now: DateTime<Utc>,
    ) -> Result<(), AuError> {
        for old in self.launches.au_sessions(registration.id, &au.id).await? {
            let Ok(mut state) = serde_json::from_str::<SessionState>(&old.state) else {
                continue;
            };
            if state.kind != "cmi5" || state.terminated || state.abandoned {
                continue;
            }
            let from = state.launched.unwrap_or(old.created);
            let to = state.last.unwrap_or(from);
            let abandoned = Self::lms_statement(
                registration,
                "abandoned",
                Self::au_object(iris, au),
                &au.id,
                old.id,
                Some(json!({ "duration": duration_between(from, to) })),
                false,
                Map::new(),
                now,
            );
            self.store(vec![abandoned], now).await?;
            state.abandoned = true;
            let text = serde_json::to_string(&state)
                .map_err(|e| StoreError::Backend(format!("encoding a session: {e}")))?;
            self.launches.update_au_session(old.id, text).await?;
        }
        Ok(())
    }

    /// The fetch URL: the session's credential, once.
    pub async fn fetch(&self, secret: &str, now: DateTime<Utc>) -> Result<FetchAnswer, AuError> {
        let hash = lrs_core::auth::hash_secret(secret);
        let session = match self.launches.claim_fetch(&hash, now).await? {
            FetchClaim::Claimed(s) => s,
            FetchClaim::Spent => {
                return Ok(FetchAnswer::Error(
                    1,
                    "the authorization token has already been handed out, or the session has expired"
                        .into(),
                ));
            }
            FetchClaim::Unknown => {
                return Ok(FetchAnswer::Error(2, "unknown fetch URL".into()));
            }
        };
        let Some(registration) = self
            .launches
            .get_registration(session.registration_id)
            .await?
        else {
            return Ok(FetchAnswer::Error(3, "the registration is gone".into()));
        };
        let credential = self.bound_credential(&registration, session.id, now, session.expires);
        self.lrs
            .store()
            .create_credential(&credential.credential)
            .await?;
        Ok(FetchAnswer::Token(
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                credential.credential.key, credential.secret
            )),
        ))
    }

    async fn progress(&self, registration: Uuid) -> Result<Progress, AuError> {
        Ok(self
            .launches
            .load_state(registration, PROGRESS_ITEM)
            .await?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    async fn save_progress(
        &self,
        registration: Uuid,
        progress: &Progress,
        now: DateTime<Utc>,
    ) -> Result<(), AuError> {
        let text = serde_json::to_string(progress)
            .map_err(|e| StoreError::Backend(format!("encoding progress: {e}")))?;
        self.launches
            .save_state(registration, PROGRESS_ITEM, text, now)
            .await?;
        Ok(())
    }

    /// Reports the blocks and the course whose AUs are all satisfied now (as of `progress`),
    /// with `session` as the session id. Takes the registration's progress lock itself.
    pub async fn evaluate(
        &self,
        registration: &Registration,
        session: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), AuError> {
        self.update_progress(registration, session, now, |_| Ok(Vec::new()))
            .await
    }

    /// Changes a registration's progress under its lock, records the statements the change
    /// returns, then reports what became satisfied.
    async fn update_progress(
        &self,
        registration: &Registration,
        session: Uuid,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut Progress) -> Result<Vec<Value>, AuError>,
    ) -> Result<(), AuError> {
        let Manifest::Cmi5(course) = self.manifest(registration).await? else {
            return Ok(());
        };
        let lock = self.locks.lock(registration.id, PROGRESS_ITEM);
        let _guard = lock.lock().await;
        let mut progress = self.progress(registration.id).await?;
        let before = progress.clone();
        let mut statements = change(&mut progress)?;
        let iris = self.iris(registration);
        for (id, publisher_id, def) in newly_satisfied(&course, &iris, &progress) {
            statements.push(Self::lms_statement(
                registration,
                "satisfied",
                json!({ "objectType": "Activity", "id": id, "definition": def }),
                &publisher_id,
                session,
                None,
                false,
                Map::new(),
                now,
            ));
            progress.satisfied.insert(id);
        }
        self.store(statements, now).await?;
        if progress != before {
            self.save_progress(registration.id, &progress, now).await?;
        }
        Ok(())
    }

    /// Waives an AU for a registration (cmi5 9.3.7), with a reason such as `Tested Out`,
    /// `Equivalent AU`, `Equivalent Outside Activity` or `Administrative`.
    pub async fn waive(
        &self,
        registration: &Registration,
        publisher_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AuError> {
        let Manifest::Cmi5(course) = self.manifest(registration).await? else {
            return Err(AuError::NotCmi5);
        };
        let au = course
            .aus()
            .into_iter()
            .find(|a| a.id == publisher_id)
            .cloned()
            .ok_or_else(|| AuError::UnknownAu(publisher_id.to_owned()))?;
        let iris = self.iris(registration);
        // The LMS makes a session of its own for a waiver.
        let session = Uuid::new_v4();
        let waived = Self::lms_statement(
            registration,
            "waived",
            Self::au_object(&iris, &au),
            &au.id,
            session,
            Some(json!({
                "success": true,
                "completion": true,
                "extensions": { EXT_REASON: reason },
            })),
            true,
            Map::new(),
            now,
        );
        self.update_progress(registration, session, now, |p| {
            let entry = p.aus.entry(au.id.clone()).or_default();
            if entry.waived {
                return Err(AuError::AlreadyWaived(au.id.clone()));
            }
            entry.waived = true;
            Ok(vec![waived])
        })
        .await
    }

    /// The session a bound credential belongs to, and its progress.
    async fn session_of(&self, binding: &Binding) -> Result<(AuSession, SessionState), LrsError> {
        let session = self
            .launches
            .au_session(binding.session)
            .await?
            .ok_or_else(|| LrsError::Forbidden("this launch session is unknown".into()))?;
        let state = serde_json::from_str(&session.state)
            .map_err(|e| StoreError::Corrupt(format!("session state: {e}")))?;
        Ok((session, state))
    }
}

fn move_on_name(m: MoveOn) -> &'static str {
    match m {
        MoveOn::Passed => "Passed",
        MoveOn::Completed => "Completed",
        MoveOn::CompletedAndPassed => "CompletedAndPassed",
        MoveOn::CompletedOrPassed => "CompletedOrPassed",
        MoveOn::NotApplicable => "NotApplicable",
    }
}

fn reject(index: usize, count: usize, path: &str, message: &str) -> LrsError {
    let at = if count == 1 {
        format!("statement.{path}")
    } else {
        format!("statement[{index}].{path}")
    };
    LrsError::Invalid(vec![xapi_model::problem::Problem::new(at, message)])
}

fn has_category(s: &Value, id: &str) -> bool {
    s.pointer("/context/contextActivities/category")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter()
                .any(|a| a.get("id").and_then(Value::as_str) == Some(id))
        })
}

/// Applies an AU's statements to its session and the registration's progress of that AU,
/// refusing what cmi5 does not allow (cmi5 9.3 to 9.6). Statements are taken in the order
/// given (a batch is in the order the AU made them).
pub fn apply_statements(
    session: Uuid,
    state: &mut SessionState,
    au: &mut AuProgress,
    statements: &[&Value],
    now: DateTime<Utc>,
) -> Result<(), LrsError> {
    if state.abandoned {
        return Err(LrsError::Forbidden(
            "this AU session was abandoned; launch the AU again".into(),
        ));
    }
    let n = statements.len();
    for (i, s) in statements.iter().enumerate() {
        let fail = |path: &str, message: &str| reject(i, n, path, message);
        if state.terminated {
            return Err(LrsError::Forbidden(
                "this AU session has terminated; it takes no more statements".into(),
            ));
        }
        let defined = has_category(s, CMI5_CATEGORY);
        let verb = s
            .pointer("/verb/id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = cmi5_verb(verb);
        if !(state.initialized || (defined && name == Some("initialized"))) {
            return Err(fail(
                "verb",
                "the first statement of an AU session must be cmi5's initialized",
            ));
        }
        state.last = Some(now);
        if !defined {
            continue;
        }
        if s.pointer("/object/id").and_then(Value::as_str) != Some(state.activity_id.as_str()) {
            return Err(fail(
                "object.id",
                "must be the activityId the AU was launched with",
            ));
        }
        let session_ext = s
            .pointer("/context/extensions")
            .and_then(|e| e.get(SESSION_ID))
            .and_then(Value::as_str);
        if session_ext != Some(session.to_string().as_str()) {
            return Err(fail(
                "context.extensions",
                "must carry this session's id (https://w3id.org/xapi/cmi5/context/extensions/sessionid)",
            ));
        }
        let in_grouping = s
            .pointer("/context/contextActivities/grouping")
            .and_then(Value::as_array)
            .is_some_and(|g| {
                g.iter().any(|a| {
                    a.get("id").and_then(Value::as_str) == Some(state.publisher_id.as_str())
                })
            });
        if !in_grouping {
            return Err(fail(
                "context.contextActivities.grouping",
                "must hold the AU's publisher id from LMS.LaunchData's contextTemplate",
            ));
        }
        let result = s.get("result");
        let success = result.and_then(|r| r.get("success"));
        let completion = result.and_then(|r| r.get("completion"));
        let score = result.and_then(|r| r.get("score"));
        let duration = result.and_then(|r| r.get("duration"));
        let moveon = has_category(s, MOVEON_CATEGORY);
        if (success.is_some() || completion.is_some()) != moveon {
            return Err(fail(
                "context.contextActivities.category",
                "the moveOn category goes with, and only with, a result's success or completion",
            ));
        }
        let Some(name) = name else {
            return Err(fail(
                "verb",
                "is not a cmi5 verb, so this statement may not carry the cmi5 category",
            ));
        };
        let judged = matches!(name, "completed" | "passed" | "failed");
        if judged && state.launch_mode != "Normal" {
            return Err(fail(
                "verb",
                "in Browse and Review mode an AU records no completion or success",
            ));
        }
        if state.verbs.contains(name) {
            return Err(fail("verb", "is used once per session"));
        }
        if name == "completed" {
            if au.completed {
                return Err(fail("verb", "completed is recorded once per registration"));
            }
            if completion != Some(&Value::Bool(true)) || success.is_some() || score.is_some() {
                return Err(fail(
                    "result",
                    "completed has result.completion true and no success or score",
                ));
            }
        }
        if matches!(name, "passed" | "failed") {
            if state.verbs.contains("passed") || state.verbs.contains("failed") {
                return Err(fail("verb", "a session has one passed or failed"));
            }
            if au.passed {
                return Err(fail(
                    "verb",
                    "the AU was passed in this registration already",
                ));
            }
            if success != Some(&Value::Bool(name == "passed")) || completion.is_some() {
                return Err(fail(
                    "result.success",
                    "passed has success true, failed success false, and neither completion",
                ));
            }
            let scaled = score.and_then(|s| s.get("scaled")).and_then(Value::as_f64);
            if let (Some(scaled), Some(mastery)) = (scaled, state.mastery_score) {
                let consistent = if name == "passed" {
                    scaled >= mastery
                } else {
                    scaled < mastery
                };
                if !consistent {
                    return Err(fail(
                        "result.score.scaled",
                        "does not agree with the masteryScore of LMS.LaunchData",
                    ));
                }
            }
        }
        if matches!(name, "initialized" | "terminated")
            && (success.is_some() || completion.is_some() || score.is_some())
        {
            return Err(fail(
                "result",
                "initialized and terminated carry no success, completion or score",
            ));
        }
        if (judged || name == "terminated") && duration.is_none() {
            return Err(fail("result.duration", "is required for this cmi5 verb"));
        }
        match name {
            "initialized" => state.initialized = true,
            "terminated" => state.terminated = true,
            "completed" => au.completed = true,
            "passed" => au.passed = true,
            "failed" => au.failed = true,
            _ => {
                return Err(fail(
                    "verb",
                    "launched, abandoned, waived and satisfied are the LMS's verbs",
                ));
            }
        }
        state.verbs.insert(name.to_owned());
    }
    Ok(())
}

#[async_trait]
impl LaunchRules for AuLauncher {
    async fn check(&self, binding: &Binding, statements: &[&Value]) -> Result<(), LrsError> {
        let (session, mut state) = self.session_of(binding).await?;
        if state.kind != "cmi5" {
            return Ok(());
        }
        let progress = self
            .progress(binding.registration)
            .await
            .map_err(into_lrs)?;
        let mut au = progress
            .aus
            .get(&state.publisher_id)
            .cloned()
            .unwrap_or_default();
        apply_statements(session.id, &mut state, &mut au, statements, Utc::now())
    }

    async fn stored(&self, binding: &Binding, statements: &[&Value]) -> Result<(), LrsError> {
        let (session, mut state) = self.session_of(binding).await?;
        if state.kind != "cmi5" {
            return Ok(());
        }
        let now = Utc::now();
        let registration = self
            .launches
            .get_registration(binding.registration)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a session's registration is gone".into()))?;
        let publisher_id = state.publisher_id.clone();
        // The caller holds the session's lock; the registration's progress is changed under
        // its own lock, and what became satisfied is reported.
        self.update_progress(&registration, session.id, now, |p| {
            let au = p.aus.entry(publisher_id).or_default();
            apply_statements(session.id, &mut state, au, statements, now).map_err(AuError::from)?;
            Ok(Vec::new())
        })
        .await
        .map_err(into_lrs)?;
        let text = serde_json::to_string(&state)
            .map_err(|e| StoreError::Backend(format!("encoding a session: {e}")))?;
        self.launches.update_au_session(session.id, text).await?;
        Ok(())
    }

    fn may_write_state(&self, _binding: &Binding, state_id: &str) -> bool {
        state_id != LAUNCH_DATA
    }

    async fn session_lock(&self, binding: &Binding) -> Box<dyn Send> {
        let lock = self.locks.lock(
            binding.registration,
            &format!("session:{}", binding.session),
        );
        Box::new(lock.lock_owned().await)
    }
}

fn into_lrs(e: AuError) -> LrsError {
    match e {
        AuError::Lrs(l) => l,
        AuError::Store(s) => LrsError::Store(s),
        other => LrsError::Store(StoreError::Backend(other.to_string())),
    }
}
