//! Plugins over HTTP: their own routes under `/plugins/<name>/…` and their administration
//! under `/api/plugins` (admin scope).
//!
//! The HTTP layer knows plugins only through [`PluginGateway`], so it needs no WebAssembly
//! engine; `lara serve` supplies one backed by the plugin runtime.
//!
//! Administration:
//! - `GET /api/plugins`: every plugin with its health, counts and cursor lag;
//! - `POST /api/plugins?grant=documents,emit-statements` with the component as the body:
//!   installs it (201);
//! - `GET /api/plugins/{name}`: one plugin; `DELETE /api/plugins/{name}` uninstalls it and
//!   deletes its documents (`?keepDocuments=true` keeps them);
//! - `PUT /api/plugins/{name}` with a component: upgrades it (the component must describe
//!   itself with that name);
//! - `POST /api/plugins/{name}/enable`, `POST /api/plugins/{name}/disable`;
//! - `PUT /api/plugins/{name}/grants` with `{"granted": [...]}`;
//! - `POST /api/plugins/{name}/schedule`: runs its `on-schedule` now (after changing rules,
//!   say); 409 if it has no schedule or is disabled.
//!
//! A plugin route needs a credential that may read every statement (`all/read`, `all` or
//! `statements/read`) for GET and HEAD, and the admin scope for anything else; launch
//! credentials never. The plugin sees the request without `Authorization` and `Cookie`, with
//! `x-lara-credential` (the caller's credential key) and `x-lara-scopes` added. Its response
//! may not set cookies, and is served as a sandboxed document (`Content-Security-Policy:
//! sandbox`), so a plugin's page cannot act with an administrator's session.

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lrs_core::auth::{Access, Credential};
use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::error::{ApiError, ApiResult};
use crate::request;
use crate::statements::json_response;
use crate::{App, method_not_allowed};

/// Largest request body passed to a plugin route (plugins have little memory).
const MAX_PLUGIN_BODY: usize = 8 << 20;

/// A request to a plugin route; `path` is relative to `/plugins/<name>` and starts with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginCall {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Error)]
pub enum GatewayError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// The plugin failed (trap, time or memory limit).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Failed(String),
}

impl From<GatewayError> for ApiError {
    fn from(e: GatewayError) -> Self {
        let status = match &e {
            GatewayError::NotFound(_) => StatusCode::NOT_FOUND,
            GatewayError::Invalid(_) => StatusCode::BAD_REQUEST,
            GatewayError::Conflict(_) => StatusCode::CONFLICT,
            GatewayError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            GatewayError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

/// What the HTTP layer asks of the plugin runtime.
#[async_trait]
pub trait PluginGateway: Send + Sync {
    /// Every plugin's status (JSON objects).
    async fn list(&self) -> Result<Vec<Value>, GatewayError>;
    async fn status(&self, name: &str) -> Result<Value, GatewayError>;
    async fn install(&self, wasm: Vec<u8>, grants: Vec<String>) -> Result<Value, GatewayError>;
    /// Upgrades the plugin `name`; a component describing itself otherwise is refused.
    async fn upgrade(&self, name: &str, wasm: Vec<u8>) -> Result<Value, GatewayError>;
    async fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), GatewayError>;
    async fn set_grants(&self, name: &str, grants: Vec<String>) -> Result<(), GatewayError>;
    /// Uninstalls a plugin, with its documents unless `keep_documents`.
    async fn remove(&self, name: &str, keep_documents: bool) -> Result<(), GatewayError>;
    /// Runs the plugin's `on-schedule` now; false if it has no schedule or is disabled.
    async fn run_schedule(&self, name: &str) -> Result<bool, GatewayError>;
    async fn call(&self, name: &str, call: PluginCall) -> Result<PluginReply, GatewayError>;
}

fn gateway(app: &App) -> ApiResult<&dyn PluginGateway> {
    app.plugins.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "plugins are not enabled on this server",
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Grants {
    granted: Vec<String>,
}

fn split_grants(query: Option<&str>) -> ApiResult<Vec<String>> {
    let mut grants = Vec::new();
    for (k, v) in form_pairs(query.unwrap_or_default()) {
        if k != "grant" {
            return Err(ApiError::bad_request(
                &k,
                "unknown parameter (use grant=a,b)",
            ));
        }
        grants.extend(
            v.split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned),
        );
    }
    Ok(grants)
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

/// `/api/plugins…` (the caller is an authenticated administrator).
pub(crate) async fn admin(app: &App, req: Request, rest: &str) -> ApiResult<Response> {
    let plugins = gateway(app)?;
    let method = req.method().clone();
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (Method::GET, [""]) => {
            let list = plugins.list().await?;
            Ok(json_response(Value::Array(list).to_string()))
        }
        (Method::POST, [""]) => {
            let grants = split_grants(req.uri().query())?;
            let wasm = request::body_bytes(app, req).await?;
            let installed = plugins.install(wasm.to_vec(), grants).await?;
            let mut resp = json_response(installed.to_string());
            *resp.status_mut() = StatusCode::CREATED;
            Ok(resp)
        }
        (Method::GET, [name]) => Ok(json_response(plugins.status(name).await?.to_string())),
        (Method::DELETE, [name]) => {
            let mut params = request::parse_params(req.uri().query().unwrap_or_default())?;
            let keep = match params.remove("keepDocuments").as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(_) => {
                    return Err(ApiError::bad_request(
                        "keepDocuments",
                        "must be true or false",
                    ));
                }
            };
            if let Some(k) = params.keys().next() {
                return Err(ApiError::bad_request(k, "unknown parameter"));
            }
            plugins.remove(name, keep).await?;
            Ok(crate::empty(StatusCode::NO_CONTENT))
        }
        (Method::PUT, [name]) => {
            let name = (*name).to_owned();
            let wasm = request::body_bytes(app, req).await?;
            let upgraded = plugins.upgrade(&name, wasm.to_vec()).await?;
            Ok(json_response(upgraded.to_string()))
        }
        (Method::POST, [name, action @ ("enable" | "disable")]) => {
            plugins.set_enabled(name, *action == "enable").await?;
            Ok(json_response(plugins.status(name).await?.to_string()))
        }
        (Method::POST, [name, "schedule"]) => {
            if !plugins.run_schedule(name).await? {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("the plugin {name:?} is disabled or has no schedule"),
                ));
            }
            Ok(json_response(plugins.status(name).await?.to_string()))
        }
        (Method::PUT, [name, "grants"]) => {
            let name = (*name).to_owned();
            let body = request::body_bytes(app, req).await?;
            let grants: Grants = serde_json::from_slice(&body)
                .map_err(|e| ApiError::bad_request("granted", e.to_string()))?;
            plugins.set_grants(&name, grants.granted).await?;
            Ok(json_response(plugins.status(&name).await?.to_string()))
        }
        (_, [""] | [_] | [_, "enable" | "disable" | "grants" | "schedule"]) => {
            Err(method_not_allowed())
        }
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "no such resource")),
    }
}

