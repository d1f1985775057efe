//! The SN book's processes, one construct at a time, on small trees built in code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use lara_sequencing::definition::*;
use lara_sequencing::{
    ActivityId, ActivitySpec, ContentReport, NavigationRequest as Nav, ObjectiveReport, Outcome,
    Sequencer, SequencingState, Tree,
};

// ---- building trees --------------------------------------------------------------------------

fn leaf(id: &str) -> ActivitySpec {
    ActivitySpec::new(id, vec![])
}

/// A cluster with flow enabled (choice stays on, as by default).
fn cluster(id: &str, children: Vec<ActivitySpec>) -> ActivitySpec {
    let mut a = ActivitySpec::new(id, children);
    a.sequencing.control_mode.flow = true;
    a
}

fn with(mut a: ActivitySpec, f: impl FnOnce(&mut SequencingDefinition)) -> ActivitySpec {
    f(&mut a.sequencing);
    a
}

fn cond(condition: RuleConditionKind) -> RuleCondition {
    RuleCondition {
        condition,
        negate: false,
        referenced_objective: None,
        measure_threshold: 0.0,
    }
}

fn not(condition: RuleConditionKind) -> RuleCondition {
    RuleCondition {
        negate: true,
        ..cond(condition)
    }
}

fn rule(conditions: Vec<RuleCondition>, action: RuleAction) -> SequencingRule {
    SequencingRule {
        combination: ConditionCombination::All,
        conditions,
        action,
    }
}

fn rollup(
    set: ChildActivitySet,
    conditions: Vec<(RollupConditionKind, bool)>,
    action: RollupAction,
) -> RollupRule {
    RollupRule {
        child_activity_set: set,
        combination: ConditionCombination::Any,
        conditions: conditions
            .into_iter()
            .map(|(condition, negate)| RollupCondition { condition, negate })
            .collect(),
        action,
    }
}

fn map(target: &str, read: bool, write: bool) -> ObjectiveMap {
    ObjectiveMap {
        read_satisfied_status: read,
        read_normalized_measure: read,
        write_satisfied_status: write,
        write_normalized_measure: write,
        ..ObjectiveMap::new(target)
    }
}

fn tree(root: ActivitySpec) -> Tree {
    Tree::new(root).unwrap()
}

// ---- driving the sequencer -------------------------------------------------------------------

fn id(s: &Sequencer<'_>, name: &str) -> ActivityId {
    s.tree()
        .find(name)
        .unwrap_or_else(|| panic!("no activity {name}"))
}

/// Runs a request: the delivered activity's identifier, "end", "idle" or the exception code.
fn go(s: &mut Sequencer<'_>, nav: Nav) -> String {
    match s.navigate(nav) {
        Ok(Outcome::Deliver(a)) => s.activity(a).identifier.clone(),
        Ok(Outcome::SessionEnded) => "end".into(),
        Ok(Outcome::Idle) => "idle".into(),
        Err(e) => e.code,
    }
}

fn choose(s: &mut Sequencer<'_>, name: &str) -> String {
    let target = id(s, name);
    go(s, Nav::Choice(target))
}

/// The current SCO reports completion and (optionally) success and a scaled score.
fn report(s: &mut Sequencer<'_>, completed: bool, passed: Option<bool>, scaled: Option<f64>) {
    let c = s.current().unwrap();
    s.report(
        c,
        &ContentReport {
            completed: Some(completed),
            passed,
            score_scaled: scaled,
            ..ContentReport::default()
        },
    );
}

fn satisfied(s: &Sequencer<'_>, name: &str) -> Option<bool> {
    let a = id(s, name);
    s.objective_satisfied(a, 0)
}

fn completed(s: &Sequencer<'_>, name: &str) -> Option<bool> {
    let a = id(s, name);
    s.attempt_completed(a)
}

fn attempts(s: &Sequencer<'_>, name: &str) -> u32 {
    s.activity_state(id(s, name)).attempts
}

fn linear() -> Tree {
    tree(cluster(
        "course",
        vec![
            cluster("m1", vec![leaf("a"), leaf("b")]),
            cluster("m2", vec![leaf("c")]),
        ],
    ))
}

// ---- navigation request process (NB.2.1) and flow (SB.2.1–SB.2.3, SB.2.5, SB.2.7, SB.2.8) ----

#[test]
fn start_continue_previous_walk_the_tree_in_order() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(go(&mut s, Nav::Continue), "c");
    assert_eq!(go(&mut s, Nav::Previous), "b");
    assert_eq!(go(&mut s, Nav::Previous), "a");
    // Nothing precedes the first activity.
    assert_eq!(go(&mut s, Nav::Previous), "SB.2.1-3");
}

#[test]
fn continuing_past_the_last_activity_ends_the_session() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    for expected in ["a", "b", "c"] {
        let nav = if expected == "a" {
            Nav::Start
        } else {
            Nav::Continue
        };
        assert_eq!(go(&mut s, nav), expected);
        report(&mut s, true, Some(true), None);
    }
    assert_eq!(go(&mut s, Nav::Continue), "end");
    assert_eq!(s.current(), None);
    // Everything ended and rolled up.
    assert_eq!(completed(&s, "course"), Some(true));
    assert_eq!(satisfied(&s, "course"), Some(true));
    assert!(!s.activity_state(id(&s, "course")).active);
}

#[test]
fn navigation_requests_out_of_place_are_refused_with_their_codes() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Continue), "NB.2.1-2");
    assert_eq!(go(&mut s, Nav::Previous), "NB.2.1-2");
    assert_eq!(go(&mut s, Nav::Exit), "NB.2.1-2");
    assert_eq!(go(&mut s, Nav::ExitAll), "NB.2.1-2");
    assert_eq!(go(&mut s, Nav::SuspendAll), "NB.2.1-2");
    assert_eq!(go(&mut s, Nav::ResumeAll), "NB.2.1-3");
    let a = id(&s, "a");
    assert_eq!(go(&mut s, Nav::Jump(a)), "NB.2.1-2");
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Start), "NB.2.1-1");
    assert_eq!(go(&mut s, Nav::ResumeAll), "NB.2.1-1");
}

#[test]
fn without_flow_continue_and_start_are_refused() {
    let t = tree(ActivitySpec::new("course", vec![leaf("a"), leaf("b")]));
    let mut s = Sequencer::new(&t, 1);
    // Flow is off by default: start cannot pick an activity; the learner must choose.
    assert_eq!(go(&mut s, Nav::Start), "SB.2.2-1");
    assert_eq!(choose(&mut s, "a"), "a");
    assert_eq!(go(&mut s, Nav::Continue), "NB.2.1-4");
    assert_eq!(go(&mut s, Nav::Previous), "NB.2.1-5");
    assert_eq!(choose(&mut s, "b"), "b");
}

#[test]
fn forward_only_refuses_previous() {
    let t = tree(with(cluster("course", vec![leaf("a"), leaf("b")]), |d| {
        d.control_mode.forward_only = true
    }));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(go(&mut s, Nav::Previous), "NB.2.1-5");
    // Choice backward is also refused where only forward is allowed.
    assert_eq!(choose(&mut s, "a"), "SB.2.4-2");
}

#[test]
fn previous_into_a_forward_only_cluster_enters_at_its_first_child() {
    let t = tree(cluster(
        "course",
        vec![
            with(cluster("m1", vec![leaf("a"), leaf("b")]), |d| {
                d.control_mode.forward_only = true
            }),
            leaf("c"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(go(&mut s, Nav::Continue), "c");
    assert_eq!(go(&mut s, Nav::Previous), "a");
}

// ---- choice (SB.2.9, SB.2.4) -----------------------------------------------------------------

#[test]
fn choice_delivers_any_leaf_and_a_cluster_delivers_its_first_leaf() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "c"), "c");
    assert_eq!(choose(&mut s, "m1"), "a");
    assert_eq!(choose(&mut s, "b"), "b");
    assert_eq!(s.activity_state(id(&s, "a")).attempts, 1);
}

#[test]
fn choice_is_refused_where_the_parent_disallows_it() {
    let t = tree(cluster(
        "course",
        vec![with(cluster("m1", vec![leaf("a"), leaf("b")]), |d| {
            d.control_mode.choice = false
        })],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "b"), "NB.2.1-10");
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert!(!s.is_valid(Nav::Choice(id(&s, "b"))));
    assert_eq!(go(&mut s, Nav::Continue), "b");
}

#[test]
fn choice_exit_false_keeps_the_learner_inside_an_active_cluster() {
    let t = tree(cluster(
        "course",
        vec![
            with(cluster("m1", vec![leaf("a"), leaf("b")]), |d| {
                d.control_mode.choice_exit = false
            }),
            leaf("c"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(choose(&mut s, "c"), "NB.2.1-8");
    // Inside the cluster, choice works.
    assert_eq!(choose(&mut s, "b"), "b");
    // Flowing out of it is not a choice.
    assert_eq!(go(&mut s, Nav::Continue), "c");
}

#[test]
fn choice_exit_false_on_the_current_activity_refuses_choosing_it_again_while_active() {
    // CM-07a: a choice of the current activity ends its attempt, which choiceExit="false"
    // forbids while it is active; once its attempt has ended, it may be chosen again.
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("b"), |d| d.control_mode.choice_exit = false),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "b"), "b");
    let b = id(&s, "b");
    let entry = |s: &Sequencer<'_>| s.toc().into_iter().find(|e| e.activity == b);
    assert_eq!(entry(&s).map(|e| e.selectable), Some(false));
    assert_eq!(choose(&mut s, "b"), "NB.2.1-8");
    assert_eq!(choose(&mut s, "a"), "NB.2.1-8");
    // Flow may leave it; from elsewhere it may be chosen again.
    assert_eq!(go(&mut s, Nav::Previous), "a");
    assert_eq!(entry(&s).map(|e| e.selectable), Some(true));
    assert_eq!(choose(&mut s, "b"), "b");
}

#[test]
fn hidden_from_choice_hides_and_refuses() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("b"), |d| {
                d.pre_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Always)],
                    RuleAction::HiddenFromChoice,
                )]
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "b"), "SB.2.9-3");
    let toc = s.toc();
    assert!(!toc[2].shown && !toc[2].selectable);
    assert!(toc[1].shown && toc[1].selectable);
    // Flow still reaches it.
    assert_eq!(choose(&mut s, "a"), "a");
    assert_eq!(go(&mut s, Nav::Continue), "b");
}

