//! Administration API under `/api/`: credential management for holders of the `admin` scope.
//!
//! - `GET /api/credentials`: every credential (never secrets);
//! - `POST /api/credentials` with `{"name": "...", "scopes": ["statements/write", ...]}`:
//!   creates one and returns its key and secret (the secret only in this response);
//! - `DELETE /api/credentials/{key}`: revokes it.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use lrs_core::auth::{Access, Credential, Scope};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::request;
use crate::statements::json_response;
use crate::{App, empty, method_not_allowed};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCredential {
    name: String,
    scopes: Vec<String>,
}

fn describe(c: &Credential) -> Value {
    json!({
        "key": c.key,
        "name": c.name,
        "scopes": c.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "authority": c.authority,
        "created": xapi_model::time::format_timestamp(c.created),
        "revoked": c.revoked.map(xapi_model::time::format_timestamp),
    })
}

pub(crate) async fn handle(app: &App, req: Request) -> ApiResult<Response> {
    let headers = req.headers().clone();
    let caller = request::authenticate(app, &headers).await?;
    app.lrs.require(&caller, Access::Admin)?;
    let path = req.uri().path().trim_end_matches('/').to_owned();
    if let Some(rest) = path.strip_prefix("/api/packages") {
        return crate::packages::handle(app, req, rest).await;
    }
    if path == "/api/registrations" {
        if req.method() != Method::POST {
            return Err(method_not_allowed());
        }
        let body = request::body_bytes(app, req).await?;
        return crate::player::start(app, &body).await;
    }
    if let Some(id) = path
        .strip_prefix("/api/registrations/")
        .and_then(|r| r.strip_suffix("/waive"))
    {
        if req.method() != Method::POST {
            return Err(method_not_allowed());
        }
        let id = uuid::Uuid::parse_str(id)
            .map_err(|_| ApiError::bad_request("registration", "must be a UUID"))?;
        let body = request::body_bytes(app, req).await?;
        return crate::player::waive(app, id, &body).await;
    }
    let rest = path.strip_prefix("/api/credentials");
    match (req.method().clone(), rest) {
        (Method::GET, Some("")) => {
            let list = app
                .lrs
                .store()
                .list_credentials()
                .await
                .map_err(lrs_core::LrsError::from)?;
            let body: Vec<Value> = list.iter().map(describe).collect();
            Ok(json_response(Value::Array(body).to_string()))
        }
        (Method::POST, Some("")) => {
            let body = request::body_bytes(app, req).await?;
            let input: CreateCredential = serde_json::from_slice(&body)
                .map_err(|e| ApiError::bad_request("credential", format!("is not valid: {e}")))?;
            if input.name.trim().is_empty() {
                return Err(ApiError::bad_request("name", "must not be empty"));
            }
            let mut scopes = Vec::new();
            for (i, s) in input.scopes.iter().enumerate() {
                let scope = s
                    .parse::<Scope>()
                    .map_err(|e| ApiError::bad_request(&format!("scopes[{i}]"), e.to_string()))?;
                scopes.push(scope);
            }
            if scopes.is_empty() {
                return Err(ApiError::bad_request(
                    "scopes",
                    "must name at least one scope",
                ));
            }
            let new = app.lrs.create_credential(input.name.trim(), scopes).await?;
            let mut out = describe(&new.credential);
            if let Some(o) = out.as_object_mut() {
                o.insert("secret".into(), json!(new.secret));
            }
            let mut resp = json_response(out.to_string());
            *resp.status_mut() = StatusCode::CREATED;
            Ok(resp)
        }
        (Method::DELETE, Some(key)) if key.len() > 1 => {
            let key = key.trim_start_matches('/');
            let revoked = app
                .lrs
                .store()
                .revoke_credential(key, chrono::Utc::now())
                .await
                .map_err(lrs_core::LrsError::from)?;
            if revoked {
                Ok(empty(StatusCode::NO_CONTENT))
            } else {
                Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no credential with key {key}"),
                ))
            }
        }
        (_, Some(_)) => Err(method_not_allowed()),
        (_, None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no API at {path}"),
        )),
    }
}
