//! The sequencer: an activity tree with one learner's state, and the tracking-model accessors
//! every process shares (objective reads and writes through global objective maps).

use serde::{Deserialize, Serialize};

use crate::definition::{ObjectiveDefinition, SequencingDefinition};
use crate::state::{ActivityState, ObjectiveState, SequencingState, StateMismatch};
use crate::tree::{Activity, ActivityId, Tree};

/// A sequencing exception: the SN book's code (`NB.2.1-1`, `SB.2.9-4`, ...) and what it means.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{code}: {message}")]
pub struct Exception {
    pub code: String,
    pub message: String,
}

impl Exception {
    pub(crate) fn new(code: &str, message: &str) -> Exception {
        Exception {
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// One learner's sequencing of one activity tree.
#[derive(Debug, Clone)]
pub struct Sequencer<'t> {
    pub(crate) tree: &'t Tree,
    pub(crate) state: SequencingState,
    /// Seed for selection and randomization; each use mixes in the activity and attempt, so
    /// the same registration always draws the same children for the same attempt.
    pub(crate) seed: u64,
    /// The time now (Unix seconds), for durations and time limits; without it those limits
    /// are never reached.
    pub(crate) now: Option<f64>,
    /// The global objectives live for one attempt on the course (the organization's
    /// `adlseq:objectivesGlobalToSystem="false"`): a retry of the root forgets them.
    pub(crate) objectives_per_attempt: bool,
}

impl<'t> Sequencer<'t> {
    /// A learner's first contact with the tree.
    pub fn new(tree: &'t Tree, seed: u64) -> Sequencer<'t> {
        Sequencer {
            tree,
            state: SequencingState::new(tree),
            seed,
            now: None,
            objectives_per_attempt: false,
        }
    }

    /// Continues from stored state (after checking that it fits the tree).
    pub fn resume(
        tree: &'t Tree,
        state: SequencingState,
        seed: u64,
    ) -> Result<Sequencer<'t>, StateMismatch> {
        state.check(tree)?;
        Ok(Sequencer {
            tree,
            state,
            seed,
            now: None,
            objectives_per_attempt: false,
        })
    }

    /// Sets the time now (Unix seconds): absolute durations and the begin and end time
    /// limits are measured against it.
    pub fn set_clock(&mut self, unix_seconds: f64) {
        self.now = Some(unix_seconds).filter(|t| t.is_finite());
    }

    /// Global objectives that live for one attempt on the course
    /// (`adlseq:objectivesGlobalToSystem="false"`): a retry of the whole course starts them
    /// over, as a new attempt on the course does.
    pub fn set_objectives_per_attempt(&mut self, per_attempt: bool) {
        self.objectives_per_attempt = per_attempt;
    }

    pub fn tree(&self) -> &'t Tree {
        self.tree
    }

    pub fn state(&self) -> &SequencingState {
        &self.state
    }

    pub fn into_state(self) -> SequencingState {
        self.state
    }

    /// The Current Activity.
    pub fn current(&self) -> Option<ActivityId> {
        self.state.current
    }

    /// The Suspended Activity.
    pub fn suspended_activity(&self) -> Option<ActivityId> {
        self.state.suspended
    }

    pub fn activity(&self, id: ActivityId) -> &'t Activity {
        &self.tree[id]
    }

    /// The tracking information of an activity.
    // The state was checked against the tree (`SequencingState::check`), so every id of the
    // tree indexes it.
    #[allow(clippy::indexing_slicing)]
    pub fn activity_state(&self, id: ActivityId) -> &ActivityState {
        &self.state.activities[id.index()]
    }

    #[allow(clippy::indexing_slicing)]
    pub(crate) fn st_mut(&mut self, id: ActivityId) -> &mut ActivityState {
        &mut self.state.activities[id.index()]
    }

    pub(crate) fn st(&self, id: ActivityId) -> &ActivityState {
        self.activity_state(id)
    }

