//! `multipart/mixed` bodies: statements followed by attachment parts.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use lrs_core::ingest::IncomingAttachment;
use lrs_core::store::AttachmentData;

use crate::HASH_HEADER;
use crate::error::{ApiError, ApiResult};

/// The boundary of a `multipart/mixed` content type, or `None` when the type is not multipart/mixed.
pub(crate) fn mixed_boundary(content_type: &str) -> ApiResult<Option<String>> {
    let Ok(m) = content_type.parse::<mime::Mime>() else {
        return Ok(None);
    };
    if m.type_() != mime::MULTIPART || m.subtype() != "mixed" {
        return Ok(None);
    }
    m.get_param(mime::BOUNDARY)
        .map(|b| Some(b.as_str().to_owned()))
        .ok_or_else(|| ApiError::bad_request("Content-Type", "multipart/mixed without a boundary"))
}

/// Splits a multipart/mixed request into the statement JSON and the attachment parts.
pub(crate) async fn parse(
    body: Bytes,
    boundary: String,
) -> ApiResult<(Bytes, Vec<IncomingAttachment>)> {
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut mp = multer::Multipart::new(stream, boundary);
    let bad = |m: String| ApiError::bad_request("multipart", m);

    let first = mp
        .next_field()
        .await
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| bad("the body has no parts".into()))?;
    let ct = first
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !lrs_core::documents::is_json(ct) {
        return Err(bad(
            "the first part must be the statements, with Content-Type application/json".into(),
        ));
    }
    let statements = first.bytes().await.map_err(|e| bad(e.to_string()))?;

    let mut parts = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(|e| bad(e.to_string()))? {
        let n = parts.len() + 2;
        let headers = field.headers().clone();
        let hash = headers
            .get(HASH_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| bad(format!("part {n} has no X-Experience-API-Hash header")))?
            .to_owned();
        if let Some(enc) = headers
            .get("content-transfer-encoding")
            .and_then(|v| v.to_str().ok())
            && !enc.trim().eq_ignore_ascii_case("binary")
        {
            return Err(bad(format!(
                "part {n} must use Content-Transfer-Encoding: binary"
            )));
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let data = field.bytes().await.map_err(|e| bad(e.to_string()))?;
        parts.push(IncomingAttachment {
            content_type,
            declared_sha2: hash,
            data: data.to_vec(),
        });
    }
    Ok((statements, parts))
}

/// A `multipart/mixed` response: the JSON document, then one part per attachment.
pub(crate) fn response(json: String, attachments: &[AttachmentData]) -> ApiResult<Response> {
    let boundary = format!("lara-{}", uuid::Uuid::new_v4().simple());
    let mut body: Vec<u8> = Vec::with_capacity(
        json.len()
            + attachments
                .iter()
                .map(|a| a.data.len() + 200)
                .sum::<usize>(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(json.as_bytes());
    for a in attachments {
        body.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: {}\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {}\r\n\r\n",
                a.content_type, a.sha2
            )
            .as_bytes(),
        );
        body.extend_from_slice(&a.data);
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::OK;
    let ct = HeaderValue::from_str(&format!("multipart/mixed; boundary={boundary}"))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    Ok(resp)
}
