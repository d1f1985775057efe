//! The one place that turns domain errors into HTTP responses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lrs_core::{LrsError, StoreError};
use serde_json::json;

/// An error response: a status code and a JSON body naming what is wrong.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub problems: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            problems: Vec::new(),
        }
    }

    pub fn bad_request(path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status: StatusCode::BAD_REQUEST,
            message: if path.is_empty() {
                message.clone()
            } else {
                format!("{path}: {message}")
            },
            problems: vec![(path.to_owned(), message)],
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
}

impl From<LrsError> for ApiError {
    fn from(e: LrsError) -> Self {
        let status = match &e {
            LrsError::Invalid(_) => StatusCode::BAD_REQUEST,
            LrsError::Conflict(_) => StatusCode::CONFLICT,
            LrsError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            LrsError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            LrsError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            LrsError::Forbidden(_) => StatusCode::FORBIDDEN,
            LrsError::NotFound(_) => StatusCode::NOT_FOUND,
            LrsError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let problems = match &e {
            LrsError::Invalid(ps) => ps
                .iter()
                .map(|p| (p.path.clone(), p.message.clone()))
                .collect(),
            _ => Vec::new(),
        };
        let message = match &e {
            // Never leak database details to clients; the cause is logged instead.
            LrsError::Store(StoreError::Backend(detail))
            | LrsError::Store(StoreError::Corrupt(detail)) => {
                tracing::error!(error = %detail, "storage failure");
                "internal storage error".to_owned()
            }
            other => other.to_string(),
        };
        Self {
            status,
            message,
            problems,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problems: Vec<_> = self
            .problems
            .iter()
            .map(|(p, m)| json!({ "path": p, "message": m }))
            .collect();
        let mut body =
            json!({ "error": { "status": self.status.as_u16(), "message": self.message } });
        if !problems.is_empty()
            && let Some(err) = body.get_mut("error").and_then(|e| e.as_object_mut())
        {
            err.insert("problems".into(), json!(problems));
        }
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Basic realm=\"Lara LRS\""),
            );
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
