//! The content origin: files of imported packages, served on a listener of their own.
//!
//! Package content is untrusted script. It is served from a different origin than Lara's
//! application and APIs (`lara serve --content-listen`, and in production a different host
//! name, since browsers share cookies between ports of one host), so that nothing it runs can
//! read the application's pages or reach its APIs with a user's cookies. This router serves
//! only `GET`/`HEAD /content/{versionId}/{path}`: no `/xapi`, no `/api`.
//!
//! Files are streamed chunk by chunk from the database. The ETag is the file's SHA-256 (a
//! version's files never change), single byte ranges are answered with 206 so that video
//! seeks work, and every response carries a Content-Security-Policy that keeps the content on
//! its own origin.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use futures::stream::{self, StreamExt};
use player_core::{PackageStore, VersionFile};

/// The policy of every content response. Authoring tools emit inline scripts and styles and
/// some use `eval`, so those are allowed. Published content also loads libraries, fonts,
/// images, videos and players from the web (jQuery or MathJax from a CDN, web fonts, embedded
/// video), so those may come from any `https:` source. Data only goes back to the content
/// origin (`connect-src 'self'`: the launch's own endpoints), forms post nowhere else, and only
/// the content origin may frame it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self' data: blob:; \
     script-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob: https:; \
     style-src 'self' 'unsafe-inline' data: https:; \
     font-src 'self' data: https:; img-src 'self' data: blob: https:; \
     media-src 'self' data: blob: https:; frame-src 'self' https:; \
     connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'self'";

#[derive(Clone)]
struct ContentState {
    packages: Arc<dyn PackageStore>,
}

/// The router of the content origin: package files, and the player page of a launch with its
/// state endpoint.
pub fn content_router(
    lrs: lrs_core::Lrs,
    packages: Arc<dyn PackageStore>,
    launches: Arc<dyn player_core::LaunchStore>,
    launcher: Arc<player_core::au_launch::AuLauncher>,
    config: crate::HttpConfig,
) -> Router {
    let player = Router::new()
        .route("/launch/{token}/", axum::routing::get(crate::player::page))
        .route(
            "/launch/{token}/state/{item}",
            axum::routing::put(crate::player::save_state),
        )
        .route(
            "/launch/{token}/events/{item}",
            axum::routing::post(crate::player::sco_event),
        )
        .route(
            "/launch/{token}/navigate",
            axum::routing::post(crate::player::navigate),
        )
        .route(
            "/launch/{token}/objectives/{item}",
            axum::routing::get(crate::player::objectives),
        )
        .route(
            "/launch/{token}/units/{index}",
            axum::routing::post(crate::player::start_unit),
        )
        .route(
            "/cmi5/fetch/{secret}",
            axum::routing::post(crate::player::fetch),
        )
        .with_state(crate::player::LaunchState {
            lrs: lrs.clone(),
            packages: packages.clone(),
            launches: launches.clone(),
            launcher: launcher.clone(),
            config: Arc::new(config.clone()),
            locks: launcher.locks.clone(),
        });
    // The xAPI endpoint of launched content: same origin as the content (so its CSP and no
    // CORS suffice), and only launch credentials, each bound to its learner, are accepted.
    let xapi = Router::new()
        .route("/xapi", axum::routing::any(crate::dispatch))
        .route("/xapi/", axum::routing::any(crate::dispatch))
        .route("/xapi/{*rest}", axum::routing::any(crate::dispatch))
        .with_state(crate::App {
            lrs,
            packages: packages.clone(),
            launches,
            launcher,
            config: Arc::new(crate::HttpConfig {
                launch_credentials_only: true,
                ..config
            }),
            plugins: None,
            directory: None,
        });
    Router::new()
        .route("/content/{version}/{*path}", axum::routing::get(serve))
        .with_state(ContentState { packages })
        .merge(player)
        .merge(xapi)
        .fallback(not_found)
}

async fn not_found() -> Response {
    status(StatusCode::NOT_FOUND)
}

fn status(code: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = code;
    secure(r.headers_mut());
    r
}