#[test]
fn stop_forward_traversal_blocks_choice_beyond_but_not_flow() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("b"), |d| {
                // (`not completed` would be unknown before the first attempt, and an
                // unknown condition never holds.)
                d.pre_condition_rules = vec![rule(
                    vec![not(RuleConditionKind::Attempted)],
                    RuleAction::StopForwardTraversal,
                )]
            }),
            leaf("c"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    // b was never attempted: no jumping past it by choice.
    assert_eq!(choose(&mut s, "c"), "SB.2.4-1");
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(go(&mut s, Nav::Previous), "a");
    assert_eq!(choose(&mut s, "c"), "c");
}

#[test]
fn disabled_activities_are_not_delivered() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("b"), |d| {
                d.pre_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Always)],
                    RuleAction::Disabled,
                )]
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "b"), "DB.1.1-3");
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "SB.2.2-2");
}

#[test]
fn skip_rules_pass_over_activities_in_flow() {
    // A pre-test: when it is passed, the content module it covers is skipped.
    let skip_if_satisfied = |d: &mut SequencingDefinition| {
        d.pre_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::Satisfied)],
            RuleAction::Skip,
        )];
        d.objectives[0].maps = vec![map("g-topic", true, false)];
    };
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("pretest"), |d| {
                d.objectives[0].maps = vec![map("g-topic", false, true)];
            }),
            with(leaf("lesson"), skip_if_satisfied),
            leaf("summary"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "pretest");
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Continue), "summary");
    assert_eq!(attempts(&s, "lesson"), 0);

    // Failing the pre-test delivers the lesson.
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "pretest");
    report(&mut s, true, Some(false), None);
    assert_eq!(go(&mut s, Nav::Continue), "lesson");
    // Backward flow skips too once the objective is satisfied.
    assert_eq!(go(&mut s, Nav::Continue), "summary");
}

#[test]
fn skipping_the_last_activity_ends_the_session() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("b"), |d| {
                d.pre_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Always)],
                    RuleAction::Skip,
                )]
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "end");
}

#[test]
fn rule_conditions_combine_with_all_and_any_and_unknown() {
    // skip when (attempted AND satisfied) — unknown satisfaction never skips.
    let mut r = rule(
        vec![
            cond(RuleConditionKind::Attempted),
            cond(RuleConditionKind::Satisfied),
        ],
        RuleAction::Skip,
    );
    let b = |r: SequencingRule| {
        with(leaf("b"), |d| {
            d.pre_condition_rules = vec![r];
            d.delivery_controls.objective_set_by_content = true;
        })
    };
    let t = tree(cluster("course", vec![leaf("a"), b(r.clone())]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "b"), "b");
    report(&mut s, false, None, None);
    assert_eq!(choose(&mut s, "a"), "a");
    // b: attempted, satisfaction unknown → (true AND unknown) = unknown → no skip.
    assert_eq!(go(&mut s, Nav::Continue), "b");
    report(&mut s, true, Some(true), None);
    assert_eq!(choose(&mut s, "a"), "a");
    assert_eq!(go(&mut s, Nav::Continue), "end");

    // any: attempted OR satisfied.
    r.combination = ConditionCombination::Any;
    let t = tree(cluster("course", vec![leaf("a"), b(r)]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "b"), "b");
    report(&mut s, false, None, None);
    assert_eq!(choose(&mut s, "a"), "a");
    assert_eq!(go(&mut s, Nav::Continue), "end");
}

#[test]
fn measure_conditions_use_the_threshold() {
    let mut gt = cond(RuleConditionKind::ObjectiveMeasureGreaterThan);
    gt.measure_threshold = 0.5;
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("test"), |d| {
                d.objectives[0].maps = vec![map("g", false, true)];
            }),
            with(leaf("extra"), |d| {
                d.objectives[0].maps = vec![map("g", true, false)];
                d.pre_condition_rules = vec![rule(vec![gt], RuleAction::Skip)];
            }),
            leaf("end"),
        ],
    ));
    for (score, next) in [(0.8, "end"), (0.4, "extra"), (0.5, "extra")] {
        let mut s = Sequencer::new(&t, 1);
        assert_eq!(go(&mut s, Nav::Start), "test");
        report(&mut s, true, None, Some(score));
        assert_eq!(go(&mut s, Nav::Continue), next, "score {score}");
    }
}

// ---- termination (TB.2.x): exit, post-condition and exit-condition rules ---------------------

#[test]
fn post_condition_retry_redelivers_until_passed() {
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("quiz"), |d| {
                d.post_condition_rules = vec![rule(
                    vec![not(RuleConditionKind::Satisfied)],
                    RuleAction::Retry,
                )];
                d.delivery_controls.objective_set_by_content = true;
            }),
            leaf("next"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "quiz");
    report(&mut s, true, Some(false), None);
    assert_eq!(go(&mut s, Nav::Continue), "quiz");
    assert_eq!(attempts(&s, "quiz"), 2);
    // The new attempt starts with unknown status.
    assert_eq!(satisfied(&s, "quiz"), None);
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Continue), "next");
}

#[test]
fn post_condition_continue_and_previous_move_on_their_own() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("b"), |d| {
                d.post_condition_rules = vec![
                    rule(
                        vec![cond(RuleConditionKind::Satisfied)],
                        RuleAction::Continue,
                    ),
                    rule(
                        vec![not(RuleConditionKind::Satisfied)],
                        RuleAction::Previous,
                    ),
                ];
                d.delivery_controls.objective_set_by_content = true;
            }),
            leaf("c"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "b"), "b");
    report(&mut s, true, Some(false), None);
    // Exit alone would leave the learner idle; the post condition sends them back.
    assert_eq!(go(&mut s, Nav::Exit), "a");
    assert_eq!(go(&mut s, Nav::Continue), "b");
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Exit), "c");
}

#[test]
fn exit_without_rules_leaves_the_learner_to_choose() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Exit), "idle");
    assert_eq!(s.current(), Some(id(&s, "a")));
    assert!(!s.activity_state(id(&s, "a")).active);
    assert_eq!(go(&mut s, Nav::Exit), "NB.2.1-12");
    assert_eq!(go(&mut s, Nav::Continue), "b");
}

#[test]
fn post_condition_exit_parent_and_exit_all() {
    let t = tree(cluster(
        "course",
        vec![
            with(
                cluster(
                    "m1",
                    vec![
                        leaf("a"),
                        with(leaf("b"), |d| {
                            d.post_condition_rules = vec![rule(
                                vec![cond(RuleConditionKind::Always)],
                                RuleAction::ExitParent,
                            )]
                        }),
                    ],
                ),
                |d| {
                    d.post_condition_rules = vec![rule(
                        vec![cond(RuleConditionKind::Completed)],
                        RuleAction::Continue,
                    )]
                },
            ),
            leaf("c"),
            with(leaf("d"), |d| {
                d.post_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Always)],
                    RuleAction::ExitAll,
                )]
            }),
            leaf("e"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "b"), "b");
    // b exits its parent m1, whose own post condition (completed: b was, a is not — so m1 is
    // not) does not continue: the learner is left at m1.
    assert_eq!(go(&mut s, Nav::Exit), "idle");
    assert_eq!(s.current(), Some(id(&s, "m1")));
    assert!(!s.activity_state(id(&s, "m1")).active);
    assert_eq!(choose(&mut s, "a"), "a");
    assert_eq!(go(&mut s, Nav::Continue), "b");
    // Now all of m1 is completed: exit parent, then m1 continues to c.
    assert_eq!(go(&mut s, Nav::Exit), "c");
    assert_eq!(go(&mut s, Nav::Continue), "d");
    // d exits everything: the session ends although e follows.
    assert_eq!(go(&mut s, Nav::Continue), "end");
    assert_eq!(s.current(), None);
    assert!(!s.activity_state(id(&s, "course")).active);
}

#[test]
fn post_condition_retry_all_starts_the_course_over() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("b"), |d| {
                d.post_condition_rules = vec![rule(
                    vec![not(RuleConditionKind::Satisfied)],
                    RuleAction::RetryAll,
                )];
                d.delivery_controls.objective_set_by_content = true;
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "b");
    report(&mut s, true, Some(false), None);
    assert_eq!(go(&mut s, Nav::Continue), "a");
    assert_eq!(attempts(&s, "course"), 2);
    assert_eq!(attempts(&s, "a"), 2);
}

#[test]
fn exit_condition_rule_ends_the_cluster() {
    // m1 ends as soon as it is satisfied (e.g. a mastery shortcut); its post condition then
    // continues past it.
    let t = tree(cluster(
        "course",
        vec![
            with(cluster("m1", vec![leaf("a"), leaf("b")]), |d| {
                d.exit_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Satisfied)],
                    RuleAction::Exit,
                )];
                d.post_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Satisfied)],
                    RuleAction::Continue,
                )];
                d.rollup_rules = vec![rollup(
                    ChildActivitySet::Any,
                    vec![(RollupConditionKind::Satisfied, false)],
                    RollupAction::Satisfied,
                )];
            }),
            leaf("c"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Exit), "c");
    assert_eq!(attempts(&s, "b"), 0);
    assert_eq!(satisfied(&s, "m1"), Some(true));
}

// ---- abandon, suspend and resume -------------------------------------------------------------

#[test]
fn abandon_records_nothing() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Abandon), "idle");
    assert_eq!(completed(&s, "a"), None);
    assert!(!s.activity_state(id(&s, "a")).active);
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(go(&mut s, Nav::AbandonAll), "end");
    assert_eq!(completed(&s, "b"), None);
    assert!(!s.activity_state(id(&s, "m1")).active);
}

#[test]
fn suspend_all_and_resume_all_across_sessions() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(go(&mut s, Nav::SuspendAll), "end");
    assert_eq!(s.suspended_activity(), Some(id(&s, "b")));
    assert!(s.activity_state(id(&s, "m1")).suspended);

    // A new browser session: the state went through JSON.
    let json = serde_json::to_string(s.state()).unwrap();
    let state: SequencingState = serde_json::from_str(&json).unwrap();
    let mut s = Sequencer::resume(&t, state, 1).unwrap();
    assert!(!s.controls().start);
    assert!(s.controls().resume_all);
    assert_eq!(go(&mut s, Nav::ResumeAll), "b");
    // Resuming continues the same attempts.
    assert_eq!(attempts(&s, "b"), 1);
    assert_eq!(attempts(&s, "m1"), 1);
    assert!(!s.activity_state(id(&s, "b")).suspended);
    assert!(!s.activity_state(id(&s, "m1")).suspended);
    assert_eq!(s.suspended_activity(), None);
    assert_eq!(go(&mut s, Nav::Continue), "c");
}

#[test]
fn choosing_elsewhere_after_resume_clears_the_suspension() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::SuspendAll), "end");
    assert_eq!(choose(&mut s, "c"), "c");
    assert_eq!(s.suspended_activity(), None);
    assert!(!s.activity_state(id(&s, "a")).suspended);
    assert!(!s.activity_state(id(&s, "m1")).suspended);
}

