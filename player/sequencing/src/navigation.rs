//! The Navigation Request Process (NB.2.1) and the termination processes: Sequencing Exit
//! Action Rules (TB.2.1), Sequencing Post Condition Rules (TB.2.2) and the Termination Request
//! Process (TB.2.3).

use serde::{Deserialize, Serialize};

use crate::definition::RuleAction;
use crate::engine::{Exception, Sequencer};
use crate::rules::RuleKind;
use crate::tree::ActivityId;

/// A navigation request from the learner (the LMS's buttons and table of contents) or the
/// content (`adl.nav.request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "request", content = "target")]
pub enum NavigationRequest {
    Start,
    ResumeAll,
    Continue,
    Previous,
    Choice(ActivityId),
    Jump(ActivityId),
    Exit,
    ExitAll,
    Abandon,
    AbandonAll,
    SuspendAll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TerminationRequest {
    Exit,
    ExitAll,
    SuspendAll,
    Abandon,
    AbandonAll,
}

/// A sequencing request (SN book, table 4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SequencingRequest {
    Start,
    ResumeAll,
    Continue,
    Previous,
    Choice(ActivityId),
    Jump(ActivityId),
    Exit,
    Retry,
}

/// What the navigation request process asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Requests {
    pub termination: Option<TerminationRequest>,
    pub sequencing: Option<SequencingRequest>,
}

fn invalid(code: &str, message: &str) -> Result<Requests, Exception> {
    Err(Exception::new(code, message))
}

