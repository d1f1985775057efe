//! `/api/packages`: importing and listing content packages, for holders of the `admin` scope.
//!
//! - `POST /api/packages` with the zip as the body (any content type): the upload streams to
//!   a temporary file (never whole in memory), is checked and imported, and the answer is
//!   `201` with the new version and its warnings, or `400` with every problem found, each with
//!   its manifest path (`imsmanifest.xml: manifest/resources/resource[1]/@href`).
//! - `GET /api/packages`: the newest version of each package.
//! - `GET /api/packages/{versionId}`: one version, with its parsed manifest and report.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use lara_package::{ImportError, Report};
use player_core::{ImportFailure, Imported, PackageVersion};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::error::{ApiError, ApiResult};
use crate::statements::json_response;
use crate::{App, method_not_allowed};

/// A version as a JSON object (more fields are added for some answers).
fn describe(v: &PackageVersion) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("packageId".into(), json!(v.package_id));
    m.insert("versionId".into(), json!(v.version_id));
    m.insert("identifier".into(), json!(v.identifier));
    m.insert("version".into(), json!(v.version));
    m.insert("standard".into(), json!(v.standard));
    m.insert("title".into(), json!(v.title));
    m.insert(
        "created".into(),
        json!(xapi_model::time::format_timestamp(v.created)),
    );
    m
}

fn report_json(report: &Report) -> Value {
    let list = |it: &mut dyn Iterator<Item = &lara_package::Problem>| -> Vec<Value> {
        it.map(|p| json!({"file": p.file, "path": p.path, "message": p.message}))
            .collect()
    };
    json!({
        "errors": list(&mut report.errors()),
        "warnings": list(&mut report.warnings()),
    })
}

pub(crate) async fn handle(app: &App, req: Request, rest: &str) -> ApiResult<Response> {
    match (req.method().clone(), rest) {
        (Method::POST, "") => import(app, req).await,
        (Method::GET, "") => {
            let list = app.packages.list_packages().await.map_err(store_error)?;
            let body: Vec<Value> = list.iter().map(|v| Value::Object(describe(v))).collect();
            Ok(json_response(Value::Array(body).to_string()))
        }
        (Method::GET, id) => {
            let id = id.trim_start_matches('/');
            let Ok(version_id) = uuid::Uuid::parse_str(id) else {
                return Err(ApiError::bad_request("versionId", "is not a UUID"));
            };
            let Some(v) = app
                .packages
                .get_version(version_id)
                .await
                .map_err(store_error)?
            else {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no package version {version_id}"),
                ));
            };
            let mut body = describe(&v);
            body.insert(
                "manifest".into(),
                serde_json::from_str(&v.manifest).unwrap_or(Value::Null),
            );
            body.insert(
                "report".into(),
                serde_json::from_str::<Report>(&v.report)
                    .map(|r| report_json(&r))
                    .unwrap_or(Value::Null),
            );
            Ok(json_response(Value::Object(body).to_string()))
        }
        _ => Err(method_not_allowed()),
    }
}

fn store_error(e: lrs_core::StoreError) -> ApiError {
    ApiError::from(lrs_core::LrsError::from(e))
}

async fn import(app: &App, req: Request) -> ApiResult<Response> {
    // `?packageId=…` makes the upload a new version of that package.
    let query: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(req.uri().query().unwrap_or_default())
            .map_err(|e| ApiError::bad_request("query", format!("is not valid: {e}")))?;
    let package_id = match query.get("packageId") {
        None => None,
        Some(v) => Some(
            uuid::Uuid::parse_str(v)
                .map_err(|_| ApiError::bad_request("packageId", "is not a UUID"))?,
        ),
    };
    if let Some(unknown) = query.keys().find(|k| k.as_str() != "packageId") {
        return Err(ApiError::bad_request(
            unknown,
            "is not a parameter of this resource",
        ));
    }
    let dir = tempfile::tempdir()
        .map_err(|e| internal(&format!("creating a temporary directory: {e}")))?;
    let path = dir.path().join("upload.zip");
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(|e| internal(&format!("creating the upload file: {e}")))?;
    let limit = app.config.max_package_bytes;
    let mut received: u64 = 0;
    let mut stream = req.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request("body", format!("could not be read: {e}")))?;
        received += chunk.len() as u64;
        if received > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the package is larger than the limit of {limit} bytes"),
            ));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| internal(&format!("writing the upload: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| internal(&format!("writing the upload: {e}")))?;
    drop(file);
    if received == 0 {
        return Err(ApiError::bad_request(
            "body",
            "is empty: send the package zip as the body",
        ));
    }
    let options = player_core::ImportOptions {
        package_id,
        ..Default::default()
    };
    let result = player_core::import_file(app.packages.clone(), path, options).await;
    drop(dir);
    match result {
        Ok(imported) => {
            player_core::publish_activities(
                app.lrs.store().as_ref(),
                &imported.package.manifest,
                imported.version.package_id,
                app.config.activity_base(),
            )
            .await
            .map_err(store_error)?;
            Ok(created(&imported))
        }
        Err(ImportFailure::Refused(ImportError::Invalid(report))) => {
            let mut e = ApiError::new(StatusCode::BAD_REQUEST, "the package was refused");
            e.problems = report
                .errors()
                .map(|p| (format!("{}: {}", p.file, p.path), p.message.clone()))
                .collect();
            Err(e)
        }
        Err(ImportFailure::Refused(e)) => Err(ApiError::bad_request("package", e.to_string())),
        Err(ImportFailure::Store(e)) => Err(store_error(e)),
        Err(ImportFailure::Io(m)) => Err(internal(&m)),
        Err(ImportFailure::UnknownPackage(id)) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no package {id}"),
        )),
    }
}

fn created(imported: &Imported) -> Response {
    let mut body = describe(&imported.version);
    body.insert("files".into(), json!(imported.files));
    body.insert("bytes".into(), json!(imported.bytes));
    body.insert("newBytes".into(), json!(imported.new_bytes));
    body.insert("report".into(), report_json(&imported.package.report));
    let mut resp = json_response(Value::Object(body).to_string());
    *resp.status_mut() = StatusCode::CREATED;
    resp
}

fn internal(message: &str) -> ApiError {
    tracing::error!(error = message, "package import failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the package could not be stored",
    )
}