fn secure(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

async fn serve(
    State(state): State<ContentState>,
    method: Method,
    Path((version, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Ok(version_id) = uuid::Uuid::parse_str(&version) else {
        return status(StatusCode::NOT_FOUND);
    };
    // Paths are looked up exactly as stored; a stored path never has `..` (the archive check
    // refused those), so no traversal can match.
    let file = match state.packages.version_file(version_id, &path).await {
        Ok(Some(f)) => f,
        Ok(None) => return status(StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::error!(error = %e, "reading package content");
            return status(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let etag = format!("\"{}\"", file.sha256);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        let mut r = status(StatusCode::NOT_MODIFIED);
        if let Ok(v) = HeaderValue::from_str(&etag) {
            r.headers_mut().insert(header::ETAG, v);
        }
        return r;
    }
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(spec) => match parse_range(spec, file.size) {
            Some(r) => Some(r),
            None => {
                let mut r = status(StatusCode::RANGE_NOT_SATISFIABLE);
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", file.size)) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return r;
            }
        },
    };
    let chunks = match state.packages.file_chunks(&file.sha256).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            tracing::error!(sha256 = %file.sha256, "a version names a file that is not stored");
            return status(StatusCode::INTERNAL_SERVER_ERROR);
        }
        Err(e) => {
            tracing::error!(error = %e, "reading package content");
            return status(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let (start, end) = range.unwrap_or((0, file.size.saturating_sub(1)));
    let length = if file.size == 0 { 0 } else { end - start + 1 };
    let body = if method == Method::HEAD || length == 0 {
        Body::empty()
    } else {
        Body::from_stream(chunk_stream(state.packages.clone(), chunks, start, end))
    };
    let mut r = Response::new(body);
    if range.is_some() {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{}", file.size)) {
            r.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    let h = r.headers_mut();
    secure(h);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    if let Ok(v) = HeaderValue::from_str(content_type(&file)) {
        h.insert(header::CONTENT_TYPE, v);
    }
    r
}

/// The bytes `start..=end` of a file, read chunk by chunk.
fn chunk_stream(
    store: Arc<dyn PackageStore>,
    chunks: Vec<String>,
    start: u64,
    end: u64,
) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    let chunk = player_core::CHUNK_BYTES as u64;
    let first = usize::try_from(start / chunk).unwrap_or(usize::MAX);
    let last = usize::try_from(end / chunk).unwrap_or(usize::MAX);
    let wanted: Vec<(u64, String)> = chunks
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i >= first && *i <= last)
        .map(|(i, h)| (i as u64 * chunk, h))
        .collect();
    stream::iter(wanted).then(move |(offset, hash)| {
        let store = store.clone();
        async move {
            let data = store
                .read_chunk(&hash)
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?
                .ok_or_else(|| std::io::Error::other(format!("chunk {hash} is missing")))?;
            let from = usize::try_from(start.saturating_sub(offset)).unwrap_or(0);
            let to = usize::try_from((end + 1).saturating_sub(offset))
                .unwrap_or(usize::MAX)
                .min(data.len());
            Ok(bytes::Bytes::from(data).slice(from.min(to)..to))
        }
    })
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `size`, as inclusive bounds.
/// Several ranges are not supported (the whole file is then the answer's better part: None
/// would say unsatisfiable, so they are read as their first range).
fn parse_range(spec: &str, size: u64) -> Option<(u64, u64)> {
    let first = spec.strip_prefix("bytes=")?.split(',').next()?.trim();
    let (a, b) = first.split_once('-')?;
    if size == 0 {
        return None;
    }
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return None;
        }
        (size.saturating_sub(n), size - 1)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            size - 1
        } else {
            b.parse::<u64>().ok()?.min(size - 1)
        };
        (start, end)
    };
    (start <= end && start < size).then_some((start, end))
}

/// The media type of a package file, from its extension.
fn content_type(file: &VersionFile) -> &'static str {
    let ext = file
        .path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "xml" | "xsd" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogg" | "ogv" => "video/ogg",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "wav" => "audio/wav",
        "vtt" => "text/vtt; charset=utf-8",
        "pdf" => "application/pdf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "swf" => "application/x-shockwave-flash",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some((0, 99)));
        assert_eq!(parse_range("bytes=900-", 1000), Some((900, 999)));
        assert_eq!(parse_range("bytes=-100", 1000), Some((900, 999)));
        assert_eq!(parse_range("bytes=990-2000", 1000), Some((990, 999)));
        assert_eq!(parse_range("bytes=0-0,5-9", 1000), Some((0, 0)));
        assert_eq!(parse_range("bytes=1000-", 1000), None);
        assert_eq!(parse_range("bytes=5-4", 1000), None);
        assert_eq!(parse_range("bytes=-0", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
        assert_eq!(parse_range("bytes=0-1", 0), None);
    }
}
