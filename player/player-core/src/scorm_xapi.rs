//! SCORM run-time events as xAPI, following ADL's xAPI SCORM Profile.
//!
//! The player reports each SCO session to Lara as events (initialize, commit, terminate), each
//! carrying the SCO's whole data model. This module turns an event into what the profile asks
//! an LMS to record, without doing any I/O:
//!
//! - statements: `initialized` or `resumed` when a session opens; `completed`, `passed`,
//!   `failed`, `scored`, `progressed`, `responded` (interactions, with their definitions) and
//!   `commented` as the data model changes; `terminated` or `suspended` with the SCO's result
//!   and the session time when it closes. Each names the SCO, carries the registration, the
//!   course and the attempt in `grouping` and the profile in `category`.
//! - documents: the SCO's attempt list (activity state), the attempt's state, its suspend data,
//!   the SCO's activity profile and the learner's agent profile.
//!
//! The learner, registration and IRIs come from the server's registration, never from the
//! page, so content cannot write statements about anyone else. What was already reported is
//! kept in the [`ScoRecord`], so each change becomes one statement, whatever the number of
//! commits.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use xapi_model::version::XapiVersion;

/// The profile's activity, in every statement's `category`.
pub const PROFILE_ACTIVITY: &str = "https://w3id.org/xapi/scorm";
/// Activity state: the SCO's attempt IRIs.
pub const ACTIVITY_STATE_ID: &str = "https://w3id.org/xapi/scorm/activity-state";
/// State of one attempt (location, credit, mode, preferences, total time).
pub const ATTEMPT_STATE_ID: &str = "https://w3id.org/xapi/scorm/attempt-state";
/// The attempt's suspend data, as text.
pub const SUSPEND_DATA_ID: &str = "https://w3id.org/xapi/scorm/types/adl-suspend-data";
/// Activity profile of a SCO (launch data, thresholds, time limits).
pub const ACTIVITY_PROFILE_ID: &str = "https://w3id.org/xapi/scorm/activity-profile";
/// Agent profile of the learner (id, name).
pub const AGENT_PROFILE_ID: &str = "https://w3id.org/xapi/scorm/agent-profile";
/// Lara's state document of a SCORM 2004 global objective: `{"satisfied", "measure"}`.
pub const GLOBAL_OBJECTIVE_ID: &str = "urn:lara:state:scorm-global-objective";

const VERBS: &str = "http://adlnet.gov/expapi/verbs/";
const TYPE_COURSE: &str = "http://adlnet.gov/expapi/activities/course";
const TYPE_LESSON: &str = "http://adlnet.gov/expapi/activities/lesson";
const TYPE_ATTEMPT: &str = "http://adlnet.gov/expapi/activities/attempt";
const TYPE_OBJECTIVE: &str = "http://adlnet.gov/expapi/activities/objective";
const TYPE_INTERACTION: &str = "http://adlnet.gov/expapi/activities/cmi.interaction";
const TYPE_PROFILE: &str = "http://adlnet.gov/expapi/activities/profile";

/// Characters kept as they are in an IRI path segment made from a SCORM identifier.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// The activity IRIs of a SCORM package, which has none of its own. They are made from a base
/// the installation chooses and the package id (which new versions keep), as the profile
/// suggests: `<course>/<sco>`, `<sco>/interactions/<id>`, `<sco>/objectives/<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseIris {
    pub course: String,
    base: String,
}

impl CourseIris {
    pub fn new(base: &str, package_id: Uuid) -> Self {
        let base = base.trim_end_matches('/').to_owned();
        Self {
            course: format!("{base}/scorm/{package_id}"),
            base,
        }
    }

    /// A SCORM 2004 global objective (shared by every course that maps it).
    pub fn global_objective(&self, target: &str) -> String {
        format!("{}/scorm/objectives/{}", self.base, segment(target))
    }

    pub fn sco(&self, item: &str) -> String {
        format!("{}/{}", self.course, segment(item))
    }

    pub fn attempt(&self, item: &str, attempt: Uuid) -> String {
        format!("{}?attemptId={attempt}", self.sco(item))
    }

    pub fn interaction(&self, item: &str, id: &str) -> String {
        format!("{}/interactions/{}", self.sco(item), segment(id))
    }

    pub fn objective(&self, item: &str, id: &str) -> String {
        format!("{}/objectives/{}", self.sco(item), segment(id))
    }
}

/// What the statements of one SCO need to know about it, from the registration and manifest.
#[derive(Debug, Clone)]
pub struct ScoContext {
    /// The learner (xAPI agent) of the registration.
    pub actor: Value,
    pub registration: Uuid,
    pub iris: CourseIris,
    pub course_title: String,
    pub item: String,
    pub item_title: String,
    pub scorm12: bool,
    /// The SCO's activity profile (launch data, thresholds, time limits), written once per
    /// session.
    pub activity_profile: Map<String, Value>,
    /// SCORM 2004: the SCO's sequencing objectives, whose write maps update global objectives.
    pub objectives: Vec<lara_package::scorm::SequencingObjective>,
    /// SCORM 2004 `objectivesGlobalToSystem`: global objectives are the learner's across all
    /// registrations (else each registration has its own).
    pub objectives_global_to_system: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Initialize,
    Commit,
    Terminate,
}

