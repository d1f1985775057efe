//! The services Lara offers its plugins (`lara_plugin_host::Services`), over the LRS.
//!
//! - **Statements.** A plugin queries with the xAPI filters and emits statements that are
//!   validated and stored like any other, with the plugin as their `authority`
//!   (`{"account": {"homePage": "urn:lara:plugin", "name": <plugin>}}`).
//! - **Documents.** A plugin's documents are kept in the LRS document store under an activity
//!   id of its own (`urn:lara:plugin:<name>`), one profile document per id, with the store's
//!   entity tags for `if-match`. Another plugin cannot name them: the host supplies the name.
//! - **Directory.** `people` reads Lara's directory ([`lrs_core::directory`]), everyone or
//!   one org unit.
//!
//! Plugins call the host synchronously from their own thread, so each call blocks on the
//! runtime [`tokio::runtime::Handle`] given here; call plugins from a blocking thread
//! (`spawn_blocking`), never from an async task.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use lara_plugin_host::{Document, HostError, Person, Services, StatementFilter, StoredStatement};
use lrs_core::auth::{Credential, Scope};
use lrs_core::directory::DirectoryStore;
use lrs_core::documents::{self, BlindWrite, Preconditions};
use lrs_core::query::StatementRequest;
use lrs_core::store::{DocumentKey, DocumentScope};
use lrs_core::{Lrs, LrsError};
use serde_json::{Value, json};
use xapi_model::XapiVersion;

/// Homepage of the accounts that name plugins as authorities.
pub const PLUGIN_HOMEPAGE: &str = "urn:lara:plugin";

/// The activity whose profile documents are a plugin's documents.
pub fn documents_activity(plugin: &str) -> String {
    format!("urn:lara:plugin:{plugin}")
}

/// The context extension that lists the plugins a statement came through: the plugin that
/// emitted it and those whose statements it was handling. Delivery never hands a statement to
/// a plugin on its list, so plugins cannot feed each other in a loop.
pub const CHAIN_EXTENSION: &str = "urn:lara:extension:plugin-chain";

/// The plugins a stored statement came through ([`CHAIN_EXTENSION`]); empty for statements
/// from anyone but a plugin.
pub fn chain_of(statement: &Value) -> Vec<String> {
    statement
        .pointer("/context/extensions")
        .and_then(|e| e.get(CHAIN_EXTENSION))
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Writes the chain into a statement's context extensions.
fn set_chain(statement: &mut Value, chain: &[String]) -> Result<(), String> {
    let Some(obj) = statement.as_object_mut() else {
        return Err("must be an object".into());
    };
    let context = obj
        .entry("context")
        .or_insert_with(|| Value::Object(Default::default()));
    let Some(context) = context.as_object_mut() else {
        return Err("context: must be an object".into());
    };
    let ext = context
        .entry("extensions")
        .or_insert_with(|| Value::Object(Default::default()));
    let Some(ext) = ext.as_object_mut() else {
        return Err("context.extensions: must be an object".into());
    };
    ext.insert(CHAIN_EXTENSION.to_owned(), json!(chain));
    Ok(())
}

/// Most statements one query returns to a plugin.
const MAX_QUERY: u32 = 1000;

/// The statement version plugins write and read.
const VERSION: XapiVersion = XapiVersion::V2_0_0;

pub struct LrsServices {
    lrs: Lrs,
    runtime: tokio::runtime::Handle,
    directory: Option<Arc<dyn DirectoryStore>>,
}

impl LrsServices {
    pub fn new(lrs: Lrs, runtime: tokio::runtime::Handle) -> Self {
        Self {
            lrs,
            runtime,
            directory: None,
        }
    }

    /// Serves `people` from `directory` (without one, `people` fails).
    pub fn with_directory(mut self, directory: Arc<dyn DirectoryStore>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// The credential a plugin's statements are written and read with.
    fn credential(plugin: &str) -> Credential {
        Credential::internal(
            &format!("plugin:{plugin}"),
            &format!("plugin {plugin}"),
            vec![Scope::StatementsWrite, Scope::StatementsRead],
            json!({
                "objectType": "Agent",
                "name": plugin,
                "account": { "homePage": PLUGIN_HOMEPAGE, "name": plugin },
            }),
            Utc::now(),
        )
    }

    fn document_key(plugin: &str, id: &str) -> DocumentKey {
        DocumentKey::ActivityProfile {
            activity_id: documents_activity(plugin),
            profile_id: id.to_owned(),
        }
    }
}

fn host_error(e: LrsError) -> HostError {
    match e {
        LrsError::Invalid(_) => HostError::Invalid(e.to_string()),
        LrsError::Conflict(m) | LrsError::PreconditionFailed(m) => HostError::Conflict(m),
        LrsError::PreconditionRequired(m) => HostError::Conflict(m),
        LrsError::Unauthorized(m) | LrsError::Forbidden(m) => HostError::NotPermitted(m),
        LrsError::NotFound(m) => HostError::Invalid(m),
        LrsError::Store(s) => HostError::Failed(s.to_string()),
    }
}

/// The xAPI query parameters of a filter (its limit capped at the host's maximum).
pub fn query_params(filter: &StatementFilter) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            p.insert(k.to_owned(), v.clone());
        }
    };
    put("agent", &filter.agent);
    put("verb", &filter.verb);
    put("activity", &filter.activity);
    put("registration", &filter.registration);
    put("since", &filter.since);
    put("until", &filter.until);
    if filter.related_activities {
        p.insert("related_activities".into(), "true".into());
    }
    if filter.related_agents {
        p.insert("related_agents".into(), "true".into());
    }
    p.insert("limit".into(), filter.limit.clamp(1, MAX_QUERY).to_string());
    p.insert("ascending".into(), filter.ascending.to_string());
    p
}

