//! The directory over HTTP, under `/api/people` (admin scope): the people plugins read, kept by
//! administrators or a sync job until directory sync lands.
//!
//! - `GET /api/people` (`?orgUnit=ID` for one org unit): everyone, by id;
//! - `GET /api/people/{id}`, `PUT /api/people/{id}` with `{"name", "email", "orgUnit",
//!   "manager", "roles"}`, `DELETE /api/people/{id}`;
//! - `POST /api/people` with a list of people (each with its `id`): inserts or replaces them
//!   all, or none if one is refused (the error names it, e.g. `[3].email`).

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use lrs_core::directory::Person;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::request;
use crate::statements::json_response;
use crate::{App, empty, method_not_allowed};

/// A person as the API reads and writes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PersonJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    org_unit: Option<String>,
    #[serde(default)]
    manager: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default, skip_deserializing)]
    updated: Option<String>,
}

fn to_json(p: Person) -> PersonJson {
    PersonJson {
        id: Some(p.id),
        name: p.name,
        email: p.email,
        org_unit: p.org_unit,
        manager: p.manager,
        roles: p.roles,
        updated: Some(xapi_model::time::format_timestamp(p.updated)),
    }
}

/// A person from the API, checked; `at` prefixes the paths of problems.
fn from_json(id: String, p: PersonJson, at: &str) -> ApiResult<Person> {
    let person = Person {
        id,
        name: p.name,
        email: p.email,
        org_unit: p.org_unit,
        manager: p.manager,
        roles: p.roles,
        updated: chrono::Utc::now(),
    };
    let problems = person.problems();
    if let Some((field, message)) = problems.first() {
        let mut e = ApiError::bad_request(&format!("{at}{field}"), message.clone());
        e.problems = problems
            .iter()
            .map(|(f, m)| (format!("{at}{f}"), m.clone()))
            .collect();
        return Err(e);
    }
    Ok(person)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request("", format!("{e}")))
}

/// `/api/people…` (the caller is an authenticated administrator).
pub(crate) async fn handle(app: &App, req: Request, rest: &str) -> ApiResult<Response> {
    let directory = app
        .directory
        .clone()
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no directory here"))?;
    let rest = rest.trim_start_matches('/');
    let method = req.method().clone();
    if rest.is_empty() {
        return match method {
            Method::GET => {
                let mut params = request::parse_params(req.uri().query().unwrap_or_default())?;
                let unit = params.remove("orgUnit");
                if let Some(k) = params.keys().next() {
                    return Err(ApiError::bad_request(k, "unknown parameter"));
                }
                let people = directory
                    .list_people(unit.as_deref())
                    .await
                    .map_err(lrs_core::LrsError::from)?;
                let list: Vec<PersonJson> = people.into_iter().map(to_json).collect();
                Ok(json_response(
                    serde_json::to_string(&list).unwrap_or_default(),
                ))
            }
            Method::POST => {
                let body = request::body_bytes(app, req).await?;
                let list: Vec<PersonJson> = parse(&body)?;
                let mut people = Vec::with_capacity(list.len());
                for (i, mut p) in list.into_iter().enumerate() {
                    let id = p.id.take().ok_or_else(|| {
                        ApiError::bad_request(&format!("[{i}].id"), "is required")
                    })?;
                    people.push(from_json(id, p, &format!("[{i}]."))?);
                }
                let n = people.len();
                directory
                    .upsert_people(people)
                    .await
                    .map_err(lrs_core::LrsError::from)?;
                Ok(json_response(
                    serde_json::json!({ "upserted": n }).to_string(),
                ))
            }
            _ => Err(method_not_allowed()),
        };
    }
    let id = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .map_err(|_| ApiError::bad_request("id", "is not UTF-8"))?
        .into_owned();
    match method {
        Method::GET => match directory
            .person(&id)
            .await
            .map_err(lrs_core::LrsError::from)?
        {
            Some(p) => Ok(json_response(
                serde_json::to_string(&to_json(p)).unwrap_or_default(),
            )),
            None => Err(ApiError::new(StatusCode::NOT_FOUND, "no such person")),
        },
        Method::PUT => {
            let body = request::body_bytes(app, req).await?;
            let p: PersonJson = parse(&body)?;
            if p.id.as_ref().is_some_and(|i| *i != id) {
                return Err(ApiError::bad_request(
                    "id",
                    "differs from the id in the URL",
                ));
            }
            let person = from_json(id, p, "")?;
            directory
                .upsert_people(vec![person.clone()])
                .await
                .map_err(lrs_core::LrsError::from)?;
            Ok(json_response(
                serde_json::to_value(to_json(person))
                    .unwrap_or(Value::Null)
                    .to_string(),
            ))
        }
        Method::DELETE => {
            if directory
                .delete_person(&id)
                .await
                .map_err(lrs_core::LrsError::from)?
            {
                Ok(empty(StatusCode::NO_CONTENT))
            } else {
                Err(ApiError::new(StatusCode::NOT_FOUND, "no such person"))
            }
        }
        _ => Err(method_not_allowed()),
    }
}
