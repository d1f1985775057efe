//! The xAPI HTTP interface: the only crate that knows axum and status codes.
//!
//! Layout:
//! - [`router`] builds the axum `Router`: `/xapi/*` resources plus CORS and tracing layers.
//! - `dispatch`: one entry for every `/xapi` request. It first undoes the 1.0.3 alternate
//!   request syntax (`POST ?method=PUT` with form fields), then checks the version header and
//!   the credential, then calls the resource module. Doing this by hand rather than with
//!   axum's method routing keeps the rewritten request on the same path as a plain one.
//! - `request`: version, authentication, query parameters, preconditions, languages.
//! - `statements`, `documents`, `resources` (activities, agents, about): the resources.
//! - `multipart`: `multipart/mixed` bodies with attachments, in and out.
//! - `admin`: `/api/credentials`, credential management for the `admin` scope.
//! - `packages`: `/api/packages`, importing and listing content packages (`admin` scope).
//! - `directory`: `/api/people`, the directory of people plugins read (`admin` scope).
//! - [`plugins`]: `/plugins/<name>/…` routes and `/api/plugins` administration, through the
//!   [`plugins::PluginGateway`] the server supplies.
//! - [`content`]: the content origin's router (package files, on a listener of their own).
//! - [`error::ApiError`]: domain error → status code + JSON body naming the offending path.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod admin;
mod alternate;
pub mod content;
mod directory;
mod documents;
pub mod error;
mod multipart;
mod packages;
mod player;
pub mod plugins;
mod request;
mod resources;
mod statements;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lrs_core::Lrs;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

pub use crate::content::content_router;
use crate::error::ApiError;

/// Limits and settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body accepted (statements with attachments included).
    pub max_body_bytes: usize,
    /// The version named in the `X-Experience-API-Version` response header when the request
    /// did not say which version it speaks (such requests are refused, except for `/about`).
    /// The 1.0.3 and 2.0.0 conformance suites each expect their own version here.
    pub default_version: xapi_model::XapiVersion,
    /// Largest package upload accepted by `POST /api/packages`.
    pub max_package_bytes: u64,
    /// The content origin as browsers reach it (launch URLs point there), e.g.
    /// `https://content.lara.example`.
    pub content_base_url: String,
    /// Lara's own origin as browsers reach it (content gets its xAPI endpoint from it), e.g.
    /// `https://lara.example`.
    pub public_url: String,
    /// The base of the activity IRIs minted for SCORM packages (which have none of their own):
    /// `<base>/scorm/<package id>/<item>`. Empty: the public URL. Changing it changes the IRIs
    /// of statements recorded afterwards.
    pub activity_iri_base: String,
    /// Accept only launch credentials on `/xapi` (the content origin's xAPI endpoint, which
    /// launched content uses; everyone else uses Lara's own).
    pub launch_credentials_only: bool,
}

impl HttpConfig {
    /// The base of minted activity IRIs (see [`HttpConfig::activity_iri_base`]).
    pub fn activity_base(&self) -> &str {
        if self.activity_iri_base.is_empty() {
            &self.public_url
        } else {
            &self.activity_iri_base
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024 * 1024,
            default_version: xapi_model::XapiVersion::V2_0_0,
            max_package_bytes: 4 << 30,
            content_base_url: "http://localhost:8081".into(),
            public_url: "http://127.0.0.1:8080".into(),
            activity_iri_base: String::new(),
            launch_credentials_only: false,
        }
    }
}

#[derive(Clone)]
pub(crate) struct App {
    pub lrs: Lrs,
    pub packages: Arc<dyn player_core::PackageStore>,
    pub launches: Arc<dyn player_core::LaunchStore>,
    pub launcher: Arc<player_core::au_launch::AuLauncher>,
    pub config: Arc<HttpConfig>,
    /// The plugin runtime, when this server runs plugins.
    pub plugins: Option<Arc<dyn plugins::PluginGateway>>,
    /// The directory of people (Lara's own origin only).
    pub directory: Option<Arc<dyn lrs_core::directory::DirectoryStore>>,
}

pub(crate) const VERSION_HEADER: &str = "x-experience-api-version";
pub(crate) const CONSISTENT_THROUGH: &str = "x-experience-api-consistent-through";
pub(crate) const HASH_HEADER: &str = "x-experience-api-hash";