/// One report from the player: a SCO session (a random id the page makes when it creates the
/// API), the event's number within the session, and the data model as the runtime holds it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeEvent {
    pub session: Uuid,
    pub seq: u64,
    pub event: EventKind,
    pub state: Value,
    /// The session time the SCO reported, given with `terminate` (the runtime has added it to
    /// the total by then).
    #[serde(default)]
    pub session_time: Option<String>,
    /// With `initialize`: the `cmi.entry` (`cmi.core.entry`) the player gave the SCO. "resume"
    /// continues the SCO's attempt, anything else begins a new one. The player decides it (for
    /// SCORM 2004, sequencing does), so the statements follow what the content was told.
    #[serde(default)]
    pub entry: Option<String>,
}

/// What has been reported as statements already, to report each change once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reported {
    #[serde(default)]
    pub completion: Option<String>,
    #[serde(default)]
    pub success: Option<String>,
    #[serde(default)]
    pub score: Option<Value>,
    #[serde(default)]
    pub progress: Option<String>,
    /// Interaction index → fingerprint of what was reported.
    #[serde(default)]
    pub interactions: BTreeMap<usize, String>,
    /// Objective id → fingerprint of its statuses and score.
    #[serde(default)]
    pub objectives: BTreeMap<String, String>,
    /// SCORM 2004: comments reported, by index; SCORM 1.2: the comments text.
    #[serde(default)]
    pub comments: BTreeMap<usize, String>,
    /// SHA-256 (hex) of the last suspend data written.
    #[serde(default)]
    pub suspend_data: Option<String>,
    /// Global objective → what was last written to it.
    #[serde(default)]
    pub globals: BTreeMap<String, String>,
}

/// How many finished sessions a record remembers, so that a late request of one is ignored.
const RECENT_SESSIONS: usize = 8;

/// Lara's record of one SCO for one registration: the data model the player resumes from, the
/// attempts, the open session and what was reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoRecord {
    /// The SCO's data model as the runtime last committed it.
    #[serde(default)]
    pub state: Option<Value>,
    #[serde(default)]
    pub attempt: Option<Uuid>,
    #[serde(default)]
    pub attempts: Vec<Uuid>,
    /// The open session (or the last one), and the number of its last event.
    #[serde(default)]
    pub session: Option<Uuid>,
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub open: bool,
    #[serde(default)]
    pub ended_sessions: Vec<Uuid>,
    #[serde(default)]
    pub reported: Reported,
}

impl ScoRecord {
    /// Reads a stored record. A record saved before attempts were tracked is the bare data
    /// model; it is taken as the state of a first attempt.
    pub fn from_stored(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        if value.get("values").is_some() && value.get("state").is_none() {
            return Some(ScoRecord {
                state: Some(value),
                ..ScoRecord::default()
            });
        }
        serde_json::from_value(value).ok()
    }

    /// Whether the SCO's last session ended (or was left) with a suspend.
    pub fn suspended(&self) -> bool {
        self.state.as_ref().is_some_and(|s| {
            let v = s.get("values");
            let exit = |k: &str| v.and_then(|v| v.get(k)).and_then(Value::as_str);
            exit("cmi.exit") == Some("suspend") || exit("cmi.core.exit") == Some("suspend")
        })
    }
}

/// A document write the profile asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentWrite {
    /// Replace a state document of the learner.
    State {
        activity_id: String,
        state_id: String,
        content_type: String,
        content: Vec<u8>,
    },
    /// Merge JSON properties into the SCO's activity profile.
    ActivityProfile { activity_id: String, merge: Value },
    /// Merge JSON properties into the learner's agent profile.
    AgentProfile { merge: Value },
    /// Merge `satisfied`/`measure` into a global objective's state (the learner's, and the
    /// registration's when `registration`).
    GlobalObjective {
        activity_id: String,
        registration: bool,
        merge: Value,
    },
}

/// What an event produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The record to store in place of the old one.
    pub record: ScoRecord,
    /// Statements in the order they happened.
    pub statements: Vec<Value>,
    pub documents: Vec<DocumentWrite>,
    /// False when the event was stale (an earlier event of a session, or one of a session that
    /// has ended) and changed nothing.
    pub applied: bool,
}

/// The version statements are written as: 1.0.3 is what every reporting tool reads.
pub const STATEMENT_VERSION: XapiVersion = XapiVersion::V1_0_3;

