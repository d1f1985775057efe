//! Reading a manifest's `imsss:sequencing` element into a [`SequencingDefinition`].
//!
//! How the manifest text is read:
//! - Elements and attributes are matched by local name, whatever their prefix: authoring tools
//!   declare the SCORM namespaces inconsistently, and the names alone are unambiguous, with one
//!   exception (the two `objectives` below).
//! - The text is one element cut out of a manifest, so it may use prefixes declared only on the
//!   manifest root. When the text does not parse for that reason, it is parsed again inside a
//!   wrapper element declaring the usual SCORM 2004 prefixes. DTDs are refused.
//! - Every absent attribute takes the default the CAM gives (the `Default` impls in
//!   [`crate::definition`]); every present one must be valid, or the whole definition is refused
//!   with a [`DefinitionError`] naming the element path and the value.
//! - `imsss:objectives` and `adlseq:objectives` share a local name. An `objectives` element is
//!   the adlseq one when its namespace URI contains `adlseq`, the imsss one when it contains
//!   `imsss`. Without either (no namespace, or an unexpected one), it is the adlseq one when it
//!   has no `primaryObjective` and either an imsss `objectives` came before it or one of its
//!   `mapInfo` carries an attribute only adlseq defines (`readRawScore`...).
//! - `IDRef` combines the element with a `sequencingCollection` entry child kind by child kind:
//!   a kind written locally replaces the entry's, a kind absent locally is the entry's.
//!
//! Paths in errors start at the element parsed (`sequencing/...`, or
//! `sequencingCollection/sequencing[2]/...` for what came from the collection); a position is
//! given when an element has siblings of the same name, counting from 1.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use roxmltree::{Document, Node, ParsingOptions};

use crate::definition::{
    ChildActivitySet, CompletionThreshold, ConditionCombination, ConstrainedChoice, ControlMode,
    DeliveryControls, LimitConditions, ObjectiveDefinition, ObjectiveMap, RandomizationControls,
    Required, RollupAction, RollupCondition, RollupConditionKind, RollupConsiderations,
    RollupControls, RollupRule, RuleAction, RuleCondition, RuleConditionKind, SequencingDefinition,
    SequencingRule, Timing,
};

/// A problem in a sequencing definition, with the element path it was found at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DefinitionError {
    pub path: String,
    pub message: String,
}

fn error(path: impl Into<String>, message: impl Into<String>) -> DefinitionError {
    DefinitionError {
        path: path.into(),
        message: message.into(),
    }
}

/// Parses an `imsss:sequencing` element (verbatim XML text of that one element, possibly
/// without the namespace declarations of the manifest root it came from) into a definition.
/// `collection` is the manifest's `imsss:sequencingCollection` element text, used when the
/// element has an `IDRef`.
pub fn parse_sequencing(
    xml: &str,
    collection: Option<&str>,
) -> Result<SequencingDefinition, DefinitionError> {
    let (reference, local) = with_root(xml, "sequencing", |element| {
        let reference = attr(element, "IDRef")
            .filter(|id| !id.is_empty())
            .map(|id| (id.to_owned(), attr_path(element, "IDRef")));
        Ok((reference, read_parts(element)?))
    })?;
    let parts = match reference {
        None => local,
        Some((id, at)) => {
            let Some(collection) = collection else {
                return Err(error(
                    at,
                    format!("names {id:?}, but the manifest has no sequencingCollection"),
                ));
            };
            let referenced = with_root(collection, "sequencingCollection", |c| {
                match elements(c, "sequencing").find(|s| attr(*s, "ID") == Some(id.as_str())) {
                    Some(entry) => read_parts(entry),
                    None => Err(error(
                        at.clone(),
                        format!("names {id:?}, which the sequencingCollection does not define"),
                    )),
                }
            })?;
            local.over(referenced)
        }
    };
    parts.finish()
}

/// The definition of an activity without any `imsss:sequencing`: all CAM defaults, and one
/// primary objective without an identifier.
pub fn default_sequencing() -> SequencingDefinition {
    SequencingDefinition {
        objectives: vec![ObjectiveDefinition::default()],
        ..SequencingDefinition::default()
    }
}

