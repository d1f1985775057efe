//! `imsss:sequencing` XML is read into the definition model with the CAM's defaults, and a
//! broken definition is refused with the element path of the problem.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fmt::Debug;

use lara_sequencing::definition::{
    ChildActivitySet, CompletionThreshold, ConditionCombination, ConstrainedChoice, ControlMode,
    DeliveryControls, LimitConditions, ObjectiveDefinition, ObjectiveMap, RandomizationControls,
    Required, RollupAction, RollupConditionKind, RollupConsiderations, RollupControls, RuleAction,
    RuleConditionKind, SequencingDefinition, Timing,
};
use lara_sequencing::{
    DefinitionError, default_sequencing, parse_completion_threshold, parse_sequencing,
};

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A sequencing element around `body`, with the `imsss:` prefix undeclared, as the package
/// crate once stored it.
fn seq(body: &str) -> String {
    format!("<imsss:sequencing>{body}</imsss:sequencing>")
}

fn ok(body: &str) -> SequencingDefinition {
    let xml = seq(body);
    parse_sequencing(&xml, None).unwrap_or_else(|e| panic!("{xml}\nrefused: {e}"))
}

/// `result` is an error at `path` whose message contains each of `words`.
fn check_error<T: Debug>(result: Result<T, DefinitionError>, path: &str, words: &[&str]) {
    let e = match result {
        Ok(v) => panic!("accepted, expected an error at {path}: {v:?}"),
        Err(e) => e,
    };
    assert_eq!(e.path, path, "{e}");
    for w in words {
        assert!(e.message.contains(w), "{w:?} is not in the message: {e}");
    }
}

fn refused(body: &str, path: &str, words: &[&str]) {
    check_error(parse_sequencing(&seq(body), None), path, words);
}

/// A `sequencingRules` with one rule of `kind`.
fn rule(kind: &str, conditions: &str, action: &str) -> String {
    rules(&[(kind, conditions, action)])
}

/// A `sequencingRules` with a rule per `(kind, conditions, action)`.
fn rules(list: &[(&str, &str, &str)]) -> String {
    let rules: String = list
        .iter()
        .map(|(kind, conditions, action)| {
            format!(
                "<imsss:{kind}><imsss:ruleConditions>{conditions}</imsss:ruleConditions>\
                 <imsss:ruleAction action=\"{action}\"/></imsss:{kind}>"
            )
        })
        .collect();
    format!("<imsss:sequencingRules>{rules}</imsss:sequencingRules>")
}

fn condition(attributes: &str) -> String {
    format!("<imsss:ruleCondition {attributes}/>")
}

/// A `rollupRules` with one rule whose `rollupRule` has `attributes`.
fn rollup(attributes: &str, conditions: &str, action: &str) -> String {
    format!(
        "<imsss:rollupRules><imsss:rollupRule {attributes}><imsss:rollupConditions>\
         {conditions}</imsss:rollupConditions><imsss:rollupAction action=\"{action}\"/>\
         </imsss:rollupRule></imsss:rollupRules>"
    )
}

const PRE: &str = "sequencing/sequencingRules/preConditionRule";
const CONDITION: &str = "sequencing/sequencingRules/preConditionRule/ruleConditions/ruleCondition";
const ROLLUP: &str = "sequencing/rollupRules/rollupRule";

#[test]
fn an_empty_element_has_every_default() {
    let expected = default_sequencing();
    for xml in [
        "<imsss:sequencing/>",
        "<sequencing/>",
        "<sequencing xmlns=\"http://www.imsglobal.org/xsd/imsss\"></sequencing>",
        "<?xml version=\"1.0\"?>\n<imsss:sequencing>\n  <!-- nothing -->\n</imsss:sequencing>",
        "<imsss:sequencing><imsss:auxiliaryResources/></imsss:sequencing>",
    ] {
        assert_eq!(parse_sequencing(xml, None).unwrap(), expected, "{xml}");
    }
    let d = expected;
    assert_eq!(
        d.control_mode,
        ControlMode {
            choice: true,
            choice_exit: true,
            flow: false,
            forward_only: false,
            use_current_attempt_objective_info: true,
            use_current_attempt_progress_info: true,
        }
    );
    assert!(d.pre_condition_rules.is_empty());
    assert!(d.exit_condition_rules.is_empty());
    assert!(d.post_condition_rules.is_empty());
    assert!(d.rollup_rules.is_empty());
    assert_eq!(d.limit_conditions, LimitConditions::default());
    assert_eq!(d.limit_conditions.attempt_limit, None);
    assert_eq!(
        d.rollup_controls,
        RollupControls {
            rollup_objective_satisfied: true,
            rollup_progress_completion: true,
            objective_measure_weight: 1.0,
        }
    );
    assert_eq!(
        d.objectives,
        vec![ObjectiveDefinition {
            id: None,
            primary: true,
            satisfied_by_measure: false,
            min_normalized_measure: 1.0,
            maps: vec![],
        }]
    );
    assert_eq!(d.primary_objective(), d.objectives.first());
    assert_eq!(
        d.randomization,
        RandomizationControls {
            randomization_timing: Timing::Never,
            select_count: None,
            reorder_children: false,
            selection_timing: Timing::Never,
        }
    );
    assert_eq!(
        d.delivery_controls,
        DeliveryControls {
            tracked: true,
            completion_set_by_content: false,
            objective_set_by_content: false,
        }
    );
    assert_eq!(
        d.constrained_choice,
        ConstrainedChoice {
            prevent_activation: false,
            constrain_choice: false,
        }
    );
    assert_eq!(
        d.rollup_considerations,
        RollupConsiderations {
            required_for_satisfied: Required::Always,
            required_for_not_satisfied: Required::Always,
            required_for_completed: Required::Always,
            required_for_incomplete: Required::Always,
            measure_satisfaction_if_active: true,
        }
    );
}

#[test]
fn every_part_of_a_full_definition() {
    let parsed = parse_sequencing(&data("full.xml"), None).unwrap();
    let expected: SequencingDefinition = serde_json::from_str(&data("full.json")).unwrap();
    assert_eq!(parsed, expected);
}

#[test]
fn control_mode_attributes() {
    type Field = fn(&ControlMode) -> bool;
    let cases: [(&str, Field); 6] = [
        ("choice", |c| c.choice),
        ("choiceExit", |c| c.choice_exit),
        ("flow", |c| c.flow),
        ("forwardOnly", |c| c.forward_only),
        ("useCurrentAttemptObjectiveInfo", |c| {
            c.use_current_attempt_objective_info
        }),
        ("useCurrentAttemptProgressInfo", |c| {
            c.use_current_attempt_progress_info
        }),
    ];
    let default = ControlMode::default();
    for (name, field) in cases {
        for (written, value) in [
            ("true", true),
            ("false", false),
            ("1", true),
            ("0", false),
            (" true\n", true),
            // Some authoring tools capitalise; the meaning is clear.
            ("True", true),
            ("FALSE", false),
        ] {
            let d = ok(&format!("<imsss:controlMode {name}=\"{written}\"/>"));
            assert_eq!(field(&d.control_mode), value, "{name}={written}");
            // The other attributes keep their defaults.
            for (other, other_field) in cases {
                if other != name {
                    assert_eq!(
                        other_field(&d.control_mode),
                        other_field(&default),
                        "{other}"
                    );
                }
            }
        }
        for bad in ["yes", "", "2"] {
            refused(
                &format!("<imsss:controlMode {name}=\"{bad}\"/>"),
                &format!("sequencing/controlMode/@{name}"),
                &[&format!("{bad:?}"), "true, false, 1 or 0"],
            );
        }
    }
}

