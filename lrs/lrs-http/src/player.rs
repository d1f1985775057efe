//! Launching: `POST /api/registrations` on Lara's origin, and the player page with its state
//! endpoint on the content origin (`/launch/{token}`, `/launch/{token}/state/{item}`).
//!
//! The launch token in the URL is the only thing that crosses from Lara's origin to the
//! content origin. It opens one registration: the page and the state endpoint find the
//! registration, its pinned package version and its items from the token, and nothing else
//! is reachable with it.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use lara_package::Manifest;
use lara_package::scorm::{Item, ScormManifest, ScormVersion};
use player_core::scorm_xapi::{self, CourseIris, RuntimeEvent, ScoContext};
use player_core::{LaunchError, LaunchStore, PackageStore, Registration};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::content::CONTENT_SECURITY_POLICY;
use crate::error::{ApiError, ApiResult};
use crate::statements::json_response;

const PAGE: &str = include_str!("../../../player/runtime/player.html");
const PLAYER_JS: &str = include_str!("../../../player/runtime/player.js");
const SCORM12_JS: &str = include_str!("../../../player/runtime/scorm12.js");
const SCORM2004_JS: &str = include_str!("../../../player/runtime/scorm2004.js");
const AU_PLAYER_JS: &str = include_str!("../../../player/runtime/au-player.js");

/// Largest run-time state accepted for one item (the data model with 64,000 characters of
/// suspend data and many interactions fits well within it).
const MAX_STATE_BYTES: usize = 4 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StartLaunch {
    actor: Value,
    package_id: uuid::Uuid,
    registration: Option<uuid::Uuid>,
}

/// `POST /api/registrations`.
pub(crate) async fn start(app: &App, body: &[u8]) -> ApiResult<Response> {
    let input: StartLaunch = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("body", format!("is not a launch request: {e}")))?;
    let launch = player_core::start_launch(
        app.packages.as_ref(),
        app.launches.as_ref(),
        &input.actor,
        input.package_id,
        input.registration,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| match e {
        LaunchError::UnknownPackage(_) => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
        LaunchError::ActorWithoutIdentifier => ApiError::bad_request("actor", e.to_string()),
        LaunchError::RegistrationMismatch(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        LaunchError::Store(s) => ApiError::from(lrs_core::LrsError::from(s)),
    })?;
    let body = json!({
        "registration": launch.registration.id,
        "packageId": launch.registration.package_id,
        "versionId": launch.registration.version_id,
        "launchUrl": format!(
            "{}/launch/{}/",
            app.config.content_base_url.trim_end_matches('/'),
            launch.token
        ),
        "expires": xapi_model::time::format_timestamp(launch.expires),
    });
    if launch.created {
        // cmi5 evaluates moveOn when a registration is made: AUs that need nothing
        // (NotApplicable) may satisfy blocks and the course at once.
        app.launcher
            .evaluate(
                &launch.registration,
                uuid::Uuid::new_v4(),
                chrono::Utc::now(),
            )
            .await
            .map_err(au_error)?;
    }
    let mut resp = json_response(body.to_string());
    *resp.status_mut() = if launch.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(resp)
}