/// Applies one event to a SCO's record.
pub fn apply_event(
    ctx: &ScoContext,
    previous: ScoRecord,
    event: &RuntimeEvent,
    now: DateTime<Utc>,
) -> Outcome {
    let stale = match previous.session {
        Some(s) if s == event.session => event.seq <= previous.seq,
        _ => previous.ended_sessions.contains(&event.session),
    };
    if stale {
        return Outcome {
            record: previous,
            statements: Vec::new(),
            documents: Vec::new(),
            applied: false,
        };
    }
    let mut record = previous;
    let mut out = Vec::new();
    let mut documents = Vec::new();
    let opens = record.session != Some(event.session) || !record.open;
    if opens {
        if let Some(old) = record.session.filter(|s| *s != event.session) {
            record.ended_sessions.push(old);
            let excess = record.ended_sessions.len().saturating_sub(RECENT_SESSIONS);
            record.ended_sessions.drain(..excess);
        }
        // A suspended attempt resumes; anything else starts a new attempt. SCORM 1.2 keeps
        // its data model across attempts, so what was reported of it stays reported.
        let resume = record.attempt.is_some()
            && match event.entry.as_deref() {
                Some(entry) => entry == "resume",
                None => record.suspended(),
            };
        if !resume {
            let attempt = Uuid::new_v4();
            record.attempt = Some(attempt);
            record.attempts.push(attempt);
            if !ctx.scorm12 {
                record.reported = Reported::default();
            }
            let attempts: Vec<String> = record
                .attempts
                .iter()
                .map(|a| ctx.iris.attempt(&ctx.item, *a))
                .collect();
            documents.push(DocumentWrite::State {
                activity_id: ctx.iris.sco(&ctx.item),
                state_id: ACTIVITY_STATE_ID.into(),
                content_type: "application/json".into(),
                content: json!({ "attempts": attempts }).to_string().into_bytes(),
            });
        }
        record.session = Some(event.session);
        record.open = true;
        let attempt = record.attempt.unwrap_or_else(Uuid::new_v4);
        let b = Builder { ctx, attempt, now };
        out.push(b.about_sco(if resume { "resumed" } else { "initialized" }, None));
        if !ctx.activity_profile.is_empty() {
            documents.push(DocumentWrite::ActivityProfile {
                activity_id: ctx.iris.sco(&ctx.item),
                merge: Value::Object(ctx.activity_profile.clone()),
            });
        }
        // The learner as SCORM content sees them (cmi.learner_id, cmi.learner_name).
        let mut learner = Map::new();
        if let Some(id) = xapi_model::ifi::ifi_key(&ctx.actor) {
            learner.insert("learner_id".into(), Value::String(id));
        }
        if let Some(name) = ctx.actor.get("name").and_then(Value::as_str) {
            learner.insert("learner_name".into(), json!(name));
        }
        documents.push(DocumentWrite::AgentProfile {
            merge: Value::Object(learner),
        });
    }
    record.seq = event.seq;
    let attempt = record.attempt.unwrap_or_else(Uuid::new_v4);
    let b = Builder { ctx, attempt, now };
    let model = Model::new(&event.state, ctx.scorm12);
    if event.event != EventKind::Initialize {
        report_changes(&b, &model, &mut record.reported, &mut out);
        documents.extend(attempt_documents(
            ctx,
            attempt,
            &model,
            &mut record.reported,
        ));
        documents.extend(global_objective_writes(ctx, &model, &mut record.reported));
    }
    if event.event == EventKind::Terminate {
        let verb = if model.exit() == Some("suspend") {
            "suspended"
        } else {
            "terminated"
        };
        let mut result = model.overall_result();
        if let Some(d) = event
            .session_time
            .as_deref()
            .and_then(|t| duration(t, ctx.scorm12))
        {
            result.insert("duration".into(), Value::String(d));
        }
        out.push(b.about_sco(verb, non_empty(result)));
        record.open = false;
    }
    record.state = Some(event.state.clone());
    Outcome {
        record,
        statements: out,
        documents,
        applied: true,
    }
}

/// Reads the runtime's data model (see `player/runtime`), for either edition.
struct Model<'a> {
    state: &'a Value,
    scorm12: bool,
}

impl<'a> Model<'a> {
    fn new(state: &'a Value, scorm12: bool) -> Self {
        Self { state, scorm12 }
    }

