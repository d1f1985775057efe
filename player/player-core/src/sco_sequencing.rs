//! A registration's SCORM 2004 sequencing: the engine's state kept in the launch store, the
//! SCOs' run-time data taken into it, and navigation requests from the player page or the
//! content (`adl.nav.request`) answered with what to deliver and what the learner may do next.

use lara_package::scorm::ScormManifest;
use lara_sequencing::{
    ActivityId, ContentReport, Controls, Exception, NavigationRequest, ObjectiveReport, Outcome,
    Sequencer, SequencingState, TocEntry, Tree,
};
use lrs_core::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use uuid::Uuid;

use crate::sco_session::SessionLocks;
pub use crate::scorm_xapi::CourseStatus;
use crate::sequencing::{SequencingSetupError, activity_tree};
use crate::store::LaunchStore;
pub use lara_sequencing::state::GlobalObjective;

/// The launch-store key of a registration's sequencing state. Item identifiers are xs:ID
/// values, which cannot contain ':', so it never names an item.
pub const SEQUENCING_KEY: &str = "lara:sequencing";

#[derive(Debug, Error)]
pub enum SequencingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Setup(#[from] SequencingSetupError),
    #[error(transparent)]
    Lrs(#[from] lrs_core::LrsError),
    #[error("unknown navigation request {0:?}")]
    UnknownRequest(String),
    #[error("no activity {0:?} in this course")]
    UnknownActivity(String),
    #[error("stored sequencing state is unreadable: {0}")]
    Corrupt(String),
}

/// A navigation request as the player page sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestByName {
    /// `start`, `resumeAll`, `continue`, `previous`, `choice`, `jump`, `exit`, `exitAll`,
    /// `abandon`, `abandonAll` or `suspendAll`; or an `adl.nav.request` value such as
    /// `{target=intro}choice`.
    pub request: String,
    #[serde(default)]
    pub target: Option<String>,
}

/// What the learner may do, for the player's buttons, table of contents and
/// `adl.nav.request_valid.*`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SequencingView {
    pub controls: Controls,
    pub toc: Vec<TocEntry>,
    /// Activities a choice request would deliver now (`request_valid.choice`).
    pub choice: Vec<String>,
    /// Activities a jump request may target (`request_valid.jump`).
    pub jump: Vec<String>,
    /// The current activity's identifier.
    pub current: Option<String>,
    /// The course's rolled-up status (the root activity).
    pub course: CourseStatus,
}

fn course_status(s: &Sequencer<'_>) -> CourseStatus {
    let root = s.tree().root();
    let primary = s.primary_index(root);
    CourseStatus {
        completed: s.attempt_completed(root),
        satisfied: primary.and_then(|o| s.objective_satisfied(root, o)),
        measure: primary.and_then(|o| s.objective_measure(root, o)),
        attempts: s.activity_state(root).attempts,
    }
}

/// The answer to a navigation request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NavigationAnswer {
    /// The item to launch now.
    pub deliver: Option<String>,
    /// The launch resumes a suspended attempt (`cmi.entry = resume`).
    pub resume: bool,
    pub session_ended: bool,
    pub exception: Option<Exception>,
    pub view: SequencingView,
}

/// The stored form: the engine's state and the SCO sessions whose time is counted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Stored {
    state: Option<SequencingState>,
    timed_sessions: Vec<Uuid>,
}

/// The selection and randomization seed of a registration: the same registration always draws
/// the same children for the same attempt.
fn seed(registration: Uuid) -> u64 {
    let b = registration.as_u64_pair();
    b.0 ^ b.1
}

fn parse_request(tree: &Tree, r: &RequestByName) -> Result<NavigationRequest, SequencingError> {
    let mut name = r.request.trim().to_owned();
    let mut target = r.target.clone();
    // adl.nav.request's own syntax: {target=ID}choice or {target=ID}jump.
    if let Some(rest) = name.strip_prefix("{target=")
        && let Some((t, kind)) = rest.split_once('}')
    {
        target = Some(t.to_owned());
        name = kind.to_owned();
    }
    let find = |t: &Option<String>| {
        let t = t.as_deref().unwrap_or_default();
        tree.find(t)
            .ok_or_else(|| SequencingError::UnknownActivity(t.to_owned()))
    };
    Ok(match name.as_str() {
        "start" => NavigationRequest::Start,
        "resumeAll" => NavigationRequest::ResumeAll,
        "continue" => NavigationRequest::Continue,
        "previous" => NavigationRequest::Previous,
        "choice" => NavigationRequest::Choice(find(&target)?),
        "jump" => NavigationRequest::Jump(find(&target)?),
        "exit" => NavigationRequest::Exit,
        "exitAll" => NavigationRequest::ExitAll,
        "abandon" => NavigationRequest::Abandon,
        "abandonAll" => NavigationRequest::AbandonAll,
        "suspendAll" => NavigationRequest::SuspendAll,
        _ => return Err(SequencingError::UnknownRequest(r.request.clone())),
    })
}