/// The router serving `/xapi/...`, the administration API under `/api/` and plugin routes
/// under `/plugins/` (when a plugin runtime is given).
pub fn router(
    lrs: Lrs,
    packages: Arc<dyn player_core::PackageStore>,
    launches: Arc<dyn player_core::LaunchStore>,
    launcher: Arc<player_core::au_launch::AuLauncher>,
    directory: Arc<dyn lrs_core::directory::DirectoryStore>,
    plugins: Option<Arc<dyn plugins::PluginGateway>>,
    config: HttpConfig,
) -> Router {
    let app = App {
        lrs,
        packages,
        launches,
        launcher,
        config: Arc::new(config),
        plugins,
        directory: Some(directory),
    };
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::POST,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::ACCEPT_LANGUAGE,
            HeaderName::from_static(VERSION_HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            HeaderName::from_static(VERSION_HEADER),
            HeaderName::from_static(CONSISTENT_THROUGH),
        ]);
    // CORS only for the xAPI resources, which browser-based xAPI clients call from other
    // origins. The administration API answers no cross-origin request, so no other site's
    // page can drive it with an administrator's browser.
    let xapi = Router::new()
        .route("/xapi", axum::routing::any(dispatch))
        .route("/xapi/", axum::routing::any(dispatch))
        .route("/xapi/{*rest}", axum::routing::any(dispatch))
        .layer(cors);
    Router::new()
        .merge(xapi)
        .route("/api/{*rest}", axum::routing::any(dispatch_admin))
        .route("/plugins/{*rest}", axum::routing::any(plugins::dispatch))
        .with_state(app)
        .layer(TraceLayer::new_for_http())
}

pub(crate) async fn dispatch(State(app): State<App>, req: Request) -> Response {
    let resp = match route(&app, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    with_version_header(resp, app.config.default_version)
}

async fn dispatch_admin(State(app): State<App>, req: Request) -> Response {
    match admin::handle(&app, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn with_version_header(mut resp: Response, default: xapi_model::XapiVersion) -> Response {
    let headers = resp.headers_mut();
    if !headers.contains_key(VERSION_HEADER) {
        headers.insert(VERSION_HEADER, HeaderValue::from_static(default.as_str()));
    }
    resp
}

async fn route(app: &App, req: Request) -> Result<Response, ApiError> {
    let req = alternate::rewrite(app, req).await?;
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let resource = path.strip_prefix("/xapi").unwrap_or_default();
    if resource == "/about" {
        return match *req.method() {
            Method::GET | Method::HEAD => Ok(resources::about()),
            _ => Err(method_not_allowed()),
        };
    }
    let headers = req.headers().clone();
    let ctx = request::Context::from_headers(app, &headers).await?;
    if app.config.launch_credentials_only && ctx.credential.binding.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this xAPI endpoint serves launched content only; use Lara's own /xapi",
        ));
    }
    let mut resp = match resource {
        "/statements" => {
            // Clients poll with this header to know whether a statement they just wrote can be
            // missing from a read, so every statement response carries it, errors included.
            let consistent_through = chrono::Utc::now();
            let mut resp = statements::handle(app, &ctx, req)
                .await
                .unwrap_or_else(IntoResponse::into_response);
            if !resp.headers().contains_key(CONSISTENT_THROUGH)
                && let Ok(v) =
                    HeaderValue::from_str(&xapi_model::time::format_timestamp(consistent_through))
            {
                resp.headers_mut().insert(CONSISTENT_THROUGH, v);
            }
            resp
        }
        "/activities/state" => {
            documents::handle(app, &ctx, documents::Resource::State, req).await?
        }
        "/activities/profile" => {
            documents::handle(app, &ctx, documents::Resource::ActivityProfile, req).await?
        }
        "/agents/profile" => {
            documents::handle(app, &ctx, documents::Resource::AgentProfile, req).await?
        }
        "/activities" => resources::activities(app, &ctx, req).await?,
        "/agents" => resources::agents(app, &ctx, req).await?,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no xAPI resource at {path}"),
            ));
        }
    };
    if let Ok(v) = HeaderValue::from_str(ctx.version.as_str()) {
        resp.headers_mut().insert(VERSION_HEADER, v);
    }
    Ok(resp)
}

pub(crate) fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this resource",
    )
}

pub(crate) fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}