#[test]
fn every_rule_kind_and_action() {
    let always = condition("condition=\"always\"");
    let cases = [
        ("preConditionRule", "skip", RuleAction::Skip),
        ("preConditionRule", "disabled", RuleAction::Disabled),
        (
            "preConditionRule",
            "hiddenFromChoice",
            RuleAction::HiddenFromChoice,
        ),
        (
            "preConditionRule",
            "stopForwardTraversal",
            RuleAction::StopForwardTraversal,
        ),
        ("exitConditionRule", "exit", RuleAction::Exit),
        ("postConditionRule", "exitParent", RuleAction::ExitParent),
        ("postConditionRule", "exitAll", RuleAction::ExitAll),
        ("postConditionRule", "retry", RuleAction::Retry),
        ("postConditionRule", "retryAll", RuleAction::RetryAll),
        ("postConditionRule", "continue", RuleAction::Continue),
        ("postConditionRule", "previous", RuleAction::Previous),
    ];
    for (kind, token, action) in cases {
        let d = ok(&rule(kind, &always, token));
        let lists = [
            ("preConditionRule", &d.pre_condition_rules),
            ("exitConditionRule", &d.exit_condition_rules),
            ("postConditionRule", &d.post_condition_rules),
        ];
        for (list_kind, list) in lists {
            if list_kind == kind {
                assert_eq!(list.len(), 1, "{kind}");
                assert_eq!(list[0].action, action, "{kind} {token}");
                assert_eq!(list[0].conditions[0].condition, RuleConditionKind::Always);
            } else {
                assert!(list.is_empty(), "{kind} {token} went to {list_kind}");
            }
        }
        // An action of another kind of rule is refused, naming what is allowed.
        for (other_kind, other_token, _) in cases {
            if other_kind == kind {
                continue;
            }
            refused(
                &rule(kind, &always, other_token),
                &format!("sequencing/sequencingRules/{kind}/ruleAction/@action"),
                &[
                    &format!("{other_token:?}"),
                    cases_tokens(&cases, kind).as_str(),
                ],
            );
        }
    }
    refused(
        &rule("postConditionRule", &always, "jump"),
        "sequencing/sequencingRules/postConditionRule/ruleAction/@action",
        &["\"jump\"", "postcondition", "exitParent, exitAll, retry"],
    );
}

/// The actions of a rule kind, as the error message lists them.
fn cases_tokens(cases: &[(&str, &str, RuleAction)], kind: &str) -> String {
    let tokens: Vec<&str> = cases
        .iter()
        .filter(|(k, _, _)| *k == kind)
        .map(|(_, t, _)| *t)
        .collect();
    tokens.join(", ")
}

#[test]
fn rules_keep_document_order_within_each_kind() {
    let d = ok(&rules(&[
        (
            "postConditionRule",
            &condition("condition=\"satisfied\""),
            "exitAll",
        ),
        (
            "preConditionRule",
            &condition("condition=\"completed\""),
            "disabled",
        ),
        (
            "postConditionRule",
            &condition("condition=\"attempted\""),
            "continue",
        ),
    ]));
    let actions: Vec<RuleAction> = d.post_condition_rules.iter().map(|r| r.action).collect();
    assert_eq!(actions, [RuleAction::ExitAll, RuleAction::Continue]);
    assert_eq!(d.pre_condition_rules[0].action, RuleAction::Disabled);
}

#[test]
fn every_rule_condition_and_operator() {
    let cases = [
        ("satisfied", RuleConditionKind::Satisfied),
        (
            "objectiveStatusKnown",
            RuleConditionKind::ObjectiveStatusKnown,
        ),
        (
            "objectiveMeasureKnown",
            RuleConditionKind::ObjectiveMeasureKnown,
        ),
        (
            "objectiveMeasureGreaterThan",
            RuleConditionKind::ObjectiveMeasureGreaterThan,
        ),
        (
            "objectiveMeasureLessThan",
            RuleConditionKind::ObjectiveMeasureLessThan,
        ),
        ("completed", RuleConditionKind::Completed),
        (
            "activityProgressKnown",
            RuleConditionKind::ActivityProgressKnown,
        ),
        ("attempted", RuleConditionKind::Attempted),
        (
            "attemptLimitExceeded",
            RuleConditionKind::AttemptLimitExceeded,
        ),
        ("timeLimitExceeded", RuleConditionKind::TimeLimitExceeded),
        (
            "outsideAvailableTimeRange",
            RuleConditionKind::OutsideAvailableTimeRange,
        ),
        ("always", RuleConditionKind::Always),
    ];
    for (token, kind) in cases {
        for (operator, negate) in [
            ("", false),
            ("operator=\"noOp\"", false),
            ("operator=\"not\"", true),
        ] {
            let c = condition(&format!("condition=\"{token}\" {operator}"));
            let d = ok(&rule("preConditionRule", &c, "skip"));
            let parsed = &d.pre_condition_rules[0].conditions[0];
            assert_eq!(parsed.condition, kind, "{token}");
            assert_eq!(parsed.negate, negate, "{token} {operator}");
            assert_eq!(parsed.referenced_objective, None);
            assert_eq!(parsed.measure_threshold, 0.0);
        }
    }
    refused(
        &rule(
            "preConditionRule",
            &condition("condition=\"passed\""),
            "skip",
        ),
        &format!("{CONDITION}/@condition"),
        &[
            "\"passed\"",
            "a rule condition",
            "satisfied, objectiveStatusKnown",
            "always",
        ],
    );
    refused(
        &rule("preConditionRule", &condition("operator=\"not\""), "skip"),
        &format!("{CONDITION}/@condition"),
        &["missing", "satisfied"],
    );
    refused(
        &rule(
            "preConditionRule",
            &condition("condition=\"satisfied\" operator=\"NOT\""),
            "skip",
        ),
        &format!("{CONDITION}/@operator"),
        &["\"NOT\"", "noOp, not"],
    );
}

#[test]
fn an_error_path_counts_repeated_elements() {
    let good = condition("condition=\"always\"");
    let bad = format!("{}{good}", condition("condition=\"sometimes\""));
    let body = rules(&[
        ("preConditionRule", &good, "skip"),
        ("preConditionRule", &bad, "skip"),
    ]);
    let e = parse_sequencing(&seq(&body), None).unwrap_err();
    assert_eq!(
        e.path,
        "sequencing/sequencingRules/preConditionRule[2]/ruleConditions/ruleCondition[1]/@condition"
    );
    assert_eq!(e.to_string(), format!("{}: {}", e.path, e.message));
}

#[test]
fn measure_threshold() {
    let threshold = |value: &str| {
        let c = condition(&format!(
            "condition=\"objectiveMeasureGreaterThan\" measureThreshold=\"{value}\""
        ));
        parse_sequencing(&seq(&rule("preConditionRule", &c, "skip")), None)
            .map(|d| d.pre_condition_rules[0].conditions[0].measure_threshold)
    };
    for (written, value) in [
        ("0.5", 0.5),
        ("-1", -1.0),
        ("1.0", 1.0),
        ("+0.25", 0.25),
        (".75", 0.75),
        ("-0.0001", -0.0001),
        (" 0.3 ", 0.3),
    ] {
        assert_eq!(threshold(written).unwrap(), value, "{written}");
    }
    for (bad, words) in [
        ("1.5", &["out of range", "-1 to 1"][..]),
        ("-1.01", &["out of range"]),
        ("abc", &["\"abc\"", "not a decimal"]),
        ("1e-1", &["not a decimal"]),
        ("NaN", &["not a decimal"]),
        ("inf", &["not a decimal"]),
        ("", &["not a decimal"]),
        ("0.1.2", &["not a decimal"]),
    ] {
        check_error(
            threshold(bad),
            &format!("{CONDITION}/@measureThreshold"),
            words,
        );
    }
}

