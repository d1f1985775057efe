//! Rollup (SN book RB.1): measure and completion-measure rollup, objective rollup by measure or
//! by rules, activity progress rollup by measure or by rules, the rollup rule check with its
//! child filter, and the overall rollup from an activity to the root.

use crate::definition::{
    ChildActivitySet, ConditionCombination, Required, RollupAction, RollupCondition,
    RollupConditionKind, RollupRule, RuleAction, RuleConditionKind,
};
use crate::engine::Sequencer;
use crate::rules::{RuleKind, combine};
use crate::tree::ActivityId;

/// The rules an activity without rules of its own for an action pair uses (SN book RB.1.2 and
/// RB.1.3): not satisfied when every child's status is known, satisfied when every child is;
/// incomplete when every child's progress is known, completed when every child is.
fn default_rules(action: RollupAction) -> RollupRule {
    let (condition, action) = match action {
        RollupAction::NotSatisfied => (RollupConditionKind::ObjectiveStatusKnown, action),
        RollupAction::Satisfied => (RollupConditionKind::Satisfied, action),
        RollupAction::Incomplete => (RollupConditionKind::ActivityProgressKnown, action),
        RollupAction::Completed => (RollupConditionKind::Completed, action),
    };
    RollupRule {
        child_activity_set: ChildActivitySet::All,
        combination: ConditionCombination::Any,
        conditions: vec![RollupCondition {
            condition,
            negate: false,
        }],
        action,
    }
}

fn rollup_condition_kind(c: RollupConditionKind) -> RuleConditionKind {
    match c {
        RollupConditionKind::Satisfied => RuleConditionKind::Satisfied,
        RollupConditionKind::ObjectiveStatusKnown => RuleConditionKind::ObjectiveStatusKnown,
        RollupConditionKind::ObjectiveMeasureKnown => RuleConditionKind::ObjectiveMeasureKnown,
        RollupConditionKind::Completed => RuleConditionKind::Completed,
        RollupConditionKind::ActivityProgressKnown => RuleConditionKind::ActivityProgressKnown,
        RollupConditionKind::Attempted => RuleConditionKind::Attempted,
        RollupConditionKind::AttemptLimitExceeded => RuleConditionKind::AttemptLimitExceeded,
        RollupConditionKind::TimeLimitExceeded => RuleConditionKind::TimeLimitExceeded,
        RollupConditionKind::OutsideAvailableTimeRange => {
            RuleConditionKind::OutsideAvailableTimeRange
        }
    }
}

