//! The Overall Sequencing Process (OP.1), the content's run-time data entering the tracking
//! model, and what the learner may do next: request validity (`adl.nav.request_valid.*`) and
//! the table of contents.

use serde::{Deserialize, Serialize};

use crate::engine::{Exception, ObjectiveChange, Sequencer};
use crate::navigation::{NavigationRequest, TerminationRequest};
use crate::sequencing::{Choice, Sequenced};
use crate::tree::ActivityId;

/// What a navigation request led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome", content = "activity")]
pub enum Outcome {
    /// Launch this activity; it is now the current activity.
    Deliver(ActivityId),
    /// The sequencing session is over (the course was exited, suspended or finished).
    SessionEnded,
    /// Valid, but nothing to launch: the learner picks the next activity (e.g. after an exit
    /// that no rule continued).
    Idle,
}

/// The run-time data a SCO reported for its attempt (SCORM 2004 RTE, mapped to the tracking
/// model as the SN book's section 4.2 says). `None` means the content left it unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContentReport {
    /// `cmi.completion_status`: completed → true; incomplete or not attempted → false.
    pub completed: Option<bool>,
    /// `cmi.success_status`: passed → true, failed → false.
    pub passed: Option<bool>,
    pub score_scaled: Option<f64>,
    pub score_raw: Option<f64>,
    pub score_min: Option<f64>,
    pub score_max: Option<f64>,
    pub progress_measure: Option<f64>,
    /// `cmi.session_time`, in seconds: adds to the experienced durations.
    pub session_seconds: Option<f64>,
    /// The content set `cmi.completion_status` / `cmi.success_status` (any value, `unknown`
    /// included) in this session.
    pub completion_reported: bool,
    pub success_reported: bool,
    /// `cmi.objectives.n`.
    pub objectives: Vec<ObjectiveReport>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectiveReport {
    pub id: String,
    pub passed: Option<bool>,
    pub completed: Option<bool>,
    /// The content set `success_status` / `completion_status` (so an unknown one was set to
    /// "unknown" on purpose).
    pub success_reported: bool,
    pub completion_reported: bool,
    pub score_scaled: Option<f64>,
    pub score_raw: Option<f64>,
    pub score_min: Option<f64>,
    pub score_max: Option<f64>,
    pub progress_measure: Option<f64>,
}

/// One line of the table of contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TocEntry {
    pub activity: ActivityId,
    pub identifier: String,
    pub title: String,
    pub depth: usize,
    /// Shown at all: `isvisible`, selected for this attempt, and not hidden from choice.
    pub shown: bool,
    /// A choice request for it would succeed now.
    pub selectable: bool,
    pub current: bool,
    pub attempted: bool,
    pub completed: Option<bool>,
    pub satisfied: Option<bool>,
    pub suspended: bool,
}

/// Which of the LMS's navigation controls would work now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Controls {
    pub start: bool,
    pub resume_all: bool,
    #[serde(rename = "continue")]
    pub continue_: bool,
    pub previous: bool,
    pub exit: bool,
    pub exit_all: bool,
    pub suspend_all: bool,
    pub abandon: bool,
    pub abandon_all: bool,
}

