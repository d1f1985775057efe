//! What every xAPI request carries: version, credential, parameters.

use std::collections::BTreeMap;

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::http::header;
use base64::Engine;
use lrs_core::auth::Credential;
use lrs_core::documents::Preconditions;
use xapi_model::XapiVersion;

use crate::error::{ApiError, ApiResult};
use crate::{App, VERSION_HEADER};

pub(crate) struct Context {
    pub version: XapiVersion,
    pub credential: Credential,
}

impl Context {
    pub async fn from_headers(app: &App, headers: &HeaderMap) -> ApiResult<Self> {
        // Authentication first: an anonymous caller learns nothing, not even version rules.
        let credential = authenticate(app, headers).await?;
        let version = version_of(headers)?;
        Ok(Self {
            version,
            credential,
        })
    }
}

/// The name of the cookie of an administrator's browser session (`/api` only).
pub(crate) const SESSION_COOKIE: &str = "lara_session";

/// Authenticates a call to the administration API: HTTP Basic, or the session cookie of an
/// administrator's browser. A call that changes something and comes from a browser page (it
/// carries `Origin`) must come from Lara's own origin, so that no other page, not even one on
/// the same site such as package content, can make the browser act for the administrator with
/// its session cookie or with Basic credentials it remembers. Cookie-authenticated changes must
/// carry `Origin`; scripts that send Basic credentials do not send one.
pub(crate) async fn authenticate_admin(
    app: &App,
    headers: &HeaderMap,
    method: &axum::http::Method,
) -> ApiResult<Credential> {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    let own = origin_of(&app.config.public_url);
    if !method.is_safe() && origin.is_some_and(|o| o != own) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "a change to Lara's administration must come from Lara's own pages",
        ));
    }
    if headers.contains_key(header::AUTHORIZATION) {
        return authenticate(app, headers).await;
    }
    let Some((key, secret)) = session_cookie(headers) else {
        return authenticate(app, headers).await;
    };
    let session = app.lrs.authenticate_session(&key, &secret).await?;
    if !method.is_safe() && origin != Some(own.as_str()) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "a change made with the session cookie must come from Lara's own pages",
        ));
    }
    Ok(session)
}

/// The session cookie's key and secret, if the request carries one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .and_then(|(_, value)| value.split_once('.'))
        .map(|(k, s)| (k.to_owned(), s.to_owned()))
}

/// `scheme://host[:port]` of a URL.
pub(crate) fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    )
}

pub(crate) fn version_of(headers: &HeaderMap) -> ApiResult<XapiVersion> {
    let raw = headers
        .get(VERSION_HEADER)
        .ok_or_else(|| ApiError::bad_request("X-Experience-API-Version", "header is required"))?;
    let s = raw
        .to_str()
        .map_err(|_| ApiError::bad_request("X-Experience-API-Version", "header is not text"))?;
    XapiVersion::from_header(s.trim()).ok_or_else(|| {
        ApiError::bad_request(
            "X-Experience-API-Version",
            format!("version {s:?} is not supported (1.0.x or 2.0.0)"),
        )
    })
}

pub(crate) async fn authenticate(app: &App, headers: &HeaderMap) -> ApiResult<Credential> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "authentication required (HTTP Basic)",
        ));
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return Err(ApiError::unauthorized("malformed Authorization header"));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::unauthorized(
            "only HTTP Basic authentication is supported",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .map_err(|_| ApiError::unauthorized("malformed Basic credentials"))?;
    let decoded = String::from_utf8(decoded)
        .map_err(|_| ApiError::unauthorized("malformed Basic credentials"))?;
    let (key, secret) = decoded
        .split_once(':')
        .ok_or_else(|| ApiError::unauthorized("malformed Basic credentials"))?;
    Ok(app.lrs.authenticate(key, secret).await?)
}

/// Query parameters; a parameter given twice is an error rather than a guess.
pub(crate) fn params(req: &Request) -> ApiResult<BTreeMap<String, String>> {
    parse_params(req.uri().query().unwrap_or_default())
}

pub(crate) fn parse_params(query: &str) -> ApiResult<BTreeMap<String, String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::bad_request("query", format!("cannot be decoded: {e}")))?;
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        if map.insert(k.clone(), v).is_some() {
            return Err(ApiError::bad_request(&k, "parameter given more than once"));
        }
    }
    Ok(map)
}

/// `If-Match` / `If-None-Match`, unquoted.
pub(crate) fn preconditions(headers: &HeaderMap) -> Preconditions {
    let tags = |name: header::HeaderName| {
        headers.get(name).and_then(|v| v.to_str().ok()).map(|s| {
            s.split(',')
                .map(|t| {
                    t.trim()
                        .trim_start_matches("W/")
                        .trim_matches('"')
                        .to_owned()
                })
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        })
    };
    let if_none = tags(header::IF_NONE_MATCH);
    let any = if_none.as_ref().is_some_and(|t| t.iter().any(|x| x == "*"));
    Preconditions {
        if_match: tags(header::IF_MATCH),
        if_none_match_any: any,
        if_none_match: if_none.filter(|_| !any),
    }
}

/// `Accept-Language` tags, best first.
pub(crate) fn languages(headers: &HeaderMap) -> Vec<String> {
    let Some(v) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Vec::new();
    };
    let mut tags: Vec<(f32, usize, String)> = v
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut it = part.split(';');
            let tag = it.next()?.trim().to_owned();
            if tag.is_empty() {
                return None;
            }
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            Some((q, i, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.into_iter()
        .filter(|t| t.0 > 0.0)
        .map(|t| t.2)
        .collect()
}

pub(crate) fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) async fn body_bytes(app: &App, req: Request) -> ApiResult<bytes::Bytes> {
    axum::body::to_bytes(req.into_body(), app.config.max_body_bytes)
        .await
        .map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "request body larger than {} bytes",
                    app.config.max_body_bytes
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_parameters_are_refused() {
        assert!(parse_params("a=1&a=2").is_err());
        assert_eq!(
            parse_params("a=1&b=x%20y").unwrap().get("b").unwrap(),
            "x y"
        );
    }

    #[test]
    fn languages_are_sorted_by_quality() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            "sv;q=0.5, en-US, fi;q=0.8".parse().unwrap(),
        );
        assert_eq!(languages(&h), vec!["en-US", "fi", "sv"]);
    }
}
