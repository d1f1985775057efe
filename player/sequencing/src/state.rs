//! The tracking model (SN book, section 4.2): a learner's progress on each activity, the
//! global objectives shared between activities, and the sequencing session's current and
//! suspended activity. All of it is plain data that serializes to JSON, so a registration's
//! sequencing state can be stored between requests and browser sessions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::tree::{ActivityId, Tree};

/// Progress of one objective of one activity (objective progress information).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectiveState {
    /// Objective Satisfied Status when its Objective Progress Status is true; `None` is unknown.
    pub satisfied: Option<bool>,
    /// Objective Normalized Measure when its Objective Measure Status is true.
    pub measure: Option<f64>,
    /// 4th edition objective data, shared through `adlseq:mapInfo`.
    pub raw_score: Option<f64>,
    pub min_score: Option<f64>,
    pub max_score: Option<f64>,
    pub completed: Option<bool>,
    pub progress_measure: Option<f64>,
}

/// A global (shared) objective: the same data as a local objective, keyed by its target id.
pub type GlobalObjective = ObjectiveState;

/// The tracking information of one activity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActivityState {
    /// Activity Attempt Count (attempts begun). Activity Progress Status is `attempts > 0`.
    pub attempts: u32,
    /// Attempt Completion Status when Attempt Progress Status is true.
    pub completed: Option<bool>,
    /// Attempt Completion Amount when its status is true (`cmi.progress_measure`).
    pub completion_amount: Option<f64>,
    /// When the current attempt began (Unix seconds), if the sequencer had a clock.
    pub attempt_started: Option<f64>,
    /// Absolute duration (wall-clock, suspensions included) of the current attempt as of its
    /// last end, and of the attempts before it, in seconds.
    pub attempt_absolute_duration: f64,
    pub earlier_attempts_absolute_duration: f64,
    /// Experienced duration (the content's session times) of the current attempt and of all
    /// attempts, in seconds.
    pub attempt_experienced_duration: f64,
    pub activity_experienced_duration: f64,
    pub active: bool,
    pub suspended: bool,
    /// Objective progress information, parallel to the definition's objectives.
    pub objectives: Vec<ObjectiveState>,
    /// The children sequencing may use, in order (after selection and randomization).
    pub available_children: Vec<ActivityId>,
    /// The objective information was recorded before the parent's current attempt, and the
    /// parent uses only current information (`useCurrentAttemptObjectiveInfo`): rollup of the
    /// parent treats it as unknown until this activity's next attempt.
    pub objectives_stale: bool,
    /// The same for attempt progress information (`useCurrentAttemptProgressInfo`).
    pub progress_stale: bool,
    /// The content reported a completion status in this attempt (even `unknown`), or a
    /// success status: then ending the attempt does not default it (UP.4).
    pub completion_reported: bool,
    pub success_reported: bool,
}

/// A learner's whole sequencing state for one activity tree.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SequencingState {
    pub activities: Vec<ActivityState>,
    pub globals: BTreeMap<String, GlobalObjective>,
    pub current: Option<ActivityId>,
    pub suspended: Option<ActivityId>,
    /// Selection and randomization have run for the tree's first attempt.
    pub prepared: bool,
}

/// Stored state that does not fit the tree (the package changed or the data is corrupt).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("stored sequencing state does not fit the activity tree: {0}")]
pub struct StateMismatch(pub String);

impl SequencingState {
    /// The state before the learner's first attempt.
    pub fn new(tree: &Tree) -> SequencingState {
        let activities = tree
            .activities()
            .map(|a| ActivityState {
                objectives: vec![ObjectiveState::default(); a.sequencing.objectives.len()],
                available_children: a.children.clone(),
                ..ActivityState::default()
            })
            .collect();
        SequencingState {
            activities,
            ..SequencingState::default()
        }
    }

    /// Checks state read back from storage against the tree it is used with.
    pub fn check(&self, tree: &Tree) -> Result<(), StateMismatch> {
        if self.activities.len() != tree.len() {
            return Err(StateMismatch(format!(
                "{} activities stored, the tree has {}",
                self.activities.len(),
                tree.len()
            )));
        }
        let ok = |id: ActivityId| id.index() < tree.len();
        for (a, s) in tree.activities().zip(&self.activities) {
            if s.objectives.len() != a.sequencing.objectives.len() {
                return Err(StateMismatch(format!(
                    "activity {:?}: objective count differs",
                    a.identifier
                )));
            }
            if s.available_children.iter().any(|c| !a.children.contains(c)) {
                return Err(StateMismatch(format!(
                    "activity {:?}: an available child is not its child",
                    a.identifier
                )));
            }
        }
        if self.current.is_some_and(|c| !ok(c)) || self.suspended.is_some_and(|c| !ok(c)) {
            return Err(StateMismatch(
                "current or suspended activity unknown".into(),
            ));
        }
        Ok(())
    }
}
