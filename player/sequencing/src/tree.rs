//! The activity tree: the organization's items as activities, each with its sequencing
//! definition. The tree is fixed for a package version; the learner's progress lives in
//! [`crate::state`] and refers to activities by [`ActivityId`].

use std::ops::Index;

use serde::{Deserialize, Serialize};

use crate::definition::{CompletionThreshold, SequencingDefinition};

/// An activity's position in its tree (preorder, the root is 0). A [`Tree`] hands these out,
/// and stored state is checked against its tree (`SequencingState::check`) before use, so an
/// id is always valid for the tree it is used with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ActivityId(pub(crate) u32);

impl ActivityId {
    /// The position in the tree's preorder (also the index into [`crate::SequencingState`]'s
    /// activities).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What the package says about one activity (an `organization` or an `item`).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivitySpec {
    /// The item's (or organization's) `identifier`.
    pub identifier: String,
    pub title: String,
    /// `isvisible`.
    pub visible: bool,
    /// True for an item that launches a resource (a SCO or an asset).
    pub launchable: bool,
    pub sequencing: SequencingDefinition,
    pub completion_threshold: CompletionThreshold,
    pub children: Vec<ActivitySpec>,
}

impl ActivitySpec {
    /// An activity with default sequencing.
    pub fn new(identifier: impl Into<String>, children: Vec<ActivitySpec>) -> Self {
        let launchable = children.is_empty();
        ActivitySpec {
            identifier: identifier.into(),
            title: String::new(),
            visible: true,
            launchable,
            sequencing: crate::parse::default_sequencing(),
            completion_threshold: CompletionThreshold::default(),
            children,
        }
    }
}

/// One activity of a [`Tree`].
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: ActivityId,
    pub identifier: String,
    pub title: String,
    pub visible: bool,
    pub launchable: bool,
    pub parent: Option<ActivityId>,
    /// Every child, in manifest order (selection and randomization pick from these).
    pub children: Vec<ActivityId>,
    pub depth: usize,
    pub sequencing: SequencingDefinition,
    pub completion_threshold: CompletionThreshold,
}

impl Activity {
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }
}

/// Why a tree cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TreeError {
    #[error("activity identifier {0:?} is used twice")]
    DuplicateIdentifier(String),
    #[error("the tree has more activities than the engine supports")]
    TooLarge,
}

/// The activity tree, in preorder.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    activities: Vec<Activity>,
}

impl Tree {
    /// Builds the tree from the organization (the root) and its items.
    pub fn new(root: ActivitySpec) -> Result<Tree, TreeError> {
        let mut tree = Tree {
            activities: Vec::new(),
        };
        tree.add(root, None, 0)?;
        let mut seen = std::collections::HashSet::new();
        for a in &tree.activities {
            if !seen.insert(a.identifier.as_str()) {
                return Err(TreeError::DuplicateIdentifier(a.identifier.clone()));
            }
        }
        Ok(tree)
    }

    fn add(
        &mut self,
        spec: ActivitySpec,
        parent: Option<ActivityId>,
        depth: usize,
    ) -> Result<ActivityId, TreeError> {
        let id = ActivityId(u32::try_from(self.activities.len()).map_err(|_| TreeError::TooLarge)?);
        self.activities.push(Activity {
            id,
            identifier: spec.identifier,
            title: spec.title,
            visible: spec.visible,
            launchable: spec.launchable,
            parent,
            children: Vec::new(),
            depth,
            sequencing: spec.sequencing,
            completion_threshold: spec.completion_threshold,
        });
        let mut children = Vec::with_capacity(spec.children.len());
        for c in spec.children {
            children.push(self.add(c, Some(id), depth + 1)?);
        }
        if let Some(a) = self.activities.get_mut(id.index()) {
            a.children = children;
        }
        Ok(id)
    }

    pub fn root(&self) -> ActivityId {
        ActivityId(0)
    }

    pub fn len(&self) -> usize {
        self.activities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.activities.is_empty()
    }

    /// Every activity, in preorder (the order of a forward traversal of the whole tree).
    pub fn activities(&self) -> impl Iterator<Item = &Activity> {
        self.activities.iter()
    }

    pub fn ids(&self) -> impl Iterator<Item = ActivityId> + use<> {
        (0..self.activities.len() as u32).map(ActivityId)
    }

    pub fn get(&self, id: ActivityId) -> Option<&Activity> {
        self.activities.get(id.index())
    }

    /// The activity with this item identifier.
    pub fn find(&self, identifier: &str) -> Option<ActivityId> {
        self.activities
            .iter()
            .find(|a| a.identifier == identifier)
            .map(|a| a.id)
    }

    /// `id` and its ancestors, from `id` up to the root.
    pub fn path_to_root(&self, id: ActivityId) -> Vec<ActivityId> {
        let mut path = vec![id];
        let mut at = id;
        while let Some(p) = self[at].parent {
            path.push(p);
            at = p;
        }
        path
    }

    /// Is `a` an ancestor of `b` (or `b` itself)?
    pub fn is_ancestor_or_self(&self, a: ActivityId, b: ActivityId) -> bool {
        let mut at = Some(b);
        while let Some(x) = at {
            if x == a {
                return true;
            }
            at = self[x].parent;
        }
        false
    }

    /// The deepest activity that is an ancestor of (or equal to) both.
    pub fn common_ancestor(&self, a: ActivityId, b: ActivityId) -> ActivityId {
        let up = self.path_to_root(a);
        let mut at = Some(b);
        while let Some(x) = at {
            if up.contains(&x) {
                return x;
            }
            at = self[x].parent;
        }
        self.root()
    }
}

impl Index<ActivityId> for Tree {
    type Output = Activity;

    // An `ActivityId` is made by the tree it indexes, or read back in state checked against
    // it (`SequencingState::check`), so it is always in bounds.
    #[allow(clippy::indexing_slicing)]
    fn index(&self, id: ActivityId) -> &Activity {
        &self.activities[id.index()]
    }
}
