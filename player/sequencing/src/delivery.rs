//! Delivery and attempts: the Delivery Request Process (DB.1.1), the Content Delivery
//! Environment Process (DB.2) with Clear Suspended Activity (DB.2.1), Terminate Descendent
//! Attempts (UP.3), End Attempt (UP.4), and Select Children / Randomize Children (SR.1, SR.2).

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::{SliceRandom, index};

use crate::definition::Timing;
use crate::engine::{Exception, Sequencer};
use crate::state::ObjectiveState;
use crate::tree::ActivityId;

impl Sequencer<'_> {
    /// DB.1.1 Delivery Request Process: may `id` be delivered?
    pub(crate) fn delivery_request(&self, id: ActivityId) -> Result<(), Exception> {
        if !self.is_leaf(id) {
            return Err(Exception::new(
                "DB.1.1-1",
                "only a leaf activity can be delivered",
            ));
        }
        for a in self.tree.path_to_root(id).into_iter().rev() {
            if self.check_activity(a) {
                return Err(Exception::new(
                    "DB.1.1-3",
                    "the activity or one of its ancestors is disabled or has reached a limit",
                ));
            }
        }
        Ok(())
    }

    /// DB.2 Content Delivery Environment Process: begins (or resumes) the attempts on the
    /// path to `id` and makes it the current activity.
    pub(crate) fn content_delivery(&mut self, id: ActivityId) -> Result<(), Exception> {
        if let Some(c) = self.state.current
            && self.st(c).active
        {
            return Err(Exception::new(
                "DB.2-1",
                "the current activity is still active",
            ));
        }
        if self.state.suspended != Some(id) {
            self.clear_suspended_activity(id);
        }
        self.terminate_descendent_attempts(id);
        for a in self.tree.path_to_root(id).into_iter().rev() {
            if self.st(a).active {
                continue;
            }
            if self.st(a).suspended {
                self.st_mut(a).suspended = false;
            } else {
                self.begin_attempt(a);
            }
            self.st_mut(a).active = true;
        }
        self.state.current = Some(id);
        self.state.suspended = None;
        Ok(())
    }

    /// A new attempt on an activity: the attempt's progress starts unknown, and children
    /// whose parent uses only current-attempt information become stale.
    fn begin_attempt(&mut self, id: ActivityId) {
        let control = self.def(id).control_mode;
        let children = self.tree[id].children.clone();
        let now = self.now;
        let s = self.st_mut(id);
        s.attempts = s.attempts.saturating_add(1);
        s.completed = None;
        s.completion_amount = None;
        s.earlier_attempts_absolute_duration += s.attempt_absolute_duration;
        s.attempt_absolute_duration = 0.0;
        s.attempt_started = now;
        s.attempt_experienced_duration = 0.0;
        for o in &mut s.objectives {
            *o = ObjectiveState::default();
        }
        s.objectives_stale = false;
        s.progress_stale = false;
        s.completion_reported = false;
        s.success_reported = false;
        for c in children {
            self.mark_stale(
                c,
                control.use_current_attempt_objective_info,
                control.use_current_attempt_progress_info,
            );
        }
    }

    fn mark_stale(&mut self, id: ActivityId, objectives: bool, progress: bool) {
        if !objectives && !progress {
            return;
        }
        let s = self.st_mut(id);
        // Only data that exists becomes stale: an activity with no tracking data yet gets
        // fresh data later (from rollup, say) that belongs to the current attempt (as in
        // ADL's reference implementation; its conformance test RU-17a rolls up a cluster the
        // learner has not reached from a global objective written meanwhile).
        let tracked = s.attempts > 0
            || s.completed.is_some()
            || s.completion_amount.is_some()
            || s.objectives.iter().any(|o| *o != ObjectiveState::default());
        if tracked {
            s.objectives_stale |= objectives;
            s.progress_stale |= progress;
        }
        let control = self.def(id).control_mode;
        for c in self.tree[id].children.clone() {
            self.mark_stale(
                c,
                objectives && control.use_current_attempt_objective_info,
                progress && control.use_current_attempt_progress_info,
            );
        }
    }

    /// DB.2.1 Clear Suspended Activity Subprocess.
    fn clear_suspended_activity(&mut self, id: ActivityId) {
        let Some(suspended) = self.state.suspended else {
            return;
        };
        let ancestor = self.tree.common_ancestor(id, suspended);
        for a in self.tree.path_to_root(suspended) {
            let keep =
                !self.is_leaf(a) && self.tree[a].children.iter().any(|c| self.st(*c).suspended);
            if !keep {
                self.st_mut(a).suspended = false;
            }
            if a == ancestor {
                break;
            }
        }
        self.state.suspended = None;
    }

    /// UP.3 Terminate Descendent Attempts Process: ends the attempts between the current
    /// activity and its common ancestor with `id` (both exclusive).
    pub(crate) fn terminate_descendent_attempts(&mut self, id: ActivityId) {
        let Some(current) = self.state.current else {
            return;
        };
        let ancestor = self.tree.common_ancestor(current, id);
        for a in self.tree.path_to_root(current) {
            if a == ancestor {
                break;
            }
            if a != current && self.st(a).active {
                self.end_attempt(a);
            }
        }
    }

    /// UP.4 End Attempt Process.
    pub(crate) fn end_attempt(&mut self, id: ActivityId) {
        let now = self.now;
        let s = self.st_mut(id);
        if let (Some(now), Some(start)) = (now, s.attempt_started) {
            s.attempt_absolute_duration = (now - start).max(0.0);
        }
        if self.is_leaf(id) {
            let def = self.def(id);
            // Status the content left unknown is completed and satisfied, unless the content
            // sets it (by its definition, or by reporting a status in this attempt, even
            // `unknown`, as ADL's reference sequencer has it), or a measure decides it (the
            // rollup below does; a default written first would reach the global objectives
            // it maps to).
            if def.delivery_controls.tracked && !self.st(id).suspended {
                if !def.delivery_controls.completion_set_by_content
                    && !self.tree[id].completion_threshold.completed_by_measure
                    && !self.st(id).completion_reported
                    && self.st(id).completed.is_none()
                {
                    self.set_attempt_completed(id, Some(true));
                }
                if !def.delivery_controls.objective_set_by_content
                    && !self.st(id).success_reported
                    && let Some(p) = self.primary_index(id)
                    && def
                        .objectives
                        .get(p)
                        .is_some_and(|o| !o.satisfied_by_measure)
                    && self
                        .st(id)
                        .objectives
                        .get(p)
                        .is_some_and(|o| o.satisfied.is_none())
                {
                    self.set_primary_satisfied(id, Some(true));
                }
            }
        } else {
            let suspended = self.tree[id].children.iter().any(|c| self.st(*c).suspended);
            self.st_mut(id).suspended = suspended;
        }
        self.st_mut(id).active = false;
        self.overall_rollup(id);
        let written = self.written_globals(id);
        self.rollup_readers(&written);
        if !self.is_leaf(id) {
            self.prepare_children(id, false);
        }
    }

    /// Runs selection and randomization for every cluster before the first attempt on the
    /// tree.
    pub(crate) fn prepare_tree(&mut self) {
        if self.state.prepared {
            return;
        }
        for id in self.tree.ids() {
            if !self.is_leaf(id) {
                self.prepare_children(id, true);
            }
        }
        self.state.prepared = true;
    }

    /// SR.1 Select Children Process and SR.2 Randomize Children Process for one cluster, once
    /// (`first`) or for the next attempt.
    fn prepare_children(&mut self, id: ActivityId, first: bool) {
        let s = self.st(id);
        if s.active || s.suspended {
            return;
        }
        let controls = self.def(id).randomization;
        let due = |timing: Timing| match timing {
            Timing::Never => false,
            Timing::Once => first && !self.attempted(id),
            Timing::OnEachNewAttempt => true,
        };
        let select = due(controls.selection_timing) && controls.select_count.is_some();
        let reorder = due(controls.randomization_timing) && controls.reorder_children;
        if !select && !reorder {
            return;
        }
        let mut rng = StdRng::seed_from_u64(
            self.seed ^ (u64::from(id.0) << 32) ^ u64::from(self.st(id).attempts),
        );
        let mut children = if select {
            self.tree[id].children.clone()
        } else {
            self.st(id).available_children.clone()
        };
        if let Some(n) = controls.select_count.filter(|_| select) {
            let n = (n as usize).min(children.len());
            let mut picked = index::sample(&mut rng, children.len(), n).into_vec();
            // Selection keeps the manifest order; randomization (below) may reorder.
            picked.sort_unstable();
            children = picked
                .into_iter()
                .filter_map(|i| children.get(i).copied())
                .collect();
        }
        if reorder {
            children.shuffle(&mut rng);
        }
        self.st_mut(id).available_children = children;
    }
}