#[test]
fn stored_state_that_does_not_fit_the_tree_is_refused() {
    let t = linear();
    let other = tree(cluster("x", vec![leaf("y")]));
    let s = Sequencer::new(&other, 1);
    assert!(Sequencer::resume(&t, s.into_state(), 1).is_err());
}

#[test]
fn exit_all_ends_the_attempt_and_a_new_start_begins_another() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::ExitAll), "end");
    assert_eq!(completed(&s, "a"), Some(true));
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(attempts(&s, "course"), 2);
}

#[test]
fn jump_ignores_flow_and_choice_controls() {
    let t = tree(with(
        cluster("course", vec![leaf("a"), leaf("b"), leaf("c")]),
        |d| d.control_mode.choice = false,
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(choose(&mut s, "c"), "NB.2.1-10");
    let c = id(&s, "c");
    assert_eq!(go(&mut s, Nav::Jump(c)), "c");
}

// ---- limit conditions (UP.1) -----------------------------------------------------------------

#[test]
fn attempt_limit_stops_further_attempts() {
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("exam"), |d| d.limit_conditions.attempt_limit = Some(2)),
            leaf("b"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "exam"), "exam");
    assert_eq!(choose(&mut s, "b"), "b");
    assert_eq!(choose(&mut s, "exam"), "exam");
    assert_eq!(choose(&mut s, "b"), "b");
    assert_eq!(choose(&mut s, "exam"), "DB.1.1-3");
    assert_eq!(attempts(&s, "exam"), 2);
}

#[test]
fn time_limit_condition_uses_the_tracked_durations() {
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("a"), |d| {
                d.limit_conditions.attempt_experienced_duration_limit = Some(60.0);
                d.post_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::TimeLimitExceeded)],
                    RuleAction::Continue,
                )];
            }),
            leaf("b"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = id(&s, "a");
    s.report(
        a,
        &ContentReport {
            session_seconds: Some(30.0),
            ..ContentReport::default()
        },
    );
    assert_eq!(go(&mut s, Nav::Exit), "idle");
    assert_eq!(choose(&mut s, "a"), "a");
    s.report(
        a,
        &ContentReport {
            session_seconds: Some(61.0),
            ..ContentReport::default()
        },
    );
    assert_eq!(go(&mut s, Nav::Exit), "b");
}

// ---- rollup (RB.1.x) -------------------------------------------------------------------------

#[test]
fn default_rollup_needs_every_child() {
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(completed(&s, "m1"), None);
    report(&mut s, true, Some(false), None);
    assert_eq!(go(&mut s, Nav::Continue), "c");
    // Every child of m1 is known: completed, and not satisfied because b failed.
    assert_eq!(completed(&s, "m1"), Some(true));
    assert_eq!(satisfied(&s, "m1"), Some(false));
    assert_eq!(completed(&s, "course"), None);
}

#[test]
fn rollup_rules_child_sets() {
    let check = |set: ChildActivitySet, results: [Option<bool>; 4], expected: Option<bool>| {
        let t = tree(with(
            cluster("course", vec![leaf("a"), leaf("b"), leaf("c"), leaf("d")]),
            |d| {
                d.rollup_rules = vec![rollup(
                    set,
                    vec![(RollupConditionKind::Satisfied, false)],
                    RollupAction::Satisfied,
                )]
            },
        ));
        let mut s = Sequencer::new(&t, 1);
        for (name, passed) in ["a", "b", "c", "d"].into_iter().zip(results) {
            if passed.is_some() {
                assert_eq!(choose(&mut s, name), name);
                report(&mut s, true, passed, None);
            }
        }
        go(&mut s, Nav::ExitAll);
        assert_eq!(satisfied(&s, "course"), expected, "{set:?} {results:?}");
    };
    let (t, f, u) = (Some(true), Some(false), None);
    check(ChildActivitySet::All, [t, t, t, t], t);
    check(ChildActivitySet::All, [t, t, t, f], u);
    check(ChildActivitySet::Any, [f, f, t, f], t);
    check(ChildActivitySet::Any, [f, f, f, f], u);
    check(ChildActivitySet::AtLeastCount(2), [t, f, t, f], t);
    check(ChildActivitySet::AtLeastCount(3), [t, f, t, f], u);
    check(ChildActivitySet::AtLeastPercent(0.75), [t, t, t, f], t);
    check(ChildActivitySet::AtLeastPercent(0.75), [t, t, f, f], u);
}

#[test]
fn rollup_rule_none_and_not() {
    // Satisfied when none of the children is not satisfied... written as: none failed.
    let t = tree(with(cluster("course", vec![leaf("a"), leaf("b")]), |d| {
        d.rollup_rules = vec![
            rollup(
                ChildActivitySet::None,
                vec![(RollupConditionKind::Satisfied, true)],
                RollupAction::Satisfied,
            ),
            rollup(
                ChildActivitySet::Any,
                vec![(RollupConditionKind::Satisfied, true)],
                RollupAction::NotSatisfied,
            ),
        ]
    }));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "a"), "a");
    report(&mut s, true, Some(true), None);
    assert_eq!(choose(&mut s, "b"), "b");
    report(&mut s, true, Some(false), None);
    go(&mut s, Nav::ExitAll);
    assert_eq!(satisfied(&s, "course"), Some(false));
}

#[test]
fn completion_rollup_rules_and_attempted_condition() {
    // Completed as soon as any child was attempted; incomplete rules are absent, so the
    // default completion rules are not used.
    let t = tree(with(cluster("course", vec![leaf("a"), leaf("b")]), |d| {
        d.rollup_rules = vec![rollup(
            ChildActivitySet::Any,
            vec![(RollupConditionKind::Attempted, false)],
            RollupAction::Completed,
        )]
    }));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(completed(&s, "course"), None);
    report(&mut s, false, None, None);
    assert_eq!(completed(&s, "course"), Some(true));
}

#[test]
fn rollup_controls_leave_children_out() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("survey"), |d| {
                d.rollup_controls.rollup_objective_satisfied = false;
                d.rollup_controls.rollup_progress_completion = false;
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, Some(true), None);
    go(&mut s, Nav::ExitAll);
    assert_eq!(completed(&s, "course"), Some(true));
    assert_eq!(satisfied(&s, "course"), Some(true));
}

#[test]
fn untracked_children_are_left_out_and_record_nothing() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("intro"), |d| d.delivery_controls.tracked = false),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "intro"), "intro");
    report(&mut s, true, Some(false), None);
    assert_eq!(completed(&s, "intro"), None);
    assert_eq!(choose(&mut s, "a"), "a");
    report(&mut s, true, Some(true), None);
    go(&mut s, Nav::ExitAll);
    assert_eq!(satisfied(&s, "course"), Some(true));
    assert_eq!(completed(&s, "intro"), None);
}

#[test]
fn rollup_considerations_if_attempted_and_if_not_skipped() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("optional"), |d| {
                d.rollup_considerations.required_for_satisfied = Required::IfAttempted;
                d.rollup_considerations.required_for_not_satisfied = Required::IfAttempted;
                d.rollup_considerations.required_for_completed = Required::IfAttempted;
                d.rollup_considerations.required_for_incomplete = Required::IfAttempted;
            }),
            with(leaf("skipped"), |d| {
                d.pre_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Always)],
                    RuleAction::Skip,
                )];
                d.rollup_considerations.required_for_satisfied = Required::IfNotSkipped;
                d.rollup_considerations.required_for_not_satisfied = Required::IfNotSkipped;
                d.rollup_considerations.required_for_completed = Required::IfNotSkipped;
                d.rollup_considerations.required_for_incomplete = Required::IfNotSkipped;
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "optional"), "optional");
    go(&mut s, Nav::Abandon);
    assert_eq!(choose(&mut s, "a"), "a");
    report(&mut s, true, Some(true), None);
    // optional was attempted (abandoned, status unknown), so it counts and blocks.
    go(&mut s, Nav::ExitAll);
    assert_eq!(satisfied(&s, "course"), None);
    assert_eq!(completed(&s, "course"), None);

    // Never attempting `optional` leaves it out.
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, Some(true), None);
    go(&mut s, Nav::ExitAll);
    assert_eq!(satisfied(&s, "course"), Some(true));
    assert_eq!(completed(&s, "course"), Some(true));
}

#[test]
fn rollup_considerations_if_not_suspended() {
    let considered = |d: &mut SequencingDefinition| {
        d.rollup_considerations.required_for_completed = Required::IfNotSuspended;
        d.rollup_considerations.required_for_incomplete = Required::IfNotSuspended;
    };
    let t = tree(cluster(
        "course",
        vec![with(cluster("m1", vec![leaf("a")]), considered), leaf("b")],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "b"), "b");
    report(&mut s, true, None, None);
    assert_eq!(choose(&mut s, "a"), "a");
    go(&mut s, Nav::SuspendAll);
    // m1 is suspended: left out; b alone is completed.
    assert_eq!(completed(&s, "course"), Some(true));
}

#[test]
fn measure_rollup_weights_children() {
    let t = tree(with(
        cluster(
            "course",
            vec![
                with(leaf("a"), |d| {
                    d.rollup_controls.objective_measure_weight = 3.0 / 4.0
                }),
                with(leaf("b"), |d| {
                    d.rollup_controls.objective_measure_weight = 1.0 / 4.0
                }),
                with(leaf("c"), |d| {
                    d.rollup_controls.objective_measure_weight = 0.0
                }),
            ],
        ),
        |d| {
            d.objectives[0].satisfied_by_measure = true;
            d.objectives[0].min_normalized_measure = 0.6;
        },
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, None, Some(0.8));
    assert_eq!(go(&mut s, Nav::Continue), "b");
    report(&mut s, true, None, Some(0.0));
    assert_eq!(go(&mut s, Nav::Continue), "c");
    report(&mut s, true, None, Some(-1.0));
    go(&mut s, Nav::ExitAll);
    let course = id(&s, "course");
    let m = s.objective_measure(course, 0).unwrap();
    assert!((m - 0.6).abs() < 1e-9, "{m}");
    // 0.6 reaches the threshold: satisfied by measure.
    assert_eq!(satisfied(&s, "course"), Some(true));
}

#[test]
fn satisfied_by_measure_on_a_leaf_and_measure_satisfaction_if_active() {
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("quiz"), |d| {
                d.objectives[0].satisfied_by_measure = true;
                d.objectives[0].min_normalized_measure = 0.7;
                d.rollup_considerations.measure_satisfaction_if_active = false;
            }),
            leaf("b"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "quiz");
    // The content says passed, but the measure decides; while active it is not evaluated.
    report(&mut s, true, Some(true), Some(0.5));
    assert_eq!(satisfied(&s, "quiz"), None);
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(satisfied(&s, "quiz"), Some(false));
}