    fn value(&self, name: &str) -> Option<&'a str> {
        self.state
            .get("values")
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    fn array(&self, name: &str) -> &'a [Value] {
        let list = if self.scorm12 {
            // SCORM 1.2 keeps "objectives" and "interactions" at the top.
            self.state.get(name.trim_start_matches("cmi."))
        } else {
            self.state.get("arrays").and_then(|a| a.get(name))
        };
        list.and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }

    fn exit(&self) -> Option<&'a str> {
        self.value(if self.scorm12 {
            "cmi.core.exit"
        } else {
            "cmi.exit"
        })
    }

    /// SCORM 1.2's lesson status, or SCORM 2004's statuses as the LMS evaluates them.
    fn completion(&self) -> Option<&'a str> {
        if self.scorm12 {
            return match self.value("cmi.core.lesson_status")? {
                "completed" | "passed" | "failed" => Some("completed"),
                "incomplete" | "browsed" => Some("incomplete"),
                _ => None,
            };
        }
        self.evaluated("completion", "cmi.completion_status")
            .filter(|s| matches!(*s, "completed" | "incomplete"))
    }

    fn success(&self) -> Option<&'a str> {
        if self.scorm12 {
            return self
                .value("cmi.core.lesson_status")
                .filter(|s| matches!(*s, "passed" | "failed"));
        }
        self.evaluated("success", "cmi.success_status")
            .filter(|s| matches!(*s, "passed" | "failed"))
    }

    fn evaluated(&self, key: &str, element: &str) -> Option<&'a str> {
        self.state
            .get("evaluated")
            .and_then(|e| e.get(key))
            .and_then(Value::as_str)
            .or_else(|| self.value(element))
    }

    fn score(&self) -> Option<Value> {
        if self.scorm12 {
            score_of(
                None,
                self.value("cmi.core.score.raw"),
                self.value("cmi.core.score.min"),
                self.value("cmi.core.score.max"),
                true,
            )
        } else {
            score_of(
                self.value("cmi.score.scaled"),
                self.value("cmi.score.raw"),
                self.value("cmi.score.min"),
                self.value("cmi.score.max"),
                false,
            )
        }
    }

    /// The SCO's result for `terminated` and `suspended`.
    fn overall_result(&self) -> Map<String, Value> {
        let mut r = Map::new();
        if let Some(s) = self.score() {
            r.insert("score".into(), s);
        }
        if let Some(s) = self.success() {
            r.insert("success".into(), Value::Bool(s == "passed"));
        }
        if let Some(c) = self.completion() {
            r.insert("completion".into(), Value::Bool(c == "completed"));
        }
        r
    }
}

fn number(s: Option<&str>) -> Option<f64> {
    s.and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite())
}

fn json_number(n: f64) -> Value {
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// An xAPI score from SCORM's parts, keeping only what xAPI accepts: `scaled` within -1..1,
/// `min` below `max`, `raw` between them. SCORM 1.2 has no scaled score; the profile reports
/// its raw score divided by 100 (when it lies in 0..100).
fn score_of(
    scaled: Option<&str>,
    raw: Option<&str>,
    min: Option<&str>,
    max: Option<&str>,
    scorm12: bool,
) -> Option<Value> {
    let mut s = Map::new();
    let (raw, mut min, mut max) = (number(raw), number(min), number(max));
    if let (Some(a), Some(b)) = (min, max)
        && a >= b
    {
        min = None;
        max = None;
    }
    let scaled = if scorm12 {
        raw.filter(|r| (0.0..=100.0).contains(r)).map(|r| r / 100.0)
    } else {
        number(scaled).filter(|v| (-1.0..=1.0).contains(v))
    };
    if let Some(v) = scaled {
        s.insert("scaled".into(), json_number(v));
    }
    if let Some(r) = raw
        && min.is_none_or(|m| r >= m)
        && max.is_none_or(|m| r <= m)
    {
        s.insert("raw".into(), json_number(r));
    }
    if let Some(m) = min {
        s.insert("min".into(), json_number(m));
    }
    if let Some(m) = max {
        s.insert("max".into(), json_number(m));
    }
    (!s.is_empty()).then_some(Value::Object(s))
}

fn non_empty(m: Map<String, Value>) -> Option<Value> {
    (!m.is_empty()).then_some(Value::Object(m))
}

/// A duration as ISO 8601: SCORM 2004 already gives one; SCORM 1.2 gives `HHHH:MM:SS.SS`.
fn duration(t: &str, scorm12: bool) -> Option<String> {
    if !scorm12 {
        return xapi_model::time::is_duration(t).then(|| t.to_owned());
    }
    let mut parts = t.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let h: u64 = h.parse().ok()?;
    let m: u64 = m.parse().ok()?;
    let s: f64 = s
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)?;
    Some(format!("PT{h}H{m}M{s}S"))
}

/// A SCORM 1.2 timespan or SCORM 2004 duration in seconds (for `max_time_allowed`).
pub fn duration_seconds(t: &str) -> Option<f64> {
    if let Some(iso) = t.strip_prefix('P') {
        return iso_seconds(iso);
    }
    let mut parts = t.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    let h: f64 = h.parse().ok()?;
    let m: f64 = m.parse().ok()?;
    let s: f64 = s.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

/// Seconds of an ISO 8601 duration after its `P` (a year taken as 365 days, a month as 30).
fn iso_seconds(iso: &str) -> Option<f64> {
    let (date, time) = iso.split_once('T').unwrap_or((iso, ""));
    let mut total = 0.0;
    for (part, units) in [
        (
            date,
            &[
                ('Y', 31_536_000.0),
                ('M', 2_592_000.0),
                ('W', 604_800.0),
                ('D', 86_400.0),
            ][..],
        ),
        (time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)][..]),
    ] {
        let mut rest = part;
        for (unit, seconds) in units {
            if let Some((n, tail)) = rest.split_once(*unit) {
                total += n.parse::<f64>().ok()? * seconds;
                rest = tail;
            }
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(total)
}

/// Makes the profile's statements for one SCO attempt.
struct Builder<'a> {
    ctx: &'a ScoContext,
    attempt: Uuid,
    now: DateTime<Utc>,
}