/// Parses `adlcp:completionThreshold`: the 4th-edition attributes (`completedByMeasure`,
/// `minProgressMeasure`, `progressWeight`) or the 3rd-edition text content (a decimal 0..1, the
/// minimum progress measure, with completion then decided by measure).
pub fn parse_completion_threshold(xml: &str) -> Result<CompletionThreshold, DefinitionError> {
    with_root(xml, "completionThreshold", |element| {
        const ATTRIBUTES: [&str; 3] =
            ["completedByMeasure", "minProgressMeasure", "progressWeight"];
        let fourth_edition = ATTRIBUTES.iter().any(|a| attr(element, a).is_some());
        let text = text_of(element);
        if !fourth_edition && !text.is_empty() {
            let min_progress_measure =
                decimal_value(&text, 0.0..=1.0).map_err(|message| error(path(element), message))?;
            return Ok(CompletionThreshold {
                completed_by_measure: true,
                min_progress_measure,
                ..CompletionThreshold::default()
            });
        }
        let default = CompletionThreshold::default();
        Ok(CompletionThreshold {
            completed_by_measure: boolean(
                element,
                "completedByMeasure",
                default.completed_by_measure,
            )?,
            min_progress_measure: decimal(
                element,
                "minProgressMeasure",
                default.min_progress_measure,
                0.0..=1.0,
            )?,
            progress_weight: decimal(
                element,
                "progressWeight",
                default.progress_weight,
                0.0..=1.0,
            )?,
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Reading the XML text.

/// The wrapper's name; it never appears in paths.
const WRAP: &str = "lara-sequencing-wrap";

/// The prefixes SCORM 2004 manifests use, for elements cut out of a manifest.
const WRAP_OPEN: &str = concat!(
    "<lara-sequencing-wrap",
    " xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\"",
    " xmlns:adlseq=\"http://www.adlnet.org/xsd/adlseq_v1p3\"",
    " xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\"",
    " xmlns:adlnav=\"http://www.adlnet.org/xsd/adlnav_v1p3\"",
    " xmlns:ims=\"http://www.imsglobal.org/xsd/imscp_v1p1\">"
);
const WRAP_CLOSE: &str = "</lara-sequencing-wrap>";

fn options<'i>() -> ParsingOptions<'i> {
    ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    }
}

/// Parses `text`, checks that its element is named `expected` and hands it to `read`. The
/// element is the document's root, or the wrapper's first element child when the text uses
/// undeclared prefixes.
fn with_root<T>(
    text: &str,
    expected: &str,
    read: impl FnOnce(Node<'_, '_>) -> Result<T, DefinitionError>,
) -> Result<T, DefinitionError> {
    let not_xml = |e: roxmltree::Error| error(expected, format!("not well-formed XML: {e}"));
    let check = |element: Node<'_, '_>| {
        let found = element.tag_name().name();
        if found == expected {
            Ok(())
        } else {
            Err(error(
                found,
                format!("expected <{expected}>, found <{found}>"),
            ))
        }
    };
    match Document::parse_with_options(text, options()) {
        Ok(doc) => {
            let root = doc.root_element();
            check(root)?;
            read(root)
        }
        Err(roxmltree::Error::UnknownNamespace(..)) => {
            let wrapped = format!("{WRAP_OPEN}{}{WRAP_CLOSE}", without_declaration(text));
            let doc = Document::parse_with_options(&wrapped, options()).map_err(not_xml)?;
            let wrapper = doc.root_element();
            let mut roots = wrapper.children().filter(Node::is_element);
            let (Some(element), None) = (roots.next(), roots.next()) else {
                return Err(error(
                    expected,
                    "not well-formed XML: not exactly one root element",
                ));
            };
            // What the wrapper made acceptable would not be a document on its own.
            if wrapper
                .children()
                .any(|c| c.is_text() && c.text().is_some_and(|t| !t.trim().is_empty()))
            {
                return Err(error(
                    expected,
                    "not well-formed XML: text outside the root element",
                ));
            }
            check(element)?;
            read(element)
        }
        Err(e) => Err(not_xml(e)),
    }
}

/// The text without a leading `<?xml ...?>` declaration, which may not appear inside an element.
fn without_declaration(text: &str) -> &str {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    match trimmed.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |(_, after)| after),
        None => text,
    }
}

/// The element children of `node` with local name `name`.
fn elements<'a, 'i>(node: Node<'a, 'i>, name: &str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The element child named `name`, refusing a second one.
fn single<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Result<Option<Node<'a, 'i>>, DefinitionError> {
    let mut found = elements(node, name);
    let first = found.next();
    match found.next() {
        Some(second) => Err(error(
            path(second),
            format!("a second <{name}>; only one is allowed here"),
        )),
        None => Ok(first),
    }
}

/// The element child named `name`, which must be there.
fn required<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Result<Node<'a, 'i>, DefinitionError> {
    single(node, name)?.ok_or_else(|| error(path(node), format!("no <{name}>")))
}

/// An attribute's trimmed value, by local name.
fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name)
        .map(|a| a.value().trim())
}

/// An objective identifier (`objectiveID`, `referencedObjective`, `targetObjectiveID`), as
/// an `xs:anyURI` is compared: an escaped space (`%20`) is a space, and runs of whitespace
/// count as one, so `" obj%201 "` and `"obj 1"` name the same objective (ADL's conformance
/// packages check this). `None` when absent or empty.
fn identifier(node: Node<'_, '_>, name: &str) -> Option<String> {
    let value = attr(node, name)?.replace("%20", " ");
    let words: Vec<&str> = value.split_whitespace().collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The text content of an element, trimmed.
fn text_of(node: Node<'_, '_>) -> String {
    let text: String = node
        .descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect();
    text.trim().to_owned()
}

/// The element path of `node`, e.g. `sequencing/sequencingRules/preConditionRule[2]`.
fn path(node: Node<'_, '_>) -> String {
    let mut steps: Vec<String> = node
        .ancestors()
        .filter(|n| n.is_element() && n.tag_name().name() != WRAP)
        .map(|n| {
            let name = n.tag_name().name();
            let same = |c: &Node<'_, '_>| c.is_element() && c.tag_name().name() == name;
            // Both axes start at the node itself.
            let position = n.prev_siblings().filter(same).count();
            let total = position + n.next_siblings().filter(same).count() - 1;
            if total > 1 {
                format!("{name}[{position}]")
            } else {
                name.to_owned()
            }
        })
        .collect();
    steps.reverse();
    steps.join("/")
}

fn attr_path(node: Node<'_, '_>, name: &str) -> String {
    format!("{}/@{name}", path(node))
}

// ---------------------------------------------------------------------------------------------
// Typed values.

/// xs:boolean.
fn boolean(node: Node<'_, '_>, name: &str, default: bool) -> Result<bool, DefinitionError> {
    // xs:boolean is lower case, but some authoring tools write "True"; the meaning is clear.
    match attr(node, name)
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(error(
            attr_path(node, name),
            format!("{other:?} is not a boolean; expected true, false, 1 or 0"),
        )),
    }
}

/// An xs:decimal attribute within `range`.
fn decimal(
    node: Node<'_, '_>,
    name: &str,
    default: f64,
    range: RangeInclusive<f64>,
) -> Result<f64, DefinitionError> {
    match attr(node, name) {
        None => Ok(default),
        Some(value) => decimal_value(value, range).map_err(|m| error(attr_path(node, name), m)),
    }
}

/// An xs:decimal (digits with an optional sign and point, no exponent) within `range`.
fn decimal_value(text: &str, range: RangeInclusive<f64>) -> Result<f64, String> {
    let text = text.trim();
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let well_formed = unsigned.chars().all(|c| c.is_ascii_digit() || c == '.')
        && unsigned.chars().filter(|c| *c == '.').count() <= 1
        && unsigned.chars().any(|c| c.is_ascii_digit());
    let value = well_formed
        .then(|| text.parse::<f64>().ok())
        .flatten()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{text:?} is not a decimal number"))?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{text} is out of range; expected {} to {}",
            range.start(),
            range.end()
        ))
    }
}