#[test]
fn completion_measure_rollup_and_completed_by_measure() {
    let mut a = leaf("a");
    a.completion_threshold.progress_weight = 1.0;
    let mut b = leaf("b");
    b.completion_threshold.progress_weight = 3.0;
    let mut course = cluster("course", vec![a, b]);
    course.completion_threshold = CompletionThreshold {
        completed_by_measure: true,
        min_progress_measure: 0.5,
        progress_weight: 1.0,
    };
    let t = tree(course);
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = id(&s, "a");
    s.report(
        a,
        &ContentReport {
            completed: Some(true),
            progress_measure: Some(1.0),
            ..ContentReport::default()
        },
    );
    let course = id(&s, "course");
    // 1.0 × 1 / 4 = 0.25: below 0.5.
    assert_eq!(s.completion_amount(course), Some(0.25));
    assert_eq!(s.attempt_completed(course), Some(false));
    assert_eq!(go(&mut s, Nav::Continue), "b");
    let b = id(&s, "b");
    s.report(
        b,
        &ContentReport {
            completed: Some(false),
            progress_measure: Some(0.5),
            ..ContentReport::default()
        },
    );
    // (1.0 + 0.5 × 3) / 4 = 0.625.
    assert_eq!(s.completion_amount(course), Some(0.625));
    assert_eq!(s.attempt_completed(course), Some(true));
}

#[test]
fn end_attempt_defaults_unless_set_by_content() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("page"),
            with(leaf("sco"), |d| {
                d.delivery_controls.completion_set_by_content = true;
                d.delivery_controls.objective_set_by_content = true;
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "page");
    assert_eq!(go(&mut s, Nav::Continue), "sco");
    // An asset that reports nothing is completed and satisfied when it ends.
    assert_eq!(completed(&s, "page"), Some(true));
    assert_eq!(satisfied(&s, "page"), Some(true));
    go(&mut s, Nav::ExitAll);
    assert_eq!(completed(&s, "sco"), None);
    assert_eq!(satisfied(&s, "sco"), None);
}

// ---- objectives and global objective maps ------------------------------------------------------

#[test]
fn global_objectives_are_shared_across_activities_and_attempts() {
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("a"), |d| {
                d.objectives.push(ObjectiveDefinition {
                    id: Some("obj-x".into()),
                    primary: false,
                    maps: vec![map("shared-x", false, true)],
                    ..ObjectiveDefinition::default()
                })
            }),
            with(leaf("b"), |d| {
                d.objectives.push(ObjectiveDefinition {
                    id: Some("obj-x".into()),
                    primary: false,
                    maps: vec![map("shared-x", true, false)],
                    ..ObjectiveDefinition::default()
                });
                let mut c = cond(RuleConditionKind::Satisfied);
                c.referenced_objective = Some("obj-x".into());
                d.pre_condition_rules = vec![rule(vec![c], RuleAction::Disabled)];
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = id(&s, "a");
    s.report(
        a,
        &ContentReport {
            completed: Some(true),
            objectives: vec![ObjectiveReport {
                id: "obj-x".into(),
                passed: Some(true),
                score_scaled: Some(0.9),
                ..ObjectiveReport::default()
            }],
            ..ContentReport::default()
        },
    );
    assert_eq!(s.state().globals["shared-x"].satisfied, Some(true));
    // b reads the shared objective: it is disabled now.
    assert_eq!(go(&mut s, Nav::Continue), "SB.2.2-2");
    let b = id(&s, "b");
    assert_eq!(s.objective_view(b, 1).measure, Some(0.9));
    // A new attempt on a does not erase what the shared objective knows.
    assert_eq!(choose(&mut s, "a"), "a");
    assert_eq!(s.objective_satisfied(a, 1), None);
    assert_eq!(s.state().globals["shared-x"].satisfied, Some(true));
}

#[test]
fn fourth_edition_maps_share_scores_completion_and_progress() {
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("a"), |d| {
                d.objectives[0].maps = vec![ObjectiveMap {
                    target: "g".into(),
                    write_raw_score: true,
                    write_min_score: true,
                    write_max_score: true,
                    write_completion_status: true,
                    write_progress_measure: true,
                    ..ObjectiveMap::default()
                }];
            }),
            with(leaf("b"), |d| {
                d.objectives[0].maps = vec![ObjectiveMap {
                    target: "g".into(),
                    read_raw_score: true,
                    read_min_score: true,
                    read_max_score: true,
                    read_completion_status: true,
                    read_progress_measure: true,
                    ..ObjectiveMap::default()
                }];
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = id(&s, "a");
    s.report(
        a,
        &ContentReport {
            completed: Some(true),
            progress_measure: Some(1.0),
            score_raw: Some(42.0),
            score_min: Some(0.0),
            score_max: Some(50.0),
            ..ContentReport::default()
        },
    );
    let b = id(&s, "b");
    let view = s.objective_view(b, 0);
    assert_eq!(view.raw_score, Some(42.0));
    assert_eq!(view.min_score, Some(0.0));
    assert_eq!(view.max_score, Some(50.0));
    // b's completion comes from the shared objective before b is even attempted.
    assert_eq!(s.attempt_completed(b), Some(true));
    assert_eq!(s.completion_amount(b), Some(1.0));
}

#[test]
fn use_current_attempt_objective_info_ignores_earlier_attempts_in_rollup() {
    let build = |current: bool| {
        tree(cluster(
            "course",
            vec![
                with(cluster("m1", vec![leaf("a"), leaf("b")]), |d| {
                    d.control_mode.use_current_attempt_objective_info = current;
                    d.control_mode.use_current_attempt_progress_info = current;
                }),
                leaf("c"),
            ],
        ))
    };
    for current in [true, false] {
        let t = build(current);
        let mut s = Sequencer::new(&t, 1);
        assert_eq!(go(&mut s, Nav::Start), "a");
        report(&mut s, true, Some(true), None);
        assert_eq!(go(&mut s, Nav::Continue), "b");
        report(&mut s, true, Some(true), None);
        assert_eq!(go(&mut s, Nav::Continue), "c");
        assert_eq!(satisfied(&s, "m1"), Some(true));
        // A new attempt on m1: a is delivered again, b is from the old attempt.
        assert_eq!(choose(&mut s, "a"), "a");
        assert_eq!(attempts(&s, "m1"), 2);
        report(&mut s, true, Some(true), None);
        let m1 = id(&s, "m1");
        s.overall_rollup(m1);
        let expected = if current { None } else { Some(true) };
        assert_eq!(satisfied(&s, "m1"), expected, "useCurrent={current}");
    }
}

// ---- selection and randomization (SR.1, SR.2) --------------------------------------------------

fn pool(timing: Timing, select: Option<u32>, reorder: bool) -> Tree {
    tree(with(
        cluster(
            "course",
            vec![leaf("q1"), leaf("q2"), leaf("q3"), leaf("q4"), leaf("q5")],
        ),
        |d| {
            d.randomization = RandomizationControls {
                randomization_timing: timing,
                select_count: select,
                reorder_children: reorder,
                selection_timing: timing,
            }
        },
    ))
}

fn delivered_order(s: &mut Sequencer<'_>) -> Vec<String> {
    let mut order = vec![go(s, Nav::Start)];
    loop {
        let next = go(s, Nav::Continue);
        if next == "end" {
            return order;
        }
        order.push(next);
    }
}

#[test]
fn selection_picks_a_subset_in_manifest_order() {
    let t = pool(Timing::Once, Some(3), false);
    let mut s = Sequencer::new(&t, 7);
    let order = delivered_order(&mut s);
    assert_eq!(order.len(), 3);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    // The same registration (seed) always gets the same selection.
    let mut again = Sequencer::new(&t, 7);
    assert_eq!(delivered_order(&mut again), order);
    // Unselected activities are not choosable.
    let unselected = ["q1", "q2", "q3", "q4", "q5"]
        .into_iter()
        .find(|q| !order.iter().any(|o| o == q))
        .unwrap();
    assert_eq!(choose(&mut again, unselected), "SB.2.9-2");
    // Different seeds give different selections.
    let distinct: std::collections::HashSet<Vec<String>> = (0..20)
        .map(|seed| delivered_order(&mut Sequencer::new(&t, seed)))
        .collect();
    assert!(distinct.len() > 1);
}

#[test]
fn randomization_reorders_once_or_on_each_attempt() {
    let t = pool(Timing::Once, None, true);
    let orders: std::collections::HashSet<Vec<String>> = (0..20)
        .map(|seed| delivered_order(&mut Sequencer::new(&t, seed)))
        .collect();
    assert!(orders.len() > 1);
    assert!(orders.iter().all(|o| o.len() == 5));

    // Once: the second attempt keeps the order.
    let mut s = Sequencer::new(&t, 3);
    let first = delivered_order(&mut s);
    assert_eq!(delivered_order(&mut s), first);

    // On each new attempt: some later attempt differs.
    let t = pool(Timing::OnEachNewAttempt, None, true);
    let mut s = Sequencer::new(&t, 3);
    let first = delivered_order(&mut s);
    let differs = (0..10).any(|_| delivered_order(&mut s) != first);
    assert!(differs);
}

// ---- constrained choice ----------------------------------------------------------------------

#[test]
fn constrain_choice_limits_choice_to_the_neighbourhood() {
    let t = tree(cluster(
        "course",
        vec![
            with(cluster("m1", vec![leaf("a"), leaf("b")]), |d| {
                d.constrained_choice.constrain_choice = true
            }),
            cluster("m2", vec![leaf("c")]),
            cluster("m3", vec![leaf("d")]),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    // From inside m1, only m1's next sibling (m2) and what it contains may be chosen.
    assert!(!s.is_valid(Nav::Choice(id(&s, "d"))));
    assert_eq!(choose(&mut s, "d"), "SB.2.9-8");
    assert_eq!(choose(&mut s, "c"), "c");
    // Now m1 is no longer active: the constraint is gone.
    assert_eq!(choose(&mut s, "d"), "d");
}

#[test]
fn prevent_activation_refuses_choice_into_a_cluster_not_yet_begun() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("intro"),
            with(cluster("m1", vec![leaf("a"), leaf("b")]), |d| {
                d.constrained_choice.prevent_activation = true
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "intro");
    assert_eq!(choose(&mut s, "b"), "SB.2.9-6");
    // Flow may enter it; inside, choice is free.
    assert_eq!(go(&mut s, Nav::Continue), "a");
    assert_eq!(choose(&mut s, "b"), "b");
}

// ---- what the learner may do next ------------------------------------------------------------

#[test]
fn controls_and_toc_follow_the_model() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(leaf("b"), |d| {
                d.pre_condition_rules = vec![rule(
                    vec![not(RuleConditionKind::Attempted)],
                    RuleAction::Disabled,
                )]
            }),
            leaf("c"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    let c = s.controls();
    assert!(c.start && !c.continue_ && !c.previous && !c.exit_all);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let c = s.controls();
    assert!(!c.start && !c.previous && c.exit && c.suspend_all && c.exit_all);
    // b is disabled until attempted, so continue cannot deliver.
    assert!(!c.continue_);
    let toc = s.toc();
    let names: Vec<(&str, bool)> = toc
        .iter()
        .map(|e| (e.identifier.as_str(), e.selectable))
        .collect();
    assert_eq!(
        names,
        [("course", true), ("a", true), ("b", false), ("c", true)]
    );
    assert!(toc[1].current && toc[1].attempted);
    // Validity checks leave the state alone.
    assert_eq!(s.current(), Some(id(&s, "a")));
    assert!(s.activity_state(id(&s, "a")).active);
}

// ---- more conditions, time and the clock -------------------------------------------------------

#[test]
fn measure_known_and_less_than_conditions() {
    let mut lt = cond(RuleConditionKind::ObjectiveMeasureLessThan);
    lt.measure_threshold = 0.3;
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("test"), |d| {
                d.objectives[0].maps = vec![map("g", false, true)];
            }),
            with(leaf("basics"), |d| {
                d.objectives[0].maps = vec![map("g", true, false)];
                // Shown only to those who scored below 0.3, or who have no score at all.
                d.pre_condition_rules = vec![SequencingRule {
                    combination: ConditionCombination::All,
                    conditions: vec![
                        cond(RuleConditionKind::ObjectiveMeasureKnown),
                        RuleCondition {
                            negate: true,
                            ..lt.clone()
                        },
                    ],
                    action: RuleAction::Skip,
                }];
            }),
            leaf("end"),
        ],
    ));
    for (score, next) in [(Some(0.2), "basics"), (Some(0.3), "end"), (None, "basics")] {
        let mut s = Sequencer::new(&t, 1);
        assert_eq!(go(&mut s, Nav::Start), "test");
        report(&mut s, true, None, score);
        assert_eq!(go(&mut s, Nav::Continue), next, "score {score:?}");
    }
}

#[test]
fn attempt_limit_exceeded_as_a_rule_condition() {
    // After two tries the learner moves on, passed or not.
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("quiz"), |d| {
                d.limit_conditions.attempt_limit = Some(2);
                d.delivery_controls.objective_set_by_content = true;
                d.post_condition_rules = vec![
                    rule(
                        vec![cond(RuleConditionKind::AttemptLimitExceeded)],
                        RuleAction::Continue,
                    ),
                    rule(vec![not(RuleConditionKind::Satisfied)], RuleAction::Retry),
                ];
            }),
            leaf("next"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "quiz");
    report(&mut s, true, Some(false), None);
    assert_eq!(go(&mut s, Nav::Continue), "quiz");
    report(&mut s, true, Some(false), None);
    assert_eq!(go(&mut s, Nav::Exit), "next");
    assert_eq!(attempts(&s, "quiz"), 2);
}