impl Builder<'_> {
    fn sco_activity(&self) -> Value {
        json!({
            "objectType": "Activity",
            "id": self.ctx.iris.sco(&self.ctx.item),
            "definition": {
                "name": { "und": title_or(&self.ctx.item_title, &self.ctx.item) },
                "type": TYPE_LESSON,
            },
        })
    }

    fn context(&self, with_parent: bool) -> Value {
        let course = json!({
            "objectType": "Activity",
            "id": self.ctx.iris.course,
            "definition": {
                "name": { "und": title_or(&self.ctx.course_title, "SCORM course") },
                "type": TYPE_COURSE,
            },
        });
        let attempt = json!({
            "objectType": "Activity",
            "id": self.ctx.iris.attempt(&self.ctx.item, self.attempt),
            "definition": {
                "name": { "und": format!("Attempt of {}", title_or(&self.ctx.item_title, &self.ctx.item)) },
                "type": TYPE_ATTEMPT,
            },
        });
        let profile = json!({
            "objectType": "Activity",
            "id": PROFILE_ACTIVITY,
            "definition": { "type": TYPE_PROFILE },
        });
        let mut activities = Map::new();
        if with_parent {
            activities.insert("parent".into(), json!([self.sco_activity()]));
        }
        activities.insert("grouping".into(), json!([course, attempt]));
        activities.insert("category".into(), json!([profile]));
        json!({
            "registration": self.ctx.registration,
            "contextActivities": activities,
        })
    }

    fn statement(
        &self,
        verb: &str,
        object: Value,
        result: Option<Value>,
        with_parent: bool,
    ) -> Value {
        let mut s = Map::new();
        s.insert("id".into(), json!(Uuid::new_v4()));
        s.insert("actor".into(), self.ctx.actor.clone());
        s.insert(
            "verb".into(),
            json!({ "id": format!("{VERBS}{verb}"), "display": { "en-US": verb } }),
        );
        s.insert("object".into(), object);
        if let Some(r) = result {
            s.insert("result".into(), r);
        }
        s.insert("context".into(), self.context(with_parent));
        s.insert(
            "timestamp".into(),
            Value::String(xapi_model::time::format_timestamp(self.now)),
        );
        Value::Object(s)
    }

    fn about_sco(&self, verb: &str, result: Option<Value>) -> Value {
        self.statement(verb, self.sco_activity(), result, false)
    }
}

fn title_or<'a>(title: &'a str, fallback: &'a str) -> &'a str {
    if title.trim().is_empty() {
        fallback
    } else {
        title
    }
}

/// Statements for what changed in the data model since the last report.
fn report_changes(b: &Builder<'_>, m: &Model<'_>, reported: &mut Reported, out: &mut Vec<Value>) {
    // Interactions first: they usually lead to the score and statuses of the same commit.
    for (index, i) in m.array("cmi.interactions").iter().enumerate() {
        let Some(st) = interaction_statement(b, i) else {
            continue;
        };
        let fingerprint = json!([
            i.get("id"),
            i.get("learner_response")
                .or_else(|| i.get("student_response")),
            i.get("result"),
            i.get("latency"),
        ])
        .to_string();
        if reported.interactions.get(&index) != Some(&fingerprint) {
            reported.interactions.insert(index, fingerprint);
            out.push(st);
        }
    }
    for o in m.array("cmi.objectives") {
        report_objective(b, o, m.scorm12, reported, out);
    }
    report_comments(b, m, reported, out);
    let score = m.score();
    if score.is_some() && score != reported.score {
        out.push(b.about_sco("scored", score.clone().map(|s| json!({ "score": s }))));
        reported.score = score;
    }
    if !m.scorm12
        && let Some(p) = m.value("cmi.progress_measure")
        && reported.progress.as_deref() != Some(p)
        && let Some(v) = number(Some(p)).filter(|v| (0.0..=1.0).contains(v))
    {
        reported.progress = Some(p.to_owned());
        out.push(b.about_sco(
            "progressed",
            Some(json!({ "score": { "scaled": json_number(v) } })),
        ));
    }
    let completion = m.completion().map(str::to_owned);
    if completion != reported.completion {
        if completion.as_deref() == Some("completed") {
            out.push(b.about_sco("completed", Some(json!({ "completion": true }))));
        }
        reported.completion = completion;
    }
    let success = m.success().map(str::to_owned);
    if success != reported.success {
        if let Some(s) = success.as_deref() {
            let mut r = Map::new();
            r.insert("success".into(), Value::Bool(s == "passed"));
            if let Some(score) = m.score() {
                r.insert("score".into(), score);
            }
            out.push(b.about_sco(s, Some(Value::Object(r))));
        }
        reported.success = success;
    }
}