/// An xs:nonNegativeInteger that fits in a u32.
fn count(node: Node<'_, '_>, name: &str) -> Result<Option<u32>, DefinitionError> {
    attr(node, name)
        .map(|value| {
            value.parse::<u32>().map_err(|_| {
                error(
                    attr_path(node, name),
                    format!("{value:?} is not a whole number from 0 to {}", u32::MAX),
                )
            })
        })
        .transpose()
}

/// An xs:duration attribute, in seconds.
fn duration(node: Node<'_, '_>, name: &str) -> Result<Option<f64>, DefinitionError> {
    attr(node, name)
        .map(|value| {
            duration_seconds(value).ok_or_else(|| {
                error(
                    attr_path(node, name),
                    format!("{value:?} is not a duration such as PT1H30M or P1DT2.5S"),
                )
            })
        })
        .transpose()
}

/// Seconds in a non-negative xs:duration (`PnYnMnDTnHnMnS`, only the seconds with a fraction).
/// A year counts 365 days and a month 30: the schema gives them no fixed length, and limits are
/// rarely written in either.
fn duration_seconds(text: &str) -> Option<f64> {
    const DAY: f64 = 86_400.0;
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut date_left = date;
    let mut components = 0;
    for (designator, unit) in [('Y', 365.0 * DAY), ('M', 30.0 * DAY), ('D', DAY)] {
        if let Some((n, after)) = component(date_left, designator, false) {
            total += n * unit;
            date_left = after;
            components += 1;
        }
    }
    if !date_left.is_empty() {
        return None;
    }
    if let Some(time) = time {
        let mut time_left = time;
        let mut time_components = 0;
        for (designator, unit, fraction) in
            [('H', 3600.0, false), ('M', 60.0, false), ('S', 1.0, true)]
        {
            if let Some((n, after)) = component(time_left, designator, fraction) {
                total += n * unit;
                time_left = after;
                time_components += 1;
            }
        }
        // "PT" alone, or anything after the seconds, is not a duration.
        if !time_left.is_empty() || time_components == 0 {
            return None;
        }
        components += time_components;
    }
    (components > 0 && f64::is_finite(total)).then_some(total)
}