#[test]
fn explicit_incomplete_rule_replaces_the_default_completion_rules() {
    // Incomplete as soon as any child is incomplete; no completed rule, so completion never
    // rolls up to true.
    let t = tree(with(cluster("course", vec![leaf("a"), leaf("b")]), |d| {
        d.rollup_rules = vec![rollup(
            ChildActivitySet::Any,
            vec![(RollupConditionKind::Completed, true)],
            RollupAction::Incomplete,
        )]
    }));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, false, None, None);
    assert_eq!(completed(&s, "course"), Some(false));
    assert_eq!(go(&mut s, Nav::Continue), "b");
    report(&mut s, true, None, None);
    go(&mut s, Nav::ExitAll);
    // a stays incomplete from its attempt; the rule holds; nothing says completed.
    assert_eq!(completed(&s, "course"), Some(false));
}

#[test]
fn use_current_attempt_progress_info_alone() {
    let t = tree(cluster(
        "course",
        vec![
            with(cluster("m1", vec![leaf("a"), leaf("b")]), |d| {
                d.control_mode.use_current_attempt_objective_info = false;
                d.control_mode.use_current_attempt_progress_info = true;
            }),
            leaf("c"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Continue), "b");
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Continue), "c");
    assert_eq!(choose(&mut s, "a"), "a");
    report(&mut s, true, Some(true), None);
    let m1 = id(&s, "m1");
    s.overall_rollup(m1);
    // b's satisfaction (from m1's first attempt) still counts, its completion does not.
    assert_eq!(satisfied(&s, "m1"), Some(true));
    assert_eq!(completed(&s, "m1"), None);
}

#[test]
fn absolute_duration_limits_follow_the_clock() {
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("timed"), |d| {
                d.limit_conditions.attempt_absolute_duration_limit = Some(600.0);
                d.post_condition_rules = vec![rule(
                    vec![not(RuleConditionKind::TimeLimitExceeded)],
                    RuleAction::Retry,
                )];
            }),
            leaf("next"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    s.set_clock(1_000.0);
    assert_eq!(go(&mut s, Nav::Start), "timed");
    // Within ten minutes: back to it.
    s.set_clock(1_300.0);
    assert_eq!(go(&mut s, Nav::Exit), "timed");
    // The second attempt runs over ten minutes (suspensions count in absolute time).
    s.set_clock(2_000.0);
    assert_eq!(go(&mut s, Nav::Exit), "idle");
    assert!(s.activity_state(id(&s, "timed")).attempt_absolute_duration >= 600.0);
    // A limit violated blocks a new attempt.
    assert_eq!(choose(&mut s, "timed"), "DB.1.1-3");
    assert_eq!(choose(&mut s, "next"), "next");

    // Activity absolute duration adds the attempts up.
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("a"), |d| {
                d.limit_conditions.activity_absolute_duration_limit = Some(100.0)
            }),
            leaf("b"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    s.set_clock(0.0);
    assert_eq!(choose(&mut s, "a"), "a");
    s.set_clock(60.0);
    assert_eq!(choose(&mut s, "b"), "b");
    assert_eq!(choose(&mut s, "a"), "a");
    s.set_clock(110.0);
    assert_eq!(choose(&mut s, "b"), "b");
    // 60 + 50 seconds.
    assert_eq!(choose(&mut s, "a"), "DB.1.1-3");
}

#[test]
fn begin_and_end_time_limits() {
    let t = tree(cluster(
        "course",
        vec![
            leaf("intro"),
            with(leaf("exam"), |d| {
                d.limit_conditions.begin_time_limit = Some("2026-12-01T09:00:00Z".into());
                d.limit_conditions.end_time_limit = Some("2026-12-01T12:00:00+01:00".into());
            }),
            with(leaf("notice"), |d| {
                d.pre_condition_rules = vec![rule(
                    vec![not(RuleConditionKind::OutsideAvailableTimeRange)],
                    RuleAction::Skip,
                )];
                // Its own range: the exam's.
                d.limit_conditions.begin_time_limit = Some("2026-12-01T09:00:00".into());
                d.limit_conditions.end_time_limit = Some("2026-12-01T11:00:00Z".into());
            }),
        ],
    ));
    let at = |iso: &str| {
        chrono::DateTime::parse_from_rfc3339(iso)
            .unwrap()
            .timestamp() as f64
    };
    let mut s = Sequencer::new(&t, 1);
    s.set_clock(at("2026-12-01T08:59:00Z"));
    assert_eq!(choose(&mut s, "exam"), "DB.1.1-3");
    s.set_clock(at("2026-12-01T09:30:00Z"));
    assert_eq!(choose(&mut s, "exam"), "exam");
    // Inside the range the notice is skipped; after it (11:00 UTC) it is shown.
    assert_eq!(choose(&mut s, "intro"), "intro");
    assert_eq!(go(&mut s, Nav::Continue), "exam");
    assert_eq!(go(&mut s, Nav::Continue), "end");
    let mut s = Sequencer::new(&t, 1);
    s.set_clock(at("2026-12-01T11:30:00Z"));
    assert_eq!(choose(&mut s, "intro"), "intro");
    // 11:30 UTC is after the exam's end (11:00 UTC): it cannot be entered.
    assert_eq!(go(&mut s, Nav::Continue), "SB.2.2-2");
    // Without a clock there is no time range.
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(choose(&mut s, "exam"), "exam");
}

// ---- the table of contents' shortcut agrees with dry runs ---------------------------------------

fn agrees(s: &Sequencer<'_>) {
    let fast = s.choosable();
    for id in s.tree().ids() {
        assert_eq!(
            fast[id.index()],
            s.is_valid(Nav::Choice(id)),
            "activity {} at current {:?}",
            s.activity(id).identifier,
            s.current().map(|c| s.activity(c).identifier.clone())
        );
    }
}

#[test]
fn choosable_agrees_with_a_dry_run_of_each_choice() {
    // A tree with most of what limits choice: forward only, choice exit, constrained choice,
    // prevent activation, hidden and disabled activities, a post condition that moves on, a
    // cluster with nothing deliverable.
    let t = tree(cluster(
        "course",
        vec![
            with(cluster("m1", vec![leaf("a"), leaf("b")]), |d| {
                d.constrained_choice.constrain_choice = true;
            }),
            with(cluster("m2", vec![leaf("c"), leaf("d")]), |d| {
                d.control_mode.forward_only = true;
                d.control_mode.choice_exit = false;
            }),
            with(cluster("m3", vec![leaf("e")]), |d| {
                d.constrained_choice.prevent_activation = true;
            }),
            with(leaf("hidden"), |d| {
                d.pre_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Always)],
                    RuleAction::HiddenFromChoice,
                )]
            }),
            with(
                cluster(
                    "empty",
                    vec![with(leaf("off"), |d| {
                        d.pre_condition_rules = vec![rule(
                            vec![cond(RuleConditionKind::Always)],
                            RuleAction::Disabled,
                        )]
                    })],
                ),
                |_| {},
            ),
            with(leaf("mover"), |d| {
                d.post_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Completed)],
                    RuleAction::Continue,
                )]
            }),
            leaf("last"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    agrees(&s);
    for step in [
        Nav::Start,
        Nav::Continue,
        Nav::Continue,
        Nav::Continue,
        Nav::Exit,
        Nav::Continue,
        Nav::SuspendAll,
        Nav::ResumeAll,
    ] {
        let _ = s.navigate(step);
        agrees(&s);
    }
    for name in ["e", "a", "mover", "last", "c"] {
        let _ = choose(&mut s, name);
        agrees(&s);
        if name == "mover" {
            report(&mut s, true, None, None);
            agrees(&s);
        }
    }
}

