//! Starting a launch: the learner's registration for a package (found or created) and a token
//! for one launch of it.
//!
//! A registration is pinned to the package version it started on, so newer imports never
//! change a running attempt. The token is random and only its SHA-256 is stored; whoever holds
//! the launch URL can use that one registration and nothing else, until it expires.

use chrono::{DateTime, Duration, Utc};
use lrs_core::StoreError;
use serde_json::Value;
use thiserror::Error;
use uuid::Uuid;

use crate::store::{LaunchStore, PackageStore, Registration};

/// How long a launch URL works.
pub const LAUNCH_LIFETIME_HOURS: i64 = 8;

#[derive(Debug, Error)]
pub enum LaunchError {
    #[error("no package {0}")]
    UnknownPackage(Uuid),
    #[error(
        "the actor has no inverse functional identifier (mbox, mbox_sha1sum, openid or account)"
    )]
    ActorWithoutIdentifier,
    #[error("registration {0} belongs to another learner or package")]
    RegistrationMismatch(Uuid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A launch ready to hand out.
#[derive(Debug, Clone)]
pub struct Launch {
    pub registration: Registration,
    /// The secret part of the launch URL.
    pub token: String,
    pub expires: DateTime<Utc>,
    /// True when the registration was made for this launch.
    pub created: bool,
}

/// The stored form of a token: hashed like a credential secret.
pub fn token_hash(token: &str) -> String {
    lrs_core::auth::hash_secret(token)
}

/// A launch token: as long and as random as a credential secret.
fn new_token() -> String {
    lrs_core::auth::random_token(43)
}

/// Finds or creates the learner's registration for `package_id` (the given `registration` id,
/// or the newest one, or a new one on the newest version) and issues a launch token for it.
pub async fn start_launch(
    packages: &dyn PackageStore,
    launches: &dyn LaunchStore,
    actor: &Value,
    package_id: Uuid,
    registration: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Launch, LaunchError> {
    let actor_key = xapi_model::ifi::ifi_key(actor).ok_or(LaunchError::ActorWithoutIdentifier)?;
    let existing = match registration {
        Some(id) => launches.get_registration(id).await?,
        None => launches.latest_registration(&actor_key, package_id).await?,
    };
    let (registration, created) = match existing {
        Some(r) if r.actor_key == actor_key && r.package_id == package_id => (r, false),
        Some(r) => return Err(LaunchError::RegistrationMismatch(r.id)),
        None => {
            let newest = packages
                .list_packages()
                .await?
                .into_iter()
                .find(|v| v.package_id == package_id)
                .ok_or(LaunchError::UnknownPackage(package_id))?;
            let r = Registration {
                id: registration.unwrap_or_else(Uuid::new_v4),
                package_id,
                version_id: newest.version_id,
                actor: actor.to_string(),
                actor_key,
                created: now,
            };
            launches.add_registration(r.clone()).await?;
            (r, true)
        }
    };
    let token = new_token();
    let expires = now + Duration::hours(LAUNCH_LIFETIME_HOURS);
    launches
        .add_launch(token_hash(&token), registration.id, expires)
        .await?;
    Ok(Launch {
        registration,
        token,
        expires,
        created,
    })
}