/// The run-time data of a SCO's data model (`values` and `arrays` as the player's SCORM 2004
/// runtime saves them) as the tracking model's input.
pub fn content_report(state: &Value) -> ContentReport {
    let values = state.get("values");
    let text = |k: &str| values.and_then(|v| v.get(k)).and_then(Value::as_str);
    let number = |k: &str| text(k).and_then(|t| t.trim().parse::<f64>().ok());
    let completion = |t: Option<&str>| match t {
        Some("completed") => Some(true),
        Some("incomplete" | "not attempted") => Some(false),
        _ => None,
    };
    let success = |t: Option<&str>| match t {
        Some("passed") => Some(true),
        Some("failed") => Some(false),
        _ => None,
    };
    let objectives = state
        .get("arrays")
        .and_then(|a| a.get("cmi.objectives"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|o| {
                    let field = |k: &str| o.get(k).and_then(Value::as_str);
                    let num = |k: &str| field(k).and_then(|t| t.trim().parse::<f64>().ok());
                    Some(ObjectiveReport {
                        id: field("id")?.to_owned(),
                        passed: success(field("success_status")),
                        completed: completion(field("completion_status")),
                        success_reported: field("success_status").is_some(),
                        completion_reported: field("completion_status").is_some(),
                        score_scaled: num("score.scaled"),
                        score_raw: num("score.raw"),
                        score_min: num("score.min"),
                        score_max: num("score.max"),
                        progress_measure: num("progress_measure"),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    ContentReport {
        completed: completion(text("cmi.completion_status")),
        passed: success(text("cmi.success_status")),
        score_scaled: number("cmi.score.scaled"),
        score_raw: number("cmi.score.raw"),
        score_min: number("cmi.score.min"),
        score_max: number("cmi.score.max"),
        progress_measure: number("cmi.progress_measure"),
        session_seconds: None,
        completion_reported: text("cmi.completion_status").is_some(),
        success_reported: text("cmi.success_status").is_some(),
        objectives,
    }
}

/// One registration's sequencing, loaded for a request.
pub struct Session<'a> {
    launches: &'a dyn LaunchStore,
    registration: Uuid,
    tree: Tree,
    stored: Stored,
    /// What lives only as long as one attempt on the course (`objectivesGlobalToSystem` /
    /// `sharedDataGlobalToSystem` false): cleared when a new attempt on the root begins.
    attempt_scoped_objectives: bool,
    attempt_scoped_shared_data: Vec<String>,
}

/// The launch store key of a shared data bucket (`adl.data`) of a registration.
pub fn shared_data_key(target: &str) -> String {
    format!("adl.data:{target}")
}

impl<'a> Session<'a> {
    /// Loads the tree of the manifest and the registration's state.
    pub async fn load(
        launches: &'a dyn LaunchStore,
        registration: Uuid,
        manifest: &ScormManifest,
    ) -> Result<Session<'a>, SequencingError> {
        let tree = activity_tree(manifest)?;
        let stored = match launches.load_state(registration, SEQUENCING_KEY).await? {
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| SequencingError::Corrupt(e.to_string()))?
            }
            None => Stored::default(),
        };
        let organization = manifest.organization();
        let attempt_scoped_shared_data =
            if organization.is_some_and(|o| !o.shared_data_global_to_system) {
                fn walk(items: &[lara_package::scorm::Item], out: &mut Vec<String>) {
                    for i in items {
                        out.extend(i.data_maps.iter().map(|d| d.target_id.clone()));
                        walk(&i.children, out);
                    }
                }
                let mut targets = Vec::new();
                if let Some(o) = organization {
                    walk(&o.items, &mut targets);
                }
                targets.sort();
                targets.dedup();
                targets
            } else {
                Vec::new()
            };
        Ok(Session {
            launches,
            registration,
            tree,
            stored,
            attempt_scoped_objectives: organization.is_some_and(|o| !o.objectives_global_to_system),
            attempt_scoped_shared_data,
        })
    }

    fn sequencer(&self) -> Result<Sequencer<'_>, SequencingError> {
        let seed = seed(self.registration);
        let mut s = match self.stored.state.clone() {
            Some(state) => Sequencer::resume(&self.tree, state, seed)
                .map_err(|e| SequencingError::Corrupt(e.to_string()))?,
            None => Sequencer::new(&self.tree, seed),
        };
        s.set_clock(chrono::Utc::now().timestamp_millis() as f64 / 1000.0);
        s.set_objectives_per_attempt(self.attempt_scoped_objectives);
        Ok(s)
    }

    async fn save(&mut self, state: SequencingState) -> Result<(), SequencingError> {
        self.stored.state = Some(state);
        let text = serde_json::to_string(&self.stored)
            .map_err(|e| SequencingError::Corrupt(e.to_string()))?;
        self.launches
            .save_state(self.registration, SEQUENCING_KEY, text, chrono::Utc::now())
            .await?;
        Ok(())
    }

    /// Takes a SCO's committed data into the tracking model. `session` and `seconds` count a
    /// terminated session's time once; `suspended` marks an exit with `cmi.exit = suspend`.
    pub async fn report(
        &mut self,
        item: &str,
        data: &Value,
        session: Option<(Uuid, f64)>,
    ) -> Result<SequencingView, SequencingError> {
        let Some(activity) = self.tree.find(item) else {
            return Err(SequencingError::UnknownActivity(item.to_owned()));
        };
        let mut report = content_report(data);
        let terminated = session.is_some();
        // A session the SCO ends by abandoning (adl.nav.request abandon or abandonAll) leaves
        // its status behind: abandoning does not end the attempt normally, and ADL's reference
        // run-time discards that data (its conformance test SX-04a).
        let abandoned = data
            .get("values")
            .and_then(|v| v.get("adl.nav.request"))
            .and_then(Value::as_str)
            .is_some_and(|r| r == "abandon" || r == "abandonAll");

        if let Some((id, seconds)) = session
            && !self.stored.timed_sessions.contains(&id)
        {
            report.session_seconds = Some(seconds);
            self.stored.timed_sessions.push(id);
            // Only recent sessions can be reported again.
            if self.stored.timed_sessions.len() > 64 {
                self.stored.timed_sessions.remove(0);
            }
        }
        let mut s = self.sequencer()?;
        // Only the current activity's running attempt takes the data: a late commit from an
        // earlier session changes nothing.
        if s.current() == Some(activity)
            && s.activity_state(activity).active
            && !(terminated && abandoned)
        {
            s.report(activity, &report);
        }
        // cmi.exit counts when the session ends.
        if terminated && s.current() == Some(activity) {
            let suspend = data
                .get("values")
                .and_then(|v| v.get("cmi.exit"))
                .and_then(Value::as_str)
                == Some("suspend");
            s.set_suspended(activity, suspend);
        }
        let view = view_of(&s);
        let state = s.into_state();
        self.save(state).await?;
        Ok(view)
    }

    /// Handles a navigation request. `launch` is the player page opening: it opens the
    /// activity the launch names (`target`) when a choice of it is valid, else resumes a
    /// suspended course, or starts it. A session the learner left without exiting (the
    /// browser was closed) is suspended first, so the learner comes back to where they were.
    pub async fn navigate(
        &mut self,
        request: &RequestByName,
    ) -> Result<NavigationAnswer, SequencingError> {
        self.end_of_course_attempt().await?;
        let mut s = self.sequencer()?;
        let nav = if request.request == "launch" {
            if s.current().is_some() {
                // Its own outcome does not matter: the resume below says what happens.
                let _ = s.navigate(NavigationRequest::SuspendAll);
            }
            // A launch may name the activity to open (the learner picked it in an outline
            // before the course opened): a choice of it, when sequencing allows that now.
            let chosen = request
                .target
                .as_deref()
                .and_then(|t| self.tree.find(t))
                .map(NavigationRequest::Choice)
                .filter(|c| s.is_valid(*c));
            if let Some(choice) = chosen {
                choice
            } else if s.suspended_activity().is_some() {
                NavigationRequest::ResumeAll
            } else {
                NavigationRequest::Start
            }
        } else {
            parse_request(&self.tree, request)?
        };
        let resumed = |s: &Sequencer<'_>, a: ActivityId| s.activity_state(a).suspended;
        // Whether the delivered SCO resumes is known before delivery clears the flag.
        let suspended_before: Vec<bool> = self.tree.ids().map(|a| resumed(&s, a)).collect();
        let mut outcome = s.navigate(nav);
        // A course whose root does not flow cannot start by itself: the SN model leaves the
        // first move to the learner. Opening the first activity a choice would deliver spares
        // them a click (most single-SCO packages declare no sequencing at all).
        if request.request == "launch"
            && nav == NavigationRequest::Start
            && outcome.is_err()
            && let Some(first) = self
                .tree
                .activities()
                .filter(|a| a.is_leaf())
                .map(|a| a.id)
                .find(|a| s.is_valid(NavigationRequest::Choice(*a)))
        {
            outcome = s.navigate(NavigationRequest::Choice(first));
        }
        let (deliver, resume, session_ended, exception) = match outcome {
            Ok(Outcome::Deliver(a)) => (
                self.tree.get(a).map(|x| x.identifier.clone()),
                suspended_before.get(a.index()).copied().unwrap_or(false),
                false,
                None,
            ),
            Ok(Outcome::SessionEnded) => (None, false, true, None),
            Ok(Outcome::Idle) => (None, false, false, None),
            Err(e) => (None, false, false, Some(e)),
        };
        let view = view_of(&s);
        let state = s.into_state();
        self.save(state).await?;
        Ok(NavigationAnswer {
            deliver,
            resume,
            session_ended,
            exception,
            view,
        })
    }

    /// After an attempt on the course has ended (not suspended), the next request begins a
    /// new one: what lives for one attempt (objectives and shared data the manifest keeps to
    /// the course, `objectivesGlobalToSystem` / `sharedDataGlobalToSystem` false) starts over
    /// first, so the new attempt's rules do not see it (ADL's tests OB-03b, DDM).
    pub async fn end_of_course_attempt(&mut self) -> Result<(), SequencingError> {
        let root = self.tree.root();
        let Some(state) = self.stored.state.as_mut() else {
            return Ok(());
        };
        let ended = state.suspended.is_none()
            && state.current.is_none()
            && state
                .activities
                .get(root.index())
                .is_some_and(|a| a.attempts > 0 && !a.active && !a.suspended);
        if !ended {
            return Ok(());
        }
        if self.attempt_scoped_objectives {
            state.globals.clear();
        }
        for target in &self.attempt_scoped_shared_data {
            self.launches
                .save_state(
                    self.registration,
                    &shared_data_key(target),
                    "{}".to_owned(),
                    chrono::Utc::now(),
                )
                .await?;
        }
        Ok(())
    }

    /// Takes in global objectives kept outside this registration's state (shared with the
    /// learner's other courses when the manifest makes objectives global to the system). They
    /// replace the copy here.
    pub fn import_globals(&mut self, globals: impl IntoIterator<Item = (String, GlobalObjective)>) {
        let tree = &self.tree;
        let state = self
            .stored
            .state
            .get_or_insert_with(|| SequencingState::new(tree));
        for (target, g) in globals {
            // The shared document is the truth, unknown fields included (content may set a
            // status back to unknown, which clears it for everyone).
            state.globals.insert(target, g);
        }
    }

    /// The global objectives some activity of the course reads (any read flag of a map).
    pub fn read_targets(&self) -> Vec<String> {
        let mut targets: Vec<String> = self
            .tree
            .activities()
            .flat_map(|a| a.sequencing.objectives.iter())
            .flat_map(|o| o.maps.iter())
            .filter(|m| m.reads())
            .map(|m| m.target.clone())
            .collect();
        targets.sort();
        targets.dedup();
        targets
    }

    /// A SCO's `cmi.objectives` at the start of a new attempt: each objective with an
    /// identifier, with what the global objectives it reads know (status, scores, completion
    /// and progress through `imsss:mapInfo` and `adlseq:mapInfo`), the rest unknown. Records
    /// are in the player runtime's form (`{"id", "success_status", "score.scaled", ...}`).
    pub fn launch_objectives(&self, item: &str) -> Result<Vec<Value>, SequencingError> {
        let Some(activity) = self.tree.find(item).and_then(|id| self.tree.get(id)) else {
            return Err(SequencingError::UnknownActivity(item.to_owned()));
        };
        Ok(objective_records(&self.sequencer()?, activity))
    }

    /// [`Session::launch_objectives`] and [`Session::reads_globals`] of every launchable
    /// activity, by identifier (for the player page, with one copy of the state).
    pub fn all_launch_objectives(
        &self,
    ) -> Result<std::collections::BTreeMap<String, (Vec<Value>, bool)>, SequencingError> {
        let s = self.sequencer()?;
        Ok(self
            .tree
            .activities()
            .filter(|a| a.launchable)
            .map(|a| {
                let reads = self.reads_globals(&a.identifier);
                (a.identifier.clone(), (objective_records(&s, a), reads))
            })
            .collect())
    }

    /// Does the SCO read any global objective (so its objectives should be fetched again
    /// right before it launches)?
    pub fn reads_globals(&self, item: &str) -> bool {
        self.tree
            .find(item)
            .and_then(|id| self.tree.get(id))
            .is_some_and(|a| {
                a.sequencing
                    .objectives
                    .iter()
                    .flat_map(|o| o.maps.iter())
                    .any(|m| m.reads())
            })
    }

    /// The global objectives as this registration's sequencing knows them.
    pub fn globals(&self) -> std::collections::BTreeMap<String, GlobalObjective> {
        self.stored
            .state
            .as_ref()
            .map(|s| s.globals.clone())
            .unwrap_or_default()
    }

    /// The course's rolled-up status now.
    pub fn course(&self) -> Result<CourseStatus, SequencingError> {
        Ok(course_status(&self.sequencer()?))
    }

    /// What the learner may do now, without changing anything.
    pub fn view(&self) -> Result<SequencingView, SequencingError> {
        Ok(view_of(&self.sequencer()?))
    }
}