#[test]
fn an_unanswered_quiz_decided_by_measure_writes_no_default_to_its_global() {
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("quiz"), |d| {
                d.objectives[0].satisfied_by_measure = true;
                d.objectives[0].min_normalized_measure = 0.8;
                d.objectives[0].maps = vec![map("g-quiz", false, true)];
            }),
            leaf("next"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "quiz");
    // The learner leaves without answering: no score, so the quiz is neither passed nor failed.
    assert_eq!(go(&mut s, Nav::Continue), "next");
    assert_eq!(satisfied(&s, "quiz"), None);
    assert_eq!(
        s.state().globals.get("g-quiz").and_then(|g| g.satisfied),
        None
    );
    // Without a measure rule, the default applies.
    assert_eq!(completed(&s, "quiz"), Some(true));
}

#[test]
fn a_new_attempt_sees_only_what_global_objectives_know() {
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("a"), |d| {
                d.objectives[0].maps = vec![ObjectiveMap {
                    target: "g".into(),
                    write_satisfied_status: true,
                    write_completion_status: true,
                    write_raw_score: true,
                    ..ObjectiveMap::default()
                }];
            }),
            with(leaf("b"), |d| {
                d.objectives[0].maps = vec![ObjectiveMap {
                    target: "g".into(),
                    read_satisfied_status: true,
                    read_completion_status: true,
                    read_raw_score: true,
                    ..ObjectiveMap::default()
                }];
            }),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = id(&s, "a");
    s.report(
        a,
        &ContentReport {
            completed: Some(true),
            passed: Some(false),
            score_raw: Some(7.0),
            score_scaled: Some(0.7),
            ..ContentReport::default()
        },
    );
    let b = id(&s, "b");
    let seen = s.objective_from_globals(b, 0);
    assert_eq!(seen.satisfied, Some(false));
    assert_eq!(seen.completed, Some(true));
    assert_eq!(seen.raw_score, Some(7.0));
    // Measure is not shared (no map reads or writes it).
    assert_eq!(seen.measure, None);
    // a's own (local) data is not what a new attempt of a starts with: a writes, reads nothing.
    let own = s.objective_from_globals(a, 0);
    assert_eq!(own, Default::default());
    assert_eq!(s.objective_view(a, 0).measure, Some(0.7));
}

// ---- exception codes not reached above ---------------------------------------------------------

#[test]
fn more_exception_codes() {
    // TB.2.3-4: the root's exit rule ends it, and its post condition asks to exit its parent,
    // which the root does not have.
    let t = tree(with(cluster("course", vec![leaf("a")]), |d| {
        d.exit_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::Always)],
            RuleAction::Exit,
        )];
        d.post_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::Always)],
            RuleAction::ExitParent,
        )];
    }));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Exit), "TB.2.3-4");

    // SB.2.1-2: a cluster without available children cannot be entered by flow (when it is
    // the last activity of the tree, flow simply ends the session instead).
    let t = tree(cluster(
        "course",
        vec![
            leaf("a"),
            with(cluster("pool", vec![leaf("q")]), |d| {
                d.randomization.select_count = Some(0);
                d.randomization.selection_timing = Timing::Once;
            }),
            leaf("b"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "SB.2.1-2");

    // NB.2.1-12: abandoning an activity already ended.
    let t = linear();
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Abandon), "idle");
    assert_eq!(go(&mut s, Nav::Abandon), "NB.2.1-12");

    // DB.1.1-1: a jump to a cluster.
    let m1 = id(&s, "m1");
    assert_eq!(go(&mut s, Nav::Jump(m1)), "DB.1.1-1");
}

// ---- more exception codes, one situation each -------------------------------------------------

#[test]
fn previous_on_a_course_of_one_activity_has_no_parent_to_flow_in_nb_2_1_6() {
    // A course whose root is its only activity: the root is delivered, and a previous request
    // has no parent whose flow it could use.
    let t = tree(leaf("only"));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "only");
    assert_eq!(go(&mut s, Nav::Previous), "NB.2.1-6");
}

#[test]
fn jump_to_an_activity_left_out_by_selection_is_refused_nb_2_1_11() {
    // Only the activities selected for this attempt exist for a jump.
    let pool = with(cluster("pool", vec![leaf("q1"), leaf("q2")]), |d| {
        d.randomization.select_count = Some(1);
        d.randomization.selection_timing = Timing::Once;
    });
    let t = tree(cluster("course", vec![pool]));
    let mut s = Sequencer::new(&t, 7);
    let first = go(&mut s, Nav::Start);
    let other = if first == "q1" { "q2" } else { "q1" };
    let target = id(&s, other);
    assert_eq!(go(&mut s, Nav::Jump(target)), "NB.2.1-11");
    let delivered = id(&s, &first);
    assert_eq!(go(&mut s, Nav::Jump(delivered)), first);
}

#[test]
fn retry_of_a_cluster_whose_children_are_all_disabled_delivers_nothing_sb_2_10_3() {
    // A retry starts the activity again by flowing into it: with every child disabled now,
    // nothing can be delivered. (a exits its parent, whose post-condition then retries it.)
    let a = with(leaf("a"), |d| {
        d.pre_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::Satisfied)],
            RuleAction::Disabled,
        )];
        d.post_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::Always)],
            RuleAction::ExitParent,
        )];
    });
    let module = with(cluster("m", vec![a]), |d| {
        d.post_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::Always)],
            RuleAction::Retry,
        )]
    });
    let t = tree(cluster("course", vec![module]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Continue), "SB.2.10-3");
}

#[test]
fn a_post_condition_continue_or_previous_needs_flow_in_the_parent_sb_2_7_2_sb_2_8_2() {
    // Post-condition rules turn an exit into a continue or previous request; like the
    // learner's own, those flow only where the parent allows flow.
    for (action, code) in [
        (RuleAction::Continue, "SB.2.7-2"),
        (RuleAction::Previous, "SB.2.8-2"),
    ] {
        let b = with(leaf("b"), |d| {
            d.post_condition_rules = vec![rule(vec![cond(RuleConditionKind::Always)], action)]
        });
        // Choice only: no flow in the course.
        let t = tree(ActivitySpec::new("course", vec![leaf("a"), b, leaf("c")]));
        let mut s = Sequencer::new(&t, 1);
        assert_eq!(choose(&mut s, "b"), "b");
        assert_eq!(go(&mut s, Nav::Exit), code, "{action:?}");
    }
}

#[test]
fn choosing_a_cluster_with_nothing_deliverable_inside_stops_there_sb_2_9_9() {
    // A choice of a cluster flows into it; when every child is disabled nothing is
    // delivered, and the learner is left at the chosen cluster.
    let c = with(leaf("c"), |d| {
        d.pre_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::Always)],
            RuleAction::Disabled,
        )]
    });
    let t = tree(cluster(
        "course",
        vec![cluster("m1", vec![leaf("a")]), cluster("m2", vec![c])],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(choose(&mut s, "m2"), "SB.2.9-9");
    assert_eq!(s.current(), Some(id(&s, "m2")));
    assert!(!s.activity_state(id(&s, "a")).active);
}

// ---- behaviour checked against ADL's conformance tests (SCORM 2004 4th ed. LMS tests) -----

#[test]
fn a_status_the_content_reported_as_unknown_is_not_defaulted_at_the_end_of_the_attempt() {
    // CM-06: "if activity progress known, retry"; the SCO sets cmi.completion_status
    // "unknown", so the attempt's progress stays unknown and continue flows on.
    let retry_if_known = |d: &mut SequencingDefinition| {
        d.post_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::ActivityProgressKnown)],
            RuleAction::Retry,
        )]
    };
    let t = tree(cluster(
        "course",
        vec![with(leaf("a"), retry_if_known), leaf("b")],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = s.current().unwrap();
    s.report(
        a,
        &ContentReport {
            completion_reported: true,
            ..ContentReport::default()
        },
    );
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(completed(&s, "a"), None);

    // Content that reports nothing gets the default (completed), and the rule retries.
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "a");
}

#[test]
fn completed_by_measure_follows_the_progress_measure_only() {
    // CO-04b: an activity completed by measure has no completion without a measure, even
    // when the global objective it reads says completed.
    let mut reader = with(leaf("reader"), |d| {
        d.objectives[0].id = Some("p".into());
        d.objectives[0].maps = vec![ObjectiveMap {
            read_completion_status: true,
            read_progress_measure: true,
            ..ObjectiveMap::new("g")
        }];
    });
    reader.completion_threshold.completed_by_measure = true;
    reader.completion_threshold.min_progress_measure = 0.75;
    let writer = with(leaf("writer"), |d| {
        d.objectives[0].id = Some("p".into());
        d.objectives[0].maps = vec![ObjectiveMap {
            write_completion_status: true,
            write_progress_measure: true,
            ..ObjectiveMap::new("g")
        }];
    });
    let t = tree(cluster("course", vec![writer, reader]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "writer");
    report(&mut s, true, None, None);
    assert_eq!(completed(&s, "reader"), None, "no measure: unknown");
    let w = id(&s, "writer");
    s.report(
        w,
        &ContentReport {
            completed: Some(true),
            progress_measure: Some(0.8),
            ..ContentReport::default()
        },
    );
    assert_eq!(completed(&s, "reader"), Some(true), "0.8 reaches 0.75");
}

#[test]
fn an_unknown_global_objective_hides_the_local_status() {
    // CM-13: an activity whose primary objective reads a global objective that nobody wrote
    // is not satisfied, whatever its own attempt established.
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("a"), |d| {
                d.objectives[0].maps = vec![map("g", true, false)];
            }),
            leaf("b"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Continue), "b");
    assert_eq!(satisfied(&s, "a"), None);
}