impl Services for LrsServices {
    fn query_statements(
        &self,
        plugin: &str,
        filter: StatementFilter,
    ) -> Result<Vec<StoredStatement>, HostError> {
        let request = self
            .lrs
            .parse_statement_request(&query_params(&filter), VERSION)
            .map_err(host_error)?;
        let StatementRequest::Query(query) = request else {
            return Err(HostError::Invalid("not a statement query".into()));
        };
        let page = self
            .runtime
            .block_on(
                self.lrs
                    .query_statements(&Self::credential(plugin), query, &[]),
            )
            .map_err(host_error)?;
        Ok(page
            .statements
            .into_iter()
            .map(|json| {
                let v: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
                let field = |k: &str| {
                    v.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                StoredStatement {
                    id: field("id"),
                    stored: field("stored"),
                    json,
                }
            })
            .collect())
    }

    fn emit_statements(
        &self,
        plugin: &str,
        chain: &[String],
        statements: Vec<String>,
    ) -> Result<Vec<String>, HostError> {
        let mut names: Vec<String> = chain.to_vec();
        names.push(plugin.to_owned());
        names.sort();
        names.dedup();
        let values = statements
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut v = serde_json::from_str::<Value>(s)
                    .map_err(|e| HostError::Invalid(format!("statement[{i}]: not JSON: {e}")))?;
                set_chain(&mut v, &names)
                    .map_err(|e| HostError::Invalid(format!("statement[{i}]: {e}")))?;
                Ok(v)
            })
            .collect::<Result<Vec<_>, HostError>>()?;
        let ids = self
            .runtime
            .block_on(self.lrs.store_statements(
                &Self::credential(plugin),
                VERSION,
                values,
                Vec::new(),
                None,
            ))
            .map_err(host_error)?;
        Ok(ids.iter().map(ToString::to_string).collect())
    }

    fn get_document(&self, plugin: &str, id: &str) -> Result<Option<Document>, HostError> {
        let doc = self
            .runtime
            .block_on(self.lrs.get_document(&Self::document_key(plugin, id)))
            .map_err(host_error)?;
        Ok(doc.map(|d| Document {
            id: id.to_owned(),
            etag: d.etag,
            content_type: d.content_type,
            content: d.content,
        }))
    }

    fn put_document(
        &self,
        plugin: &str,
        id: &str,
        content_type: &str,
        content: Vec<u8>,
        if_match: Option<String>,
    ) -> Result<String, HostError> {
        let key = Self::document_key(plugin, id);
        let pre = Preconditions {
            if_match: if_match.map(|t| vec![t]),
            ..Preconditions::default()
        };
        let doc = documents::new_document(content_type, content, Utc::now());
        let etag = doc.etag.clone();
        self.runtime
            .block_on(documents::put(
                self.lrs.store().as_ref(),
                &key,
                doc,
                &pre,
                BlindWrite::Allow,
            ))
            .map_err(host_error)?;
        Ok(etag)
    }

    fn delete_document(
        &self,
        plugin: &str,
        id: &str,
        if_match: Option<String>,
    ) -> Result<(), HostError> {
        let pre = Preconditions {
            if_match: if_match.map(|t| vec![t]),
            ..Preconditions::default()
        };
        self.runtime
            .block_on(
                self.lrs
                    .delete_document(&Self::document_key(plugin, id), &pre),
            )
            .map_err(host_error)
    }

    fn list_documents(&self, plugin: &str, prefix: &str) -> Result<Vec<String>, HostError> {
        let scope = DocumentScope::ActivityProfile {
            activity_id: documents_activity(plugin),
        };
        let ids = self
            .runtime
            .block_on(self.lrs.list_documents(&scope, None))
            .map_err(host_error)?;
        Ok(ids.into_iter().filter(|i| i.starts_with(prefix)).collect())
    }

    fn people(&self, _plugin: &str, org_unit: Option<String>) -> Result<Vec<Person>, HostError> {
        let Some(directory) = &self.directory else {
            return Err(HostError::Failed(
                "this host has no directory; people cannot be listed".into(),
            ));
        };
        let people = self
            .runtime
            .block_on(directory.list_people(org_unit.as_deref()))
            .map_err(|e| HostError::Failed(e.to_string()))?;
        Ok(people
            .into_iter()
            .map(|p| Person {
                id: p.id,
                name: p.name,
                email: p.email,
                org_unit: p.org_unit,
                manager: p.manager,
                roles: p.roles,
            })
            .collect())
    }

    fn now(&self) -> String {
        xapi_model::time::format_timestamp(Utc::now())
    }
}