#[test]
fn condition_combination_defaults_differ_for_rules_and_rollup() {
    let always = condition("condition=\"always\"");
    let d = ok(&rule("preConditionRule", &always, "skip"));
    assert_eq!(
        d.pre_condition_rules[0].combination,
        ConditionCombination::All
    );
    let rollup_condition = "<imsss:rollupCondition condition=\"satisfied\"/>";
    let d = ok(&rollup("", rollup_condition, "satisfied"));
    assert_eq!(d.rollup_rules[0].combination, ConditionCombination::Any);

    let rules_with = |c: &str| {
        format!(
            "<imsss:sequencingRules><imsss:exitConditionRule><imsss:ruleConditions \
             conditionCombination=\"{c}\">{always}</imsss:ruleConditions><imsss:ruleAction \
             action=\"exit\"/></imsss:exitConditionRule></imsss:sequencingRules>"
        )
    };
    let rollup_with = |c: &str| {
        format!(
            "<imsss:rollupRules><imsss:rollupRule><imsss:rollupConditions \
             conditionCombination=\"{c}\">{rollup_condition}</imsss:rollupConditions>\
             <imsss:rollupAction action=\"completed\"/></imsss:rollupRule></imsss:rollupRules>"
        )
    };
    for (written, combination) in [
        ("all", ConditionCombination::All),
        ("any", ConditionCombination::Any),
    ] {
        assert_eq!(
            ok(&rules_with(written)).exit_condition_rules[0].combination,
            combination
        );
        assert_eq!(
            ok(&rollup_with(written)).rollup_rules[0].combination,
            combination
        );
    }
    refused(
        &rules_with("some"),
        "sequencing/sequencingRules/exitConditionRule/ruleConditions/@conditionCombination",
        &["\"some\"", "all, any"],
    );
    refused(
        &rollup_with("All"),
        "sequencing/rollupRules/rollupRule/rollupConditions/@conditionCombination",
        &["\"All\""],
    );
}

#[test]
fn a_rule_needs_conditions_and_an_action() {
    let always = condition("condition=\"always\"");
    refused(
        "<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleAction action=\"skip\"/>\
         </imsss:preConditionRule></imsss:sequencingRules>",
        PRE,
        &["no <ruleConditions>"],
    );
    refused(
        &rule("preConditionRule", "", "skip"),
        &format!("{PRE}/ruleConditions"),
        &["no <ruleCondition>"],
    );
    refused(
        &format!(
            "<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>{always}\
             </imsss:ruleConditions></imsss:preConditionRule></imsss:sequencingRules>"
        ),
        PRE,
        &["no <ruleAction>"],
    );
    refused(
        &format!(
            "<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>{always}\
             </imsss:ruleConditions><imsss:ruleAction/></imsss:preConditionRule>\
             </imsss:sequencingRules>"
        ),
        &format!("{PRE}/ruleAction/@action"),
        &[
            "missing",
            "skip, disabled, hiddenFromChoice, stopForwardTraversal",
        ],
    );
    refused(
        &format!(
            "<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>{always}\
             </imsss:ruleConditions><imsss:ruleAction action=\"skip\"/>\
             <imsss:ruleAction action=\"disabled\"/></imsss:preConditionRule>\
             </imsss:sequencingRules>"
        ),
        &format!("{PRE}/ruleAction[2]"),
        &["a second <ruleAction>"],
    );
}

#[test]
fn rollup_rules_with_each_child_activity_set() {
    let satisfied = "<imsss:rollupCondition condition=\"satisfied\"/>";
    for (attributes, set) in [
        ("", ChildActivitySet::All),
        ("childActivitySet=\"all\"", ChildActivitySet::All),
        ("childActivitySet=\"any\"", ChildActivitySet::Any),
        ("childActivitySet=\"none\"", ChildActivitySet::None),
        (
            "childActivitySet=\"atLeastCount\" minimumCount=\"2\"",
            ChildActivitySet::AtLeastCount(2),
        ),
        (
            "childActivitySet=\"atLeastCount\"",
            ChildActivitySet::AtLeastCount(0),
        ),
        (
            "childActivitySet=\"atLeastPercent\" minimumPercent=\"0.5\"",
            ChildActivitySet::AtLeastPercent(0.5),
        ),
        (
            "childActivitySet=\"atLeastPercent\" minimumPercent=\"1\"",
            ChildActivitySet::AtLeastPercent(1.0),
        ),
        (
            "childActivitySet=\"atLeastPercent\"",
            ChildActivitySet::AtLeastPercent(0.0),
        ),
        // The count and percentage of another set are checked, then unused.
        (
            "childActivitySet=\"any\" minimumCount=\"3\"",
            ChildActivitySet::Any,
        ),
    ] {
        let d = ok(&rollup(attributes, satisfied, "satisfied"));
        assert_eq!(d.rollup_rules.len(), 1);
        assert_eq!(d.rollup_rules[0].child_activity_set, set, "{attributes}");
    }
    for (attributes, attribute, words) in [
        (
            "childActivitySet=\"most\"",
            "childActivitySet",
            &["\"most\"", "atLeastPercent"][..],
        ),
        (
            "minimumCount=\"-1\"",
            "minimumCount",
            &["\"-1\"", "whole number"],
        ),
        ("minimumCount=\"two\"", "minimumCount", &["\"two\""]),
        (
            "minimumCount=\"99999999999\"",
            "minimumCount",
            &["whole number"],
        ),
        (
            "minimumPercent=\"1.5\"",
            "minimumPercent",
            &["out of range", "0 to 1"],
        ),
        (
            "minimumPercent=\"-0.1\"",
            "minimumPercent",
            &["out of range"],
        ),
        (
            "minimumPercent=\"50%\"",
            "minimumPercent",
            &["not a decimal"],
        ),
    ] {
        refused(
            &rollup(attributes, satisfied, "satisfied"),
            &format!("{ROLLUP}/@{attribute}"),
            words,
        );
    }
}