/// A leading `<number><designator>` of a duration, and the text after it.
fn component(text: &str, designator: char, fraction: bool) -> Option<(f64, &str)> {
    let end = text.find(|c: char| !(c.is_ascii_digit() || (fraction && c == '.')))?;
    let (number, rest) = text.split_at_checked(end)?;
    let rest = rest.strip_prefix(designator)?;
    if !number.chars().any(|c| c.is_ascii_digit()) || number.matches('.').count() > 1 {
        return None;
    }
    number.parse::<f64>().ok().map(|n| (n, rest))
}

/// An enumerated attribute: one of `table`'s tokens, or `default` when absent (`None`: the
/// attribute is required). `what` names the kind of value for the message.
fn token<T: Copy>(
    node: Node<'_, '_>,
    name: &str,
    table: &[(&str, T)],
    default: Option<T>,
    what: &str,
) -> Result<T, DefinitionError> {
    let expected = || {
        let tokens: Vec<&str> = table.iter().map(|(t, _)| *t).collect();
        tokens.join(", ")
    };
    match attr(node, name) {
        None => default.ok_or_else(|| {
            error(
                attr_path(node, name),
                format!("missing; expected {what}: {}", expected()),
            )
        }),
        Some(value) => table
            .iter()
            .find(|(t, _)| *t == value)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                error(
                    attr_path(node, name),
                    format!("{value:?} is not {what}; expected one of: {}", expected()),
                )
            }),
    }
}

const COMBINATIONS: &[(&str, ConditionCombination)] = &[
    ("all", ConditionCombination::All),
    ("any", ConditionCombination::Any),
];

/// `operator`: whether the condition is negated.
const OPERATORS: &[(&str, bool)] = &[("noOp", false), ("not", true)];