fn au_error(e: player_core::au_launch::AuError) -> ApiError {
    use player_core::au_launch::AuError;
    match e {
        AuError::AlreadyWaived(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        AuError::UnknownAu(_) | AuError::NotCmi5 => ApiError::bad_request("au", e.to_string()),
        AuError::UnknownUnit(_) => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
        AuError::ActorWithoutAccount => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        AuError::Lrs(l) => ApiError::from(l),
        AuError::Store(s) => ApiError::from(lrs_core::LrsError::from(s)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Waive {
    /// The AU's id in the course structure.
    au: String,
    reason: String,
}

/// `POST /api/registrations/{id}/waive`: marks a cmi5 AU as met by other means (cmi5 9.3.7),
/// which may satisfy its block and the course.
pub(crate) async fn waive(app: &App, registration: uuid::Uuid, body: &[u8]) -> ApiResult<Response> {
    let input: Waive = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("body", format!("is not a waiver: {e}")))?;
    if input.reason.trim().is_empty() {
        return Err(ApiError::bad_request("reason", "must not be empty"));
    }
    let registration = app
        .launches
        .get_registration(registration)
        .await
        .map_err(|e| ApiError::from(lrs_core::LrsError::from(e)))?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such registration"))?;
    app.launcher
        .waive(
            &registration,
            &input.au,
            input.reason.trim(),
            chrono::Utc::now(),
        )
        .await
        .map_err(au_error)?;
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    Ok(r)
}

/// The content origin's launch state.
#[derive(Clone)]
pub(crate) struct LaunchState {
    pub lrs: lrs_core::Lrs,
    pub packages: Arc<dyn PackageStore>,
    pub launches: Arc<dyn LaunchStore>,
    pub launcher: Arc<player_core::au_launch::AuLauncher>,
    pub config: Arc<crate::HttpConfig>,
    pub locks: Arc<player_core::sco_session::SessionLocks>,
}

fn plain(status: StatusCode, message: &str) -> Response {
    let mut r = Response::new(Body::from(message.to_owned()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The registration and parsed manifest a token opens, or the response to give instead.
async fn opened(state: &LaunchState, token: &str) -> Result<(Registration, Manifest), Response> {
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "opening a launch");
        plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the launch could not be opened",
        )
    };
    let hash = player_core::launch::token_hash(token);
    let registration = match state.launches.launch(&hash, chrono::Utc::now()).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Err(plain(
                StatusCode::NOT_FOUND,
                "this launch link is unknown or has expired",
            ));
        }
        Err(e) => return Err(internal(&e)),
    };
    let version = match state.packages.get_version(registration.version_id).await {
        Ok(Some(v)) => v,
        Ok(None) => return Err(internal(&"the registration's version is gone")),
        Err(e) => return Err(internal(&e)),
    };
    let manifest: Manifest = serde_json::from_str(&version.manifest).map_err(|e| internal(&e))?;
    Ok((registration, manifest))
}

/// The state key of a shared data bucket.
fn shared_key(target: &str) -> String {
    player_core::sco_sequencing::shared_data_key(target)
}

/// Every shared data bucket the delivered SCOs map.
fn shared_targets(m: &ScormManifest) -> Vec<String> {
    let mut out: Vec<String> = scos(m)
        .iter()
        .flat_map(|i| i.data_maps.iter().map(|d| d.target_id.clone()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The launchable leaves of the delivered organization, in order.
fn scos(m: &ScormManifest) -> Vec<&Item> {
    fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
        for i in items {
            if i.resource.is_some() && i.children.is_empty() {
                out.push(i);
            }
            walk(&i.children, out);
        }
    }
    let mut out = Vec::new();
    if let Some(org) = m.organization() {
        walk(&org.items, &mut out);
    }
    out
}

/// `GET /launch/{token}/`: the player page.
pub(crate) async fn page(State(state): State<LaunchState>, Path(token): Path<String>) -> Response {
    let (registration, manifest) = match opened(&state, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Manifest::Scorm(m) = &manifest else {
        return unit_page(&registration, &manifest);
    };
    // SCORM 2004: what sequencing allows now (the page starts with start or resume all), and
    // each SCO's cmi.objectives for a new attempt (what the global objectives it reads know).
    type LaunchObjectives = std::collections::BTreeMap<String, (Vec<Value>, bool)>;
    let (sequencing, launch_objectives): (Value, LaunchObjectives) =
        if matches!(m.version, ScormVersion::Scorm2004 { .. }) {
            let answer = sequenced(&state, &registration, m, async |s| {
                // A course whose attempt ended opens for a new one: what lived for that
                // attempt (its objectives and shared data) is gone before the page reads it.
                s.end_of_course_attempt().await?;
                Ok((s.view()?, s.all_launch_objectives()?))
            })
            .await;
            match answer {
                Ok((v, o)) => (serde_json::to_value(v).unwrap_or(Value::Null), o),
                Err(e) => {
                    tracing::error!(error = %e, "loading the sequencing state");
                    return plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the launch could not be opened",
                    );
                }
            }
        } else {
            (Value::Null, LaunchObjectives::new())
        };
    let actor: Value = serde_json::from_str(&registration.actor).unwrap_or(Value::Null);
    let mut items = Vec::new();
    for item in scos(m) {
        let Some(resource) = item.resource.as_deref().and_then(|r| m.resource(r)) else {
            continue;
        };
        let Some(href) = resource.href.as_deref() else {
            continue;
        };
        let mut url = if href.contains("://") {
            href.to_owned()
        } else {
            format!("/content/{}/{}", registration.version_id, href)
        };
        if let Some(p) = &item.parameters {
            let p = p.trim_start_matches(['?', '&']);
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(p);
        }
        let saved = match player_core::sco_session::sco_record(
            state.launches.as_ref(),
            registration.id,
            &item.identifier,
        )
        .await
        {
            Ok(record) => record.and_then(|r| r.state),
            Err(e) => {
                tracing::error!(error = %e, "loading run-time state");
                return plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the launch could not be opened",
                );
            }
        };
        let scorm2004 = matches!(m.version, ScormVersion::Scorm2004 { .. });
        let (objectives, reads) = launch_objectives
            .get(&item.identifier)
            .cloned()
            .unwrap_or_default();
        items.push(json!({
            "id": item.identifier,
            "scaledPassingScore": scaled_passing_score(item).filter(|_| scorm2004),
            "readsGlobals": reads,
            "objectives": objectives,
            "title": item.title,
            "url": url,
            "state": saved,
            "launchData": item.data_from_lms,
            "masteryScore": item.mastery_score,
            "maxTimeAllowed": item.max_time_allowed,
            "timeLimitAction": item.time_limit_action,
            // cmi.completion_threshold exists only when completion is decided by measure.
            "completionThreshold": item
                .completion_threshold
                .filter(|c| c.completed_by_measure)
                .map(|c| c.min_progress_measure),
            // adlnav:hideLMSUI, as the player's control names.
            "hide": item.hide_lms_ui.iter().filter_map(|h| match h.as_str() {
                "previous" => Some("previous"),
                "continue" => Some("continue"),
                "exit" | "exitAll" | "abandon" | "abandonAll" => Some("exit"),
                "suspendAll" => Some("suspend"),
                _ => None,
            }).collect::<Vec<_>>(),
            "dataMaps": item.data_maps.iter().map(|d| json!({
                "id": d.target_id, "read": d.read_shared_data, "write": d.write_shared_data,
            })).collect::<Vec<_>>(),
        }));
    }
    // Shared data (SCORM 2004 adl.data) of this registration, by target id.
    let mut shared = serde_json::Map::new();
    for target in shared_targets(m) {
        match state
            .launches
            .load_state(registration.id, &shared_key(&target))
            .await
        {
            Ok(Some(s)) => {
                // A bucket cleared for a new attempt on the course has no store: not
                // initialized, as one never written.
                let store = serde_json::from_str::<Value>(&s)
                    .ok()
                    .and_then(|v| v.get("store").cloned())
                    .unwrap_or(Value::Null);
                shared.insert(target, store);
            }
            // Never written: the content gets "not initialized" (403) when it reads it.
            Ok(None) => {
                shared.insert(target, Value::Null);
            }
            Err(e) => {
                tracing::error!(error = %e, "loading shared data");
                return plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the launch could not be opened",
                );
            }
        }
    }
    let scorm_version = match m.version {
        ScormVersion::Scorm12 => "1.2",
        ScormVersion::Scorm2004 { .. } => "2004",
    };
    let config = json!({
        "title": m.title,
        "scormVersion": scorm_version,
        "sequencing": sequencing,
        "registration": registration.id,
        "learner": {
            "id": registration.actor_key,
            "name": actor.get("name").and_then(Value::as_str).unwrap_or_default(),
        },
        "items": items,
        "sharedData": shared,
    });
    let runtime = if scorm_version == "1.2" {
        SCORM12_JS
    } else {
        SCORM2004_JS
    };
    player_html(&config, runtime, PLAYER_JS)
}

/// The player page for cmi5 and xAPI packages: their units, each launched on demand.
fn unit_page(registration: &Registration, manifest: &Manifest) -> Response {
    let (kind, title) = match manifest {
        Manifest::Cmi5(c) => ("cmi5", c.title.values().next().cloned()),
        Manifest::Xapi(t) => (
            "xapi",
            t.launchable().and_then(|a| a.name.values().next().cloned()),
        ),
        Manifest::Scorm(m) => ("scorm", Some(m.title.clone())),
    };
    let units: Vec<Value> = player_core::au_launch::units(manifest)
        .iter()
        .enumerate()
        .map(
            |(index, u)| json!({ "index": index, "title": u.title(), "ownWindow": u.own_window() }),
        )
        .collect();
    let config = json!({
        "kind": kind,
        "title": title.unwrap_or_default(),
        "registration": registration.id,
        "units": units,
    });
    player_html(&config, "", AU_PLAYER_JS)
}

fn player_html(config: &Value, runtime: &str, player: &str) -> Response {
    // Inside <script>, "<" is written as an escape so no value can close the element.
    let config = config.to_string().replace('<', "\\u003c");
    let html = PAGE
        .replace("/*LARA_CONFIG*/", &config)
        .replace("/*LARA_RUNTIME*/", runtime)
        .replace("/*LARA_PLAYER*/", player);
    let mut r = Response::new(Body::from(html));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// `PUT /launch/{token}/state/adl.data:{target}`: saves a SCORM 2004 shared data bucket.
pub(crate) async fn save_state(
    State(state): State<LaunchState>,
    Path((token, item)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let (registration, manifest) = match opened(&state, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Manifest::Scorm(m) = &manifest else {
        return plain(StatusCode::NOT_FOUND, "no such item");
    };
    // A shared data bucket that one of the SCOs may write.
    let known = scos(m).iter().any(|i| {
        i.data_maps
            .iter()
            .any(|d| d.write_shared_data && shared_key(&d.target_id) == item)
    });
    if !known {
        return plain(StatusCode::NOT_FOUND, "no such item in this package");
    }
    if body.len() > MAX_STATE_BYTES {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the run-time state is too large",
        );
    }
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return plain(StatusCode::BAD_REQUEST, "the run-time state is not JSON");
    };
    if !value.is_object() {
        return plain(
            StatusCode::BAD_REQUEST,
            "the run-time state is not a JSON object",
        );
    }
    match state
        .launches
        .save_state(
            registration.id,
            &item,
            value.to_string(),
            chrono::Utc::now(),
        )
        .await
    {
        Ok(()) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "saving run-time state");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the state could not be saved",
            )
        }
    }
}

