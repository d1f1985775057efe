//! Recording a SCO's run-time events: the record in the launch store, the statements and
//! documents in the LRS ([`crate::scorm_xapi`] decides what they are).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use lrs_core::auth::{AUTHORITY_HOMEPAGE, Credential, Scope};
use lrs_core::documents::Preconditions;
use lrs_core::store::DocumentKey;
use lrs_core::{Lrs, LrsError, StoreError};
use serde_json::{Value, json};
use thiserror::Error;
use uuid::Uuid;

use crate::scorm_xapi::{
    ACTIVITY_PROFILE_ID, AGENT_PROFILE_ID, DocumentWrite, GLOBAL_OBJECTIVE_ID, RuntimeEvent,
    STATEMENT_VERSION, ScoContext, ScoRecord, apply_event,
};
use crate::store::LaunchStore;

#[derive(Debug, Error)]
pub enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lrs(#[from] LrsError),
}

/// The authority of the statements the player records for SCORM content: Lara itself, since
/// SCORM content never speaks xAPI.
pub fn player_authority() -> Value {
    json!({
        "objectType": "Agent",
        "name": "Lara player",
        "account": { "homePage": AUTHORITY_HOMEPAGE, "name": "lara-player" },
    })
}

fn player_credential(now: DateTime<Utc>) -> Credential {
    Credential::internal(
        "lara-player",
        "Lara player",
        vec![Scope::StatementsWrite, Scope::State, Scope::Profile],
        player_authority(),
        now,
    )
}

/// One lock per registration and item, so that the events of a SCO are applied one at a time
/// on this node (a page sends them in order; keepalive requests may still overlap).
#[derive(Debug, Default)]
pub struct SessionLocks {
    locks: Mutex<HashMap<(Uuid, String), ItemLock>>,
}

type ItemLock = Arc<tokio::sync::Mutex<()>>;

impl SessionLocks {
    /// The lock of one key (an item, a session...) of a registration.
    pub(crate) fn lock(&self, registration: Uuid, item: &str) -> ItemLock {
        let mut map = match self.locks.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Forget locks nobody holds, so the map stays as small as the running sessions.
        if map.len() > 1024 {
            map.retain(|_, l| Arc::strong_count(l) > 1);
        }
        map.entry((registration, item.to_owned()))
            .or_default()
            .clone()
    }
}

/// Applies a SCO event: updates the item's record and writes what the xAPI SCORM profile
/// asks for. Returns false for a stale event (nothing written).
pub async fn record_sco_event(
    lrs: &Lrs,
    launches: &dyn LaunchStore,
    locks: &SessionLocks,
    ctx: &ScoContext,
    event: &RuntimeEvent,
    now: DateTime<Utc>,
) -> Result<bool, RecordError> {
    let lock = locks.lock(ctx.registration, &ctx.item);
    let _guard = lock.lock().await;
    let previous = launches
        .load_state(ctx.registration, &ctx.item)
        .await?
        .and_then(|s| ScoRecord::from_stored(&s))
        .unwrap_or_default();
    let outcome = apply_event(ctx, previous, event, now);
    if !outcome.applied {
        return Ok(false);
    }
    // Content decides interaction ids, responses and scores; a statement xAPI would refuse is
    // left out (and logged) rather than losing the rest of the event.
    let statements: Vec<Value> = outcome
        .statements
        .into_iter()
        .filter(|s| {
            let problems = xapi_model::validate::validate_statement(s, STATEMENT_VERSION, "");
            if let Some(p) = problems.first() {
                tracing::warn!(problem = %p, item = %ctx.item, "a SCORM statement was left out");
            }
            problems.is_empty()
        })
        .collect();
    let credential = player_credential(now);
    lrs.store_statements(&credential, STATEMENT_VERSION, statements, Vec::new(), None)
        .await?;
    let agent = xapi_model::ifi::ifi_key(&ctx.actor).unwrap_or_default();
    for write in outcome.documents {
        match write {
            DocumentWrite::State {
                activity_id,
                state_id,
                content_type,
                content,
            } => {
                let key = DocumentKey::State {
                    activity_id,
                    agent: agent.clone(),
                    registration: Some(ctx.registration),
                    state_id,
                };
                lrs.put_document(
                    &key,
                    &content_type,
                    content,
                    &Preconditions::default(),
                    STATEMENT_VERSION,
                )
                .await?;
            }
            DocumentWrite::ActivityProfile { activity_id, merge } => {
                let key = DocumentKey::ActivityProfile {
                    activity_id,
                    profile_id: ACTIVITY_PROFILE_ID.into(),
                };
                merge_json(lrs, &key, &merge).await?;
            }
            DocumentWrite::GlobalObjective {
                activity_id,
                registration,
                merge,
            } => {
                let key = DocumentKey::State {
                    activity_id,
                    agent: agent.clone(),
                    registration: registration.then_some(ctx.registration),
                    state_id: GLOBAL_OBJECTIVE_ID.into(),
                };
                merge_json(lrs, &key, &merge).await?;
            }
            DocumentWrite::AgentProfile { merge } => {
                let key = DocumentKey::AgentProfile {
                    agent: agent.clone(),
                    profile_id: AGENT_PROFILE_ID.into(),
                };
                merge_json(lrs, &key, &merge).await?;
            }
        }
    }
    let record = serde_json::to_string(&outcome.record)
        .map_err(|e| StoreError::Backend(format!("encoding a SCO record: {e}")))?;
    launches
        .save_state(ctx.registration, &ctx.item, record, now)
        .await?;
    Ok(true)
}

