//! SCORM 2004 4th edition Sequencing and Navigation, free of I/O.
//!
//! The crate follows the SN book's model and pseudo-code process by process, so each part can
//! be checked against the specification:
//!
//! - [`definition`]: the Sequencing Definition Model (what the manifest declares), with the
//!   CAM's defaults; [`parse`] reads it from `imsss:sequencing` XML.
//! - [`tree`]: the activity tree; [`state`]: the tracking model (attempts, objectives, global
//!   objectives, current and suspended activity), serializable between requests.
//! - [`Sequencer`]: one learner on one tree. [`Sequencer::navigate`] is the Overall
//!   Sequencing Process (OP.1); the processes it runs live in [`navigation`] (NB.2.1, TB.2.x),
//!   `sequencing` (SB.2.x), `delivery` (DB.x, UP.3, UP.4, SR.x), `rules` (UP.1, UP.2, UP.5) and
//!   `rollup` (RB.1.x). Failures are [`Exception`]s carrying the SN book's codes.
//! - [`Sequencer::report`] takes the content's run-time data into the tracking model;
//!   [`Sequencer::is_valid`], [`Sequencer::controls`] and [`Sequencer::toc`] say what the
//!   learner may do next.

pub mod definition;
mod delivery;
mod engine;
pub mod navigation;
mod overall;
pub mod parse;
mod rollup;
mod rules;
mod sequencing;
pub mod state;
pub mod tree;

pub use engine::{Exception, Sequencer};
pub use navigation::NavigationRequest;
pub use overall::{ContentReport, Controls, ObjectiveReport, Outcome, TocEntry};
pub use parse::{
    DefinitionError, default_sequencing, parse_completion_threshold, parse_sequencing,
};
pub use state::SequencingState;
pub use tree::{Activity, ActivityId, ActivitySpec, Tree, TreeError};