/// `/plugins/<name>/…`: a plugin's own routes.
pub(crate) async fn dispatch(State(app): State<App>, req: Request) -> Response {
    match route(&app, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn may_call(app: &App, caller: &Credential, method: &Method) -> ApiResult<()> {
    if caller.binding.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "launch credentials cannot call plugins",
        ));
    }
    if method == Method::GET || method == Method::HEAD {
        if caller.reads_only_own() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "plugin pages need a credential that may read every statement",
            ));
        }
        app.lrs.require(caller, Access::ReadStatements)?;
    } else {
        app.lrs.require(caller, Access::Admin)?;
    }
    Ok(())
}

async fn route(app: &App, req: Request) -> ApiResult<Response> {
    let plugins = gateway(app)?;
    let headers = req.headers().clone();
    let method = req.method().clone();
    let caller = request::authenticate_admin(app, &headers, &method).await?;
    may_call(app, &caller, &method)?;
    let path = req.uri().path().to_owned();
    let rest = path.strip_prefix("/plugins/").unwrap_or_default();
    let (name, sub) = match rest.split_once('/') {
        Some((n, s)) => (n.to_owned(), format!("/{s}")),
        None => (rest.to_owned(), "/".to_owned()),
    };
    let query = req.uri().query().unwrap_or_default().to_owned();
    let mut forwarded: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| {
            !matches!(
                n.as_str(),
                "authorization" | "cookie" | "x-lara-credential" | "x-lara-scopes"
            )
        })
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    forwarded.push(("x-lara-credential".into(), caller.key.clone()));
    forwarded.push((
        "x-lara-scopes".into(),
        caller
            .scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    ));
    let body = axum::body::to_bytes(req.into_body(), MAX_PLUGIN_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a plugin request body may have at most {MAX_PLUGIN_BODY} bytes"),
            )
        })?;
    let reply = plugins
        .call(
            &name,
            PluginCall {
                // A HEAD is the GET without its body.
                method: if method == Method::HEAD {
                    "GET".to_owned()
                } else {
                    method.as_str().to_owned()
                },
                path: sub,
                query,
                headers: forwarded,
                body: body.to_vec(),
            },
        )
        .await?;
    let mut resp = into_response(reply);
    if method == Method::HEAD {
        *resp.body_mut() = Body::empty();
    }
    Ok(resp)
}

/// The plugin's reply, without headers it may not set and with the sandbox.
fn into_response(reply: PluginReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() = status;
    let out = resp.headers_mut();
    for (name, value) in reply.headers {
        let Ok(name) = HeaderName::try_from(name.as_str()) else {
            continue;
        };
        let forbidden = matches!(
            name.as_str(),
            "set-cookie"
                | "content-security-policy"
                | "content-length"
                | "transfer-encoding"
                | "connection"
                | "access-control-allow-origin"
                | "access-control-allow-credentials"
                | "strict-transport-security"
        );
        if forbidden {
            continue;
        }
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.append(name, value);
        }
    }
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox allow-scripts allow-forms allow-popups allow-downloads"),
    );
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_lose_cookies_and_gain_the_sandbox() {
        let resp = into_response(PluginReply {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/html".into()),
                ("set-cookie".into(), "lara_session=x; Path=/api".into()),
                ("content-security-policy".into(), "default-src *".into()),
                ("x-custom".into(), "1".into()),
            ],
            body: b"<p>hi</p>".to_vec(),
        });
        let h = resp.headers();
        assert!(h.get("set-cookie").is_none());
        assert_eq!(h["content-type"], "text/html");
        assert_eq!(h["x-custom"], "1");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("sandbox ")
        );
        assert_eq!(
            into_response(PluginReply {
                status: 1000,
                headers: vec![],
                body: vec![]
            })
            .status(),
            StatusCode::BAD_GATEWAY
        );
    }

    #[test]
    fn grants_come_from_one_parameter() {
        assert_eq!(
            split_grants(Some(
                "grant=documents,emit-statements&grant=query-statements"
            ))
            .unwrap(),
            vec!["documents", "emit-statements", "query-statements"]
        );
        assert!(split_grants(Some("grants=x")).is_err());
        assert!(split_grants(None).unwrap().is_empty());
    }
}