fn view_of(s: &Sequencer<'_>) -> SequencingView {
    let toc = s.toc();
    let choice = toc
        .iter()
        .filter(|e| e.selectable)
        .map(|e| e.identifier.clone())
        .collect();
    let tree = s.tree();
    let jump = tree
        .activities()
        .filter(|a| a.is_leaf() && s.current().is_some() && s.is_selected(a.id))
        .map(|a| a.identifier.clone())
        .collect();
    SequencingView {
        controls: s.controls(),
        toc,
        choice,
        jump,
        current: s
            .current()
            .and_then(|c| tree.get(c))
            .map(|a| a.identifier.clone()),
        course: course_status(s),
    }
}

/// An activity's objectives with identifiers as `cmi.objectives` records for a new attempt.
fn objective_records(s: &Sequencer<'_>, activity: &lara_sequencing::Activity) -> Vec<Value> {
    let status = |v: Option<bool>, yes: &str, no: &str| match v {
        Some(true) => yes.to_owned(),
        Some(false) => no.to_owned(),
        None => "unknown".to_owned(),
    };
    let mut out = Vec::new();
    for (o, def) in activity.sequencing.objectives.iter().enumerate() {
        let Some(objective) = &def.id else {
            continue;
        };
        let g = s.objective_from_globals(activity.id, o);
        let mut record = serde_json::Map::new();
        record.insert("id".into(), Value::String(objective.clone()));
        // Unknown statuses are left out (the run-time answers "unknown" for them): a status
        // present in a report is one the SCO set, or a known one it was given.
        if g.satisfied.is_some() {
            record.insert(
                "success_status".into(),
                Value::String(status(g.satisfied, "passed", "failed")),
            );
        }
        if g.completed.is_some() {
            record.insert(
                "completion_status".into(),
                Value::String(status(g.completed, "completed", "incomplete")),
            );
        }
        for (key, value) in [
            ("score.scaled", g.measure),
            ("score.raw", g.raw_score),
            ("score.min", g.min_score),
            ("score.max", g.max_score),
            ("progress_measure", g.progress_measure),
        ] {
            if let Some(v) = value {
                record.insert(key.into(), Value::String(v.to_string()));
            }
        }
        out.push(Value::Object(record));
    }
    out
}

/// Runs `work` on a registration's sequencing with the registration's sequencing lock held,
/// so that reports and navigation requests apply one at a time on this node.
pub async fn with_session<T>(
    launches: &dyn LaunchStore,
    locks: &SessionLocks,
    registration: Uuid,
    manifest: &ScormManifest,
    work: impl AsyncFnOnce(&mut Session<'_>) -> Result<T, SequencingError>,
) -> Result<T, SequencingError> {
    let lock = locks.lock(registration, SEQUENCING_KEY);
    let _guard = lock.lock().await;
    let mut session = Session::load(launches, registration, manifest).await?;
    work(&mut session).await
}