#[test]
fn the_current_activitys_own_constrain_choice_does_not_limit_a_choice_from_it() {
    // CM-07d: choosing a sibling of the current activity's parent is allowed when only the
    // current activity itself constrains choice.
    let t = tree(cluster(
        "course",
        vec![
            cluster(
                "m1",
                vec![
                    with(leaf("a"), |d| d.constrained_choice.constrain_choice = true),
                    leaf("b"),
                ],
            ),
            leaf("c"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(choose(&mut s, "c"), "c");
}

#[test]
fn the_primary_objectives_own_record_reports_the_attempt() {
    // CO-02b/OB-10: the SCO reports through cmi.objectives.{primary id}: its success status
    // and score count for the primary objective, its completion for the attempt.
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("a"), |d| d.objectives[0].id = Some("p".into())),
            leaf("b"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = s.current().unwrap();
    s.report(
        a,
        &ContentReport {
            objectives: vec![ObjectiveReport {
                id: "p".into(),
                passed: Some(false),
                completed: Some(false),
                score_scaled: Some(0.4),
                ..ObjectiveReport::default()
            }],
            ..ContentReport::default()
        },
    );
    assert_eq!(satisfied(&s, "a"), Some(false));
    assert_eq!(completed(&s, "a"), Some(false));
    assert_eq!(s.objective_measure(a, 0), Some(0.4));
}

#[test]
fn satisfied_by_measure_reads_the_measure_not_a_global_status() {
    // SX-10b: the primary objective is satisfied by measure and maps to a global objective
    // whose measure it writes (its status it only reads): the measure decides, and the
    // post-condition "satisfied → exitAll" ends the session.
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("quiz"), |d| {
                d.objectives[0].satisfied_by_measure = true;
                d.objectives[0].min_normalized_measure = 0.7;
                d.objectives[0].maps = vec![ObjectiveMap {
                    write_normalized_measure: true,
                    ..ObjectiveMap::new("g")
                }];
                d.post_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::Satisfied)],
                    RuleAction::ExitAll,
                )];
            }),
            leaf("b"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "quiz");
    report(&mut s, true, None, Some(0.8));
    assert_eq!(go(&mut s, Nav::Continue), "end");
}