fn field<'a>(record: &'a Value, name: &str) -> Option<&'a str> {
    record
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A SCORM 2004 `localized_string_type` without its `{lang=..}` prefix, and the language.
fn localized(s: &str) -> (&str, &str) {
    if let Some(rest) = s.strip_prefix("{lang=")
        && let Some(end) = rest.find('}')
        && let (Some(lang), Some(text)) = (rest.get(..end), rest.get(end + 1..))
        && xapi_model::validate::is_language_tag(lang)
    {
        return (lang, text);
    }
    ("und", s)
}

fn report_objective(
    b: &Builder<'_>,
    o: &Value,
    scorm12: bool,
    reported: &mut Reported,
    out: &mut Vec<Value>,
) {
    let Some(id) = field(o, "id") else {
        return;
    };
    let (success, completion) = if scorm12 {
        match field(o, "status") {
            Some(s @ ("passed" | "failed")) => (Some(s), None),
            Some("completed") => (None, Some("completed")),
            _ => (None, None),
        }
    } else {
        (
            field(o, "success_status").filter(|s| matches!(*s, "passed" | "failed")),
            field(o, "completion_status").filter(|s| *s == "completed"),
        )
    };
    let score = score_of(
        field(o, "score.scaled"),
        field(o, "score.raw"),
        field(o, "score.min"),
        field(o, "score.max"),
        scorm12,
    );
    let fingerprint = json!([success, completion, score]).to_string();
    if reported.objectives.get(id) == Some(&fingerprint) {
        return;
    }
    let before: Option<Value> = reported
        .objectives
        .get(id)
        .and_then(|f| serde_json::from_str(f).ok());
    let was = |i: usize| {
        before
            .as_ref()
            .and_then(|v| v.get(i))
            .cloned()
            .unwrap_or(Value::Null)
    };
    reported.objectives.insert(id.to_owned(), fingerprint);
    let mut definition = Map::new();
    let description = field(o, "description").map(localized);
    let (lang, name) = description.unwrap_or(("und", id));
    definition.insert("name".into(), json!({ lang: name }));
    definition.insert("type".into(), json!(TYPE_OBJECTIVE));
    let object = json!({
        "objectType": "Activity",
        "id": b.ctx.iris.objective(&b.ctx.item, id),
        "definition": definition,
    });
    if let Some(c) = completion
        && was(1) != json!(c)
    {
        out.push(b.statement(
            "completed",
            object.clone(),
            Some(json!({ "completion": true })),
            true,
        ));
    }
    if let Some(s) = success
        && was(0) != json!(s)
    {
        let mut r = Map::new();
        r.insert("success".into(), Value::Bool(s == "passed"));
        if let Some(sc) = &score {
            r.insert("score".into(), sc.clone());
        }
        out.push(b.statement(s, object, Some(Value::Object(r)), true));
    } else if let Some(sc) = &score
        && was(2) != *sc
    {
        out.push(b.statement("scored", object, Some(json!({ "score": sc })), true));
    }
}

fn report_comments(b: &Builder<'_>, m: &Model<'_>, reported: &mut Reported, out: &mut Vec<Value>) {
    if m.scorm12 {
        // SCORM 1.2 has one comments string that content appends to.
        let Some(text) = m.value("cmi.comments") else {
            return;
        };
        let before = reported.comments.get(&0).cloned().unwrap_or_default();
        if text == before {
            return;
        }
        let added = text.strip_prefix(before.as_str()).unwrap_or(text).trim();
        if !added.is_empty() {
            out.push(b.about_sco("commented", Some(json!({ "response": added }))));
        }
        reported.comments.insert(0, text.to_owned());
        return;
    }
    for (index, c) in m.array("cmi.comments_from_learner").iter().enumerate() {
        let Some(comment) = field(c, "comment") else {
            continue;
        };
        let fingerprint = json!([comment, c.get("location"), c.get("timestamp")]).to_string();
        if reported.comments.get(&index) == Some(&fingerprint) {
            continue;
        }
        reported.comments.insert(index, fingerprint);
        let (_, text) = localized(comment);
        out.push(b.about_sco("commented", Some(json!({ "response": text }))));
    }
}

/// xAPI's interaction types are SCORM 2004's; SCORM 1.2 has the same names for its subset.
const INTERACTION_TYPES: [&str; 10] = [
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
];