impl Sequencer<'_> {
    /// OP.1 Overall Sequencing Process: handles one navigation request.
    pub fn navigate(&mut self, nav: NavigationRequest) -> Result<Outcome, Exception> {
        self.prepare_tree();
        let requests = self.navigation_request(nav)?;
        let mut sequencing = requests.sequencing;
        if let Some(t) = requests.termination
            && let Some(replacement) = self.termination_request(t)?
        {
            sequencing = Some(replacement);
        }
        let Some(sequencing) = sequencing else {
            return Ok(Outcome::Idle);
        };
        match self.sequencing_request(sequencing)? {
            Sequenced::Deliver(a) => {
                self.delivery_request(a)?;
                self.content_delivery(a)?;
                Ok(Outcome::Deliver(a))
            }
            Sequenced::EndSession => {
                // The course's own attempt ends with the session, unless it was suspended.
                let root = self.tree.root();
                self.terminate_descendent_attempts(root);
                if self.st(root).active {
                    self.end_attempt(root);
                }
                self.state.current = None;
                Ok(Outcome::SessionEnded)
            }
            Sequenced::Nothing => Ok(Outcome::Idle),
        }
    }

    /// Is the activity among the available (selected) children all the way up from it?
    pub fn is_selected(&self, id: ActivityId) -> bool {
        self.tree
            .path_to_root(id)
            .iter()
            .all(|x| self.is_available(*x))
    }

    /// For every activity (by index), whether a choice request for it would succeed now.
    ///
    /// The same as [`Sequencer::is_valid`] for each, but the termination a choice asks for
    /// (exiting the current activity) is the same whatever the target, so it runs once, on
    /// one copy; the choice itself is checked without side effects.
    pub fn choosable(&self) -> Vec<bool> {
        let mut base = self.clone();
        base.prepare_tree();
        let mut termination_failed = false;
        let mut replacement = None;
        if let Some(c) = self.state.current
            && self.st(c).active
        {
            match base.termination_request(TerminationRequest::Exit) {
                Ok(r) => replacement = r,
                Err(_) => termination_failed = true,
            }
        }
        // A post-condition rule's request replaces any choice: one outcome for every target.
        let replaced = replacement.map(|r| {
            let mut probe = base.clone();
            match probe.sequencing_request(r) {
                Ok(Sequenced::Deliver(a)) => probe.delivery_request(a).is_ok(),
                Ok(_) => true,
                Err(_) => false,
            }
        });
        self.tree
            .ids()
            .map(|id| {
                if termination_failed
                    || self
                        .navigation_request(NavigationRequest::Choice(id))
                        .is_err()
                {
                    return false;
                }
                if let Some(ok) = replaced {
                    return ok;
                }
                match base.choice_outcome(id) {
                    Choice::Sequenced(Ok(Sequenced::Deliver(a))) => {
                        base.delivery_request(a).is_ok()
                    }
                    Choice::Sequenced(Ok(_)) => true,
                    _ => false,
                }
            })
            .collect()
    }

    /// Would this request succeed now? Runs it on a copy of the state.
    pub fn is_valid(&self, nav: NavigationRequest) -> bool {
        let mut probe = self.clone();
        probe.navigate(nav).is_ok()
    }

    /// The state of the LMS's navigation buttons.
    pub fn controls(&self) -> Controls {
        let has_current = self.state.current.is_some();
        let active = self.state.current.is_some_and(|c| self.st(c).active);
        Controls {
            start: !has_current && self.state.suspended.is_none(),
            resume_all: !has_current && self.state.suspended.is_some(),
            continue_: has_current && self.is_valid(NavigationRequest::Continue),
            previous: has_current && self.is_valid(NavigationRequest::Previous),
            exit: active,
            exit_all: has_current,
            suspend_all: has_current,
            abandon: active,
            abandon_all: has_current,
        }
    }

    /// The table of contents, in the order sequencing delivers.
    pub fn toc(&self) -> Vec<TocEntry> {
        let choosable = self.choosable();
        self.toc_order()
            .into_iter()
            .map(|id| &self.tree[id])
            .map(|a| {
                let id = a.id;
                let s = self.st(id);
                let selected = self.is_selected(id);
                TocEntry {
                    activity: id,
                    identifier: a.identifier.clone(),
                    title: a.title.clone(),
                    depth: a.depth,
                    shown: a.visible && selected && !self.hidden_from_choice(id),
                    selectable: selected && choosable.get(id.index()).copied().unwrap_or(false),
                    current: self.state.current == Some(id),
                    attempted: self.attempted(id),
                    completed: self.attempt_completed(id),
                    satisfied: self
                        .primary_index(id)
                        .and_then(|o| self.objective_satisfied(id, o)),
                    suspended: s.suspended,
                }
            })
            .collect()
    }

    /// Sets Activity is Suspended for a SCO that exits with `cmi.exit = suspend` (or clears
    /// it): its attempt is then resumed, not ended, when it is delivered again.
    pub fn set_suspended(&mut self, id: ActivityId, suspended: bool) {
        if self.is_leaf(id) {
            self.st_mut(id).suspended = suspended;
        }
    }

    /// The activities in the order sequencing walks them: each cluster's available children
    /// in their (possibly randomized) order. Activities not selected for this attempt follow
    /// at the end, in manifest order.
    fn toc_order(&self) -> Vec<ActivityId> {
        let mut order = Vec::with_capacity(self.tree.len());
        let mut stack = vec![self.tree.root()];
        while let Some(id) = stack.pop() {
            order.push(id);
            stack.extend(self.available(id).iter().rev().copied());
        }
        let listed: std::collections::HashSet<ActivityId> = order.iter().copied().collect();
        order.extend(self.tree.ids().filter(|id| !listed.contains(id)));
        order
    }

    /// Records what the content reported for its current attempt (at commit or termination)
    /// and rolls it up.
    pub fn report(&mut self, id: ActivityId, data: &ContentReport) {
        let s = self.st_mut(id);
        if let Some(t) = data.session_seconds.filter(|t| t.is_finite() && *t >= 0.0) {
            s.attempt_experienced_duration += t;
            s.activity_experienced_duration += t;
        }
        if !self.def(id).delivery_controls.tracked {
            return;
        }
        // The primary objective's own cmi.objectives record counts too (as in ADL's reference
        // run-time): its success status and score, and its completion status and progress
        // measure where the SCO did not report the attempt's own.
        let primary_record = self
            .primary_index(id)
            .and_then(|p| self.def(id).objectives.get(p))
            .and_then(|o| o.id.as_deref())
            .and_then(|pid| data.objectives.iter().find(|o| o.id == pid));
        let mut completed = data.completed;
        let mut completion_reported = data.completion_reported;
        let mut progress = data.progress_measure;
        let mut passed = data.passed;
        let mut success_reported = data.success_reported;
        let mut scaled = data.score_scaled;
        let (mut raw, mut min, mut max) = (data.score_raw, data.score_min, data.score_max);
        if let Some(r) = primary_record {
            // The SCO's own cmi.score wins over the record (which may hold what the
            // objective was given at launch).
            raw = raw.or(r.score_raw);
            min = min.or(r.score_min);
            max = max.or(r.score_max);
            // A status the SCO set on the record, "unknown" included (the launch leaves
            // unknown ones out of the record, so one that is there was set).
            if !completion_reported && (r.completed.is_some() || r.completion_reported) {
                completed = r.completed;
                completion_reported = true;
            }
            progress = progress.or(r.progress_measure);
            // Unless the SCO set cmi.success_status itself: the record may only hold what the
            // objective was given at launch (Rustici's golf post-test reads the failed
            // pre-test's global objective, then passes).
            if !success_reported && (r.passed.is_some() || r.success_reported) {
                passed = r.passed;
                success_reported = true;
            }
            scaled = scaled.or(r.score_scaled);
        }
        // Completed by measure: the measure decides, not the status the content set (ADL's
        // conformance test CO-04c: "completed" without a measure leaves progress unknown).
        let threshold = self.tree[id].completion_threshold;
        if threshold.completed_by_measure {
            completed = progress.map(|p| p >= threshold.min_progress_measure);
        }
        if completion_reported {
            self.st_mut(id).completion_reported = true;
        }
        if success_reported {
            self.st_mut(id).success_reported = true;
        }
        self.set_attempt_completed(id, completed);
        self.set_completion_amount(id, progress);
        if let Some(p) = self.primary_index(id) {
            // Satisfied by measure: the measure decides, not the status the content set
            // (ADL's conformance test OB-05c: "passed" without a score shares no status).
            if let Some(d) = self.def(id).objectives.get(p)
                && d.satisfied_by_measure
            {
                passed = d.measured_status(scaled);
            }
            self.write_objective(
                id,
                p,
                &ObjectiveChange {
                    satisfied: Some(passed),
                    measure: Some(scaled),
                    raw_score: Some(raw),
                    min_score: Some(min),
                    max_score: Some(max),
                    // Content that set the status to "unknown" clears the shared one (ADL's
                    // conformance test OB-17b).
                    satisfied_cleared_by_content: success_reported && passed.is_none(),
                    ..ObjectiveChange::default()
                },
            );
        }
        for o in &data.objectives {
            let Some(i) = self.objective_index(id, Some(&o.id)) else {
                continue;
            };
            // The primary objective's status comes from cmi.success_status and cmi.score.
            if Some(i) == self.primary_index(id) {
                continue;
            }
            // An objective satisfied by measure is as satisfied as its measure says (and
            // unknown without one), whatever status the SCO set.
            let passed = match self.def(id).objectives.get(i) {
                Some(d) if d.satisfied_by_measure => d.measured_status(o.score_scaled),
                _ => o.passed,
            };
            self.write_objective(
                id,
                i,
                &ObjectiveChange {
                    satisfied: Some(passed),
                    measure: Some(o.score_scaled),
                    raw_score: Some(o.score_raw),
                    min_score: Some(o.score_min),
                    max_score: Some(o.score_max),
                    completed: Some(o.completed),
                    progress_measure: Some(o.progress_measure),
                    satisfied_cleared_by_content: o.success_reported && o.passed.is_none(),
                    completed_cleared_by_content: o.completion_reported && o.completed.is_none(),
                },
            );
        }
        self.overall_rollup(id);
        let written = self.written_globals(id);
        self.rollup_readers(&written);
    }
}