#[test]
fn an_untracked_activity_has_no_status_to_test() {
    // CO-05a: a cluster that is not tracked, whose primary objective reads a completed
    // global objective, is not skipped by "activity progress known → skip".
    let t = tree(cluster(
        "course",
        vec![
            with(leaf("a"), |d| {
                d.objectives[0].id = Some("p".into());
                d.objectives[0].maps = vec![ObjectiveMap {
                    write_completion_status: true,
                    ..ObjectiveMap::new("g")
                }];
            }),
            with(cluster("m", vec![leaf("b")]), |d| {
                d.delivery_controls.tracked = false;
                d.objectives[0].id = Some("p".into());
                d.objectives[0].maps = vec![ObjectiveMap {
                    read_completion_status: true,
                    ..ObjectiveMap::new("g")
                }];
                d.pre_condition_rules = vec![rule(
                    vec![cond(RuleConditionKind::ActivityProgressKnown)],
                    RuleAction::Skip,
                )];
            }),
            leaf("c"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, None, None);
    assert_eq!(go(&mut s, Nav::Continue), "b");
}

#[test]
fn completed_without_a_measure_is_unknown_when_completed_by_measure() {
    // CO-04c: the content says completed but reports no progress measure; the activity is
    // completed by measure, so its completion stays unknown and is not shared.
    let mut writer = with(leaf("writer"), |d| {
        d.objectives[0].maps = vec![ObjectiveMap {
            write_completion_status: true,
            ..ObjectiveMap::new("g")
        }];
    });
    writer.completion_threshold.completed_by_measure = true;
    writer.completion_threshold.min_progress_measure = 0.0;
    let reader = with(leaf("reader"), |d| {
        d.objectives[0].maps = vec![ObjectiveMap {
            read_completion_status: true,
            ..ObjectiveMap::new("g")
        }];
    });
    let t = tree(cluster("course", vec![writer, reader]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "writer");
    report(&mut s, true, None, None);
    assert_eq!(completed(&s, "writer"), None);
    assert_eq!(completed(&s, "reader"), None);
}

#[test]
fn a_sco_that_exited_suspended_is_resumed_when_chosen_again() {
    // DMI: the SCO ends with cmi.exit = suspend, the learner chooses another activity and
    // later comes back: the attempt resumes (the player gives cmi.entry = resume).
    let t = tree(cluster("course", vec![leaf("a"), leaf("b")]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = id(&s, "a");
    report(&mut s, false, None, None);
    s.set_suspended(a, true);
    assert_eq!(choose(&mut s, "b"), "b");
    assert!(
        s.activity_state(a).suspended,
        "a stays suspended while b runs"
    );
    assert_eq!(choose(&mut s, "a"), "a");
    assert_eq!(attempts(&s, "a"), 1, "the same attempt goes on");
}

#[test]
fn content_that_sets_a_status_back_to_unknown_clears_the_global_objective() {
    // SX-11b: a SCO sets an objective's completion to "unknown": the global objective it
    // writes forgets its completion. A new attempt, which knows nothing yet, does not.
    let writes = |d: &mut SequencingDefinition| {
        d.objectives.push(ObjectiveDefinition {
            id: Some("obj".into()),
            primary: false,
            maps: vec![ObjectiveMap {
                write_completion_status: true,
                write_satisfied_status: true,
                ..ObjectiveMap::new("g")
            }],
            ..ObjectiveDefinition::default()
        });
    };
    let t = tree(cluster("course", vec![with(leaf("a"), writes), leaf("b")]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = id(&s, "a");
    let obj = |completed: Option<bool>, reported: bool| ContentReport {
        objectives: vec![ObjectiveReport {
            id: "obj".into(),
            completed,
            completion_reported: reported,
            passed: Some(true),
            success_reported: true,
            ..ObjectiveReport::default()
        }],
        ..ContentReport::default()
    };
    s.report(a, &obj(Some(true), true));
    assert_eq!(
        s.state().globals.get("g").and_then(|g| g.completed),
        Some(true)
    );
    // Not reported: the global keeps what it knows.
    s.report(a, &obj(None, false));
    assert_eq!(
        s.state().globals.get("g").and_then(|g| g.completed),
        Some(true)
    );
    // Reported as unknown: cleared.
    s.report(a, &obj(None, true));
    assert_eq!(s.state().globals.get("g").and_then(|g| g.completed), None);
    assert_eq!(
        s.state().globals.get("g").and_then(|g| g.satisfied),
        Some(true)
    );
}

#[test]
fn all_holds_for_a_cluster_whose_children_are_all_left_out_of_rollup() {
    // RU-15b: "all children satisfied → completed" when no child contributes to completion
    // is true (vacuously), as ADL's reference sequencer evaluates it.
    let t = tree(cluster(
        "course",
        vec![with(
            cluster(
                "m",
                vec![with(leaf("a"), |d| {
                    d.rollup_controls.rollup_progress_completion = false
                })],
            ),
            |d| {
                d.rollup_rules = vec![rollup(
                    ChildActivitySet::All,
                    vec![(RollupConditionKind::Satisfied, false)],
                    RollupAction::Completed,
                )]
            },
        )],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, false, Some(false), None);
    assert_eq!(completed(&s, "m"), Some(true));
}

#[test]
fn the_scos_own_score_wins_over_the_primary_objectives_record() {
    // OB-08b: the primary objective's record holds the measure it was given at launch (from a
    // global objective); the SCO then sets cmi.score.scaled, which is what counts.
    let t = tree(cluster(
        "course",
        vec![with(leaf("a"), |d| d.objectives[0].id = Some("p".into()))],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = s.current().unwrap();
    s.report(
        a,
        &ContentReport {
            score_scaled: Some(0.0),
            objectives: vec![ObjectiveReport {
                id: "p".into(),
                score_scaled: Some(1.0),
                ..ObjectiveReport::default()
            }],
            ..ContentReport::default()
        },
    );
    assert_eq!(s.objective_measure(a, 0), Some(0.0));
}

#[test]
fn the_scos_own_success_status_wins_over_the_primary_objectives_record() {
    // Rustici's golf pre/post-test: the post-test's primary objective record starts as the
    // failed pre-test left the shared objective; the SCO then passes: passed counts.
    let t = tree(cluster(
        "course",
        vec![with(leaf("a"), |d| d.objectives[0].id = Some("p".into()))],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = s.current().unwrap();
    s.report(
        a,
        &ContentReport {
            passed: Some(true),
            success_reported: true,
            objectives: vec![ObjectiveReport {
                id: "p".into(),
                passed: Some(false),
                success_reported: true,
                ..ObjectiveReport::default()
            }],
            ..ContentReport::default()
        },
    );
    assert_eq!(satisfied(&s, "a"), Some(true));
}

#[test]
fn an_objective_satisfied_by_measure_shares_the_status_its_measure_gives() {
    // OB-14a: a non-primary objective satisfied by measure (0.4) reports 0.2: it is not
    // satisfied, and that is what the global objective it writes learns.
    let t = tree(cluster(
        "course",
        vec![with(leaf("a"), |d| {
            d.objectives.push(ObjectiveDefinition {
                id: Some("o".into()),
                primary: false,
                satisfied_by_measure: true,
                min_normalized_measure: 0.4,
                maps: vec![map("g", false, true)],
            });
        })],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    let a = s.current().unwrap();
    s.report(
        a,
        &ContentReport {
            objectives: vec![ObjectiveReport {
                id: "o".into(),
                score_scaled: Some(0.2),
                ..ObjectiveReport::default()
            }],
            ..ContentReport::default()
        },
    );
    assert_eq!(
        s.state().globals.get("g").and_then(|g| g.satisfied),
        Some(false)
    );
}

#[test]
fn the_primary_objectives_progress_measure_completes_an_activity_completed_by_measure() {
    // CO-10: two SCOs share their primary objective's completion and progress through one
    // global objective. The first leaves 0.2 (below its 0.4 threshold: incomplete); the
    // second, given that at launch, reports 0.3 on the objective (above its 0.15 threshold):
    // completed, and the global objective says so.
    let sco = |name: &str, threshold: f64| {
        let mut a = with(leaf(name), |d| {
            d.objectives[0].id = Some("PRIMARYOBJ".into());
            d.objectives[0].maps = vec![ObjectiveMap {
                read_completion_status: true,
                read_progress_measure: true,
                write_completion_status: true,
                write_progress_measure: true,
                ..ObjectiveMap::new("g")
            }];
            d.delivery_controls.objective_set_by_content = true;
        });
        a.completion_threshold.completed_by_measure = true;
        a.completion_threshold.min_progress_measure = threshold;
        a
    };
    // The third is not tracked and would call 0.3 incomplete: it must not say so.
    let mut three = sco("three", 0.75);
    three.sequencing.delivery_controls.tracked = false;
    let t = tree(cluster(
        "course",
        vec![sco("one", 0.4), sco("two", 0.15), three],
    ));
    let mut s = Sequencer::new(&t, 1);
    let on_primary = |progress: f64, completed: Option<bool>| ContentReport {
        objectives: vec![ObjectiveReport {
            id: "PRIMARYOBJ".into(),
            completed,
            progress_measure: Some(progress),
            ..ObjectiveReport::default()
        }],
        ..ContentReport::default()
    };
    assert_eq!(go(&mut s, Nav::Start), "one");
    let one = id(&s, "one");
    s.report(one, &on_primary(0.2, None));
    assert_eq!(completed(&s, "one"), Some(false));
    assert_eq!(go(&mut s, Nav::Continue), "two");
    let two = id(&s, "two");
    // What the SCO was given at launch comes back with its own progress.
    s.report(two, &on_primary(0.3, Some(false)));
    assert_eq!(completed(&s, "two"), Some(true));
    assert_eq!(go(&mut s, Nav::Continue), "three");
    let g = s.objective_from_globals(one, 0);
    assert_eq!((g.completed, g.progress_measure), (Some(true), Some(0.3)));
    // Leaving the untracked SCO changes nothing either.
    assert_eq!(go(&mut s, Nav::Previous), "two");
    let g = s.objective_from_globals(one, 0);
    assert_eq!((g.completed, g.progress_measure), (Some(true), Some(0.3)));
}

#[test]
fn an_objective_satisfied_by_measure_is_given_the_status_its_shared_measure_says() {
    // RU-13b: one SCO writes a measure to a global objective; another SCO's objective reads it
    // and is satisfied by measure, so its cmi.objectives record at launch says passed.
    let writer = with(leaf("writer"), |d| {
        d.objectives.push(ObjectiveDefinition {
            id: Some("obj".into()),
            primary: false,
            maps: vec![ObjectiveMap {
                write_normalized_measure: true,
                ..ObjectiveMap::new("g")
            }],
            ..ObjectiveDefinition::default()
        });
    });
    let reader = with(leaf("reader"), |d| {
        d.objectives.push(ObjectiveDefinition {
            id: Some("obj".into()),
            primary: false,
            satisfied_by_measure: true,
            min_normalized_measure: 0.5,
            maps: vec![map("g", true, false)],
        });
    });
    let t = tree(cluster("course", vec![writer, reader]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "writer");
    let w = id(&s, "writer");
    let r = id(&s, "reader");
    assert_eq!(
        s.objective_from_globals(r, 1).satisfied,
        None,
        "no measure yet"
    );
    let measure = |m: f64| ContentReport {
        objectives: vec![ObjectiveReport {
            id: "obj".into(),
            score_scaled: Some(m),
            ..ObjectiveReport::default()
        }],
        ..ContentReport::default()
    };
    s.report(w, &measure(0.7));
    assert_eq!(s.objective_from_globals(r, 1).satisfied, Some(true));
    s.report(w, &measure(0.3));
    assert_eq!(s.objective_from_globals(r, 1).satisfied, Some(false));
}

#[test]
fn a_written_global_objective_rolls_up_an_unattempted_cluster_that_reads_it() {
    // RU-17a: a SCO writes its satisfaction to a global objective; an activity in a cluster
    // the learner has not reached reads it. The cluster rolls up satisfied and its
    // pre-condition skips it.
    let either = |d: &mut SequencingDefinition| {
        d.rollup_rules = vec![
            rollup(
                ChildActivitySet::Any,
                vec![(RollupConditionKind::Satisfied, false)],
                RollupAction::Satisfied,
            ),
            rollup(
                ChildActivitySet::Any,
                vec![(RollupConditionKind::Satisfied, true)],
                RollupAction::NotSatisfied,
            ),
        ];
    };
    let writer = with(leaf("writer"), |d| {
        d.objectives[0].maps = vec![map("g", false, true)]
    });
    let reader = with(leaf("reader"), |d| {
        d.objectives[0].maps = vec![ObjectiveMap::new("g")]
    });
    let skipped = with(
        cluster(
            "skipped",
            vec![
                cluster("m1", vec![leaf("x1"), leaf("x2")]),
                with(cluster("m2", vec![leaf("y"), reader]), either),
            ],
        ),
        |d| {
            either(d);
            d.pre_condition_rules = vec![rule(
                vec![cond(RuleConditionKind::Satisfied)],
                RuleAction::Skip,
            )];
        },
    );
    let t = tree(cluster(
        "course",
        vec![
            cluster("m0", vec![leaf("a"), writer]),
            skipped,
            leaf("last"),
        ],
    ));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    report(&mut s, true, None, None);
    assert_eq!(go(&mut s, Nav::Continue), "writer");
    report(&mut s, true, Some(true), None);
    assert_eq!(satisfied(&s, "reader"), Some(true), "read");
    assert_eq!(satisfied(&s, "m2"), Some(true), "m2");
    assert_eq!(satisfied(&s, "skipped"), Some(true));
    assert_eq!(go(&mut s, Nav::Continue), "last");
}

#[test]
fn a_status_without_a_measure_is_not_shared_when_satisfied_by_measure() {
    // OB-05c: the SCO says passed but reports no score; its primary objective is satisfied
    // by measure, so the global objective it writes learns no status and the activity that
    // reads it is skipped for not knowing one.
    let writer = with(leaf("writer"), |d| {
        d.objectives[0].satisfied_by_measure = true;
        d.objectives[0].min_normalized_measure = 0.0;
        d.objectives[0].maps = vec![map("g", false, true)];
    });
    let reader = with(leaf("reader"), |d| {
        d.objectives[0].maps = vec![ObjectiveMap::new("g")];
        d.pre_condition_rules = vec![rule(
            vec![not(RuleConditionKind::ObjectiveStatusKnown)],
            RuleAction::Skip,
        )];
    });
    let t = tree(cluster("course", vec![writer, reader, leaf("last")]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "writer");
    report(&mut s, true, Some(true), None);
    assert_eq!(go(&mut s, Nav::Continue), "last");
    assert_eq!(
        s.objective_from_globals(id(&s, "reader"), 0).satisfied,
        None
    );
}

#[test]
fn a_retry_of_the_course_forgets_objectives_that_live_for_one_attempt() {
    // RU-13d: a post-condition retries the whole course while a shared objective says the
    // learner failed. The course's objectives are not global to the system, so the new
    // attempt starts without them: the module whose pre-condition skips it when the
    // objective is unknown is skipped. Global to the system, they stay and it is delivered.
    let on = |objective: &str, c: RuleConditionKind| RuleCondition {
        referenced_objective: Some(objective.into()),
        ..cond(c)
    };
    let reads = |d: &mut SequencingDefinition, target: &str| {
        d.objectives.push(ObjectiveDefinition {
            id: Some("obj1".into()),
            primary: false,
            maps: vec![map(target, true, false)],
            ..ObjectiveDefinition::default()
        });
    };
    let a2 = with(leaf("a2"), |d| {
        reads(d, "g2");
        d.pre_condition_rules = vec![SequencingRule {
            combination: ConditionCombination::Any,
            conditions: vec![
                RuleCondition {
                    negate: true,
                    ..on("obj1", RuleConditionKind::ObjectiveStatusKnown)
                },
                RuleCondition {
                    negate: true,
                    ..on("obj1", RuleConditionKind::Satisfied)
                },
            ],
            action: RuleAction::Skip,
        }];
    });
    let a4 = with(leaf("a4"), |d| {
        for (id, target) in [("obj1", "g1"), ("obj2", "g2")] {
            d.objectives.push(ObjectiveDefinition {
                id: Some(id.into()),
                primary: false,
                maps: vec![map(target, false, true)],
                ..ObjectiveDefinition::default()
            });
        }
        d.post_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::Always)],
            RuleAction::ExitParent,
        )];
    });
    let m1 = with(cluster("m1", vec![a2, leaf("a3"), a4]), |d| {
        reads(d, "g1");
        d.pre_condition_rules = vec![rule(
            vec![
                cond(RuleConditionKind::Attempted),
                RuleCondition {
                    negate: true,
                    ..on("obj1", RuleConditionKind::ObjectiveStatusKnown)
                },
            ],
            RuleAction::Skip,
        )];
        d.post_condition_rules = vec![rule(
            vec![cond(RuleConditionKind::Satisfied)],
            RuleAction::ExitParent,
        )];
        d.rollup_rules = vec![rollup(
            ChildActivitySet::AtLeastPercent(0.4),
            vec![(RollupConditionKind::Satisfied, false)],
            RollupAction::Satisfied,
        )];
    });
    let course = with(cluster("course", vec![m1, leaf("a6")]), |d| {
        d.objectives[0].maps = vec![map("g1", true, false)];
        d.post_condition_rules = vec![rule(
            vec![not(RuleConditionKind::Satisfied)],
            RuleAction::Retry,
        )];
    });
    let t = tree(course);
    for (per_attempt, next) in [(true, "a6"), (false, "a2")] {
        let mut s = Sequencer::new(&t, 1);
        s.set_objectives_per_attempt(per_attempt);
        assert_eq!(go(&mut s, Nav::Start), "a3");
        report(&mut s, true, None, None);
        assert_eq!(go(&mut s, Nav::Continue), "a4");
        let a4 = id(&s, "a4");
        s.report(
            a4,
            &ContentReport {
                objectives: vec![
                    ObjectiveReport {
                        id: "obj1".into(),
                        passed: Some(false),
                        success_reported: true,
                        ..ObjectiveReport::default()
                    },
                    ObjectiveReport {
                        id: "obj2".into(),
                        passed: Some(true),
                        success_reported: true,
                        ..ObjectiveReport::default()
                    },
                ],
                ..ContentReport::default()
            },
        );
        assert_eq!(
            go(&mut s, Nav::Continue),
            next,
            "per attempt: {per_attempt}"
        );
    }
}

#[test]
fn a_primary_objective_the_sco_set_to_unknown_gets_no_default_and_clears_the_shared_status() {
    // OB-17b: the SCO sets its primary objective's cmi.objectives record to "unknown". That
    // is the content's word: the end of the attempt does not default it to satisfied, and
    // the global objective it writes forgets its status.
    let writer = with(leaf("writer"), |d| {
        d.objectives[0].id = Some("PRIMARYOBJ".into());
        d.objectives[0].maps = vec![map("g", true, true)];
    });
    let t = tree(cluster("course", vec![leaf("a"), writer, leaf("c")]));
    let mut s = Sequencer::new(&t, 1);
    assert_eq!(go(&mut s, Nav::Start), "a");
    assert_eq!(go(&mut s, Nav::Continue), "writer");
    let w = id(&s, "writer");
    let set = |passed: Option<bool>| ContentReport {
        objectives: vec![ObjectiveReport {
            id: "PRIMARYOBJ".into(),
            passed,
            success_reported: true,
            ..ObjectiveReport::default()
        }],
        ..ContentReport::default()
    };
    s.report(w, &set(Some(false)));
    assert_eq!(s.objective_from_globals(w, 0).satisfied, Some(false));
    s.report(w, &set(None));
    assert_eq!(go(&mut s, Nav::Continue), "c");
    assert_eq!(
        satisfied(&s, "writer"),
        None,
        "no default for a status the SCO set"
    );
    assert_eq!(s.objective_from_globals(w, 0).satisfied, None);
}