#[test]
fn rollup_conditions_and_actions() {
    let cases = [
        ("satisfied", RollupConditionKind::Satisfied),
        (
            "objectiveStatusKnown",
            RollupConditionKind::ObjectiveStatusKnown,
        ),
        (
            "objectiveMeasureKnown",
            RollupConditionKind::ObjectiveMeasureKnown,
        ),
        ("completed", RollupConditionKind::Completed),
        (
            "activityProgressKnown",
            RollupConditionKind::ActivityProgressKnown,
        ),
        ("attempted", RollupConditionKind::Attempted),
        (
            "attemptLimitExceeded",
            RollupConditionKind::AttemptLimitExceeded,
        ),
        ("timeLimitExceeded", RollupConditionKind::TimeLimitExceeded),
        (
            "outsideAvailableTimeRange",
            RollupConditionKind::OutsideAvailableTimeRange,
        ),
    ];
    for (token, kind) in cases {
        for (operator, negate) in [
            ("", false),
            ("operator=\"noOp\"", false),
            ("operator=\"not\"", true),
        ] {
            let c = format!("<imsss:rollupCondition condition=\"{token}\" {operator}/>");
            let d = ok(&rollup("", &c, "completed"));
            assert_eq!(d.rollup_rules[0].conditions[0].condition, kind, "{token}");
            assert_eq!(d.rollup_rules[0].conditions[0].negate, negate, "{operator}");
        }
    }
    // Sequencing rule conditions that rollup does not have.
    for token in [
        "objectiveMeasureGreaterThan",
        "objectiveMeasureLessThan",
        "always",
        "x",
    ] {
        refused(
            &rollup(
                "",
                &format!("<imsss:rollupCondition condition=\"{token}\"/>"),
                "completed",
            ),
            &format!("{ROLLUP}/rollupConditions/rollupCondition/@condition"),
            &[
                &format!("{token:?}"),
                "a rollup condition",
                "outsideAvailableTimeRange",
            ],
        );
    }
    let satisfied = "<imsss:rollupCondition condition=\"satisfied\"/>";
    for (token, action) in [
        ("satisfied", RollupAction::Satisfied),
        ("notSatisfied", RollupAction::NotSatisfied),
        ("completed", RollupAction::Completed),
        ("incomplete", RollupAction::Incomplete),
    ] {
        assert_eq!(
            ok(&rollup("", satisfied, token)).rollup_rules[0].action,
            action
        );
    }
    refused(
        &rollup("", satisfied, "skip"),
        &format!("{ROLLUP}/rollupAction/@action"),
        &["\"skip\"", "satisfied, notSatisfied, completed, incomplete"],
    );
    refused(
        &rollup("", "", "completed"),
        &format!("{ROLLUP}/rollupConditions"),
        &["no <rollupCondition>"],
    );
    refused(
        "<imsss:rollupRules><imsss:rollupRule><imsss:rollupAction action=\"completed\"/>\
         </imsss:rollupRule></imsss:rollupRules>",
        ROLLUP,
        &["no <rollupConditions>"],
    );
    refused(
        &format!(
            "<imsss:rollupRules><imsss:rollupRule><imsss:rollupConditions>{satisfied}\
             </imsss:rollupConditions></imsss:rollupRule></imsss:rollupRules>"
        ),
        ROLLUP,
        &["no <rollupAction>"],
    );
}

#[test]
fn rollup_controls() {
    let controls = |attributes: &str| {
        parse_sequencing(&seq(&format!("<imsss:rollupRules {attributes}/>")), None)
            .map(|d| d.rollup_controls)
    };
    assert_eq!(controls("").unwrap(), RollupControls::default());
    assert_eq!(
        controls(
            "rollupObjectiveSatisfied=\"false\" rollupProgressCompletion=\"0\" \
             objectiveMeasureWeight=\"0.25\""
        )
        .unwrap(),
        RollupControls {
            rollup_objective_satisfied: false,
            rollup_progress_completion: false,
            objective_measure_weight: 0.25,
        }
    );
    assert_eq!(
        controls("objectiveMeasureWeight=\"0\"")
            .unwrap()
            .objective_measure_weight,
        0.0
    );
    check_error(
        controls("objectiveMeasureWeight=\"1.5\""),
        "sequencing/rollupRules/@objectiveMeasureWeight",
        &["out of range", "0 to 1"],
    );
    check_error(
        controls("rollupProgressCompletion=\"no\""),
        "sequencing/rollupRules/@rollupProgressCompletion",
        &["\"no\""],
    );
}

#[test]
fn objectives_and_their_maps() {
    let d = ok("<imsss:objectives>\
          <imsss:primaryObjective objectiveID=\"p\" satisfiedByMeasure=\"true\">\
            <imsss:minNormalizedMeasure>-0.5</imsss:minNormalizedMeasure>\
            <imsss:mapInfo targetObjectiveID=\"g1\"/>\
            <imsss:mapInfo targetObjectiveID=\"g2\" readSatisfiedStatus=\"false\" \
               readNormalizedMeasure=\"false\" writeSatisfiedStatus=\"true\" \
               writeNormalizedMeasure=\"1\"/>\
          </imsss:primaryObjective>\
          <imsss:objective objectiveID=\"a\"/>\
          <imsss:objective objectiveID=\"b\" satisfiedByMeasure=\"0\">\
            <imsss:minNormalizedMeasure>0.9</imsss:minNormalizedMeasure>\
          </imsss:objective>\
        </imsss:objectives>");
    let ids: Vec<Option<&str>> = d.objectives.iter().map(|o| o.id.as_deref()).collect();
    assert_eq!(ids, [Some("p"), Some("a"), Some("b")]);
    let p = &d.objectives[0];
    assert!(p.primary && p.satisfied_by_measure);
    assert_eq!(p.min_normalized_measure, -0.5);
    assert_eq!(
        p.maps,
        vec![
            ObjectiveMap::new("g1"),
            ObjectiveMap {
                read_satisfied_status: false,
                read_normalized_measure: false,
                write_satisfied_status: true,
                write_normalized_measure: true,
                ..ObjectiveMap::new("g2")
            },
        ]
    );
    // imsss:mapInfo alone shares no score, completion or progress.
    assert!(!p.maps[0].read_raw_score && !p.maps[0].read_completion_status);
    let a = &d.objectives[1];
    assert!(!a.primary && !a.satisfied_by_measure);
    assert_eq!(a.min_normalized_measure, 1.0);
    assert!(a.maps.is_empty());
    assert_eq!(d.objectives[2].min_normalized_measure, 0.9);
    assert_eq!(d.primary_objective().unwrap().id.as_deref(), Some("p"));
}

#[test]
fn without_a_primary_objective_a_default_one_comes_first() {
    for objectives in [
        "<imsss:objectives><imsss:objective objectiveID=\"a\"/>\
         <imsss:objective objectiveID=\"b\"/></imsss:objectives>",
        // A primary objective written last still comes first.
        "<imsss:objectives><imsss:objective objectiveID=\"a\"/>\
         <imsss:objective objectiveID=\"b\"/><imsss:primaryObjective/></imsss:objectives>",
        "<imsss:objectives><imsss:objective objectiveID=\"a\"/><imsss:primaryObjective \
         objectiveID=\"\"/><imsss:objective objectiveID=\"b\"/></imsss:objectives>",
    ] {
        let d = ok(objectives);
        assert_eq!(d.objectives.len(), 3, "{objectives}");
        assert_eq!(d.objectives[0], ObjectiveDefinition::default());
        assert_eq!(d.objectives[1].id.as_deref(), Some("a"));
        assert_eq!(d.objectives[2].id.as_deref(), Some("b"));
        assert!(!d.objectives[1].primary && !d.objectives[2].primary);
    }
    assert_eq!(
        ok("<imsss:objectives/>").objectives,
        default_sequencing().objectives
    );
}