/// What a SCO's statements need from its manifest and registration.
fn sco_context(
    config: &crate::HttpConfig,
    registration: &Registration,
    m: &ScormManifest,
    item: &Item,
) -> ScoContext {
    let scorm12 = matches!(m.version, ScormVersion::Scorm12);
    let mut profile = serde_json::Map::new();
    if let Some(c) = item.completion_threshold.filter(|c| c.completed_by_measure) {
        profile.insert("completion_threshold".into(), json!(c.min_progress_measure));
    }
    if let Some(d) = item.data_from_lms.as_deref().filter(|d| !d.is_empty()) {
        profile.insert("launch_data".into(), json!(d));
    }
    if let Some(t) = item
        .max_time_allowed
        .as_deref()
        .and_then(scorm_xapi::duration_seconds)
    {
        profile.insert("max_time_allowed".into(), json!(t));
    }
    if let Some(score) = item.mastery_score.filter(|s| (0.0..=100.0).contains(s)) {
        profile.insert("scaled_passing_score".into(), json!(score / 100.0));
    }
    if let Some(a) = item.time_limit_action.as_deref().filter(|a| !a.is_empty()) {
        profile.insert("time_limit_action".into(), json!(a));
    }
    ScoContext {
        actor: serde_json::from_str(&registration.actor).unwrap_or(Value::Null),
        registration: registration.id,
        iris: CourseIris::new(config.activity_base(), registration.package_id),
        course_title: m.title.clone(),
        item: item.identifier.clone(),
        item_title: item.title.clone(),
        scorm12,
        activity_profile: profile,
        // Sequencing writes the global objectives (`share_globals`): it knows whether the
        // activity is tracked and every kind of map. Writing them from the run-time data as
        // well would bypass that (ADL's test OB-11a: an untracked SCO wrote a global).
        objectives: Vec::new(),
        objectives_global_to_system: objectives_global_to_system(m),
    }
}

