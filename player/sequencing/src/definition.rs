//! The Sequencing Definition Model (SCORM 2004 4th edition CAM, section 5; SN book, section 3):
//! what a package author declares for each activity. Every field starts at the default the CAM
//! gives for an absent element or attribute, so an activity without `imsss:sequencing` behaves
//! as the specification says.

use serde::{Deserialize, Serialize};

/// Everything the sequencing engine knows about one activity before any learner touched it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SequencingDefinition {
    pub control_mode: ControlMode,
    pub pre_condition_rules: Vec<SequencingRule>,
    pub exit_condition_rules: Vec<SequencingRule>,
    pub post_condition_rules: Vec<SequencingRule>,
    pub limit_conditions: LimitConditions,
    pub rollup_rules: Vec<RollupRule>,
    pub rollup_controls: RollupControls,
    /// The primary objective first (there always is one: CAM gives an activity without
    /// objectives a primary objective with no identifier), then the others in document order.
    pub objectives: Vec<ObjectiveDefinition>,
    pub randomization: RandomizationControls,
    pub delivery_controls: DeliveryControls,
    pub constrained_choice: ConstrainedChoice,
    pub rollup_considerations: RollupConsiderations,
}

impl SequencingDefinition {
    /// The primary objective (the one that contributes to rollup).
    pub fn primary_objective(&self) -> Option<&ObjectiveDefinition> {
        self.objectives.iter().find(|o| o.primary)
    }
}

/// `imsss:controlMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ControlMode {
    pub choice: bool,
    pub choice_exit: bool,
    pub flow: bool,
    pub forward_only: bool,
    pub use_current_attempt_objective_info: bool,
    pub use_current_attempt_progress_info: bool,
}

impl Default for ControlMode {
    fn default() -> Self {
        ControlMode {
            choice: true,
            choice_exit: true,
            flow: false,
            forward_only: false,
            use_current_attempt_objective_info: true,
            use_current_attempt_progress_info: true,
        }
    }
}

/// A pre-, exit- or post-condition rule (`imsss:preConditionRule` ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SequencingRule {
    pub combination: ConditionCombination,
    pub conditions: Vec<RuleCondition>,
    pub action: RuleAction,
}

/// `conditionCombination`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConditionCombination {
    All,
    Any,
}

/// One `imsss:ruleCondition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleCondition {
    pub condition: RuleConditionKind,
    /// `operator="not"`.
    pub negate: bool,
    /// `referencedObjective`: an objective of this activity by its objectiveID; `None` means
    /// the primary objective.
    pub referenced_objective: Option<String>,
    /// `measureThreshold` (-1..1, default 0).
    pub measure_threshold: f64,
}

/// The conditions of sequencing rules (`ruleCondition/@condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleConditionKind {
    Satisfied,
    ObjectiveStatusKnown,
    ObjectiveMeasureKnown,
    ObjectiveMeasureGreaterThan,
    ObjectiveMeasureLessThan,
    Completed,
    ActivityProgressKnown,
    Attempted,
    AttemptLimitExceeded,
    TimeLimitExceeded,
    OutsideAvailableTimeRange,
    Always,
}

/// `ruleAction/@action`. Which actions are allowed depends on the rule's kind; the parser
/// checks that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleAction {
    // Pre-condition actions.
    Skip,
    Disabled,
    HiddenFromChoice,
    StopForwardTraversal,
    // Exit-condition action.
    Exit,
    // Post-condition actions.
    ExitParent,
    ExitAll,
    Retry,
    RetryAll,
    Continue,
    Previous,
}

/// `imsss:limitConditions`. Only the attempt limit takes part in sequencing decisions; the
/// duration and time-range limits are kept for the conditions that name them (4th edition:
/// "the LMS is not required to evaluate" them, and they evaluate to false here unless the
/// durations are tracked).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LimitConditions {
    /// `attemptLimit`; `None` (or 0 in the manifest) is no limit.
    pub attempt_limit: Option<u32>,
    /// `attemptAbsoluteDurationLimit`, in seconds.
    pub attempt_absolute_duration_limit: Option<f64>,
    /// `activityAbsoluteDurationLimit`, in seconds.
    pub activity_absolute_duration_limit: Option<f64>,
    /// `attemptExperiencedDurationLimit`, in seconds.
    pub attempt_experienced_duration_limit: Option<f64>,
    /// `activityExperiencedDurationLimit`, in seconds.
    pub activity_experienced_duration_limit: Option<f64>,
    /// `beginTimeLimit`, as written (an xs:dateTime).
    pub begin_time_limit: Option<String>,
    /// `endTimeLimit`, as written.
    pub end_time_limit: Option<String>,
}

/// One `imsss:rollupRule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupRule {
    pub child_activity_set: ChildActivitySet,
    pub combination: ConditionCombination,
    pub conditions: Vec<RollupCondition>,
    pub action: RollupAction,
}

/// `childActivitySet` with its count or percentage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChildActivitySet {
    All,
    Any,
    None,
    AtLeastCount(u32),
    /// A fraction 0..1 (`minimumPercent`).
    AtLeastPercent(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupCondition {
    pub condition: RollupConditionKind,
    pub negate: bool,
}

/// `rollupCondition/@condition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RollupConditionKind {
    Satisfied,
    ObjectiveStatusKnown,
    ObjectiveMeasureKnown,
    Completed,
    ActivityProgressKnown,
    Attempted,
    AttemptLimitExceeded,
    TimeLimitExceeded,
    OutsideAvailableTimeRange,
}

/// `rollupAction/@action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RollupAction {
    Satisfied,
    NotSatisfied,
    Completed,
    Incomplete,
}