#[test]
fn objective_errors() {
    let o = "sequencing/objectives";
    for (objectives, path, words) in [
        (
            "<imsss:primaryObjective objectiveID=\"a\"/><imsss:objective objectiveID=\"a\"/>",
            format!("{o}/objective/@objectiveID"),
            &["\"a\"", "already"][..],
        ),
        (
            "<imsss:objective objectiveID=\"a\"/><imsss:objective objectiveID=\"a\"/>",
            format!("{o}/objective[2]/@objectiveID"),
            &["\"a\"", "already"],
        ),
        (
            "<imsss:objective/>",
            format!("{o}/objective/@objectiveID"),
            &["missing"],
        ),
        (
            "<imsss:objective objectiveID=\" \"/>",
            format!("{o}/objective/@objectiveID"),
            &["missing"],
        ),
        (
            "<imsss:primaryObjective/><imsss:primaryObjective/>",
            format!("{o}/primaryObjective[2]"),
            &["a second <primaryObjective>"],
        ),
        (
            "<imsss:primaryObjective><imsss:minNormalizedMeasure>1.1</imsss:minNormalizedMeasure></imsss:primaryObjective>",
            format!("{o}/primaryObjective/minNormalizedMeasure"),
            &["out of range", "-1 to 1"],
        ),
        (
            "<imsss:primaryObjective><imsss:minNormalizedMeasure/></imsss:primaryObjective>",
            format!("{o}/primaryObjective/minNormalizedMeasure"),
            &["not a decimal"],
        ),
        (
            "<imsss:primaryObjective satisfiedByMeasure=\"yes\"/>",
            format!("{o}/primaryObjective/@satisfiedByMeasure"),
            &["\"yes\""],
        ),
        (
            "<imsss:primaryObjective><imsss:mapInfo/></imsss:primaryObjective>",
            format!("{o}/primaryObjective/mapInfo/@targetObjectiveID"),
            &["missing"],
        ),
        (
            "<imsss:objective objectiveID=\"a\"><imsss:mapInfo targetObjectiveID=\"g\" \
             writeSatisfiedStatus=\"on\"/></imsss:objective>",
            format!("{o}/objective/mapInfo/@writeSatisfiedStatus"),
            &["\"on\""],
        ),
    ] {
        refused(
            &format!("<imsss:objectives>{objectives}</imsss:objectives>"),
            &path,
            words,
        );
    }
}

#[test]
fn referenced_objectives_must_exist() {
    let objectives = "<imsss:objectives><imsss:primaryObjective objectiveID=\"p\"/>\
                      <imsss:objective objectiveID=\"a\"/></imsss:objectives>";
    for (id, expected) in [("a", Some("a")), ("p", Some("p")), ("", None)] {
        let c = condition(&format!(
            "condition=\"satisfied\" referencedObjective=\"{id}\""
        ));
        let d = ok(&format!(
            "{}{objectives}",
            rule("preConditionRule", &c, "skip")
        ));
        assert_eq!(
            d.pre_condition_rules[0].conditions[0]
                .referenced_objective
                .as_deref(),
            expected
        );
    }
    let c = condition("condition=\"satisfied\" referencedObjective=\"nope\"");
    refused(
        &format!("{}{objectives}", rule("preConditionRule", &c, "skip")),
        &format!("{CONDITION}/@referencedObjective"),
        &["\"nope\"", "objectiveID"],
    );
    // Without objectives, only the unnamed primary objective exists.
    refused(
        &rule("preConditionRule", &c, "skip"),
        &format!("{CONDITION}/@referencedObjective"),
        &["\"nope\""],
    );
}

#[test]
fn adlseq_objectives_merge_into_the_maps() {
    let imsss = "<imsss:objectives><imsss:primaryObjective objectiveID=\"p\">\
                 <imsss:mapInfo targetObjectiveID=\"g1\" writeSatisfiedStatus=\"true\"/>\
                 </imsss:primaryObjective><imsss:objective objectiveID=\"a\"/></imsss:objectives>";
    let adlseq = "<adlseq:objectives>\
          <adlseq:objective objectiveID=\"p\">\
            <adlseq:mapInfo targetObjectiveID=\"g1\" writeRawScore=\"true\" readMinScore=\"false\"/>\
            <adlseq:mapInfo targetObjectiveID=\"g2\"/>\
          </adlseq:objective>\
          <adlseq:objective objectiveID=\"a\">\
            <adlseq:mapInfo targetObjectiveID=\"g3\" readRawScore=\"false\" readMinScore=\"false\" \
              readMaxScore=\"false\" readCompletionStatus=\"false\" readProgressMeasure=\"false\" \
              writeRawScore=\"true\" writeMinScore=\"true\" writeMaxScore=\"true\" \
              writeCompletionStatus=\"true\" writeProgressMeasure=\"true\"/>\
          </adlseq:objective>\
        </adlseq:objectives>";
    let adlseq_reads = ObjectiveMap {
        read_satisfied_status: false,
        read_normalized_measure: false,
        read_raw_score: true,
        read_min_score: true,
        read_max_score: true,
        read_completion_status: true,
        read_progress_measure: true,
        ..ObjectiveMap::new("")
    };
    let expected_p = vec![
        ObjectiveMap {
            write_satisfied_status: true,
            write_raw_score: true,
            read_min_score: false,
            ..adlseq_reads.clone()
        }
        .with_imsss_reads("g1"),
        ObjectiveMap {
            target: "g2".into(),
            ..adlseq_reads.clone()
        },
    ];
    let expected_a = vec![ObjectiveMap {
        target: "g3".into(),
        read_satisfied_status: false,
        read_normalized_measure: false,
        write_raw_score: true,
        write_min_score: true,
        write_max_score: true,
        write_completion_status: true,
        write_progress_measure: true,
        ..ObjectiveMap::default()
    }];
    // The adlseq element before or after the imsss one.
    for body in [format!("{imsss}{adlseq}"), format!("{adlseq}{imsss}")] {
        let d = ok(&body);
        assert_eq!(d.objectives[0].maps, expected_p, "{body}");
        assert_eq!(d.objectives[1].maps, expected_a, "{body}");
    }
    // An adlseq objective must name one of the activity's objectives.
    refused(
        &format!(
            "{imsss}<adlseq:objectives><adlseq:objective objectiveID=\"zz\"/></adlseq:objectives>"
        ),
        "sequencing/objectives[2]/objective/@objectiveID",
        &["\"zz\"", "objectiveID"],
    );
    refused(
        "<adlseq:objectives><adlseq:objective/></adlseq:objectives>",
        "sequencing/objectives/objective/@objectiveID",
        &["missing"],
    );
    refused(
        &format!(
            "{imsss}<adlseq:objectives><adlseq:objective objectiveID=\"p\"><adlseq:mapInfo \
             readRawScore=\"false\"/></adlseq:objective></adlseq:objectives>"
        ),
        "sequencing/objectives[2]/objective/mapInfo/@targetObjectiveID",
        &["missing"],
    );
    refused(
        &format!(
            "{imsss}<adlseq:objectives><adlseq:objective objectiveID=\"p\"><adlseq:mapInfo \
             targetObjectiveID=\"g\" writeMaxScore=\"2\"/></adlseq:objective></adlseq:objectives>"
        ),
        "sequencing/objectives[2]/objective/mapInfo/@writeMaxScore",
        &["\"2\""],
    );
}

/// Test shorthand: the map with `target` and the imsss read defaults.
trait WithImsssReads {
    fn with_imsss_reads(self, target: &str) -> ObjectiveMap;
}

impl WithImsssReads for ObjectiveMap {
    fn with_imsss_reads(self, target: &str) -> ObjectiveMap {
        ObjectiveMap {
            target: target.into(),
            read_satisfied_status: true,
            read_normalized_measure: true,
            ..self
        }
    }
}