/// Whether an item's objectives read global objectives (which other SCOs may change while the
/// player page is open).
fn objectives_global_to_system(m: &ScormManifest) -> bool {
    m.organization()
        .is_none_or(|o| o.objectives_global_to_system)
}

/// `cmi.scaled_passing_score`: the primary objective's `minNormalizedMeasure` when it is
/// satisfied by measure (SCORM 2004 RTE 4.2.18).
fn scaled_passing_score(item: &Item) -> Option<f64> {
    item.objectives
        .iter()
        .find(|o| o.primary && o.satisfied_by_measure)
        .map(|o| o.min_normalized_measure)
}

/// A global objective's document: the learner's, or the registration's when the course keeps
/// its objectives to itself.
async fn global_document(
    state: &LaunchState,
    registration: &Registration,
    m: &ScormManifest,
    target: &str,
) -> Result<Option<Value>, lrs_core::LrsError> {
    let iris = CourseIris::new(state.config.activity_base(), registration.package_id);
    let key = lrs_core::store::DocumentKey::State {
        activity_id: iris.global_objective(target),
        agent: registration.actor_key.clone(),
        registration: (!objectives_global_to_system(m)).then_some(registration.id),
        state_id: scorm_xapi::GLOBAL_OBJECTIVE_ID.into(),
    };
    Ok(state
        .lrs
        .get_document(&key)
        .await?
        .and_then(|doc| serde_json::from_slice::<Value>(&doc.content).ok()))
}

