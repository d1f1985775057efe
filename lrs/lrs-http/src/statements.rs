//! The statement resource.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use lrs_core::auth::Access;
use lrs_core::query::StatementRequest;
use serde_json::Value;
use uuid::Uuid;
use xapi_model::time::format_timestamp;

use crate::error::{ApiError, ApiResult};
use crate::request::{self, Context};
use crate::{App, CONSISTENT_THROUGH, empty, method_not_allowed, multipart};

pub(crate) async fn handle(app: &App, ctx: &Context, req: Request) -> ApiResult<Response> {
    match *req.method() {
        Method::GET | Method::HEAD => get(app, ctx, req).await,
        Method::POST => write(app, ctx, req, false).await,
        Method::PUT => write(app, ctx, req, true).await,
        _ => Err(method_not_allowed()),
    }
}

async fn write(app: &App, ctx: &Context, req: Request, is_put: bool) -> ApiResult<Response> {
    app.lrs.require(&ctx.credential, Access::WriteStatements)?;
    let params = request::params(&req)?;
    let put_id = if is_put {
        for k in params.keys() {
            if k != "statementId" {
                return Err(ApiError::bad_request(
                    k,
                    "is not a parameter of PUT /statements",
                ));
            }
        }
        let id = params
            .get("statementId")
            .ok_or_else(|| ApiError::bad_request("statementId", "is required for PUT"))?;
        Some(
            Uuid::parse_str(id)
                .map_err(|_| ApiError::bad_request("statementId", "must be a UUID"))?,
        )
    } else {
        if let Some(k) = params.keys().next() {
            return Err(ApiError::bad_request(
                k,
                "is not a parameter of POST /statements",
            ));
        }
        None
    };
    let content_type = request::content_type(req.headers()).unwrap_or_default();
    let body = request::body_bytes(app, req).await?;
    let (json, attachments) = match multipart::mixed_boundary(&content_type)? {
        Some(boundary) => multipart::parse(body, boundary).await?,
        None => {
            if !content_type.is_empty() && !lrs_core::documents::is_json(&content_type) {
                return Err(ApiError::bad_request(
                    "Content-Type",
                    format!(
                        "{content_type} is not accepted: send application/json or multipart/mixed"
                    ),
                ));
            }
            (body, Vec::new())
        }
    };
    let value: Value = serde_json::from_slice(&json)
        .map_err(|e| ApiError::bad_request("statement", format!("is not valid JSON: {e}")))?;
    let statements = match value {
        Value::Array(list) => {
            if is_put {
                return Err(ApiError::bad_request(
                    "statement",
                    "PUT takes a single statement, not an array",
                ));
            }
            list
        }
        v @ Value::Object(_) => vec![v],
        _ => {
            return Err(ApiError::bad_request(
                "statement",
                "must be a statement object or an array of statements",
            ));
        }
    };
    let ids = app
        .lrs
        .store_statements(
            &ctx.credential,
            ctx.version,
            statements,
            attachments,
            put_id,
        )
        .await?;
    if is_put {
        return Ok(empty(StatusCode::NO_CONTENT));
    }
    let body = serde_json::to_string(&ids)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(json_response(body))
}

async fn get(app: &App, ctx: &Context, req: Request) -> ApiResult<Response> {
    app.lrs.require(&ctx.credential, Access::ReadStatements)?;
    let consistent_through = Utc::now();
    let params = request::params(&req)?;
    let languages = request::languages(req.headers());
    let parsed = app.lrs.parse_statement_request(&params, ctx.version)?;
    let mut resp = match parsed {
        StatementRequest::Single {
            id,
            voided,
            format,
            attachments,
        } => {
            let found = app
                .lrs
                .get_statement(&ctx.credential, id, voided, format, attachments, &languages)
                .await?
                .ok_or_else(|| {
                    ApiError::new(StatusCode::NOT_FOUND, format!("no statement {id}"))
                })?;
            let mut resp = if attachments {
                multipart::response(found.json, &found.attachments)?
            } else {
                json_response(found.json)
            };
            set_last_modified(&mut resp, found.stored);
            resp
        }
        StatementRequest::Query(q) => {
            let attachments = q.attachments;
            let page = app
                .lrs
                .query_statements(&ctx.credential, q, &languages)
                .await?;
            let mut body = String::with_capacity(
                page.statements.iter().map(|s| s.len() + 1).sum::<usize>() + 64,
            );
            body.push_str("{\"statements\":[");
            for (i, s) in page.statements.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(s);
            }
            body.push_str("],\"more\":");
            match &page.more {
                Some(token) => {
                    let link = format!("/xapi/statements?more={token}");
                    body.push_str(&serde_json::to_string(&link).unwrap_or_default());
                }
                None => body.push_str("\"\""),
            }
            body.push('}');
            let mut resp = if attachments {
                multipart::response(body, &page.attachments)?
            } else {
                json_response(body)
            };
            if let Some(t) = page.last_modified {
                set_last_modified(&mut resp, t);
            }
            resp
        }
    };
    if let Ok(v) = HeaderValue::from_str(&format_timestamp(consistent_through)) {
        resp.headers_mut().insert(CONSISTENT_THROUGH, v);
    }
    Ok(resp)
}

pub(crate) fn json_response(body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

pub(crate) fn set_last_modified(resp: &mut Response, t: DateTime<Utc>) {
    let http_date = t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(v) = HeaderValue::from_str(&http_date) {
        resp.headers_mut().insert(header::LAST_MODIFIED, v);
    }
}
