//! The Sequencing Request Process (SB.2.12) and its request processes (start, resume all,
//! continue, previous, choice, jump, retry, exit) with the traversal subprocesses they use
//! (SB.2.1 to SB.2.4, SB.2.9.1, SB.2.9.2).

use crate::engine::{Exception, Sequencer};
use crate::navigation::SequencingRequest;
use crate::tree::ActivityId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Forward,
    Backward,
}

/// What a sequencing request comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sequenced {
    Deliver(ActivityId),
    EndSession,
    Nothing,
}

/// The outcome of a choice request before its side effects.
pub(crate) enum Choice {
    Sequenced(Result<Sequenced, Exception>),
    /// The target is a cluster in which nothing can be delivered (SB.2.9-9); the common
    /// ancestor of the current activity and the target is given.
    NothingInside(ActivityId),
}

/// The result of a flow tree traversal.
enum Traversal {
    Next(ActivityId, Direction),
    EndSession,
    Failed(Exception),
}

fn exception(code: &str, message: &str) -> Exception {
    Exception::new(code, message)
}

impl Sequencer<'_> {
    /// SB.2.12 Sequencing Request Process.
    pub(crate) fn sequencing_request(
        &mut self,
        request: SequencingRequest,
    ) -> Result<Sequenced, Exception> {
        match request {
            SequencingRequest::Start => self.start(),
            SequencingRequest::ResumeAll => self.resume_all(),
            SequencingRequest::Exit => self.exit(),
            SequencingRequest::Retry => self.retry(),
            SequencingRequest::Continue => self.continue_(),
            SequencingRequest::Previous => self.previous(),
            SequencingRequest::Choice(target) => self.choice(target),
            SequencingRequest::Jump(target) => self.jump(target),
        }
    }

    fn position(&self, id: ActivityId) -> Option<(ActivityId, usize)> {
        let p = self.parent(id)?;
        let i = self.available(p).iter().position(|c| *c == id)?;
        Some((p, i))
    }

    fn is_last_available(&self, id: ActivityId) -> bool {
        match self.position(id) {
            Some((p, i)) => i + 1 == self.available(p).len(),
            None => true,
        }
    }

    fn is_first_available(&self, id: ActivityId) -> bool {
        matches!(self.position(id), Some((_, 0)) | None)
    }

    fn sibling(&self, id: ActivityId, direction: Direction) -> Option<ActivityId> {
        let (p, i) = self.position(id)?;
        let j = match direction {
            Direction::Forward => i.checked_add(1)?,
            Direction::Backward => i.checked_sub(1)?,
        };
        self.available(p).get(j).copied()
    }

    /// Is `id` the last activity of a forward preorder traversal of the (available) tree?
    fn is_last_in_tree(&self, id: ActivityId) -> bool {
        let mut at = id;
        if !self.is_leaf(at) && !self.available(at).is_empty() {
            return false;
        }
        loop {
            if !self.is_last_available(at) {
                return false;
            }
            match self.parent(at) {
                Some(p) => at = p,
                None => return true,
            }
        }
    }

    /// Does `target` come after `from` in a preorder traversal of the tree?
    pub(crate) fn is_forward_of(&self, from: ActivityId, target: ActivityId) -> bool {
        // Activity ids are preorder positions in the manifest; randomized children follow
        // their available order, so compare along the available children where the two
        // paths part.
        let ancestor = self.tree.common_ancestor(from, target);
        if ancestor == target {
            return false;
        }
        if ancestor == from {
            return true;
        }
        let branch = |x: ActivityId| {
            self.tree
                .path_to_root(x)
                .into_iter()
                .find(|a| self.parent(*a) == Some(ancestor))
        };
        match (branch(from), branch(target)) {
            (Some(a), Some(b)) => {
                let order = self.available(ancestor);
                let pa = order.iter().position(|c| *c == a);
                let pb = order.iter().position(|c| *c == b);
                match (pa, pb) {
                    (Some(pa), Some(pb)) => pb > pa,
                    _ => b > a,
                }
            }
            _ => target > from,
        }
    }

    /// SB.2.1 Flow Tree Traversal Subprocess.
    fn flow_tree_traversal(
        &self,
        activity: ActivityId,
        direction: Direction,
        consider_children: bool,
        previous: Option<Direction>,
    ) -> Traversal {
        let mut activity = activity;
        let mut direction = direction;
        if previous == Some(Direction::Backward)
            && self.is_last_available(activity)
            && let Some(p) = self.parent(activity)
            && let Some(first) = self.available(p).first().copied()
        {
            direction = Direction::Backward;
            activity = first;
        }
        match direction {
            Direction::Forward => {
                let root = self.tree.root();
                // The attempts below the root end with the session (OP.1 `navigate` ends
                // them when it ends the session), not here: traversal stays free of side
                // effects, so requests can be checked without changing anything.
                if self.is_last_in_tree(activity) || (activity == root && !consider_children) {
                    return Traversal::EndSession;
                }
                if self.is_leaf(activity) || !consider_children {
                    if self.is_last_available(activity) {
                        return match self.parent(activity) {
                            Some(p) => self.flow_tree_traversal(p, Direction::Forward, false, None),
                            None => Traversal::EndSession,
                        };
                    }
                    match self.sibling(activity, Direction::Forward) {
                        Some(next) => Traversal::Next(next, Direction::Forward),
                        None => Traversal::Failed(exception(
                            "SB.2.1-1",
                            "no activity follows in the tree",
                        )),
                    }
                } else {
                    match self.available(activity).first() {
                        Some(first) => Traversal::Next(*first, Direction::Forward),
                        None => Traversal::Failed(exception(
                            "SB.2.1-2",
                            "the activity has no available children",
                        )),
                    }
                }
            }
            Direction::Backward => {
                let Some(parent) = self.parent(activity) else {
                    return Traversal::Failed(exception(
                        "SB.2.1-3",
                        "cannot traverse backward from the root",
                    ));
                };
                if self.is_leaf(activity) || !consider_children {
                    if self.is_first_available(activity) {
                        return self.flow_tree_traversal(parent, Direction::Backward, false, None);
                    }
                    match self.sibling(activity, Direction::Backward) {
                        Some(prev) => Traversal::Next(prev, Direction::Backward),
                        None => Traversal::Failed(exception(
                            "SB.2.1-3",
                            "no activity precedes in the tree",
                        )),
                    }
                } else {
                    let children = self.available(activity);
                    if self.def(activity).control_mode.forward_only {
                        match children.first() {
                            Some(first) => Traversal::Next(*first, Direction::Forward),
                            None => Traversal::Failed(exception(
                                "SB.2.1-2",
                                "the activity has no available children",
                            )),
                        }
                    } else {
                        match children.last() {
                            Some(last) => Traversal::Next(*last, Direction::Backward),
                            None => Traversal::Failed(exception(
                                "SB.2.1-2",
                                "the activity has no available children",
                            )),
                        }
                    }
                }
            }
        }
    }

    /// SB.2.2 Flow Activity Traversal Subprocess: is `activity` (or what it leads to) a
    /// deliverable leaf? Returns the leaf, or the session's end when a skip runs off the end
    /// of the tree.
    fn flow_activity_traversal(
        &self,
        activity: ActivityId,
        direction: Direction,
        previous: Option<Direction>,
    ) -> Result<Sequenced, Exception> {
        let flow = self
            .parent(activity)
            .is_none_or(|p| self.def(p).control_mode.flow);
        if !flow {
            return Err(exception(
                "SB.2.2-1",
                "flow is not enabled for the activity's parent",
            ));
        }
        if self.skipped(activity) {
            return match self.flow_tree_traversal(activity, direction, false, previous) {
                Traversal::Next(next, returned) => {
                    if previous == Some(Direction::Backward) && returned == Direction::Backward {
                        self.flow_activity_traversal(next, returned, None)
                    } else {
                        self.flow_activity_traversal(next, direction, previous)
                    }
                }
                Traversal::EndSession => Ok(Sequenced::EndSession),
                Traversal::Failed(e) => Err(e),
            };
        }
        if self.check_activity(activity) {
            return Err(exception(
                "SB.2.2-2",
                "the activity is disabled or has reached a limit",
            ));
        }
        if !self.is_leaf(activity) {
            return match self.flow_tree_traversal(activity, direction, true, None) {
                Traversal::Next(next, returned) => {
                    if direction == Direction::Backward && returned == Direction::Forward {
                        self.flow_activity_traversal(
                            next,
                            Direction::Forward,
                            Some(Direction::Backward),
                        )
                    } else {
                        self.flow_activity_traversal(next, direction, None)
                    }
                }
                Traversal::EndSession => Ok(Sequenced::EndSession),
                Traversal::Failed(e) => Err(e),
            };
        }
        Ok(Sequenced::Deliver(activity))
    }

    /// SB.2.3 Flow Subprocess.
    fn flow(
        &self,
        from: ActivityId,
        direction: Direction,
        consider_children: bool,
    ) -> Result<Sequenced, Exception> {
        match self.flow_tree_traversal(from, direction, consider_children, None) {
            Traversal::Next(next, _) => self.flow_activity_traversal(next, direction, None),
            Traversal::EndSession => Ok(Sequenced::EndSession),
            Traversal::Failed(e) => Err(e),
        }
    }

    /// SB.2.4 Choice Activity Traversal Subprocess.
    fn choice_activity_traversal(
        &self,
        activity: ActivityId,
        direction: Direction,
    ) -> Result<(), Exception> {
        match direction {
            Direction::Forward => {
                if self.stops_forward_traversal(activity) {
                    return Err(exception(
                        "SB.2.4-1",
                        "a stop-forward-traversal rule holds on the way to the target",
                    ));
                }
                Ok(())
            }
            Direction::Backward => match self.parent(activity) {
                Some(p) if self.def(p).control_mode.forward_only => Err(exception(
                    "SB.2.4-2",
                    "the way to the target goes backward where only forward is allowed",
                )),
                Some(_) => Ok(()),
                None => Err(exception("SB.2.4-3", "cannot walk backward from the root")),
            },
        }
    }

    /// SB.2.5 Start Sequencing Request Process.
    fn start(&mut self) -> Result<Sequenced, Exception> {
        if self.state.current.is_some() {
            return Err(exception(
                "SB.2.5-1",
                "the sequencing session has already begun",
            ));
        }
        let root = self.tree.root();
        if self.is_leaf(root) {
            return Ok(Sequenced::Deliver(root));
        }
        match self.flow(root, Direction::Forward, true)? {
            Sequenced::Deliver(a) => Ok(Sequenced::Deliver(a)),
            _ => Err(exception("SB.2.5-3", "no activity can be delivered")),
        }
    }

    /// SB.2.6 Resume All Sequencing Request Process.
    fn resume_all(&mut self) -> Result<Sequenced, Exception> {
        if self.state.current.is_some() {
            return Err(exception(
                "SB.2.6-1",
                "the sequencing session has already begun",
            ));
        }
        match self.state.suspended {
            Some(s) => Ok(Sequenced::Deliver(s)),
            None => Err(exception("SB.2.6-2", "no suspended activity to resume")),
        }
    }

    /// SB.2.7 Continue Sequencing Request Process.
    fn continue_(&mut self) -> Result<Sequenced, Exception> {
        let Some(current) = self.state.current else {
            return Err(exception(
                "SB.2.7-1",
                "the sequencing session has not begun",
            ));
        };
        if let Some(p) = self.parent(current)
            && !self.def(p).control_mode.flow
        {
            return Err(exception(
                "SB.2.7-2",
                "flow is not enabled for the current activity's parent",
            ));
        }
        self.flow(current, Direction::Forward, false)
    }

    /// SB.2.8 Previous Sequencing Request Process.
    fn previous(&mut self) -> Result<Sequenced, Exception> {
        let Some(current) = self.state.current else {
            return Err(exception(
                "SB.2.8-1",
                "the sequencing session has not begun",
            ));
        };
        if let Some(p) = self.parent(current)
            && !self.def(p).control_mode.flow
        {
            return Err(exception(
                "SB.2.8-2",
                "flow is not enabled for the current activity's parent",
            ));
        }
        match self.flow(current, Direction::Backward, false)? {
            Sequenced::EndSession => Ok(Sequenced::Nothing),
            other => Ok(other),
        }
    }

    /// SB.2.9 Choice Sequencing Request Process.
    fn choice(&mut self, target: ActivityId) -> Result<Sequenced, Exception> {
        match self.choice_outcome(target) {
            Choice::Sequenced(result) => result,
            Choice::NothingInside(ancestor) => {
                // Nothing in the target can be delivered: the learner stays at the target,
                // with every attempt below the common ancestor ended.
                self.terminate_descendent_attempts(ancestor);
                self.end_attempt(ancestor);
                self.state.current = Some(target);
                Err(exception(
                    "SB.2.9-9",
                    "nothing inside the chosen activity can be delivered",
                ))
            }
        }
    }

    /// The checks and the flow of SB.2.9, without its side effects.
    pub(crate) fn choice_outcome(&self, target: ActivityId) -> Choice {
        match self.choice_checks(target) {
            Err(e) => Choice::Sequenced(Err(e)),
            Ok(ancestor) => {
                if self.is_leaf(target) {
                    return Choice::Sequenced(Ok(Sequenced::Deliver(target)));
                }
                match self.flow(target, Direction::Forward, true) {
                    Ok(Sequenced::Deliver(a)) => Choice::Sequenced(Ok(Sequenced::Deliver(a))),
                    _ => Choice::NothingInside(ancestor),
                }
            }
        }
    }

    /// Steps 1–11 of SB.2.9: may the learner reach the target from where they are? Returns
    /// the common ancestor of the current activity and the target.
    fn choice_checks(&self, target: ActivityId) -> Result<ActivityId, Exception> {
        if self.tree.get(target).is_none() {
            return Err(exception("SB.2.9-1", "the target activity does not exist"));
        }
        let mut path = self.tree.path_to_root(target);
        path.reverse(); // root first
        for a in &path {
            if !self.is_available(*a) {
                return Err(exception(
                    "SB.2.9-2",
                    "the target activity is not among the available activities",
                ));
            }
            if self.hidden_from_choice(*a) {
                return Err(exception(
                    "SB.2.9-3",
                    "the target activity is hidden from choice",
                ));
            }
        }
        if let Some(p) = self.parent(target)
            && !self.def(p).control_mode.choice
        {
            return Err(exception(
                "SB.2.9-4",
                "choice is not enabled for the target activity's parent",
            ));
        }
        let current = self.state.current;
        let ancestor = match current {
            Some(c) => self.tree.common_ancestor(c, target),
            None => self.tree.root(),
        };
        // From the common ancestor down to the target, exclusive of the target.
        let down: Vec<ActivityId> = path
            .iter()
            .copied()
            .skip_while(|a| *a != ancestor)
            .take_while(|a| *a != target)
            .collect();
        let check_activation = |s: &Self, a: ActivityId| {
            if !s.st(a).active && a != ancestor && s.def(a).constrained_choice.prevent_activation {
                return Err(exception(
                    "SB.2.9-6",
                    "an activity on the way to the target may not be activated by choice",
                ));
            }
            Ok(())
        };
        match current {
            Some(c) if c == target => {}
            Some(c) if self.parent(c).is_some() && self.parent(c) == self.parent(target) => {
                // Siblings: every activity between them must let the learner pass.
                let Some(p) = self.parent(c) else {
                    return Err(exception("SB.2.9-5", "no activity path"));
                };
                let order = self.available(p).to_vec();
                let from = order.iter().position(|x| *x == c);
                let to = order.iter().position(|x| *x == target);
                let (Some(from), Some(to)) = (from, to) else {
                    return Err(exception("SB.2.9-5", "no activity path"));
                };
                let (direction, between): (Direction, Vec<ActivityId>) = if to > from {
                    (
                        Direction::Forward,
                        order.get(from..to).map(<[_]>::to_vec).unwrap_or_default(),
                    )
                } else {
                    (
                        Direction::Backward,
                        order
                            .get(to + 1..=from)
                            .map(|s| s.iter().rev().copied().collect())
                            .unwrap_or_default(),
                    )
                };
                for a in between {
                    self.choice_activity_traversal(a, direction)?;
                }
            }
            None => {
                for a in &down {
                    self.choice_activity_traversal(*a, Direction::Forward)?;
                    check_activation(self, *a)?;
                }
            }
            Some(c) if c == ancestor => {
                for a in &down {
                    self.choice_activity_traversal(*a, Direction::Forward)?;
                    check_activation(self, *a)?;
                }
            }
            Some(c) if target == ancestor => {
                // The target is an ancestor of the current activity: all activities being
                // left must allow choice exit.
                for a in self.tree.path_to_root(c) {
                    if a == target {
                        break;
                    }
                    if !self.def(a).control_mode.choice_exit {
                        return Err(exception(
                            "SB.2.9-7",
                            "an activity being left does not allow choice exit",
                        ));
                    }
                }
            }
            Some(c) => {
                // Up from the current activity to the common ancestor, then down to the target.
                let mut constrained = None;
                for a in self.tree.path_to_root(c) {
                    if a == ancestor {
                        break;
                    }
                    if self.st(a).active && !self.def(a).control_mode.choice_exit {
                        return Err(exception(
                            "SB.2.9-7",
                            "an activity being left does not allow choice exit",
                        ));
                    }
                    // The constraint comes from the current activity's ancestors: the current
                    // activity's own constrainChoice does not limit a choice made from it (as
                    // ADL's reference sequencer and its conformance test CM-07d have it).
                    if constrained.is_none()
                        && a != c
                        && self.def(a).constrained_choice.constrain_choice
                    {
                        constrained = Some(a);
                    }
                }
                if let Some(k) = constrained {
                    let direction = if self.is_forward_of(k, target) {
                        Direction::Forward
                    } else {
                        Direction::Backward
                    };
                    let consider = self.choice_flow(k, direction);
                    if !self.tree.is_ancestor_or_self(consider, target) && target != k {
                        return Err(exception(
                            "SB.2.9-8",
                            "constrained choice: the target is not next to the current activity",
                        ));
                    }
                }
                if self.is_forward_of(c, target) {
                    for a in &down {
                        self.choice_activity_traversal(*a, Direction::Forward)?;
                        check_activation(self, *a)?;
                    }
                } else {
                    for a in &down {
                        check_activation(self, *a)?;
                    }
                }
            }
        }
        Ok(ancestor)
    }

    /// SB.2.9.1 Choice Flow Subprocess.
    fn choice_flow(&self, activity: ActivityId, direction: Direction) -> ActivityId {
        self.choice_flow_tree_traversal(activity, direction)
            .unwrap_or(activity)
    }

    /// SB.2.9.2 Choice Flow Tree Traversal Subprocess: the next (or previous) activity at the
    /// same level, climbing when the activity is the last (first) of its parent.
    fn choice_flow_tree_traversal(
        &self,
        activity: ActivityId,
        direction: Direction,
    ) -> Option<ActivityId> {
        let parent = self.parent(activity)?;
        match direction {
            Direction::Forward => {
                if self.is_last_in_tree(activity) {
                    return None;
                }
                if self.is_last_available(activity) {
                    return self.choice_flow_tree_traversal(parent, direction);
                }
                self.sibling(activity, direction)
            }
            Direction::Backward => {
                if self.is_first_available(activity) {
                    return self.choice_flow_tree_traversal(parent, direction);
                }
                self.sibling(activity, direction)
            }
        }
    }

    /// SB.2.10 Retry Sequencing Request Process.
    fn retry(&mut self) -> Result<Sequenced, Exception> {
        let Some(current) = self.state.current else {
            return Err(exception(
                "SB.2.10-1",
                "the sequencing session has not begun",
            ));
        };
        let s = self.st(current);
        if s.active || s.suspended {
            return Err(exception(
                "SB.2.10-2",
                "the current activity has not ended and cannot be retried",
            ));
        }
        if self.is_leaf(current) {
            return Ok(Sequenced::Deliver(current));
        }
        // A retry of the whole course is a new attempt on it: objectives that live for one
        // attempt start over before its rules are evaluated (as ADL's reference sequencer
        // does; its conformance test RU-13d depends on it).
        if current == self.tree.root() && self.objectives_per_attempt {
            self.state.globals.clear();
        }
        match self.flow(current, Direction::Forward, true) {
            Ok(Sequenced::Deliver(a)) => Ok(Sequenced::Deliver(a)),
            _ => Err(exception(
                "SB.2.10-3",
                "nothing inside the activity can be delivered",
            )),
        }
    }

    /// SB.2.11 Exit Sequencing Request Process.
    fn exit(&mut self) -> Result<Sequenced, Exception> {
        let Some(current) = self.state.current else {
            return Err(exception(
                "SB.2.11-1",
                "the sequencing session has not begun",
            ));
        };
        if self.st(current).active {
            return Err(exception(
                "SB.2.11-2",
                "the current activity is still active",
            ));
        }
        if current == self.tree.root() {
            return Ok(Sequenced::EndSession);
        }
        Ok(Sequenced::Nothing)
    }

    /// SB.2.13 Jump Sequencing Request Process (4th edition).
    fn jump(&mut self, target: ActivityId) -> Result<Sequenced, Exception> {
        if self.state.current.is_none() {
            return Err(exception(
                "SB.2.13-1",
                "the sequencing session has not begun",
            ));
        }
        Ok(Sequenced::Deliver(target))
    }
}
