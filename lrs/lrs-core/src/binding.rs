//! What a credential bound to one learner's launch may do ([`crate::auth::Binding`]).
//!
//! Content (a cmi5 AU or an xAPI package) gets such a credential when it is launched. The LRS
//! holds it to its learner: statements it writes must have that learner as actor and, when
//! they name a registration, the launch's; it never voids; it reads only statements whose
//! actor or object is the learner; it uses only that learner's state and agent profile
//! documents and only reads activity profiles. Whoever issued the credential may add rules of
//! its own (cmi5's, for AU sessions) through a [`LaunchRules`].

use async_trait::async_trait;
use serde_json::Value;
use xapi_model::ifi;

use crate::auth::Binding;
use crate::error::LrsError;
use crate::store::DocumentScope;

/// Rules that the component which issued bound credentials applies to their writes.
#[async_trait]
pub trait LaunchRules: Send + Sync {
    /// Checks a batch of (validated, completed) statements written with a bound credential
    /// before it is stored. Called with the session held, so a batch is checked against what
    /// the session stored before it.
    async fn check(&self, binding: &Binding, statements: &[&Value]) -> Result<(), LrsError>;

    /// Told after the batch is stored (for rules that act on what was recorded).
    async fn stored(&self, binding: &Binding, statements: &[&Value]) -> Result<(), LrsError>;

    /// Whether the content may write or delete this state document of its learner.
    fn may_write_state(&self, binding: &Binding, state_id: &str) -> bool;

    /// Serialises the writes of one launch session: held while a batch is checked and stored.
    async fn session_lock(&self, binding: &Binding) -> Box<dyn Send>;
}

fn forbidden(path: String, message: &str) -> LrsError {
    LrsError::Forbidden(format!("{path}: {message}"))
}

/// The rules every bound credential's statements follow.
pub fn check_statements(binding: &Binding, statements: &[&Value]) -> Result<(), LrsError> {
    for (i, s) in statements.iter().enumerate() {
        let at = |p: &str| {
            if statements.len() == 1 {
                format!("statement.{p}")
            } else {
                format!("statement[{i}].{p}")
            }
        };
        let actor = s.get("actor");
        let is_agent = actor
            .and_then(|a| a.get("objectType"))
            .and_then(Value::as_str)
            .is_none_or(|t| t == "Agent");
        if !is_agent || actor.and_then(ifi::ifi_key).as_deref() != Some(&binding.agent_key) {
            return Err(forbidden(
                at("actor"),
                "a launch credential writes only its own learner's statements",
            ));
        }
        let registration = s
            .get("context")
            .and_then(|c| c.get("registration"))
            .and_then(Value::as_str);
        if let Some(r) = registration
            && uuid::Uuid::parse_str(r).ok() != Some(binding.registration)
        {
            return Err(forbidden(
                at("context.registration"),
                "is not the registration this content was launched in",
            ));
        }
        let verb = s
            .get("verb")
            .and_then(|v| v.get("id"))
            .and_then(Value::as_str);
        if verb == Some("http://adlnet.gov/expapi/verbs/voided") {
            return Err(forbidden(at("verb"), "content may not void statements"));
        }
    }
    Ok(())
}

/// Whether a statement concerns the bound learner (as its actor or object).
pub fn concerns_learner(binding: &Binding, statement: &Value) -> bool {
    let key = Some(binding.agent_key.as_str());
    statement.get("actor").and_then(ifi::ifi_key).as_deref() == key
        || statement.get("object").and_then(ifi::ifi_key).as_deref() == key
}

/// Checks access to documents: the learner's own state and agent profile; activity profiles
/// for reading.
pub fn check_documents(
    binding: &Binding,
    rules: Option<&dyn LaunchRules>,
    scope: &DocumentScope,
    state_id: Option<&str>,
    write: bool,
) -> Result<(), LrsError> {
    match scope {
        DocumentScope::State {
            agent,
            registration,
            ..
        } => {
            if agent != &binding.agent_key {
                return Err(forbidden(
                    "agent".into(),
                    "a launch credential uses only its own learner's state",
                ));
            }
            if registration.is_some_and(|r| r != binding.registration) {
                return Err(forbidden(
                    "registration".into(),
                    "is not the registration this content was launched in",
                ));
            }
            if write && state_id.is_none() {
                return Err(forbidden(
                    "stateId".into(),
                    "a launch credential deletes state documents one at a time",
                ));
            }
            if write
                && let (Some(rules), Some(id)) = (rules, state_id)
                && !rules.may_write_state(binding, id)
            {
                return Err(forbidden(
                    "stateId".into(),
                    "this document is written by the LMS; content may only read it",
                ));
            }
            Ok(())
        }
        DocumentScope::ActivityProfile { .. } if write => Err(forbidden(
            "activityId".into(),
            "a launch credential may read activity profiles, not write them",
        )),
        DocumentScope::ActivityProfile { .. } => Ok(()),
        DocumentScope::AgentProfile { agent } => {
            if agent != &binding.agent_key {
                return Err(forbidden(
                    "agent".into(),
                    "a launch credential uses only its own learner's profile",
                ));
            }
            Ok(())
        }
    }
}
