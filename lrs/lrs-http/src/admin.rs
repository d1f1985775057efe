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
    let caller = request::authenticate_admin(app, &headers, req.method()).await?;
    app.lrs.require(&caller, Access::Admin)?;
    let path = req.uri().path().trim_end_matches('/').to_owned();
    if path == "/api/session" {
        return session(app, &caller, req.method()).await;
    }
    if let Some(rest) = path
        .strip_prefix("/api/people")
        .filter(|r| r.is_empty() || r.starts_with('/'))
    {
        return crate::directory::handle(app, req, rest).await;
    }
    if let Some(rest) = path
        .strip_prefix("/api/plugins")
        .filter(|r| r.is_empty() || r.starts_with('/'))
    {
        return crate::plugins::admin(app, req, rest).await;
    }
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

/// How long an administrator's browser session lasts.
const SESSION_HOURS: i64 = 8;

/// `POST /api/session` (HTTP Basic with an admin credential) opens a browser session: an
/// `HttpOnly`, `SameSite=Strict` cookie for `/api` on Lara's own host (so it never reaches the
/// content origin). `DELETE /api/session` (with the cookie) ends it.
async fn session(app: &App, caller: &Credential, method: &Method) -> ApiResult<Response> {
    let secure = if app.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    match *method {
        Method::POST => {
            if caller.session_of().is_some() {
                return Err(ApiError::bad_request(
                    "Authorization",
                    "open a session with a credential, not with another session",
                ));
            }
            let expires = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
            let new = app.lrs.open_session(caller, expires).await?;
            let mut resp = json_response(
                json!({ "expires": xapi_model::time::format_timestamp(expires) }).to_string(),
            );
            *resp.status_mut() = StatusCode::CREATED;
            let cookie = format!(
                "{}={}.{}; Path=/api; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                request::SESSION_COOKIE,
                new.credential.key,
                new.secret,
                SESSION_HOURS * 3600
            );
            if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(axum::http::header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        Method::DELETE => {
            if caller.session_of().is_none() {
                return Err(ApiError::bad_request(
                    "Cookie",
                    "no session to end; this request came with a credential",
                ));
            }
            app.lrs
                .store()
                .revoke_credential(&caller.key, chrono::Utc::now())
                .await
                .map_err(lrs_core::LrsError::from)?;
            let mut resp = empty(StatusCode::NO_CONTENT);
            let cookie = format!(
                "{}=; Path=/api; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
                request::SESSION_COOKIE
            );
            if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(axum::http::header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        _ => Err(method_not_allowed()),
    }
}