/// The attributes of `imsss:rollupRules`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RollupControls {
    /// `rollupObjectiveSatisfied`: this activity's satisfaction counts in its parent's rollup.
    pub rollup_objective_satisfied: bool,
    /// `rollupProgressCompletion`: its completion counts in its parent's rollup.
    pub rollup_progress_completion: bool,
    /// `objectiveMeasureWeight` (0..1): its weight in the parent's measure rollup.
    pub objective_measure_weight: f64,
}

impl Default for RollupControls {
    fn default() -> Self {
        RollupControls {
            rollup_objective_satisfied: true,
            rollup_progress_completion: true,
            objective_measure_weight: 1.0,
        }
    }
}

/// An `imsss:primaryObjective` or `imsss:objective`, with its `adlseq:objective` extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectiveDefinition {
    /// `objectiveID`; may be absent on the primary objective only.
    pub id: Option<String>,
    pub primary: bool,
    pub satisfied_by_measure: bool,
    /// `imsss:minNormalizedMeasure` (-1..1, default 1.0).
    pub min_normalized_measure: f64,
    pub maps: Vec<ObjectiveMap>,
}

impl ObjectiveDefinition {
    /// The status a measure gives this objective when it is satisfied by measure: satisfied
    /// from `minNormalizedMeasure` up, unknown without a measure.
    pub fn measured_status(&self, measure: Option<f64>) -> Option<bool> {
        measure.map(|m| m >= self.min_normalized_measure)
    }
}

impl Default for ObjectiveDefinition {
    fn default() -> Self {
        ObjectiveDefinition {
            id: None,
            primary: true,
            satisfied_by_measure: false,
            min_normalized_measure: 1.0,
            maps: Vec::new(),
        }
    }
}

/// One map between a local objective and a global (shared) objective: `imsss:mapInfo` and,
/// for the same target, `adlseq:mapInfo` (4th edition: scores, completion and progress).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectiveMap {
    pub target: String,
    pub read_satisfied_status: bool,
    pub read_normalized_measure: bool,
    pub write_satisfied_status: bool,
    pub write_normalized_measure: bool,
    pub read_raw_score: bool,
    pub read_min_score: bool,
    pub read_max_score: bool,
    pub read_completion_status: bool,
    pub read_progress_measure: bool,
    pub write_raw_score: bool,
    pub write_min_score: bool,
    pub write_max_score: bool,
    pub write_completion_status: bool,
    pub write_progress_measure: bool,
}

impl ObjectiveMap {
    /// Does this map read anything from its global objective?
    pub fn reads(&self) -> bool {
        self.read_satisfied_status
            || self.read_normalized_measure
            || self.read_raw_score
            || self.read_min_score
            || self.read_max_score
            || self.read_completion_status
            || self.read_progress_measure
    }

    /// Does this map write anything to its global objective?
    pub fn writes(&self) -> bool {
        self.write_satisfied_status
            || self.write_normalized_measure
            || self.write_raw_score
            || self.write_min_score
            || self.write_max_score
            || self.write_completion_status
            || self.write_progress_measure
    }

    /// An `imsss:mapInfo` with the CAM defaults (reads on, writes off) and, until an
    /// `adlseq:mapInfo` says otherwise, no score, completion or progress sharing.
    pub fn new(target: impl Into<String>) -> Self {
        ObjectiveMap {
            target: target.into(),
            read_satisfied_status: true,
            read_normalized_measure: true,
            ..ObjectiveMap::default()
        }
    }
}

/// `imsss:randomizationControls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RandomizationControls {
    pub randomization_timing: Timing,
    /// `selectCount`: how many children to select; `None` selects all.
    pub select_count: Option<u32>,
    pub reorder_children: bool,
    pub selection_timing: Timing,
}

/// `randomizationTiming` / `selectionTiming`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Timing {
    #[default]
    Never,
    Once,
    OnEachNewAttempt,
}

/// `imsss:deliveryControls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeliveryControls {
    pub tracked: bool,
    pub completion_set_by_content: bool,
    pub objective_set_by_content: bool,
}

impl Default for DeliveryControls {
    fn default() -> Self {
        DeliveryControls {
            tracked: true,
            completion_set_by_content: false,
            objective_set_by_content: false,
        }
    }
}

/// `adlseq:constrainedChoiceConsiderations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConstrainedChoice {
    pub prevent_activation: bool,
    pub constrain_choice: bool,
}

/// `adlseq:rollupConsiderations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RollupConsiderations {
    pub required_for_satisfied: Required,
    pub required_for_not_satisfied: Required,
    pub required_for_completed: Required,
    pub required_for_incomplete: Required,
    pub measure_satisfaction_if_active: bool,
}

impl Default for RollupConsiderations {
    fn default() -> Self {
        RollupConsiderations {
            required_for_satisfied: Required::Always,
            required_for_not_satisfied: Required::Always,
            required_for_completed: Required::Always,
            required_for_incomplete: Required::Always,
            measure_satisfaction_if_active: true,
        }
    }
}

/// When a child is included in a rollup (`requiredFor...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Required {
    #[default]
    Always,
    IfAttempted,
    IfNotSkipped,
    IfNotSuspended,
}

/// `adlcp:completionThreshold` (4th edition form; the 3rd edition's text value is the
/// `minProgressMeasure`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CompletionThreshold {
    pub completed_by_measure: bool,
    pub min_progress_measure: f64,
    pub progress_weight: f64,
}

impl Default for CompletionThreshold {
    fn default() -> Self {
        CompletionThreshold {
            completed_by_measure: false,
            min_progress_measure: 1.0,
            progress_weight: 1.0,
        }
    }
}
