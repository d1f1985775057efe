//! Sequencing rules and limit conditions: the Sequencing Rules Check Process (UP.2), the
//! Sequencing Rule Check Subprocess (UP.2.1), the Limit Conditions Check Process (UP.1) and the
//! Check Activity Process (UP.5).

use crate::definition::{ConditionCombination, RuleAction, RuleCondition, RuleConditionKind};
use crate::engine::Sequencer;
use crate::tree::ActivityId;

/// Which rules of an activity a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleKind {
    Pre,
    Exit,
    Post,
}

/// Three-valued logic of rule evaluation: a condition on unknown tracking data is unknown,
/// `not` leaves unknown alone.
pub(crate) fn combine(
    combination: ConditionCombination,
    values: impl Iterator<Item = Option<bool>>,
) -> Option<bool> {
    let mut unknown = false;
    match combination {
        ConditionCombination::All => {
            for v in values {
                match v {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown { None } else { Some(true) }
        }
        ConditionCombination::Any => {
            for v in values {
                match v {
                    Some(true) => return Some(true),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown { None } else { Some(false) }
        }
    }
}

impl Sequencer<'_> {
    /// UP.2: the action of the first rule of `kind` whose action is one of `actions` and
    /// whose conditions hold.
    pub(crate) fn rules_check(
        &self,
        id: ActivityId,
        kind: RuleKind,
        actions: &[RuleAction],
    ) -> Option<RuleAction> {
        let def = self.def(id);
        let rules = match kind {
            RuleKind::Pre => &def.pre_condition_rules,
            RuleKind::Exit => &def.exit_condition_rules,
            RuleKind::Post => &def.post_condition_rules,
        };
        rules
            .iter()
            .filter(|r| actions.contains(&r.action))
            .find(|r| {
                combine(
                    r.combination,
                    r.conditions.iter().map(|c| self.rule_condition(id, c)),
                ) == Some(true)
            })
            .map(|r| r.action)
    }

    /// Evaluates one rule condition on the activity's own tracking data (UP.2.1).
    pub(crate) fn rule_condition(&self, id: ActivityId, c: &RuleCondition) -> Option<bool> {
        let value = self.condition_value(
            id,
            c.condition,
            c.referenced_objective.as_deref(),
            c.measure_threshold,
            false,
        );
        if c.negate { value.map(|v| !v) } else { value }
    }

    /// The value of a condition (for sequencing rules and, with `rollup`, rollup rules).
    pub(crate) fn condition_value(
        &self,
        id: ActivityId,
        kind: RuleConditionKind,
        objective: Option<&str>,
        threshold: f64,
        rollup: bool,
    ) -> Option<bool> {
        let o = self.objective_index(id, objective);
        // An activity that is not tracked has no status of its own to test: every status is
        // unknown (as in ADL's reference sequencer; its conformance test CO-05a).
        let tracked = self.def(id).delivery_controls.tracked;
        let o = o.filter(|_| tracked);
        let satisfied = || o.and_then(|o| self.objective_satisfied_for(id, o, rollup));
        let measure = || o.and_then(|o| self.objective_measure_for(id, o, rollup));
        // A condition on a non-primary objective's completion uses that objective's data.
        let completed = || match (objective, o) {
            (Some(_), Some(o)) if Some(o) != self.primary_index(id) => {
                self.objective_view(id, o).completed
            }
            _ if !tracked => None,
            _ => self.attempt_completed_for(id, rollup),
        };
        match kind {
            RuleConditionKind::Always => Some(true),
            RuleConditionKind::Satisfied => satisfied(),
            RuleConditionKind::ObjectiveStatusKnown => Some(satisfied().is_some()),
            RuleConditionKind::ObjectiveMeasureKnown => Some(measure().is_some()),
            RuleConditionKind::ObjectiveMeasureGreaterThan => measure().map(|m| m > threshold),
            RuleConditionKind::ObjectiveMeasureLessThan => measure().map(|m| m < threshold),
            RuleConditionKind::Completed => completed(),
            RuleConditionKind::ActivityProgressKnown => Some(completed().is_some()),
            RuleConditionKind::Attempted => Some(self.attempted(id)),
            RuleConditionKind::AttemptLimitExceeded => Some(self.attempt_limit_exceeded(id)),
            RuleConditionKind::TimeLimitExceeded => Some(self.time_limit_exceeded(id)),
            RuleConditionKind::OutsideAvailableTimeRange => Some(self.outside_time_range(id)),
        }
    }

    /// The attempt limit is reached (Limit Condition Attempt Control and Limit).
    pub(crate) fn attempt_limit_exceeded(&self, id: ActivityId) -> bool {
        match self.def(id).limit_conditions.attempt_limit {
            Some(limit) => self.attempted(id) && self.st(id).attempts >= limit,
            None => false,
        }
    }

    /// A duration limit is reached.
    pub(crate) fn time_limit_exceeded(&self, id: ActivityId) -> bool {
        let l = &self.def(id).limit_conditions;
        let s = self.st(id);
        // A running attempt's absolute duration grows with the clock.
        let attempt_absolute = match (self.now, s.attempt_started) {
            (Some(now), Some(start)) if s.active || s.suspended => (now - start).max(0.0),
            _ => s.attempt_absolute_duration,
        };
        let over = |limit: Option<f64>, value: f64| limit.is_some_and(|l| value >= l);
        over(l.attempt_absolute_duration_limit, attempt_absolute)
            || over(
                l.activity_absolute_duration_limit,
                s.earlier_attempts_absolute_duration + attempt_absolute,
            )
            || over(
                l.attempt_experienced_duration_limit,
                s.attempt_experienced_duration,
            )
            || over(
                l.activity_experienced_duration_limit,
                s.activity_experienced_duration,
            )
    }

    /// Now is before the activity's begin time limit or after its end time limit. Without a
    /// clock, no activity is outside its range.
    pub(crate) fn outside_time_range(&self, id: ActivityId) -> bool {
        let Some(now) = self.now else {
            return false;
        };
        let l = &self.def(id).limit_conditions;
        let at = |t: &Option<String>| t.as_deref().and_then(timestamp);
        at(&l.begin_time_limit).is_some_and(|begin| now < begin)
            || at(&l.end_time_limit).is_some_and(|end| now > end)
    }

    /// UP.1 Limit Conditions Check Process: true when a limit is violated.
    pub(crate) fn limit_conditions_violated(&self, id: ActivityId) -> bool {
        let s = self.st(id);
        if !self.def(id).delivery_controls.tracked || s.active || s.suspended {
            return false;
        }
        self.attempt_limit_exceeded(id)
            || self.time_limit_exceeded(id)
            || self.outside_time_range(id)
    }

    /// UP.5 Check Activity Process: true when the activity may not be delivered (a disabled
    /// rule holds or a limit is violated).
    pub(crate) fn check_activity(&self, id: ActivityId) -> bool {
        self.rules_check(id, RuleKind::Pre, &[RuleAction::Disabled])
            .is_some()
            || self.limit_conditions_violated(id)
    }

    /// A skip pre-condition holds.
    pub(crate) fn skipped(&self, id: ActivityId) -> bool {
        self.rules_check(id, RuleKind::Pre, &[RuleAction::Skip])
            .is_some()
    }

    /// A hiddenFromChoice pre-condition holds.
    pub fn hidden_from_choice(&self, id: ActivityId) -> bool {
        self.rules_check(id, RuleKind::Pre, &[RuleAction::HiddenFromChoice])
            .is_some()
    }

    /// A stopForwardTraversal pre-condition holds.
    pub(crate) fn stops_forward_traversal(&self, id: ActivityId) -> bool {
        self.rules_check(id, RuleKind::Pre, &[RuleAction::StopForwardTraversal])
            .is_some()
    }
}

/// An xs:dateTime as Unix seconds; one without a time zone is taken as UTC.
fn timestamp(text: &str) -> Option<f64> {
    let text = text.trim();
    let parsed = chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
        .ok()?;
    Some(parsed.timestamp_millis() as f64 / 1000.0)
}