    pub(crate) fn def(&self, id: ActivityId) -> &'t SequencingDefinition {
        &self.tree[id].sequencing
    }

    pub(crate) fn parent(&self, id: ActivityId) -> Option<ActivityId> {
        self.tree[id].parent
    }

    pub(crate) fn is_leaf(&self, id: ActivityId) -> bool {
        self.tree[id].is_leaf()
    }

    pub(crate) fn available(&self, id: ActivityId) -> &[ActivityId] {
        &self.st(id).available_children
    }

    /// Is `id` among its parent's available children (the root always is)?
    pub(crate) fn is_available(&self, id: ActivityId) -> bool {
        match self.parent(id) {
            Some(p) => self.available(p).contains(&id),
            None => true,
        }
    }

    /// Activity Progress Status and Attempt Count > 0.
    pub fn attempted(&self, id: ActivityId) -> bool {
        self.st(id).attempts > 0
    }

    // ---- objectives -------------------------------------------------------------------------

    /// Index of the objective a rule condition refers to: the named one, or the primary.
    pub(crate) fn objective_index(&self, id: ActivityId, name: Option<&str>) -> Option<usize> {
        let objectives = &self.def(id).objectives;
        match name {
            Some(n) => objectives.iter().position(|o| o.id.as_deref() == Some(n)),
            None => objectives.iter().position(|o| o.primary),
        }
    }

    /// Index of the activity's primary objective (the one that rolls up).
    pub fn primary_index(&self, id: ActivityId) -> Option<usize> {
        self.objective_index(id, None)
    }

    fn objective_def(&self, id: ActivityId, o: usize) -> Option<&'t ObjectiveDefinition> {
        self.def(id).objectives.get(o)
    }

    fn local(&self, id: ActivityId, o: usize) -> Option<&ObjectiveState> {
        self.st(id).objectives.get(o)
    }

    /// Reads one field of an objective: the first readable global objective that knows it,
    /// otherwise the local value (unknown with `hide_stale` when the local value is stale).
    fn read<T>(
        &self,
        id: ActivityId,
        o: usize,
        hide_stale: bool,
        readable: impl Fn(&crate::definition::ObjectiveMap) -> bool,
        field: impl Fn(&ObjectiveState) -> Option<T>,
    ) -> Option<T> {
        // A field read from a global objective is what the global says, unknown included:
        // the local value does not show through (as in ADL's reference implementation, where
        // every global objective exists from the start; its conformance test CM-13 depends
        // on it).
        let reads = self
            .objective_def(id, o)
            .is_some_and(|def| def.maps.iter().any(&readable));
        if reads {
            return self.read_global(id, o, readable, &field);
        }
        if hide_stale && self.st(id).objectives_stale {
            None
        } else {
            self.local(id, o).and_then(&field)
        }
    }

    /// Objective Satisfied Status, `None` when the progress status is false.
    pub fn objective_satisfied(&self, id: ActivityId, o: usize) -> Option<bool> {
        self.objective_satisfied_for(id, o, false)
    }

    pub(crate) fn objective_satisfied_for(
        &self,
        id: ActivityId,
        o: usize,
        rollup: bool,
    ) -> Option<bool> {
        // Satisfied by measure: the measure as read (a global objective's, or the local one)
        // decides, unknown without one (ADL's conformance test SX-10b: a measure written to a
        // global objective satisfies the activity that reads it back).
        if let Some(def) = self.objective_def(id, o)
            && def.satisfied_by_measure
        {
            if self.st(id).active
                && !self
                    .def(id)
                    .rollup_considerations
                    .measure_satisfaction_if_active
            {
                return None;
            }
            return def.measured_status(self.objective_measure_for(id, o, rollup));
        }
        self.read(id, o, rollup, |m| m.read_satisfied_status, |s| s.satisfied)
    }

    /// Objective Normalized Measure, `None` when the measure status is false.
    pub fn objective_measure(&self, id: ActivityId, o: usize) -> Option<f64> {
        self.objective_measure_for(id, o, false)
    }

    pub(crate) fn objective_measure_for(
        &self,
        id: ActivityId,
        o: usize,
        rollup: bool,
    ) -> Option<f64> {
        self.read(id, o, rollup, |m| m.read_normalized_measure, |s| s.measure)
    }

    /// The full data of an objective: local values, overridden by readable global objectives.
    pub fn objective_view(&self, id: ActivityId, o: usize) -> ObjectiveState {
        self.objective_data(id, o, true)
    }

    /// What the global objectives an objective reads know of it (nothing local): the content's
    /// `cmi.objectives` at the start of a new attempt.
    /// An objective satisfied by measure is as satisfied as the measure it reads says (ADL's
    /// conformance test RU-13b: the SCO sees "passed" for a measure another SCO shared).
    pub fn objective_from_globals(&self, id: ActivityId, o: usize) -> ObjectiveState {
        let mut data = self.objective_data(id, o, false);
        if let Some(def) = self.objective_def(id, o)
            && def.satisfied_by_measure
        {
            data.satisfied = def.measured_status(data.measure);
        }
        data
    }

    fn objective_data(&self, id: ActivityId, o: usize, with_local: bool) -> ObjectiveState {
        ObjectiveState {
            satisfied: self.field(
                id,
                o,
                with_local,
                |m| m.read_satisfied_status,
                |s| s.satisfied,
            ),
            measure: self.field(
                id,
                o,
                with_local,
                |m| m.read_normalized_measure,
                |s| s.measure,
            ),
            raw_score: self.field(id, o, with_local, |m| m.read_raw_score, |s| s.raw_score),
            min_score: self.field(id, o, with_local, |m| m.read_min_score, |s| s.min_score),
            max_score: self.field(id, o, with_local, |m| m.read_max_score, |s| s.max_score),
            completed: self.field(
                id,
                o,
                with_local,
                |m| m.read_completion_status,
                |s| s.completed,
            ),
            progress_measure: self.field(
                id,
                o,
                with_local,
                |m| m.read_progress_measure,
                |s| s.progress_measure,
            ),
        }
    }

    fn field<T>(
        &self,
        id: ActivityId,
        o: usize,
        with_local: bool,
        readable: impl Fn(&crate::definition::ObjectiveMap) -> bool,
        field: impl Fn(&ObjectiveState) -> Option<T>,
    ) -> Option<T> {
        if with_local {
            self.read(id, o, false, readable, field)
        } else {
            self.read_global(id, o, readable, field)
        }
    }

    /// Sets fields of an objective and writes them to the global objectives its maps write.
    /// `None` in `change` leaves a field alone; use [`ObjectiveChange`] to clear one.
    pub(crate) fn write_objective(&mut self, id: ActivityId, o: usize, change: &ObjectiveChange) {
        let Some(def) = self.objective_def(id, o) else {
            return;
        };
        if let Some(local) = self.st_mut(id).objectives.get_mut(o) {
            change.apply(local);
        }
        for m in &def.maps {
            let g = self.state.globals.entry(m.target.clone()).or_default();
            // Unknown is never written: a new attempt must not erase what another activity
            // (or an earlier attempt) established in a shared objective.
            let known = |v: &Option<Option<bool>>| v.and_then(|x| x);
            let known_f = |v: &Option<Option<f64>>| v.and_then(|x| x);
            if m.write_satisfied_status
                && let Some(v) = known(&change.satisfied)
            {
                g.satisfied = Some(v);
            } else if m.write_satisfied_status && change.satisfied_cleared_by_content {
                g.satisfied = None;
            }
            if m.write_normalized_measure
                && let Some(v) = known_f(&change.measure)
            {
                g.measure = Some(v);
            }
            if m.write_raw_score
                && let Some(v) = known_f(&change.raw_score)
            {
                g.raw_score = Some(v);
            }
            if m.write_min_score
                && let Some(v) = known_f(&change.min_score)
            {
                g.min_score = Some(v);
            }
            if m.write_max_score
                && let Some(v) = known_f(&change.max_score)
            {
                g.max_score = Some(v);
            }
            if m.write_completion_status
                && let Some(v) = known(&change.completed)
            {
                g.completed = Some(v);
            } else if m.write_completion_status && change.completed_cleared_by_content {
                g.completed = None;
            }
            if m.write_progress_measure
                && let Some(v) = known_f(&change.progress_measure)
            {
                g.progress_measure = Some(v);
            }
        }
    }

    /// The global objectives an activity writes.
    pub(crate) fn written_globals(&self, id: ActivityId) -> Vec<&'t str> {
        self.def(id)
            .objectives
            .iter()
            .flat_map(|o| o.maps.iter())
            .filter(|m| m.writes())
            .map(|m| m.target.as_str())
            .collect()
    }

    /// Activities whose primary objective (the one rollup uses) reads any of these global
    /// objectives.
    pub(crate) fn readers_of(&self, targets: &[&str]) -> Vec<ActivityId> {
        self.tree
            .activities()
            .filter(|a| {
                a.sequencing.objectives.iter().any(|o| {
                    o.primary
                        && o.maps
                            .iter()
                            .any(|m| targets.contains(&m.target.as_str()) && m.reads())
                })
            })
            .map(|a| a.id)
            .collect()
    }

    // ---- attempt progress -------------------------------------------------------------------

    /// Attempt Completion Status, `None` when Attempt Progress Status is false. A primary
    /// objective that reads completion from a global objective takes it from there.
    pub fn attempt_completed(&self, id: ActivityId) -> Option<bool> {
        self.attempt_completed_for(id, false)
    }

    pub(crate) fn attempt_completed_for(&self, id: ActivityId, rollup: bool) -> Option<bool> {
        // 4th edition: an activity completed by measure has the status its progress measure
        // gives (its own, or one read from a global objective), unknown without a measure.
        let threshold = self.tree[id].completion_threshold;
        if threshold.completed_by_measure {
            return self
                .completion_amount_for(id, rollup)
                .map(|amount| amount >= threshold.min_progress_measure);
        }
        if let Some(p) = self.primary_index(id)
            && let Some(v) = self.read_global(id, p, |m| m.read_completion_status, |g| g.completed)
        {
            return Some(v);
        }
        if rollup && self.st(id).progress_stale {
            return None;
        }
        self.st(id).completed
    }

    /// Attempt Completion Amount, `None` when its status is false.
    pub fn completion_amount(&self, id: ActivityId) -> Option<f64> {
        self.completion_amount_for(id, false)
    }

    pub(crate) fn completion_amount_for(&self, id: ActivityId, rollup: bool) -> Option<f64> {
        if let Some(p) = self.primary_index(id)
            && let Some(v) =
                self.read_global(id, p, |m| m.read_progress_measure, |g| g.progress_measure)
        {
            return Some(v);
        }
        if rollup && self.st(id).progress_stale {
            return None;
        }
        self.st(id).completion_amount
    }

    fn read_global<T>(
        &self,
        id: ActivityId,
        o: usize,
        readable: impl Fn(&crate::definition::ObjectiveMap) -> bool,
        field: impl Fn(&ObjectiveState) -> Option<T>,
    ) -> Option<T> {
        let def = self.objective_def(id, o)?;
        def.maps
            .iter()
            .filter(|m| readable(m))
            .find_map(|m| self.state.globals.get(&m.target).and_then(&field))
    }

    /// Sets the attempt's completion (and writes it through the primary objective's maps).
    pub(crate) fn set_attempt_completed(&mut self, id: ActivityId, v: Option<bool>) {
        self.st_mut(id).completed = v;
        if let Some(p) = self.primary_index(id) {
            self.write_objective(
                id,
                p,
                &ObjectiveChange {
                    completed: Some(v),
                    ..ObjectiveChange::default()
                },
            );
        }
    }

    pub(crate) fn set_completion_amount(&mut self, id: ActivityId, v: Option<f64>) {
        self.st_mut(id).completion_amount = v;
        if let Some(p) = self.primary_index(id) {
            self.write_objective(
                id,
                p,
                &ObjectiveChange {
                    progress_measure: Some(v),
                    ..ObjectiveChange::default()
                },
            );
        }
    }

    pub(crate) fn set_primary_satisfied(&mut self, id: ActivityId, v: Option<bool>) {
        if let Some(p) = self.primary_index(id) {
            self.write_objective(
                id,
                p,
                &ObjectiveChange {
                    satisfied: Some(v),
                    ..ObjectiveChange::default()
                },
            );
        }
    }

    pub(crate) fn set_primary_measure(&mut self, id: ActivityId, v: Option<f64>) {
        if let Some(p) = self.primary_index(id) {
            self.write_objective(
                id,
                p,
                &ObjectiveChange {
                    measure: Some(v),
                    ..ObjectiveChange::default()
                },
            );
        }
    }
}