/// `POST /launch/{token}/events/{item}`: a SCO's session event (initialize, commit,
/// terminate) with its data model. Lara keeps the data model to resume from and records the
/// session in the LRS as the xAPI SCORM profile describes, with the registration's learner.
pub(crate) async fn sco_event(
    State(state): State<LaunchState>,
    Path((token, item)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let (registration, manifest) = match opened(&state, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Manifest::Scorm(m) = &manifest else {
        return plain(StatusCode::NOT_FOUND, "no such item");
    };
    let items = scos(m);
    let Some(sco) = items.iter().find(|i| i.identifier == item) else {
        return plain(StatusCode::NOT_FOUND, "no such item in this package");
    };
    if body.len() > MAX_STATE_BYTES {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the run-time state is too large",
        );
    }
    let event: RuntimeEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("the event is not valid: {e}"),
            );
        }
    };
    if !event.state.is_object() {
        return plain(
            StatusCode::BAD_REQUEST,
            "the event's state is not a JSON object",
        );
    }
    let ctx = sco_context(&state.config, &registration, m, sco);
    match player_core::sco_session::record_sco_event(
        &state.lrs,
        state.launches.as_ref(),
        &state.locks,
        &ctx,
        &event,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(applied) => {
            // SCORM 2004: the sequencing engine's tracking model follows the SCO's data, and
            // the page learns what the learner may do now.
            if applied
                && matches!(m.version, ScormVersion::Scorm2004 { .. })
                && event.event != scorm_xapi::EventKind::Initialize
            {
                return match report_to_sequencing(&state, &registration, m, &item, &event).await {
                    Ok(view) => json_response(serde_json::to_string(&view).unwrap_or_default()),
                    Err(e) => {
                        tracing::error!(error = %e, "updating the sequencing state");
                        plain(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "the event could not be recorded",
                        )
                    }
                };
            }
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "recording a SCO event");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the event could not be recorded",
            )
        }
    }
}

async fn report_to_sequencing(
    state: &LaunchState,
    registration: &Registration,
    m: &ScormManifest,
    item: &str,
    event: &RuntimeEvent,
) -> Result<player_core::sco_sequencing::SequencingView, player_core::sco_sequencing::SequencingError>
{
    let session = (event.event == scorm_xapi::EventKind::Terminate).then(|| {
        let seconds = event
            .session_time
            .as_deref()
            .and_then(scorm_xapi::duration_seconds)
            .unwrap_or(0.0);
        (event.session, seconds)
    });
    sequenced(state, registration, m, async |s| {
        s.report(item, &event.state, session).await
    })
    .await
}