#[test]
fn adlseq_objectives_are_told_apart_without_namespaces() {
    let imsss = "<objectives><primaryObjective objectiveID=\"p\"><mapInfo targetObjectiveID=\"g\"/>\
                 </primaryObjective></objectives>";
    let by_attributes = "<objectives><objective objectiveID=\"p\"><mapInfo \
                         targetObjectiveID=\"g\" writeRawScore=\"true\"/></objective></objectives>";
    let by_position = "<objectives><objective objectiveID=\"p\"><mapInfo \
                       targetObjectiveID=\"g\"/></objective></objectives>";
    for body in [
        format!("{imsss}{by_attributes}"),
        format!("{by_attributes}{imsss}"),
        format!("{imsss}{by_position}"),
    ] {
        let d = parse_sequencing(&format!("<sequencing>{body}</sequencing>"), None).unwrap();
        assert_eq!(d.objectives.len(), 1, "{body}");
        let map = &d.objectives[0].maps[0];
        assert!(
            map.read_satisfied_status && map.read_raw_score,
            "{body}: {map:?}"
        );
        assert!(!map.write_satisfied_status, "{body}");
    }
    // Declared namespaces decide, whatever the prefixes.
    let xml = "<s:sequencing xmlns:s=\"http://www.imsglobal.org/xsd/imsss\" \
               xmlns:q=\"http://www.adlnet.org/xsd/adlseq_v1p3\">\
               <q:objectives><q:objective objectiveID=\"x\"/></q:objectives>\
               <s:objectives><s:objective objectiveID=\"x\"/></s:objectives></s:sequencing>";
    let d = parse_sequencing(xml, None).unwrap();
    assert_eq!(d.objectives.len(), 2);
    assert_eq!(d.objectives[1].id.as_deref(), Some("x"));
    // A second imsss:objectives is refused.
    refused(
        "<imsss:objectives/><imsss:objectives/>",
        "sequencing/objectives[2]",
        &["a second <objectives>"],
    );
}

#[test]
fn randomization_controls() {
    let randomization = |attributes: &str| {
        parse_sequencing(
            &seq(&format!("<imsss:randomizationControls {attributes}/>")),
            None,
        )
        .map(|d| d.randomization)
    };
    assert_eq!(randomization("").unwrap(), RandomizationControls::default());
    for (written, timing) in [
        ("never", Timing::Never),
        ("once", Timing::Once),
        ("onEachNewAttempt", Timing::OnEachNewAttempt),
    ] {
        let r = randomization(&format!(
            "randomizationTiming=\"{written}\" selectionTiming=\"{written}\""
        ))
        .unwrap();
        assert_eq!(
            (r.randomization_timing, r.selection_timing),
            (timing, timing)
        );
    }
    assert_eq!(
        randomization("selectCount=\"3\" reorderChildren=\"true\"").unwrap(),
        RandomizationControls {
            select_count: Some(3),
            reorder_children: true,
            ..RandomizationControls::default()
        }
    );
    assert_eq!(
        randomization("selectCount=\"0\"").unwrap().select_count,
        Some(0)
    );
    for (attributes, attribute, words) in [
        (
            "randomizationTiming=\"always\"",
            "randomizationTiming",
            &["\"always\"", "never, once, onEachNewAttempt"][..],
        ),
        ("selectionTiming=\"\"", "selectionTiming", &["\"\""]),
        (
            "selectCount=\"1.5\"",
            "selectCount",
            &["\"1.5\"", "whole number"],
        ),
        (
            "reorderChildren=\"random\"",
            "reorderChildren",
            &["\"random\""],
        ),
    ] {
        check_error(
            randomization(attributes),
            &format!("sequencing/randomizationControls/@{attribute}"),
            words,
        );
    }
}

#[test]
fn delivery_controls_and_constrained_choice() {
    let d = ok("<imsss:deliveryControls tracked=\"false\"/>");
    assert_eq!(
        d.delivery_controls,
        DeliveryControls {
            tracked: false,
            ..DeliveryControls::default()
        }
    );
    let d =
        ok("<imsss:deliveryControls completionSetByContent=\"true\" objectiveSetByContent=\"1\"/>");
    assert_eq!(
        d.delivery_controls,
        DeliveryControls {
            tracked: true,
            completion_set_by_content: true,
            objective_set_by_content: true,
        }
    );
    refused(
        "<imsss:deliveryControls tracked=\"untracked\"/>",
        "sequencing/deliveryControls/@tracked",
        &["\"untracked\""],
    );
    for (attributes, expected) in [
        ("", ConstrainedChoice::default()),
        (
            "preventActivation=\"true\"",
            ConstrainedChoice {
                prevent_activation: true,
                constrain_choice: false,
            },
        ),
        (
            "constrainChoice=\"true\"",
            ConstrainedChoice {
                prevent_activation: false,
                constrain_choice: true,
            },
        ),
    ] {
        let d = ok(&format!(
            "<adlseq:constrainedChoiceConsiderations {attributes}/>"
        ));
        assert_eq!(d.constrained_choice, expected, "{attributes}");
    }
    refused(
        "<adlseq:constrainedChoiceConsiderations constrainChoice=\"x\"/>",
        "sequencing/constrainedChoiceConsiderations/@constrainChoice",
        &["\"x\""],
    );
}

#[test]
fn rollup_considerations() {
    type Field = fn(&RollupConsiderations) -> Required;
    let fields: [(&str, Field); 4] = [
        ("requiredForSatisfied", |r| r.required_for_satisfied),
        ("requiredForNotSatisfied", |r| r.required_for_not_satisfied),
        ("requiredForCompleted", |r| r.required_for_completed),
        ("requiredForIncomplete", |r| r.required_for_incomplete),
    ];
    for (name, field) in fields {
        for (written, required) in [
            ("always", Required::Always),
            ("ifAttempted", Required::IfAttempted),
            ("ifNotSkipped", Required::IfNotSkipped),
            ("ifNotSuspended", Required::IfNotSuspended),
        ] {
            let d = ok(&format!(
                "<adlseq:rollupConsiderations {name}=\"{written}\"/>"
            ));
            assert_eq!(
                field(&d.rollup_considerations),
                required,
                "{name}={written}"
            );
            for (other, other_field) in fields {
                if other != name {
                    assert_eq!(other_field(&d.rollup_considerations), Required::Always);
                }
            }
            assert!(d.rollup_considerations.measure_satisfaction_if_active);
        }
        refused(
            &format!("<adlseq:rollupConsiderations {name}=\"sometimes\"/>"),
            &format!("sequencing/rollupConsiderations/@{name}"),
            &[
                "\"sometimes\"",
                "always, ifAttempted, ifNotSkipped, ifNotSuspended",
            ],
        );
    }
    let d = ok("<adlseq:rollupConsiderations measureSatisfactionIfActive=\"false\"/>");
    assert!(!d.rollup_considerations.measure_satisfaction_if_active);
}

