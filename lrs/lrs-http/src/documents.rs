//! The state, activity profile and agent profile resources.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use lrs_core::auth::Access;
use lrs_core::store::{DocumentKey, DocumentScope};
use uuid::Uuid;
use xapi_model::{XapiVersion, ifi, time, validate};

use crate::error::{ApiError, ApiResult};
use crate::request::{self, Context};
use crate::statements::{json_response, set_last_modified};
use crate::{App, empty, method_not_allowed};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    State,
    ActivityProfile,
    AgentProfile,
}

impl Resource {
    fn id_param(self) -> &'static str {
        match self {
            Resource::State => "stateId",
            _ => "profileId",
        }
    }

    fn allowed_params(self) -> &'static [&'static str] {
        match self {
            Resource::State => &["activityId", "agent", "registration", "stateId", "since"],
            Resource::ActivityProfile => &["activityId", "profileId", "since"],
            Resource::AgentProfile => &["agent", "profileId", "since"],
        }
    }
}

struct Target {
    scope: DocumentScope,
    id: Option<String>,
    since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Target {
    fn key(&self) -> Option<DocumentKey> {
        let id = self.id.clone()?;
        Some(match self.scope.clone() {
            DocumentScope::State {
                activity_id,
                agent,
                registration,
            } => DocumentKey::State {
                activity_id,
                agent,
                registration,
                state_id: id,
            },
            DocumentScope::ActivityProfile { activity_id } => DocumentKey::ActivityProfile {
                activity_id,
                profile_id: id,
            },
            DocumentScope::AgentProfile { agent } => DocumentKey::AgentProfile {
                agent,
                profile_id: id,
            },
        })
    }
}

fn required<'a>(params: &'a BTreeMap<String, String>, name: &str) -> ApiResult<&'a String> {
    params
        .get(name)
        .ok_or_else(|| ApiError::bad_request(name, "is required"))
}

fn activity_param(params: &BTreeMap<String, String>) -> ApiResult<String> {
    let a = required(params, "activityId")?;
    if !validate::is_iri(a) {
        return Err(ApiError::bad_request("activityId", "must be an IRI"));
    }
    Ok(a.clone())
}

fn agent_param(params: &BTreeMap<String, String>, version: XapiVersion) -> ApiResult<String> {
    let raw = required(params, "agent")?;
    let v = lrs_core::query::parse_agent_param(raw, version, false)?;
    ifi::ifi_key(&v).ok_or_else(|| ApiError::bad_request("agent", "must identify an Agent"))
}

fn target(
    resource: Resource,
    params: &BTreeMap<String, String>,
    version: XapiVersion,
) -> ApiResult<Target> {
    for k in params.keys() {
        if !resource.allowed_params().contains(&k.as_str()) {
            return Err(ApiError::bad_request(
                k,
                "is not a parameter of this resource",
            ));
        }
    }
    let scope = match resource {
        Resource::State => {
            let registration = params
                .get("registration")
                .map(|r| {
                    Uuid::parse_str(r)
                        .map_err(|_| ApiError::bad_request("registration", "must be a UUID"))
                })
                .transpose()?;
            DocumentScope::State {
                activity_id: activity_param(params)?,
                agent: agent_param(params, version)?,
                registration,
            }
        }
        Resource::ActivityProfile => DocumentScope::ActivityProfile {
            activity_id: activity_param(params)?,
        },
        Resource::AgentProfile => DocumentScope::AgentProfile {
            agent: agent_param(params, version)?,
        },
    };
    let since = params
        .get("since")
        .map(|s| time::parse_timestamp(s, version).map_err(|m| ApiError::bad_request("since", m)))
        .transpose()?;
    Ok(Target {
        scope,
        id: params.get(resource.id_param()).cloned(),
        since,
    })
}

pub(crate) async fn handle(
    app: &App,
    ctx: &Context,
    resource: Resource,
    req: Request,
) -> ApiResult<Response> {
    let (read, write) = match resource {
        Resource::State => (Access::ReadState, Access::WriteState),
        _ => (Access::ReadProfile, Access::WriteProfile),
    };
    let method = req.method().clone();
    let params = request::params(&req)?;
    let t = target(resource, &params, ctx.version)?;
    if t.since.is_some() && (t.id.is_some() || !matches!(method, Method::GET | Method::HEAD)) {
        return Err(ApiError::bad_request(
            "since",
            "is only allowed when listing document ids",
        ));
    }
    let pre = request::preconditions(req.headers());
    let writes = !matches!(method, Method::GET | Method::HEAD);
    app.lrs.check_documents(
        &ctx.credential,
        &t.scope,
        t.id.as_deref().filter(|_| resource == Resource::State),
        writes,
    )?;
    match method {
        Method::GET | Method::HEAD => {
            app.lrs.require(&ctx.credential, read)?;
            match t.key() {
                Some(key) => {
                    let doc =
                        app.lrs.get_document(&key).await?.ok_or_else(|| {
                            ApiError::new(StatusCode::NOT_FOUND, "no such document")
                        })?;
                    let mut resp = Response::new(Body::from(doc.content));
                    if let Ok(v) = HeaderValue::from_str(&doc.content_type) {
                        resp.headers_mut().insert(header::CONTENT_TYPE, v);
                    }
                    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", doc.etag)) {
                        resp.headers_mut().insert(header::ETAG, v);
                    }
                    set_last_modified(&mut resp, doc.updated);
                    Ok(resp)
                }
                None => {
                    let ids = app.lrs.list_documents(&t.scope, t.since).await?;
                    let body = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
                    Ok(json_response(body))
                }
            }
        }
        Method::PUT | Method::POST => {
            app.lrs.require(&ctx.credential, write)?;
            let key = t
                .key()
                .ok_or_else(|| ApiError::bad_request(resource.id_param(), "is required"))?;
            let content_type = request::content_type(req.headers())
                .unwrap_or_else(|| "application/octet-stream".to_owned());
            let body = request::body_bytes(app, req).await?.to_vec();
            if method == Method::PUT {
                app.lrs
                    .put_document(&key, &content_type, body, &pre, ctx.version)
                    .await?;
            } else {
                app.lrs
                    .post_document(&key, &content_type, body, &pre)
                    .await?;
            }
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Method::DELETE => {
            app.lrs.require(&ctx.credential, write)?;
            match t.key() {
                Some(key) => app.lrs.delete_document(&key, &pre).await?,
                None if resource == Resource::State => app.lrs.delete_documents(&t.scope).await?,
                None => return Err(ApiError::bad_request(resource.id_param(), "is required")),
            }
            Ok(empty(StatusCode::NO_CONTENT))
        }
        _ => Err(method_not_allowed()),
    }
}