/// Runs `work` on the registration's sequencing, with the learner's global objectives taken in
/// first; afterwards a change of the course's status becomes statements, and the global
/// objectives sequencing changed are shared with the learner's other courses.
async fn sequenced<T>(
    state: &LaunchState,
    registration: &Registration,
    m: &ScormManifest,
    work: impl AsyncFnOnce(
        &mut player_core::sco_sequencing::Session<'_>,
    ) -> Result<T, player_core::sco_sequencing::SequencingError>,
) -> Result<T, player_core::sco_sequencing::SequencingError> {
    let (before, result, after, imported, globals) = player_core::sco_sequencing::with_session(
        state.launches.as_ref(),
        &state.locks,
        registration.id,
        m,
        async move |s| {
            let mut imported = Vec::new();
            for target in s.read_targets() {
                if let Some(doc) = global_document(state, registration, m, &target).await? {
                    let number = |k: &str| doc.get(k).and_then(Value::as_f64);
                    imported.push((
                        target,
                        player_core::sco_sequencing::GlobalObjective {
                            satisfied: doc.get("satisfied").and_then(Value::as_bool),
                            measure: number("measure"),
                            raw_score: number("rawScore"),
                            min_score: number("minScore"),
                            max_score: number("maxScore"),
                            completed: doc.get("completed").and_then(Value::as_bool),
                            progress_measure: number("progressMeasure"),
                        },
                    ));
                }
            }
            s.import_globals(imported.clone());
            let before = s.course()?;
            let result = work(s).await?;
            Ok((before, result, s.course()?, imported, s.globals()))
        },
    )
    .await?;
    record_course(state, registration, m, before, after).await;
    if let Err(e) = share_globals(state, registration, m, &imported, globals).await {
        tracing::error!(error = %e, "sharing global objectives");
    }
    Ok(result)
}

/// Writes the global objectives sequencing changed back to the shared documents.
async fn share_globals(
    state: &LaunchState,
    registration: &Registration,
    m: &ScormManifest,
    imported: &[(String, player_core::sco_sequencing::GlobalObjective)],
    after: std::collections::BTreeMap<String, player_core::sco_sequencing::GlobalObjective>,
) -> Result<(), lrs_core::LrsError> {
    let mut changed: Vec<_> = after
        .iter()
        .filter(|(target, g)| {
            imported
                .iter()
                .find(|(t, _)| t == *target)
                .is_none_or(|(_, known)| known != *g)
        })
        .map(|(t, g)| (t.clone(), g.clone()))
        .collect();
    // Objectives sequencing dropped (a new attempt on a course whose objectives live for one
    // attempt) are written back as unknown.
    changed.extend(
        imported
            .iter()
            .filter(|(t, _)| !after.contains_key(t))
            .map(|(t, _)| (t.clone(), Default::default())),
    );
    if changed.is_empty() {
        return Ok(());
    }
    let iris = CourseIris::new(state.config.activity_base(), registration.package_id);
    player_core::sco_session::write_global_objectives(
        &state.lrs,
        &registration.actor_key,
        (!objectives_global_to_system(m)).then_some(registration.id),
        &iris,
        &changed,
    )
    .await
}

/// Records statements about the course when its rolled-up status changed. A failure is
/// logged: the learner's progress is kept in the sequencing state either way.
async fn record_course(
    state: &LaunchState,
    registration: &Registration,
    m: &ScormManifest,
    before: scorm_xapi::CourseStatus,
    after: scorm_xapi::CourseStatus,
) {
    let actor: Value = serde_json::from_str(&registration.actor).unwrap_or(Value::Null);
    let iris = CourseIris::new(state.config.activity_base(), registration.package_id);
    let course = scorm_xapi::CourseRef {
        actor: &actor,
        registration: registration.id,
        iris: &iris,
        title: &m.title,
    };
    if let Err(e) = player_core::sco_session::record_course_status(
        &state.lrs,
        &course,
        before,
        after,
        chrono::Utc::now(),
    )
    .await
    {
        tracing::error!(error = %e, "recording the course's status");
    }
}