#[test]
fn limit_conditions() {
    let limits = |attributes: &str| {
        parse_sequencing(
            &seq(&format!("<imsss:limitConditions {attributes}/>")),
            None,
        )
        .map(|d| d.limit_conditions)
    };
    assert_eq!(limits("").unwrap(), LimitConditions::default());
    assert_eq!(limits("attemptLimit=\"3\"").unwrap().attempt_limit, Some(3));
    assert_eq!(limits("attemptLimit=\"0\"").unwrap().attempt_limit, None);
    assert_eq!(
        limits(
            "attemptAbsoluteDurationLimit=\"PT1H30M\" activityAbsoluteDurationLimit=\"P1DT2.5S\" \
             attemptExperiencedDurationLimit=\"PT45S\" activityExperiencedDurationLimit=\"P2D\" \
             beginTimeLimit=\"2026-01-01T00:00:00Z\" endTimeLimit=\" 2026-12-31T23:59:59Z \""
        )
        .unwrap(),
        LimitConditions {
            attempt_limit: None,
            attempt_absolute_duration_limit: Some(5400.0),
            activity_absolute_duration_limit: Some(86_402.5),
            attempt_experienced_duration_limit: Some(45.0),
            activity_experienced_duration_limit: Some(172_800.0),
            begin_time_limit: Some("2026-01-01T00:00:00Z".into()),
            end_time_limit: Some("2026-12-31T23:59:59Z".into()),
        }
    );
    for (written, seconds) in [
        ("PT0S", 0.0),
        ("PT1M", 60.0),
        ("P1M", 30.0 * 86_400.0),
        ("P1Y", 365.0 * 86_400.0),
        (
            "P1Y2M3DT4H5M6.5S",
            (365.0 + 60.0 + 3.0) * 86_400.0 + 4.0 * 3600.0 + 5.0 * 60.0 + 6.5,
        ),
        ("PT36H", 129_600.0),
        ("PT0.25S", 0.25),
        (" PT10M ", 600.0),
    ] {
        assert_eq!(
            limits(&format!("attemptAbsoluteDurationLimit=\"{written}\""))
                .unwrap()
                .attempt_absolute_duration_limit,
            Some(seconds),
            "{written}"
        );
    }
    for bad in [
        "", "P", "PT", "1H", "-PT1H", "PT1.5H", "P1S", "P1H", "PT1H1D", "P1DT", "PT1M1H", "PTS",
        "PT1.2.3S", "P1D2Y", "one hour", "PT1HX",
    ] {
        check_error(
            limits(&format!("attemptExperiencedDurationLimit=\"{bad}\"")),
            "sequencing/limitConditions/@attemptExperiencedDurationLimit",
            &[&format!("{:?}", bad.trim()), "not a duration"],
        );
    }
    for bad in ["-1", "three", "4294967296"] {
        check_error(
            limits(&format!("attemptLimit=\"{bad}\"")),
            "sequencing/limitConditions/@attemptLimit",
            &[&format!("{bad:?}")],
        );
    }
}

#[test]
fn idref_combines_with_the_collection_entry() {
    let collection = data("collection.xml");
    let xml = "<imsss:sequencing IDRef=\"pretest\"><imsss:controlMode flow=\"true\" \
               forwardOnly=\"true\"/></imsss:sequencing>";
    let d = parse_sequencing(xml, Some(&collection)).unwrap();
    // The local controlMode replaces the entry's as a whole (choice back to its default).
    assert_eq!(
        d.control_mode,
        ControlMode {
            flow: true,
            forward_only: true,
            ..ControlMode::default()
        }
    );
    // Kinds absent locally come from the entry.
    assert_eq!(d.pre_condition_rules.len(), 1);
    assert_eq!(
        d.pre_condition_rules[0].conditions[0]
            .referenced_objective
            .as_deref(),
        Some("pretest-passed")
    );
    assert_eq!(d.limit_conditions.attempt_limit, Some(1));
    assert_eq!(d.objectives[0].id.as_deref(), Some("pretest-passed"));
    assert!(d.delivery_controls.completion_set_by_content);
    assert_eq!(d.rollup_rules, vec![]);

    // Local rules are checked against the entry's objectives, and local objectives replace
    // them, so the entry's rule then names a missing objective.
    let local_rule = rule(
        "exitConditionRule",
        &condition("condition=\"satisfied\" referencedObjective=\"pretest-passed\""),
        "exit",
    );
    let d = parse_sequencing(
        &format!("<imsss:sequencing IDRef=\"pretest\">{local_rule}</imsss:sequencing>"),
        Some(&collection),
    )
    .unwrap();
    assert!(d.pre_condition_rules.is_empty());
    assert_eq!(d.exit_condition_rules.len(), 1);
    check_error(
        parse_sequencing(
            "<imsss:sequencing IDRef=\"pretest\"><imsss:objectives><imsss:primaryObjective \
             objectiveID=\"other\"/></imsss:objectives></imsss:sequencing>",
            Some(&collection),
        ),
        "sequencingCollection/sequencing[1]/sequencingRules/preConditionRule/ruleConditions/ruleCondition/@referencedObjective",
        &["\"pretest-passed\""],
    );
    // A broken entry is reported where it is.
    check_error(
        parse_sequencing("<imsss:sequencing IDRef=\"broken\"/>", Some(&collection)),
        "sequencingCollection/sequencing[2]/controlMode/@flow",
        &["\"maybe\""],
    );
    // A broken local part is reported before the entry is read.
    check_error(
        parse_sequencing(
            "<imsss:sequencing IDRef=\"broken\"><imsss:deliveryControls tracked=\"?\"/>\
             </imsss:sequencing>",
            Some(&collection),
        ),
        "sequencing/deliveryControls/@tracked",
        &["\"?\""],
    );
}

#[test]
fn idref_must_name_a_collection_entry() {
    let collection = data("collection.xml");
    check_error(
        parse_sequencing("<imsss:sequencing IDRef=\"missing\"/>", Some(&collection)),
        "sequencing/@IDRef",
        &["\"missing\"", "does not define"],
    );
    check_error(
        parse_sequencing("<imsss:sequencing IDRef=\"pretest\"/>", None),
        "sequencing/@IDRef",
        &["\"pretest\"", "no sequencingCollection"],
    );
    check_error(
        parse_sequencing("<imsss:sequencing IDRef=\"pretest\"/>", Some("<oops")),
        "sequencingCollection",
        &["not well-formed"],
    );
    check_error(
        parse_sequencing("<imsss:sequencing IDRef=\"pretest\"/>", Some("<other/>")),
        "other",
        &["expected <sequencingCollection>"],
    );
    // An IDRef is only looked up when the element has one.
    assert_eq!(
        parse_sequencing("<imsss:sequencing/>", Some("not even XML")).unwrap(),
        default_sequencing()
    );
}

#[test]
fn prefixes_declared_or_not() {
    let expected = ok("<imsss:controlMode flow=\"true\"/>");
    for xml in [
        // Cut out of a manifest that declares the prefixes on its root.
        "<imsss:sequencing><imsss:controlMode flow=\"true\"/></imsss:sequencing>",
        // With an XML declaration in front.
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<imsss:sequencing><imsss:controlMode \
         flow=\"true\"/></imsss:sequencing>",
        // Self-contained, as the package crate stores it now.
        "<imsss:sequencing xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\"><imsss:controlMode \
         flow=\"true\"/></imsss:sequencing>",
        // A prefix of the author's own, declared in the snippet.
        "<ss:sequencing xmlns:ss=\"http://www.imsglobal.org/xsd/imsss\"><ss:controlMode \
         ss:flow=\"true\"/></ss:sequencing>",
        // A declared default namespace, and no prefix at all.
        "<sequencing xmlns=\"http://www.imsglobal.org/xsd/imsss\"><controlMode flow=\"true\"/>\
         </sequencing>",
        "<sequencing><controlMode flow=\"true\"/></sequencing>",
        // Mixed: a declared prefix and the usual ones undeclared.
        "<x:sequencing xmlns:x=\"urn:x\"><imsss:controlMode flow=\"true\"/>\
         <adlseq:rollupConsiderations/></x:sequencing>",
    ] {
        assert_eq!(parse_sequencing(xml, None).unwrap(), expected, "{xml}");
    }
    // A prefix nobody declares is not guessed.
    check_error(
        parse_sequencing("<foo:sequencing/>", None),
        "sequencing",
        &["not well-formed", "foo"],
    );
}