const RULE_CONDITIONS: &[(&str, RuleConditionKind)] = &[
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

const PRE_ACTIONS: &[(&str, RuleAction)] = &[
    ("skip", RuleAction::Skip),
    ("disabled", RuleAction::Disabled),
    ("hiddenFromChoice", RuleAction::HiddenFromChoice),
    ("stopForwardTraversal", RuleAction::StopForwardTraversal),
];

const EXIT_ACTIONS: &[(&str, RuleAction)] = &[("exit", RuleAction::Exit)];

const POST_ACTIONS: &[(&str, RuleAction)] = &[
    ("exitParent", RuleAction::ExitParent),
    ("exitAll", RuleAction::ExitAll),
    ("retry", RuleAction::Retry),
    ("retryAll", RuleAction::RetryAll),
    ("continue", RuleAction::Continue),
    ("previous", RuleAction::Previous),
];

const ROLLUP_CONDITIONS: &[(&str, RollupConditionKind)] = &[
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

const ROLLUP_ACTIONS: &[(&str, RollupAction)] = &[
    ("satisfied", RollupAction::Satisfied),
    ("notSatisfied", RollupAction::NotSatisfied),
    ("completed", RollupAction::Completed),
    ("incomplete", RollupAction::Incomplete),
];

/// `childActivitySet` before its count or percentage is attached.
#[derive(Clone, Copy)]
enum ChildSet {
    All,
    Any,
    None,
    AtLeastCount,
    AtLeastPercent,
}

const CHILD_SETS: &[(&str, ChildSet)] = &[
    ("all", ChildSet::All),
    ("any", ChildSet::Any),
    ("none", ChildSet::None),
    ("atLeastCount", ChildSet::AtLeastCount),
    ("atLeastPercent", ChildSet::AtLeastPercent),
];

const TIMINGS: &[(&str, Timing)] = &[
    ("never", Timing::Never),
    ("once", Timing::Once),
    ("onEachNewAttempt", Timing::OnEachNewAttempt),
];

const REQUIRED: &[(&str, Required)] = &[
    ("always", Required::Always),
    ("ifAttempted", Required::IfAttempted),
    ("ifNotSkipped", Required::IfNotSkipped),
    ("ifNotSuspended", Required::IfNotSuspended),
];

/// Attributes only `adlseq:mapInfo` has, telling an unqualified `adlseq:objectives` apart.
const ADLSEQ_MAP_ATTRIBUTES: [&str; 10] = [
    "readRawScore",
    "readMinScore",
    "readMaxScore",
    "readCompletionStatus",
    "readProgressMeasure",
    "writeRawScore",
    "writeMinScore",
    "writeMaxScore",
    "writeCompletionStatus",
    "writeProgressMeasure",
];

// ---------------------------------------------------------------------------------------------
// The parts of a sequencing element.

/// What one `sequencing` element says, child kind by child kind (`None`: the kind is absent).
/// Checks that span kinds (objective identifiers named by rules and by `adlseq:objectives`)
/// wait for [`Parts::finish`], after an `IDRef` combination.
#[derive(Default)]
struct Parts {
    control_mode: Option<ControlMode>,
    rules: Option<Rules>,
    limit_conditions: Option<LimitConditions>,
    rollup: Option<(RollupControls, Vec<RollupRule>)>,
    objectives: Option<Vec<ObjectiveDefinition>>,
    randomization: Option<RandomizationControls>,
    delivery_controls: Option<DeliveryControls>,
    constrained_choice: Option<ConstrainedChoice>,
    rollup_considerations: Option<RollupConsiderations>,
    adlseq_objectives: Option<Vec<AdlseqObjective>>,
}

#[derive(Default)]
struct Rules {
    pre: Vec<SequencingRule>,
    exit: Vec<SequencingRule>,
    post: Vec<SequencingRule>,
    /// Each `referencedObjective`, with its path.
    references: Vec<(String, String)>,
}

/// An `adlseq:objective`: the score, completion and progress maps of the objective it names.
struct AdlseqObjective {
    id: String,
    /// The path of its `objectiveID`.
    at: String,
    /// Maps with the adlseq flags set and the imsss ones off.
    maps: Vec<ObjectiveMap>,
}

impl Parts {
    /// `self` (an element with an `IDRef`) over the collection entry it names.
    fn over(self, base: Parts) -> Parts {
        Parts {
            control_mode: self.control_mode.or(base.control_mode),
            rules: self.rules.or(base.rules),
            limit_conditions: self.limit_conditions.or(base.limit_conditions),
            rollup: self.rollup.or(base.rollup),
            objectives: self.objectives.or(base.objectives),
            randomization: self.randomization.or(base.randomization),
            delivery_controls: self.delivery_controls.or(base.delivery_controls),
            constrained_choice: self.constrained_choice.or(base.constrained_choice),
            rollup_considerations: self.rollup_considerations.or(base.rollup_considerations),
            adlseq_objectives: self.adlseq_objectives.or(base.adlseq_objectives),
        }
    }

    /// Checks the references between kinds and builds the definition.
    fn finish(self) -> Result<SequencingDefinition, DefinitionError> {
        let mut objectives = self
            .objectives
            .unwrap_or_else(|| vec![ObjectiveDefinition::default()]);
        let rules = self.rules.unwrap_or_default();
        for (id, at) in &rules.references {
            if !objectives.iter().any(|o| o.id.as_deref() == Some(id)) {
                return Err(error(
                    at.clone(),
                    format!("{id:?} is not the objectiveID of an objective of this activity"),
                ));
            }
        }
        for extension in self.adlseq_objectives.unwrap_or_default() {
            let Some(objective) = objectives
                .iter_mut()
                .find(|o| o.id.as_deref() == Some(extension.id.as_str()))
            else {
                return Err(error(
                    extension.at,
                    format!(
                        "{:?} is not the objectiveID of an objective of this activity",
                        extension.id
                    ),
                ));
            };
            for map in extension.maps {
                match objective.maps.iter_mut().find(|m| m.target == map.target) {
                    Some(existing) => copy_adlseq_flags(existing, &map),
                    None => objective.maps.push(map),
                }
            }
        }
        let (rollup_controls, rollup_rules) = self.rollup.unwrap_or_default();
        Ok(SequencingDefinition {
            control_mode: self.control_mode.unwrap_or_default(),
            pre_condition_rules: rules.pre,
            exit_condition_rules: rules.exit,
            post_condition_rules: rules.post,
            limit_conditions: self.limit_conditions.unwrap_or_default(),
            rollup_rules,
            rollup_controls,
            objectives,
            randomization: self.randomization.unwrap_or_default(),
            delivery_controls: self.delivery_controls.unwrap_or_default(),
            constrained_choice: self.constrained_choice.unwrap_or_default(),
            rollup_considerations: self.rollup_considerations.unwrap_or_default(),
        })
    }
}

fn copy_adlseq_flags(to: &mut ObjectiveMap, from: &ObjectiveMap) {
    to.read_raw_score = from.read_raw_score;
    to.read_min_score = from.read_min_score;
    to.read_max_score = from.read_max_score;
    to.read_completion_status = from.read_completion_status;
    to.read_progress_measure = from.read_progress_measure;
    to.write_raw_score = from.write_raw_score;
    to.write_min_score = from.write_min_score;
    to.write_max_score = from.write_max_score;
    to.write_completion_status = from.write_completion_status;
    to.write_progress_measure = from.write_progress_measure;
}

/// Reads the children of a `sequencing` element. Unknown children (`auxiliaryResources`,
/// extensions) are ignored.
fn read_parts(sequencing: Node<'_, '_>) -> Result<Parts, DefinitionError> {
    let mut parts = Parts::default();
    for child in sequencing.children().filter(Node::is_element) {
        match child.tag_name().name() {
            "controlMode" => put(&mut parts.control_mode, child, control_mode)?,
            "sequencingRules" => put(&mut parts.rules, child, sequencing_rules)?,
            "limitConditions" => put(&mut parts.limit_conditions, child, limit_conditions)?,
            "rollupRules" => put(&mut parts.rollup, child, rollup_rules)?,
            "objectives" if is_adlseq_objectives(child, parts.objectives.is_some()) => {
                put(&mut parts.adlseq_objectives, child, adlseq_objectives)?;
            }
            "objectives" => put(&mut parts.objectives, child, objectives)?,
            "randomizationControls" => put(&mut parts.randomization, child, randomization)?,
            "deliveryControls" => put(&mut parts.delivery_controls, child, delivery_controls)?,
            "constrainedChoiceConsiderations" => {
                put(&mut parts.constrained_choice, child, constrained_choice)?;
            }
            "rollupConsiderations" => {
                put(
                    &mut parts.rollup_considerations,
                    child,
                    rollup_considerations,
                )?;
            }
            _ => {}
        }
    }
    Ok(parts)
}

/// Reads `node` into an empty `slot`; a second element of the same kind is an error.
fn put<'a, 'i, T>(
    slot: &mut Option<T>,
    node: Node<'a, 'i>,
    read: impl FnOnce(Node<'a, 'i>) -> Result<T, DefinitionError>,
) -> Result<(), DefinitionError> {
    if slot.is_some() {
        return Err(error(
            path(node),
            format!(
                "a second <{}>; a sequencing element has at most one",
                node.tag_name().name()
            ),
        ));
    }
    *slot = Some(read(node)?);
    Ok(())
}

/// Whether an `objectives` child of `sequencing` is `adlseq:objectives` (see the module doc).
fn is_adlseq_objectives(node: Node<'_, '_>, after_imsss: bool) -> bool {
    match node.tag_name().namespace() {
        Some(uri) if uri.contains("adlseq") => true,
        Some(uri) if uri.contains("imsss") => false,
        _ => {
            let adlseq_attributes = node.descendants().any(|d| {
                d.is_element()
                    && d.tag_name().name() == "mapInfo"
                    && d.attributes()
                        .any(|a| ADLSEQ_MAP_ATTRIBUTES.contains(&a.name()))
            });
            elements(node, "primaryObjective").next().is_none()
                && (after_imsss || adlseq_attributes)
        }
    }
}

fn control_mode(node: Node<'_, '_>) -> Result<ControlMode, DefinitionError> {
    let d = ControlMode::default();
    Ok(ControlMode {
        choice: boolean(node, "choice", d.choice)?,
        choice_exit: boolean(node, "choiceExit", d.choice_exit)?,
        flow: boolean(node, "flow", d.flow)?,
        forward_only: boolean(node, "forwardOnly", d.forward_only)?,
        use_current_attempt_objective_info: boolean(
            node,
            "useCurrentAttemptObjectiveInfo",
            d.use_current_attempt_objective_info,
        )?,
        use_current_attempt_progress_info: boolean(
            node,
            "useCurrentAttemptProgressInfo",
            d.use_current_attempt_progress_info,
        )?,
    })
}

fn sequencing_rules(node: Node<'_, '_>) -> Result<Rules, DefinitionError> {
    let mut rules = Rules::default();
    for child in node.children().filter(Node::is_element) {
        let (list, actions, what) = match child.tag_name().name() {
            "preConditionRule" => (
                &mut rules.pre,
                PRE_ACTIONS,
                "an action of a precondition rule",
            ),
            "exitConditionRule" => (
                &mut rules.exit,
                EXIT_ACTIONS,
                "an action of an exit condition rule",
            ),
            "postConditionRule" => (
                &mut rules.post,
                POST_ACTIONS,
                "an action of a postcondition rule",
            ),
            _ => continue,
        };
        let conditions_node = required(child, "ruleConditions")?;
        let combination = token(
            conditions_node,
            "conditionCombination",
            COMBINATIONS,
            Some(ConditionCombination::All),
            "a condition combination",
        )?;
        let mut conditions = Vec::new();
        for c in elements(conditions_node, "ruleCondition") {
            let referenced_objective = identifier(c, "referencedObjective");
            if let Some(id) = &referenced_objective {
                rules
                    .references
                    .push((id.clone(), attr_path(c, "referencedObjective")));
            }
            conditions.push(RuleCondition {
                condition: token(c, "condition", RULE_CONDITIONS, None, "a rule condition")?,
                negate: token(c, "operator", OPERATORS, Some(false), "an operator")?,
                referenced_objective,
                measure_threshold: decimal(c, "measureThreshold", 0.0, -1.0..=1.0)?,
            });
        }
        if conditions.is_empty() {
            return Err(error(
                path(conditions_node),
                "no <ruleCondition>; a rule needs at least one",
            ));
        }
        let action = token(
            required(child, "ruleAction")?,
            "action",
            actions,
            None,
            what,
        )?;
        list.push(SequencingRule {
            combination,
            conditions,
            action,
        });
    }
    Ok(rules)
}

fn limit_conditions(node: Node<'_, '_>) -> Result<LimitConditions, DefinitionError> {
    let time = |name: &str| {
        attr(node, name)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    Ok(LimitConditions {
        attempt_limit: count(node, "attemptLimit")?.filter(|n| *n > 0),
        attempt_absolute_duration_limit: duration(node, "attemptAbsoluteDurationLimit")?,
        activity_absolute_duration_limit: duration(node, "activityAbsoluteDurationLimit")?,
        attempt_experienced_duration_limit: duration(node, "attemptExperiencedDurationLimit")?,
        activity_experienced_duration_limit: duration(node, "activityExperiencedDurationLimit")?,
        begin_time_limit: time("beginTimeLimit"),
        end_time_limit: time("endTimeLimit"),
    })
}

fn rollup_rules(node: Node<'_, '_>) -> Result<(RollupControls, Vec<RollupRule>), DefinitionError> {
    let d = RollupControls::default();
    let controls = RollupControls {
        rollup_objective_satisfied: boolean(
            node,
            "rollupObjectiveSatisfied",
            d.rollup_objective_satisfied,
        )?,
        rollup_progress_completion: boolean(
            node,
            "rollupProgressCompletion",
            d.rollup_progress_completion,
        )?,
        objective_measure_weight: decimal(
            node,
            "objectiveMeasureWeight",
            d.objective_measure_weight,
            0.0..=1.0,
        )?,
    };
    let mut rules = Vec::new();
    for rule in elements(node, "rollupRule") {
        let set = token(
            rule,
            "childActivitySet",
            CHILD_SETS,
            Some(ChildSet::All),
            "a child activity set",
        )?;
        let minimum_count = count(rule, "minimumCount")?.unwrap_or(0);
        let minimum_percent = decimal(rule, "minimumPercent", 0.0, 0.0..=1.0)?;
        let child_activity_set = match set {
            ChildSet::All => ChildActivitySet::All,
            ChildSet::Any => ChildActivitySet::Any,
            ChildSet::None => ChildActivitySet::None,
            ChildSet::AtLeastCount => ChildActivitySet::AtLeastCount(minimum_count),
            ChildSet::AtLeastPercent => ChildActivitySet::AtLeastPercent(minimum_percent),
        };
        let conditions_node = required(rule, "rollupConditions")?;
        // Unlike sequencing rules, rollup conditions default to "any".
        let combination = token(
            conditions_node,
            "conditionCombination",
            COMBINATIONS,
            Some(ConditionCombination::Any),
            "a condition combination",
        )?;
        let conditions = elements(conditions_node, "rollupCondition")
            .map(|c| {
                Ok(RollupCondition {
                    condition: token(
                        c,
                        "condition",
                        ROLLUP_CONDITIONS,
                        None,
                        "a rollup condition",
                    )?,
                    negate: token(c, "operator", OPERATORS, Some(false), "an operator")?,
                })
            })
            .collect::<Result<Vec<_>, DefinitionError>>()?;
        if conditions.is_empty() {
            return Err(error(
                path(conditions_node),
                "no <rollupCondition>; a rollup rule needs at least one",
            ));
        }
        let action = token(
            required(rule, "rollupAction")?,
            "action",
            ROLLUP_ACTIONS,
            None,
            "a rollup action",
        )?;
        rules.push(RollupRule {
            child_activity_set,
            combination,
            conditions,
            action,
        });
    }
    Ok((controls, rules))
}

/// `imsss:objectives`: the primary objective first (a default one when none is written).
fn objectives(node: Node<'_, '_>) -> Result<Vec<ObjectiveDefinition>, DefinitionError> {
    let mut list = match single(node, "primaryObjective")? {
        Some(p) => vec![objective(p, true)?],
        None => vec![ObjectiveDefinition::default()],
    };
    let mut ids: BTreeSet<String> = list.iter().filter_map(|o| o.id.clone()).collect();
    for o in elements(node, "objective") {
        let definition = objective(o, false)?;
        let Some(id) = definition.id.clone() else {
            return Err(error(
                attr_path(o, "objectiveID"),
                "missing; every objective but the primary one needs an identifier",
            ));
        };
        if !ids.insert(id.clone()) {
            return Err(error(
                attr_path(o, "objectiveID"),
                format!("{id:?} is already the objectiveID of another objective of this activity"),
            ));
        }
        list.push(definition);
    }
    Ok(list)
}

fn objective(node: Node<'_, '_>, primary: bool) -> Result<ObjectiveDefinition, DefinitionError> {
    let d = ObjectiveDefinition::default();
    let min_normalized_measure = match single(node, "minNormalizedMeasure")? {
        Some(m) => decimal_value(&text_of(m), -1.0..=1.0).map_err(|e| error(path(m), e))?,
        None => d.min_normalized_measure,
    };
    let maps = elements(node, "mapInfo")
        .map(|m| {
            let d = ObjectiveMap::new("");
            Ok(ObjectiveMap {
                read_satisfied_status: boolean(m, "readSatisfiedStatus", d.read_satisfied_status)?,
                read_normalized_measure: boolean(
                    m,
                    "readNormalizedMeasure",
                    d.read_normalized_measure,
                )?,
                write_satisfied_status: boolean(
                    m,
                    "writeSatisfiedStatus",
                    d.write_satisfied_status,
                )?,
                write_normalized_measure: boolean(
                    m,
                    "writeNormalizedMeasure",
                    d.write_normalized_measure,
                )?,
                ..ObjectiveMap::new(target(m)?)
            })
        })
        .collect::<Result<Vec<_>, DefinitionError>>()?;
    Ok(ObjectiveDefinition {
        id: identifier(node, "objectiveID"),
        primary,
        satisfied_by_measure: boolean(node, "satisfiedByMeasure", d.satisfied_by_measure)?,
        min_normalized_measure,
        maps,
    })
}

/// The required `targetObjectiveID` of a `mapInfo`.
fn target(map: Node<'_, '_>) -> Result<String, DefinitionError> {
    identifier(map, "targetObjectiveID").ok_or_else(|| {
        error(
            attr_path(map, "targetObjectiveID"),
            "missing; a mapInfo names the global objective it maps to",
        )
    })
}

/// `adlseq:objectives`: the 4th edition's score, completion and progress maps.
fn adlseq_objectives(node: Node<'_, '_>) -> Result<Vec<AdlseqObjective>, DefinitionError> {
    elements(node, "objective")
        .map(|o| {
            let at = attr_path(o, "objectiveID");
            let Some(id) = identifier(o, "objectiveID") else {
                return Err(error(at, "missing; it names an objective of this activity"));
            };
            let maps = elements(o, "mapInfo")
                .map(|m| {
                    Ok(ObjectiveMap {
                        target: target(m)?,
                        read_satisfied_status: false,
                        read_normalized_measure: false,
                        write_satisfied_status: false,
                        write_normalized_measure: false,
                        read_raw_score: boolean(m, "readRawScore", true)?,
                        read_min_score: boolean(m, "readMinScore", true)?,
                        read_max_score: boolean(m, "readMaxScore", true)?,
                        read_completion_status: boolean(m, "readCompletionStatus", true)?,
                        read_progress_measure: boolean(m, "readProgressMeasure", true)?,
                        write_raw_score: boolean(m, "writeRawScore", false)?,
                        write_min_score: boolean(m, "writeMinScore", false)?,
                        write_max_score: boolean(m, "writeMaxScore", false)?,
                        write_completion_status: boolean(m, "writeCompletionStatus", false)?,
                        write_progress_measure: boolean(m, "writeProgressMeasure", false)?,
                    })
                })
                .collect::<Result<Vec<_>, DefinitionError>>()?;
            Ok(AdlseqObjective {
                id: id.to_owned(),
                at,
                maps,
            })
        })
        .collect()
}

fn randomization(node: Node<'_, '_>) -> Result<RandomizationControls, DefinitionError> {
    Ok(RandomizationControls {
        randomization_timing: token(
            node,
            "randomizationTiming",
            TIMINGS,
            Some(Timing::Never),
            "a timing",
        )?,
        select_count: count(node, "selectCount")?,
        reorder_children: boolean(node, "reorderChildren", false)?,
        selection_timing: token(
            node,
            "selectionTiming",
            TIMINGS,
            Some(Timing::Never),
            "a timing",
        )?,
    })
}

fn delivery_controls(node: Node<'_, '_>) -> Result<DeliveryControls, DefinitionError> {
    let d = DeliveryControls::default();
    Ok(DeliveryControls {
        tracked: boolean(node, "tracked", d.tracked)?,
        completion_set_by_content: boolean(
            node,
            "completionSetByContent",
            d.completion_set_by_content,
        )?,
        objective_set_by_content: boolean(
            node,
            "objectiveSetByContent",
            d.objective_set_by_content,
        )?,
    })
}

fn constrained_choice(node: Node<'_, '_>) -> Result<ConstrainedChoice, DefinitionError> {
    Ok(ConstrainedChoice {
        prevent_activation: boolean(node, "preventActivation", false)?,
        constrain_choice: boolean(node, "constrainChoice", false)?,
    })
}

fn rollup_considerations(node: Node<'_, '_>) -> Result<RollupConsiderations, DefinitionError> {
    let required_for = |name: &str| {
        token(
            node,
            name,
            REQUIRED,
            Some(Required::Always),
            "a rollup consideration",
        )
    };
    Ok(RollupConsiderations {
        required_for_satisfied: required_for("requiredForSatisfied")?,
        required_for_not_satisfied: required_for("requiredForNotSatisfied")?,
        required_for_completed: required_for("requiredForCompleted")?,
        required_for_incomplete: required_for("requiredForIncomplete")?,
        measure_satisfaction_if_active: boolean(node, "measureSatisfactionIfActive", true)?,
    })
}