/// Merges JSON properties into a profile document. A document someone replaced with non-JSON
/// content is left alone.
async fn merge_json(lrs: &Lrs, key: &DocumentKey, merge: &Value) -> Result<(), LrsError> {
    let content = merge.to_string().into_bytes();
    match lrs
        .post_document(key, "application/json", content, &Preconditions::default())
        .await
    {
        Err(LrsError::Invalid(problems)) => {
            tracing::warn!(problems = ?problems, "a SCORM profile document was not merged");
            Ok(())
        }
        other => other,
    }
}

/// The stored record of a SCO, for the player page (its data model to resume from).
pub async fn sco_record(
    launches: &dyn LaunchStore,
    registration: Uuid,
    item: &str,
) -> Result<Option<ScoRecord>, StoreError> {
    Ok(launches
        .load_state(registration, item)
        .await?
        .and_then(|s| ScoRecord::from_stored(&s)))
}

/// Records statements about the course itself when sequencing changed its rolled-up status
/// (`scorm_xapi::course_statements`).
pub async fn record_course_status(
    lrs: &Lrs,
    course: &crate::scorm_xapi::CourseRef<'_>,
    before: crate::scorm_xapi::CourseStatus,
    after: crate::scorm_xapi::CourseStatus,
    now: DateTime<Utc>,
) -> Result<(), RecordError> {
    let statements = crate::scorm_xapi::course_statements(course, before, after, now);
    if statements.is_empty() {
        return Ok(());
    }
    lrs.store_statements(
        &player_credential(now),
        STATEMENT_VERSION,
        statements,
        Vec::new(),
        None,
    )
    .await?;
    Ok(())
}

/// Writes global objectives sequencing changed (a cluster's rolled-up objective with a write
/// map, say) to the learner's global objective documents, where the learner's other courses
/// read them. `registration` scopes them when objectives are not global to the system.
pub async fn write_global_objectives(
    lrs: &Lrs,
    agent: &str,
    registration: Option<Uuid>,
    iris: &crate::scorm_xapi::CourseIris,
    changed: &[(String, lara_sequencing::state::GlobalObjective)],
) -> Result<(), LrsError> {
    for (target, g) in changed {
        // Every field goes as sequencing has it, unknown (null) included: the document is
        // the shared truth (sequencing clears a field only when the content set a status to
        // "unknown" itself, or for a new attempt on a course whose objectives are its own).
        let mut merge = serde_json::Map::new();
        merge.insert("satisfied".into(), json!(g.satisfied));
        merge.insert("completed".into(), json!(g.completed));
        for (key, value) in [
            ("measure", g.measure),
            ("rawScore", g.raw_score),
            ("minScore", g.min_score),
            ("maxScore", g.max_score),
            ("progressMeasure", g.progress_measure),
        ] {
            merge.insert(key.into(), json!(value.filter(|v| v.is_finite())));
        }
        let key = DocumentKey::State {
            activity_id: iris.global_objective(target),
            agent: agent.to_owned(),
            registration,
            state_id: GLOBAL_OBJECTIVE_ID.into(),
        };
        merge_json(lrs, &key, &Value::Object(merge)).await?;
    }
    Ok(())
}