impl Sequencer<'_> {
    /// NB.2.1 Navigation Request Process.
    pub(crate) fn navigation_request(&self, nav: NavigationRequest) -> Result<Requests, Exception> {
        use SequencingRequest as S;
        use TerminationRequest as T;
        let current = self.state.current;
        let ok = |t: Option<T>, s: Option<S>| {
            Ok(Requests {
                termination: t,
                sequencing: s,
            })
        };
        // Exit the current activity before the sequencing request, if it is still running.
        let exit_if_active = |c: ActivityId| self.st(c).active.then_some(T::Exit);
        match nav {
            NavigationRequest::Start => match current {
                None => ok(None, Some(S::Start)),
                Some(_) => invalid("NB.2.1-1", "the sequencing session has already begun"),
            },
            NavigationRequest::ResumeAll => match current {
                Some(_) => invalid("NB.2.1-1", "the sequencing session has already begun"),
                None if self.state.suspended.is_some() => ok(None, Some(S::ResumeAll)),
                None => invalid("NB.2.1-3", "no suspended activity to resume"),
            },
            NavigationRequest::Continue => {
                let Some(c) = current else {
                    return invalid("NB.2.1-2", "the sequencing session has not begun");
                };
                match self.parent(c) {
                    Some(p) if self.def(p).control_mode.flow => {
                        ok(exit_if_active(c), Some(S::Continue))
                    }
                    _ => invalid(
                        "NB.2.1-4",
                        "flow is not enabled for the current activity's parent",
                    ),
                }
            }
            NavigationRequest::Previous => {
                let Some(c) = current else {
                    return invalid("NB.2.1-2", "the sequencing session has not begun");
                };
                match self.parent(c) {
                    Some(p) => {
                        let mode = self.def(p).control_mode;
                        if mode.flow && !mode.forward_only {
                            ok(exit_if_active(c), Some(S::Previous))
                        } else {
                            invalid(
                                "NB.2.1-5",
                                "the current activity's parent does not allow backward flow",
                            )
                        }
                    }
                    None => invalid("NB.2.1-6", "the root activity has no previous activity"),
                }
            }
            NavigationRequest::Choice(target) => {
                if self.tree.get(target).is_none() {
                    return invalid("NB.2.1-11", "the target activity does not exist");
                }
                let allowed = match self.parent(target) {
                    None => true,
                    Some(p) => self.def(p).control_mode.choice,
                };
                if !allowed {
                    return invalid(
                        "NB.2.1-10",
                        "choice is not enabled for the target activity's parent",
                    );
                }
                let Some(c) = current else {
                    return ok(None, Some(S::Choice(target)));
                };
                // Every active activity the choice leaves must allow leaving it by choice. A
                // choice of the current activity itself leaves its attempt too (ADL's reference
                // sequencer offers no choice at all while such an activity is active; its
                // conformance test CM-07a asks for a table of contents that is not enabled).
                if target == c && self.st(c).active && !self.def(c).control_mode.choice_exit {
                    return invalid(
                        "NB.2.1-8",
                        "an activity being exited does not allow choice exit",
                    );
                }
                let ancestor = self.tree.common_ancestor(c, target);
                for a in self.tree.path_to_root(c) {
                    if a == ancestor {
                        break;
                    }
                    if self.st(a).active && !self.def(a).control_mode.choice_exit {
                        return invalid(
                            "NB.2.1-8",
                            "an activity being exited does not allow choice exit",
                        );
                    }
                }
                ok(exit_if_active(c), Some(S::Choice(target)))
            }
            NavigationRequest::Jump(target) => {
                if self.tree.get(target).is_none() || !self.is_available(target) {
                    return invalid("NB.2.1-11", "the target activity does not exist");
                }
                match current {
                    Some(c) => ok(exit_if_active(c), Some(S::Jump(target))),
                    None => invalid("NB.2.1-2", "the sequencing session has not begun"),
                }
            }
            NavigationRequest::Exit | NavigationRequest::Abandon => {
                let Some(c) = current else {
                    return invalid("NB.2.1-2", "the sequencing session has not begun");
                };
                if !self.st(c).active {
                    return invalid("NB.2.1-12", "the current activity has already ended");
                }
                let t = if nav == NavigationRequest::Exit {
                    T::Exit
                } else {
                    T::Abandon
                };
                ok(Some(t), Some(S::Exit))
            }
            NavigationRequest::ExitAll
            | NavigationRequest::AbandonAll
            | NavigationRequest::SuspendAll => {
                if current.is_none() {
                    return invalid("NB.2.1-2", "the sequencing session has not begun");
                }
                let t = match nav {
                    NavigationRequest::ExitAll => T::ExitAll,
                    NavigationRequest::AbandonAll => T::AbandonAll,
                    _ => T::SuspendAll,
                };
                ok(Some(t), Some(S::Exit))
            }
        }
    }

    /// TB.2.1 Sequencing Exit Action Rules Subprocess: the outermost ancestor of the current
    /// activity with a holding exit rule ends, with everything below it.
    fn exit_action_rules(&mut self) {
        let Some(current) = self.state.current else {
            return;
        };
        let path = self.tree.path_to_root(current);
        // From the root down to the current activity's parent.
        let exit_target = path
            .iter()
            .rev()
            .filter(|a| **a != current)
            .copied()
            .find(|a| {
                self.rules_check(*a, RuleKind::Exit, &[RuleAction::Exit])
                    .is_some()
            });
        if let Some(target) = exit_target {
            self.terminate_descendent_attempts(target);
            self.end_attempt(target);
            self.state.current = Some(target);
        }
    }

    /// TB.2.2 Sequencing Post Condition Rules Subprocess.
    fn post_condition_rules(&self) -> (Option<TerminationRequest>, Option<SequencingRequest>) {
        let Some(current) = self.state.current else {
            return (None, None);
        };
        if self.st(current).suspended {
            return (None, None);
        }
        let action = self.rules_check(
            current,
            RuleKind::Post,
            &[
                RuleAction::ExitParent,
                RuleAction::ExitAll,
                RuleAction::Retry,
                RuleAction::RetryAll,
                RuleAction::Continue,
                RuleAction::Previous,
            ],
        );
        match action {
            Some(RuleAction::Retry) => (None, Some(SequencingRequest::Retry)),
            Some(RuleAction::Continue) => (None, Some(SequencingRequest::Continue)),
            Some(RuleAction::Previous) => (None, Some(SequencingRequest::Previous)),
            Some(RuleAction::ExitParent) => (Some(TerminationRequest::Exit), None),
            Some(RuleAction::ExitAll) => (Some(TerminationRequest::ExitAll), None),
            Some(RuleAction::RetryAll) => (
                Some(TerminationRequest::ExitAll),
                Some(SequencingRequest::Retry),
            ),
            _ => (None, None),
        }
    }

    /// TB.2.3 Termination Request Process. Returns the sequencing request that replaces the
    /// pending one, if any.
    pub(crate) fn termination_request(
        &mut self,
        request: TerminationRequest,
    ) -> Result<Option<SequencingRequest>, Exception> {
        let Some(current) = self.state.current else {
            return Err(Exception::new(
                "TB.2.3-1",
                "there is no current activity to terminate",
            ));
        };
        if matches!(
            request,
            TerminationRequest::Exit | TerminationRequest::Abandon
        ) && !self.st(current).active
        {
            return Err(Exception::new(
                "TB.2.3-2",
                "the current activity has already been terminated",
            ));
        }
        match request {
            TerminationRequest::Exit => {
                self.end_attempt(current);
                self.exit_action_rules();
                loop {
                    let (term, seq) = self.post_condition_rules();
                    match term {
                        Some(TerminationRequest::ExitAll) => {
                            // Exit all, keeping a retry (retryAll) as the next request.
                            self.exit_all();
                            return Ok(Some(seq.unwrap_or(SequencingRequest::Exit)));
                        }
                        Some(TerminationRequest::Exit) => {
                            // Exit parent.
                            let Some(c) = self.state.current else {
                                return Ok(seq);
                            };
                            match self.parent(c) {
                                Some(p) => {
                                    self.state.current = Some(p);
                                    self.end_attempt(p);
                                }
                                None => {
                                    return Err(Exception::new(
                                        "TB.2.3-4",
                                        "cannot exit the parent of the root activity",
                                    ));
                                }
                            }
                        }
                        _ => {
                            let at_root = self.state.current == Some(self.tree.root());
                            if at_root && seq != Some(SequencingRequest::Retry) {
                                // Nothing is left to deliver: the session ends.
                                return Ok(Some(SequencingRequest::Exit));
                            }
                            return Ok(seq);
                        }
                    }
                }
            }
            TerminationRequest::ExitAll => {
                self.exit_all();
                Ok(Some(SequencingRequest::Exit))
            }
            TerminationRequest::SuspendAll => {
                let s = self.st(current);
                let suspended = if s.active || s.suspended {
                    self.overall_rollup(current);
                    current
                } else {
                    match self.parent(current) {
                        Some(p) => p,
                        None => {
                            return Err(Exception::new(
                                "TB.2.3-3",
                                "nothing to suspend: the root activity has ended",
                            ));
                        }
                    }
                };
                self.state.suspended = Some(suspended);
                for a in self.tree.path_to_root(suspended) {
                    let s = self.st_mut(a);
                    s.active = false;
                    s.suspended = true;
                }
                self.state.current = Some(self.tree.root());
                Ok(Some(SequencingRequest::Exit))
            }
            TerminationRequest::Abandon => {
                self.st_mut(current).active = false;
                Ok(None)
            }
            TerminationRequest::AbandonAll => {
                for a in self.tree.path_to_root(current) {
                    self.st_mut(a).active = false;
                }
                self.state.current = Some(self.tree.root());
                Ok(Some(SequencingRequest::Exit))
            }
        }
    }

    /// The Exit All case of TB.2.3: end every attempt up to the root.
    fn exit_all(&mut self) {
        let root = self.tree.root();
        if let Some(c) = self.state.current
            && self.st(c).active
        {
            self.end_attempt(c);
        }
        self.terminate_descendent_attempts(root);
        self.end_attempt(root);
        self.state.current = Some(root);
    }
}
