//! The xAPI 1.0.3 alternate request syntax (for clients that can only send GET and POST and
//! cannot set headers, e.g. across origins in old browsers): `POST <resource>?method=PUT` with
//! an `application/x-www-form-urlencoded` body carrying the headers, the parameters and the
//! `content`. 2.0.0 dropped it, so a 2.0.0 request in this form is refused.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, Uri};
use xapi_model::XapiVersion;

use crate::error::{ApiError, ApiResult};
use crate::{App, VERSION_HEADER, request};

const HEADER_FIELDS: [&str; 6] = [
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
];

pub(crate) async fn rewrite(app: &App, req: Request) -> ApiResult<Request> {
    let query = request::params(&req)?;
    let Some(method) = query.get("method").cloned() else {
        return Ok(req);
    };
    if req.method() != Method::POST {
        return Err(ApiError::bad_request(
            "method",
            "the alternate request syntax must be sent with POST",
        ));
    }
    if let Some(k) = query.keys().find(|k| *k != "method") {
        return Err(ApiError::bad_request(
            k,
            "with the alternate request syntax parameters go in the form body",
        ));
    }
    let target_method = match method.to_ascii_uppercase().as_str() {
        "GET" => Method::GET,
        "HEAD" => Method::HEAD,
        "PUT" => Method::PUT,
        "POST" => Method::POST,
        "DELETE" => Method::DELETE,
        _ => {
            return Err(ApiError::bad_request(
                "method",
                format!("{method} is not an xAPI method"),
            ));
        }
    };
    let ct = request::content_type(req.headers()).unwrap_or_default();
    if !ct.split(';').next().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    }) {
        return Err(ApiError::bad_request(
            "Content-Type",
            "the alternate request syntax needs an application/x-www-form-urlencoded body",
        ));
    }
    let (parts, body) = req.into_parts();
    let bytes = request::body_bytes(app, Request::from_parts(parts.clone(), body)).await?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| ApiError::bad_request("form", format!("cannot be decoded: {e}")))?;

    let mut headers = parts.headers.clone();
    headers.remove(axum::http::header::CONTENT_TYPE);
    headers.remove(axum::http::header::CONTENT_LENGTH);
    let mut content = String::new();
    let mut params: Vec<(String, String)> = Vec::new();
    for (name, value) in fields {
        let lower = name.to_ascii_lowercase();
        if lower == "content" {
            content = value;
        } else if HEADER_FIELDS.contains(&lower.as_str()) {
            if lower == "content-length" {
                continue;
            }
            let hn = HeaderName::from_bytes(lower.as_bytes())
                .map_err(|_| ApiError::bad_request(&name, "is not a header name"))?;
            let hv = HeaderValue::from_str(&value)
                .map_err(|_| ApiError::bad_request(&name, "is not a header value"))?;
            headers.insert(hn, hv);
        } else {
            params.push((name, value));
        }
    }
    if let Some(v) = headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok())
        && XapiVersion::from_header(v.trim()) == Some(XapiVersion::V2_0_0)
    {
        return Err(ApiError::bad_request(
            "method",
            "xAPI 2.0.0 has no alternate request syntax",
        ));
    }
    let qs = serde_urlencoded::to_string(&params)
        .map_err(|e| ApiError::bad_request("form", e.to_string()))?;
    let path = parts.uri.path();
    let uri: Uri = if qs.is_empty() {
        path.parse()
    } else {
        format!("{path}?{qs}").parse()
    }
    .map_err(|_| ApiError::bad_request("form", "parameters do not form a valid URI"))?;
    let mut new = Request::new(Body::from(content));
    *new.method_mut() = target_method;
    *new.uri_mut() = uri;
    *new.headers_mut() = headers;
    Ok(new)
}