impl Sequencer<'_> {
    /// RB.1.5 Overall Rollup Process: from `id` up to the root.
    pub fn overall_rollup(&mut self, id: ActivityId) {
        for a in self.tree.path_to_root(id) {
            // An untracked activity keeps no tracking data: nothing of it rolls up, and it
            // writes nothing to the global objectives it maps to.
            if !self.def(a).delivery_controls.tracked {
                continue;
            }
            if !self.is_leaf(a) {
                self.measure_rollup(a);
                self.completion_measure_rollup(a);
            }
            self.objective_rollup(a);
            self.progress_rollup(a);
        }
    }

    /// Rolls up after a change of the global objectives `written`: from the parent of every
    /// activity whose primary objective reads one of them, up to the root. The reader itself
    /// takes the new value when it is read; rolling it up would have it write its own
    /// opinion of the value back (an untracked SCO completed by measure did, in ADL's
    /// conformance test CO-10), which ADL's reference implementation does not do either.
    pub(crate) fn rollup_readers(&mut self, written: &[&str]) {
        if written.is_empty() {
            return;
        }
        for a in self.readers_of(written) {
            if let Some(parent) = self.tree[a].parent {
                self.overall_rollup(parent);
            }
        }
    }

    /// The children that take part in rollup: available and tracked.
    fn rollup_children(&self, id: ActivityId) -> Vec<ActivityId> {
        self.available(id)
            .iter()
            .copied()
            .filter(|c| self.def(*c).delivery_controls.tracked)
            .collect()
    }

    /// RB.1.1 a Measure Rollup Process.
    fn measure_rollup(&mut self, id: ActivityId) {
        if self.primary_index(id).is_none() {
            return;
        }
        let mut total = 0.0;
        let mut counted = 0.0;
        let mut valid = false;
        for c in self.rollup_children(id) {
            let weight = self.def(c).rollup_controls.objective_measure_weight;
            counted += weight;
            if let Some(m) = self
                .primary_index(c)
                .and_then(|o| self.objective_measure_for(c, o, true))
            {
                total += m * weight;
                valid = true;
            }
        }
        let measure = (valid && counted > 0.0).then(|| total / counted);
        self.set_primary_measure(id, measure);
    }

    /// RB.1.1 b Completion Measure Rollup Process (4th edition).
    fn completion_measure_rollup(&mut self, id: ActivityId) {
        let mut total = 0.0;
        let mut counted = 0.0;
        let mut valid = false;
        for c in self.rollup_children(id) {
            let weight = self.tree[c].completion_threshold.progress_weight;
            counted += weight;
            if let Some(amount) = self.completion_amount_for(c, true) {
                total += amount * weight;
                valid = true;
            }
        }
        let amount = (valid && counted > 0.0).then(|| total / counted);
        self.set_completion_amount(id, amount);
    }

    /// RB.1.2 Objective Rollup Process: by measure when the primary objective is satisfied by
    /// measure, otherwise (clusters only) by rules.
    fn objective_rollup(&mut self, id: ActivityId) {
        let Some(p) = self.primary_index(id) else {
            return;
        };
        let by_measure = self
            .def(id)
            .objectives
            .get(p)
            .is_some_and(|o| o.satisfied_by_measure);
        if by_measure {
            self.objective_rollup_using_measure(id, p);
        } else if !self.is_leaf(id) {
            self.objective_rollup_using_rules(id);
        }
    }

    /// RB.1.2 a Objective Rollup Using Measure Process.
    fn objective_rollup_using_measure(&mut self, id: ActivityId, p: usize) {
        let threshold = self
            .def(id)
            .objectives
            .get(p)
            .map_or(1.0, |o| o.min_normalized_measure);
        let status = match self.objective_measure(id, p) {
            None => None,
            Some(m) => {
                let s = self.st(id);
                if !s.active
                    || self
                        .def(id)
                        .rollup_considerations
                        .measure_satisfaction_if_active
                {
                    Some(m >= threshold)
                } else {
                    None
                }
            }
        };
        self.set_primary_satisfied(id, status);
    }

    /// RB.1.2 b Objective Rollup Using Rules Process (with the default rules when the activity
    /// defines none for satisfaction).
    fn objective_rollup_using_rules(&mut self, id: ActivityId) {
        if self.rollup_rule_check(id, RollupAction::NotSatisfied) {
            self.set_primary_satisfied(id, Some(false));
        }
        if self.rollup_rule_check(id, RollupAction::Satisfied) {
            self.set_primary_satisfied(id, Some(true));
        }
    }

    /// RB.1.3 Activity Progress Rollup Process.
    fn progress_rollup(&mut self, id: ActivityId) {
        if self.tree[id].completion_threshold.completed_by_measure {
            self.progress_rollup_using_measure(id);
        } else if !self.is_leaf(id) {
            if self.rollup_rule_check(id, RollupAction::Incomplete) {
                self.set_attempt_completed(id, Some(false));
            }
            if self.rollup_rule_check(id, RollupAction::Completed) {
                self.set_attempt_completed(id, Some(true));
            }
        }
    }

    /// RB.1.3 a Activity Progress Rollup Using Measure Process (4th edition).
    fn progress_rollup_using_measure(&mut self, id: ActivityId) {
        let threshold = self.tree[id].completion_threshold.min_progress_measure;
        let status = self.completion_amount(id).map(|a| a >= threshold);
        self.set_attempt_completed(id, status);
    }

    /// RB.1.4 Rollup Rule Check Subprocess: does a rule with this action apply?
    pub(crate) fn rollup_rule_check(&self, id: ActivityId, action: RollupAction) -> bool {
        let pair = match action {
            RollupAction::Satisfied | RollupAction::NotSatisfied => {
                [RollupAction::Satisfied, RollupAction::NotSatisfied]
            }
            RollupAction::Completed | RollupAction::Incomplete => {
                [RollupAction::Completed, RollupAction::Incomplete]
            }
        };
        let rules = &self.def(id).rollup_rules;
        let defined = rules.iter().any(|r| pair.contains(&r.action));
        let default;
        let applicable: Vec<&RollupRule> = if defined {
            rules.iter().filter(|r| r.action == action).collect()
        } else {
            default = default_rules(action);
            vec![&default]
        };
        applicable
            .into_iter()
            .any(|rule| self.rollup_rule_applies(id, rule))
    }

    fn rollup_rule_applies(&self, id: ActivityId, rule: &RollupRule) -> bool {
        let bag: Vec<Option<bool>> = self
            .rollup_children(id)
            .into_iter()
            .filter(|c| self.check_child_for_rollup(*c, rule.action))
            .map(|c| self.evaluate_rollup_conditions(c, rule))
            .collect();
        // No contributing child: "all" and "none" hold vacuously, as ADL's reference sequencer
        // evaluates them (its conformance test RU-15b rolls a cluster up as completed when
        // every child is excluded from completion).
        if bag.is_empty() {
            return matches!(
                rule.child_activity_set,
                ChildActivitySet::All | ChildActivitySet::None
            );
        }
        let trues = bag.iter().filter(|v| **v == Some(true)).count();
        match rule.child_activity_set {
            ChildActivitySet::All => trues == bag.len(),
            ChildActivitySet::Any => trues > 0,
            ChildActivitySet::None => bag.iter().all(|v| *v == Some(false)),
            ChildActivitySet::AtLeastCount(n) => trues >= n as usize,
            ChildActivitySet::AtLeastPercent(p) => trues as f64 / bag.len() as f64 >= p,
        }
    }

    /// RB.1.4.1 Evaluate Rollup Conditions Subprocess, on a child's data as its parent may use
    /// it (stale data is unknown).
    fn evaluate_rollup_conditions(&self, child: ActivityId, rule: &RollupRule) -> Option<bool> {
        combine(
            rule.combination,
            rule.conditions.iter().map(|c| {
                let v = self.condition_value(
                    child,
                    rollup_condition_kind(c.condition),
                    None,
                    0.0,
                    true,
                );
                if c.negate { v.map(|v| !v) } else { v }
            }),
        )
    }

    /// RB.1.4.2 Check Child for Rollup Subprocess: is the child included in rollup for this
    /// action (its rollup controls and `adlseq:rollupConsiderations`)?
    pub(crate) fn check_child_for_rollup(&self, child: ActivityId, action: RollupAction) -> bool {
        let def = self.def(child);
        let considerations = &def.rollup_considerations;
        let (included, required) = match action {
            RollupAction::Satisfied => (
                def.rollup_controls.rollup_objective_satisfied,
                considerations.required_for_satisfied,
            ),
            RollupAction::NotSatisfied => (
                def.rollup_controls.rollup_objective_satisfied,
                considerations.required_for_not_satisfied,
            ),
            RollupAction::Completed => (
                def.rollup_controls.rollup_progress_completion,
                considerations.required_for_completed,
            ),
            RollupAction::Incomplete => (
                def.rollup_controls.rollup_progress_completion,
                considerations.required_for_incomplete,
            ),
        };
        if !included {
            return false;
        }
        let s = self.st(child);
        match required {
            Required::Always => true,
            Required::IfNotSuspended => self.attempted(child) && !s.suspended,
            Required::IfAttempted => self.attempted(child),
            Required::IfNotSkipped => self
                .rules_check(child, RuleKind::Pre, &[RuleAction::Skip])
                .is_none(),
        }
    }
}
