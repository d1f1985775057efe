//! The activities, agents and about resources.

use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use lrs_core::auth::Access;
use serde_json::json;
use xapi_model::validate;

use crate::error::{ApiError, ApiResult};
use crate::request::{self, Context};
use crate::statements::json_response;
use crate::{App, method_not_allowed};

pub(crate) fn about() -> Response {
    let body = json!({
        "version": ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"],
        "extensions": {
            "https://lara.example/extensions/software": { "name": "Lara", "version": env!("CARGO_PKG_VERSION") }
        }
    });
    axum::Json(body).into_response()
}

pub(crate) async fn activities(app: &App, ctx: &Context, req: Request) -> ApiResult<Response> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Err(method_not_allowed());
    }
    app.lrs.require(&ctx.credential, Access::ReadActivities)?;
    let params = request::params(&req)?;
    for k in params.keys() {
        if k != "activityId" {
            return Err(ApiError::bad_request(
                k,
                "is not a parameter of the activities resource",
            ));
        }
    }
    let id = params
        .get("activityId")
        .ok_or_else(|| ApiError::bad_request("activityId", "is required"))?;
    if !validate::is_iri(id) {
        return Err(ApiError::bad_request("activityId", "must be an IRI"));
    }
    let activity = app.lrs.activity(id).await?;
    Ok(json_response(activity.to_string()))
}

pub(crate) async fn agents(app: &App, ctx: &Context, req: Request) -> ApiResult<Response> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Err(method_not_allowed());
    }
    app.lrs.require(&ctx.credential, Access::ReadAgents)?;
    let params = request::params(&req)?;
    for k in params.keys() {
        if k != "agent" {
            return Err(ApiError::bad_request(
                k,
                "is not a parameter of the agents resource",
            ));
        }
    }
    let raw = params
        .get("agent")
        .ok_or_else(|| ApiError::bad_request("agent", "is required"))?;
    let agent = lrs_core::query::parse_agent_param(raw, ctx.version, false)?;
    Ok(json_response(app.lrs.person(&agent).to_string()))
}