/// `POST /launch/{token}/navigate`: a SCORM 2004 navigation request (from the player's
/// controls or the content's `adl.nav.request`), answered with the item to deliver, if any,
/// and what the learner may do next.
pub(crate) async fn navigate(
    State(state): State<LaunchState>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (registration, manifest) = match opened(&state, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Manifest::Scorm(m) = &manifest else {
        return plain(StatusCode::NOT_FOUND, "this course has no sequencing");
    };
    if !matches!(m.version, ScormVersion::Scorm2004 { .. }) {
        return plain(StatusCode::NOT_FOUND, "this course has no sequencing");
    }
    let request: player_core::sco_sequencing::RequestByName = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("the navigation request is not valid: {e}"),
            );
        }
    };
    use player_core::sco_sequencing::SequencingError as E;
    let answer = sequenced(&state, &registration, m, async |s| {
        s.navigate(&request).await
    })
    .await;
    match answer {
        Ok(a) => match serde_json::to_string(&a) {
            Ok(text) => {
                let mut r = json_response(text);
                r.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
            Err(e) => {
                tracing::error!(error = %e, "encoding a navigation answer");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "navigation failed")
            }
        },
        Err(e @ (E::UnknownRequest(_) | E::UnknownActivity(_))) => {
            plain(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "navigating");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "navigation failed")
        }
    }
}

/// `POST /launch/{token}/units/{index}`: launches a unit of a cmi5 or xAPI package (a new
/// session) and answers with its launch URL.
pub(crate) async fn start_unit(
    State(state): State<LaunchState>,
    Path((token, index)): Path<(String, usize)>,
) -> Response {
    let (registration, _) = match opened(&state, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    use player_core::au_launch::AuError;
    match state
        .launcher
        .start(&registration, index, chrono::Utc::now())
        .await
    {
        Ok(started) => json_response(
            json!({
                "url": started.url,
                "ownWindow": started.own_window,
                "session": started.session,
            })
            .to_string(),
        ),
        Err(e @ AuError::UnknownUnit(_)) => plain(StatusCode::NOT_FOUND, &e.to_string()),
        Err(e @ AuError::ActorWithoutAccount) => plain(StatusCode::CONFLICT, &e.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "launching a unit");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the unit could not be launched",
            )
        }
    }
}

/// `POST /cmi5/fetch/{secret}`: the fetch URL of a cmi5 launch. It answers 200 with JSON
/// whatever happens, as cmi5 8.2 says: the auth token once, then error code 1.
pub(crate) async fn fetch(
    State(state): State<LaunchState>,
    Path(secret): Path<String>,
) -> Response {
    let answer = match state.launcher.fetch(&secret, chrono::Utc::now()).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "answering a cmi5 fetch");
            player_core::au_launch::FetchAnswer::Error(3, "the LMS could not answer".into())
        }
    };
    let mut r = json_response(answer.to_json().to_string());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /launch/{token}/objectives/{item}`: a SCORM 2004 SCO's initial `cmi.objectives` with
/// the current values of the global objectives they read.
pub(crate) async fn objectives(
    State(state): State<LaunchState>,
    Path((token, item)): Path<(String, String)>,
) -> Response {
    let (registration, manifest) = match opened(&state, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Manifest::Scorm(m) = &manifest else {
        return plain(StatusCode::NOT_FOUND, "no such item");
    };
    let items = scos(m);
    let Some(sco) = items.iter().find(|i| i.identifier == item) else {
        return plain(StatusCode::NOT_FOUND, "no such item in this package");
    };
    let item = sco.identifier.clone();
    match sequenced(&state, &registration, m, async |s| {
        s.launch_objectives(&item)
    })
    .await
    {
        Ok(list) => {
            let mut r = json_response(Value::Array(list).to_string());
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "reading global objectives");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the objectives could not be read",
            )
        }
    }
}