/// A change to an objective's fields: `None` leaves a field as it is, `Some(None)` makes it
/// unknown, `Some(Some(v))` sets it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectiveChange {
    pub satisfied: Option<Option<bool>>,
    pub measure: Option<Option<f64>>,
    pub raw_score: Option<Option<f64>>,
    pub min_score: Option<Option<f64>>,
    pub max_score: Option<Option<f64>>,
    pub completed: Option<Option<bool>>,
    pub progress_measure: Option<Option<f64>>,
    /// The content set the satisfaction / completion status to "unknown" itself: that
    /// clears the global objectives the objective writes too (as in ADL's reference
    /// run-time; its conformance test SX-11b). Any other unknown leaves them alone.
    pub satisfied_cleared_by_content: bool,
    pub completed_cleared_by_content: bool,
}

impl ObjectiveChange {
    fn apply(&self, s: &mut ObjectiveState) {
        if let Some(v) = self.satisfied {
            s.satisfied = v;
        }
        if let Some(v) = self.measure {
            s.measure = v;
        }
        if let Some(v) = self.raw_score {
            s.raw_score = v;
        }
        if let Some(v) = self.min_score {
            s.min_score = v;
        }
        if let Some(v) = self.max_score {
            s.max_score = v;
        }
        if let Some(v) = self.completed {
            s.completed = v;
        }
        if let Some(v) = self.progress_measure {
            s.progress_measure = v;
        }
    }
}