/// A SCORM 1.2 response or pattern in SCORM 2004's (and xAPI's) notation.
fn response_2004(kind: &str, value: &str) -> String {
    match kind {
        "true-false" => match value {
            "t" | "1" | "true" => "true".into(),
            "f" | "0" | "false" => "false".into(),
            other => other.into(),
        },
        "choice" | "sequencing" => value
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("[,]"),
        "matching" => value
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .map(|pair| pair.trim().replacen('.', "[.]", 1))
            .collect::<Vec<_>>()
            .join("[,]"),
        _ => value.into(),
    }
}

fn interaction_statement(b: &Builder<'_>, i: &Value) -> Option<Value> {
    let scorm12 = b.ctx.scorm12;
    let id = field(i, "id")?;
    let response = field(
        i,
        if scorm12 {
            "student_response"
        } else {
            "learner_response"
        },
    );
    let outcome = field(i, "result");
    // An interaction is reported once the learner has answered.
    if response.is_none() && outcome.is_none() {
        return None;
    }
    let kind = field(i, "type").filter(|t| INTERACTION_TYPES.contains(t));
    let mut definition = Map::new();
    definition.insert("type".into(), json!(TYPE_INTERACTION));
    if let Some(d) = field(i, "description") {
        let (lang, text) = localized(d);
        definition.insert("description".into(), json!({ lang: text }));
    }
    if let Some(k) = kind {
        definition.insert("interactionType".into(), json!(k));
        let patterns: Vec<String> = i
            .get("correct_responses")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|p| p.as_str().or_else(|| p.get("pattern")?.as_str()))
                    .map(|p| {
                        if scorm12 {
                            response_2004(k, p)
                        } else {
                            p.to_owned()
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !patterns.is_empty() {
            definition.insert("correctResponsesPattern".into(), json!(patterns));
        }
    }
    let mut result = Map::new();
    if let Some(r) = response {
        let r = match (scorm12, kind) {
            (true, Some(k)) => response_2004(k, r),
            _ => r.to_owned(),
        };
        result.insert("response".into(), Value::String(r));
    }
    match outcome {
        Some("correct") => {
            result.insert("success".into(), Value::Bool(true));
        }
        Some("wrong" | "incorrect") => {
            result.insert("success".into(), Value::Bool(false));
        }
        _ => {}
    }
    if let Some(d) = field(i, "latency").and_then(|l| duration(l, scorm12)) {
        result.insert("duration".into(), Value::String(d));
    }
    let object = json!({
        "objectType": "Activity",
        "id": b.ctx.iris.interaction(&b.ctx.item, id),
        "definition": definition,
    });
    Some(b.statement("responded", object, non_empty(result), true))
}

/// The attempt's state document, and its suspend data when that changed.
fn attempt_documents(
    ctx: &ScoContext,
    attempt: Uuid,
    m: &Model<'_>,
    reported: &mut Reported,
) -> Vec<DocumentWrite> {
    let attempt_iri = ctx.iris.attempt(&ctx.item, attempt);
    let mut state = Map::new();
    state.insert("credit".into(), json!("credit"));
    state.insert("mode".into(), json!("normal"));
    let (location, prefs) = if m.scorm12 {
        (
            "cmi.core.lesson_location",
            [
                ("audio_level", "cmi.student_preference.audio"),
                ("language", "cmi.student_preference.language"),
                ("delivery_speed", "cmi.student_preference.speed"),
                ("audio_captioning", "cmi.student_preference.text"),
            ],
        )
    } else {
        (
            "cmi.location",
            [
                ("audio_level", "cmi.learner_preference.audio_level"),
                ("language", "cmi.learner_preference.language"),
                ("delivery_speed", "cmi.learner_preference.delivery_speed"),
                (
                    "audio_captioning",
                    "cmi.learner_preference.audio_captioning",
                ),
            ],
        )
    };
    if let Some(l) = m.value(location) {
        state.insert("location".into(), json!(l));
    }
    let mut preferences = Map::new();
    for (key, element) in prefs {
        if let Some(v) = m.value(element) {
            let v = if key == "language" {
                json!(v)
            } else {
                number(Some(v)).map_or_else(|| json!(v), json_number)
            };
            preferences.insert(key.into(), v);
        }
    }
    if !preferences.is_empty() {
        state.insert("preferences".into(), Value::Object(preferences));
    }
    if let Some(t) = m
        .state
        .get("totalTime")
        .and_then(Value::as_str)
        .and_then(|t| duration(t, m.scorm12))
    {
        state.insert("total_time".into(), json!(t));
    }
    let mut out = vec![DocumentWrite::State {
        activity_id: attempt_iri.clone(),
        state_id: ATTEMPT_STATE_ID.into(),
        content_type: "application/json".into(),
        content: Value::Object(state).to_string().into_bytes(),
    }];
    let suspend = m.value("cmi.suspend_data").unwrap_or_default();
    let hash = hex::encode(Sha256::digest(suspend.as_bytes()));
    if reported.suspend_data.is_some() || !suspend.is_empty() {
        if reported.suspend_data.as_deref() == Some(hash.as_str()) {
            return out;
        }
        reported.suspend_data = Some(hash);
        out.push(DocumentWrite::State {
            activity_id: attempt_iri,
            state_id: SUSPEND_DATA_ID.into(),
            content_type: "text/plain; charset=utf-8".into(),
            content: suspend.as_bytes().to_vec(),
        });
    }
    out
}

/// What the SCO's objectives write to global objectives (SCORM 2004 `mapInfo` with
/// `writeSatisfiedStatus` / `writeNormalizedMeasure`), when it changed. The primary objective
/// is the SCO's own status and scaled score; the others are `cmi.objectives` records.
fn global_objective_writes(
    ctx: &ScoContext,
    m: &Model<'_>,
    reported: &mut Reported,
) -> Vec<DocumentWrite> {
    let mut out = Vec::new();
    if ctx.scorm12 {
        return out;
    }
    let record_of = |id: Option<&str>| {
        let id = id?;
        m.array("cmi.objectives")
            .iter()
            .find(|r| field(r, "id") == Some(id))
    };
    for o in &ctx.objectives {
        let (success, measure) = match record_of(o.id.as_deref()) {
            Some(record) if !o.primary => (
                field(record, "success_status").filter(|s| matches!(*s, "passed" | "failed")),
                number(field(record, "score.scaled")),
            ),
            None if !o.primary => continue,
            _ => (m.success(), number(m.value("cmi.score.scaled"))),
        };
        for map in &o.maps {
            let mut merge = Map::new();
            if map.write_satisfied_status
                && let Some(s) = success
            {
                merge.insert("satisfied".into(), Value::Bool(s == "passed"));
            }
            if map.write_normalized_measure
                && let Some(v) = measure.filter(|v| (-1.0..=1.0).contains(v))
            {
                merge.insert("measure".into(), json_number(v));
            }
            if merge.is_empty() {
                continue;
            }
            let fingerprint = Value::Object(merge.clone()).to_string();
            if reported.globals.get(&map.target) == Some(&fingerprint) {
                continue;
            }
            reported.globals.insert(map.target.clone(), fingerprint);
            out.push(DocumentWrite::GlobalObjective {
                activity_id: ctx.iris.global_objective(&map.target),
                registration: !ctx.objectives_global_to_system,
                merge: Value::Object(merge),
            });
        }
    }
    out
}

/// A learner's course: who, which registration, and the course's activity.
#[derive(Debug, Clone, Copy)]
pub struct CourseRef<'a> {
    pub actor: &'a Value,
    pub registration: Uuid,
    pub iris: &'a CourseIris,
    pub title: &'a str,
}

/// A SCORM 2004 course's rolled-up status, as sequencing last computed it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseStatus {
    pub completed: Option<bool>,
    pub satisfied: Option<bool>,
    pub measure: Option<f64>,
    /// Attempts on the course (the root activity).
    pub attempts: u32,
}