#[test]
fn garbage_is_refused_without_panicking() {
    for xml in [
        "",
        "   ",
        "not xml",
        "<",
        "<imsss:sequencing>",
        "<imsss:sequencing></imsss:sequence>",
        "<imsss:sequencing/><imsss:sequencing/>",
        "<?xml version=\"1.0\"?>",
        "<!DOCTYPE sequencing [<!ENTITY x \"y\">]><sequencing/>",
        "<!DOCTYPE s [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><imsss:sequencing>&x;</imsss:sequencing>",
        "\u{0}\u{1}\u{ffff}",
        "<imsss:sequencing attr=\"unterminated/>",
    ] {
        check_error(
            parse_sequencing(xml, None),
            "sequencing",
            &["not well-formed"],
        );
    }
    check_error(
        parse_sequencing("<imsss:controlMode/>", None),
        "controlMode",
        &["expected <sequencing>"],
    );
    check_error(
        parse_sequencing(
            "<imsss:sequencing><imsss:controlMode/><imsss:controlMode/></imsss:sequencing>",
            None,
        ),
        "sequencing/controlMode[2]",
        &["a second <controlMode>"],
    );
    // Every truncation and every one-byte corruption of a full definition: an answer, never
    // a panic.
    let full = data("full.xml");
    let collection = data("collection.xml");
    for end in (0..full.len()).filter(|i| full.is_char_boundary(*i)) {
        let _ = parse_sequencing(&full[..end], Some(&collection));
        let truncated = &collection[..end.min(collection.len())];
        let _ = parse_sequencing("<imsss:sequencing IDRef=\"pretest\"/>", Some(truncated));
    }
    let bytes = full.as_bytes();
    for i in 0..bytes.len() {
        for replacement in [b'"', b'<', b'x', b'-', b'.', b'1'] {
            let mut corrupt = bytes.to_vec();
            corrupt[i] = replacement;
            if let Ok(text) = String::from_utf8(corrupt) {
                let _ = parse_sequencing(&text, None);
            }
        }
    }
}

#[test]
fn completion_threshold_both_editions() {
    let cases = [
        // 4th edition attributes.
        (
            "<adlcp:completionThreshold completedByMeasure=\"true\" minProgressMeasure=\"0.8\" \
             progressWeight=\"0.5\"/>",
            CompletionThreshold {
                completed_by_measure: true,
                min_progress_measure: 0.8,
                progress_weight: 0.5,
            },
        ),
        (
            "<adlcp:completionThreshold/>",
            CompletionThreshold::default(),
        ),
        (
            "<adlcp:completionThreshold minProgressMeasure=\"0.3\"/>",
            CompletionThreshold {
                completed_by_measure: false,
                min_progress_measure: 0.3,
                progress_weight: 1.0,
            },
        ),
        // 3rd edition text: completion by measure.
        (
            "<adlcp:completionThreshold>0.7</adlcp:completionThreshold>",
            CompletionThreshold {
                completed_by_measure: true,
                min_progress_measure: 0.7,
                progress_weight: 1.0,
            },
        ),
        (
            "<completionThreshold xmlns=\"http://www.adlnet.org/xsd/adlcp_v1p3\"> 1 </completionThreshold>",
            CompletionThreshold {
                completed_by_measure: true,
                min_progress_measure: 1.0,
                progress_weight: 1.0,
            },
        ),
        // Attributes win over stray text.
        (
            "<adlcp:completionThreshold completedByMeasure=\"false\">0.5</adlcp:completionThreshold>",
            CompletionThreshold::default(),
        ),
    ];
    for (xml, expected) in cases {
        assert_eq!(parse_completion_threshold(xml).unwrap(), expected, "{xml}");
    }
    for (xml, path, words) in [
        (
            "<adlcp:completionThreshold>high</adlcp:completionThreshold>",
            "completionThreshold",
            &["\"high\"", "not a decimal"][..],
        ),
        (
            "<adlcp:completionThreshold>1.2</adlcp:completionThreshold>",
            "completionThreshold",
            &["out of range"],
        ),
        (
            "<adlcp:completionThreshold minProgressMeasure=\"-0.5\"/>",
            "completionThreshold/@minProgressMeasure",
            &["out of range", "0 to 1"],
        ),
        (
            "<adlcp:completionThreshold progressWeight=\"2\"/>",
            "completionThreshold/@progressWeight",
            &["out of range"],
        ),
        (
            "<adlcp:completionThreshold completedByMeasure=\"yes\"/>",
            "completionThreshold/@completedByMeasure",
            &["\"yes\""],
        ),
        (
            "<adlcp:completionThreshold",
            "completionThreshold",
            &["not well-formed"],
        ),
        (
            "<imsss:sequencing/>",
            "sequencing",
            &["expected <completionThreshold>"],
        ),
    ] {
        check_error(parse_completion_threshold(xml), path, words);
    }
}

#[test]
fn a_definition_round_trips_through_json() {
    let d = parse_sequencing(&data("full.xml"), None).unwrap();
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(
        serde_json::from_str::<SequencingDefinition>(&json).unwrap(),
        d
    );
    // Spot checks of what the fixture says, independent of full.json.
    assert_eq!(d.post_condition_rules[0].action, RuleAction::Retry);
    assert_eq!(
        d.post_condition_rules[0].conditions[0].measure_threshold,
        0.4
    );
    assert_eq!(
        d.rollup_rules[0].child_activity_set,
        ChildActivitySet::AtLeastPercent(0.75)
    );
    assert_eq!(
        d.limit_conditions.attempt_absolute_duration_limit,
        Some(5400.0)
    );
}

#[test]
fn objective_identifiers_compare_as_uris_with_escaped_and_repeated_spaces() {
    // ADL's conformance packages (OB-02a, OB-12a) write the same objective as "obj%201",
    // "  %20obj%20%201%20  " and " ob%20j%201 ": an escaped space is a space, and runs of
    // whitespace count as one.
    let d = ok(
        "<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>\
            <imsss:ruleCondition operator=\"not\" condition=\"satisfied\" \
                referencedObjective=\"  %20obj%20%201%20  \"/>\
        </imsss:ruleConditions><imsss:ruleAction action=\"disabled\"/></imsss:preConditionRule>\
        </imsss:sequencingRules>\
        <imsss:objectives><imsss:primaryObjective objectiveID=\"p\"/>\
            <imsss:objective objectiveID=\"obj%201\">\
                <imsss:mapInfo targetObjectiveID=\" g%20%201 \"/></imsss:objective>\
        </imsss:objectives>",
    );
    let referenced = d.pre_condition_rules[0].conditions[0]
        .referenced_objective
        .clone();
    assert_eq!(referenced.as_deref(), Some("obj 1"));
    let objective = d.objectives.iter().find(|o| !o.primary).unwrap();
    assert_eq!(objective.id.as_deref(), Some("obj 1"));
    assert_eq!(objective.maps[0].target, "g 1");
}