/// Statements about the course itself when its rolled-up status changes: `completed`,
/// `passed` or `failed`, with the course's score. A new attempt on the course starts from
/// unknown, so finishing it again is reported again.
pub fn course_statements(
    course: &CourseRef<'_>,
    before: CourseStatus,
    after: CourseStatus,
    now: DateTime<Utc>,
) -> Vec<Value> {
    let CourseRef {
        actor,
        registration,
        iris,
        title: course_title,
    } = *course;
    let before = if before.attempts == after.attempts {
        before
    } else {
        CourseStatus::default()
    };
    let score = after
        .measure
        .filter(|m| (-1.0..=1.0).contains(m))
        .map(|m| json!({ "scaled": m }));
    let statement = |verb: &str, result: Value| {
        json!({
            "id": Uuid::new_v4(),
            "actor": actor,
            "verb": { "id": format!("{VERBS}{verb}"), "display": { "en-US": verb } },
            "object": {
                "objectType": "Activity",
                "id": iris.course,
                "definition": {
                    "name": { "und": title_or(course_title, "SCORM course") },
                    "type": TYPE_COURSE,
                },
            },
            "result": result,
            "context": {
                "registration": registration,
                "contextActivities": {
                    "category": [{
                        "objectType": "Activity",
                        "id": PROFILE_ACTIVITY,
                        "definition": { "type": TYPE_PROFILE },
                    }],
                },
            },
            "timestamp": xapi_model::time::format_timestamp(now),
        })
    };
    let mut out = Vec::new();
    if after.completed == Some(true) && before.completed != Some(true) {
        out.push(statement("completed", json!({ "completion": true })));
    }
    if let Some(success) = after.satisfied.filter(|s| before.satisfied != Some(*s)) {
        let mut result = json!({ "success": success });
        if let (Some(s), Some(map)) = (&score, result.as_object_mut()) {
            map.insert("score".into(), s.clone());
        }
        out.push(statement(if success { "passed" } else { "failed" }, result));
    }
    out
}
