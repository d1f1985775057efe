//! Credentials and scopes.
//!
//! Secrets are 32 random bytes shown once at creation. Because they carry full entropy a single
//! SHA-256 is a sound verifier (as for API tokens); a slow password hash would cost milliseconds
//! on every request and buy nothing.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// xAPI 1.0.3 §4.2 scopes plus `admin` for credential management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    StatementsWrite,
    StatementsRead,
    StatementsReadMine,
    AllRead,
    All,
    State,
    Define,
    Profile,
    Admin,
}

impl Scope {
    pub const ALL_SCOPES: [Scope; 9] = [
        Scope::StatementsWrite,
        Scope::StatementsRead,
        Scope::StatementsReadMine,
        Scope::AllRead,
        Scope::All,
        Scope::State,
        Scope::Define,
        Scope::Profile,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::StatementsWrite => "statements/write",
            Scope::StatementsRead => "statements/read",
            Scope::StatementsReadMine => "statements/read/mine",
            Scope::AllRead => "all/read",
            Scope::All => "all",
            Scope::State => "state",
            Scope::Define => "define",
            Scope::Profile => "profile",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown scope {0:?}")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL_SCOPES
            .into_iter()
            .find(|sc| sc.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

/// What a request wants to do, checked against the credential's scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    WriteStatements,
    ReadStatements,
    ReadState,
    WriteState,
    ReadProfile,
    WriteProfile,
    ReadActivities,
    ReadAgents,
    Admin,
}

/// A stored credential. `secret_hash` is the hex SHA-256 of the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: Uuid,
    pub key: String,
    pub secret_hash: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The Agent recorded as `authority` of statements written with this credential.
    pub authority: Value,
    pub created: DateTime<Utc>,
    pub revoked: Option<DateTime<Utc>>,
    /// Set for a credential issued to content for one launch: it speaks only for that learner.
    pub binding: Option<Binding>,
    /// When the credential stops working (launch credentials last as long as their session).
    pub expires: Option<DateTime<Utc>>,
}

/// What a launch credential is bound to: one learner in one registration, for one launch
/// session. With it, content may write that learner's statements and documents and read what
/// concerns that learner, and nothing else (see `Lrs`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// The learner as an xAPI Agent.
    pub agent: Value,
    /// Its IFI key (`xapi_model::ifi::ifi_key`).
    pub agent_key: String,
    pub registration: Uuid,
    /// The launch session the credential was issued for (the player's id for it).
    pub session: Uuid,
}

/// A freshly created credential with its secret, which is never stored.
#[derive(Debug, Clone)]
pub struct NewCredential {
    pub credential: Credential,
    pub secret: String,
}

/// The name prefix of browser-session credentials.
const SESSION_PREFIX: &str = "session of ";

/// Homepage of the accounts that identify credentials as xAPI authorities.
pub const AUTHORITY_HOMEPAGE: &str = "urn:lara:credential";

impl Credential {
    /// Creates a credential with random key and secret.
    pub fn generate(name: &str, scopes: Vec<Scope>, now: DateTime<Utc>) -> NewCredential {
        // 20 characters (~119 bits) identify; 43 (~256 bits) authenticate.
        let key = random_token(20);
        let secret = random_token(43);
        let authority = json!({
            "objectType": "Agent",
            "name": name,
            "account": { "homePage": AUTHORITY_HOMEPAGE, "name": key },
        });
        NewCredential {
            credential: Credential {
                id: Uuid::new_v4(),
                key,
                secret_hash: hash_secret(&secret),
                name: name.to_owned(),
                scopes,
                authority,
                created: now,
                revoked: None,
                binding: None,
                expires: None,
            },
            secret,
        }
    }

    /// A credential that only exists in this process, for Lara's own writers (the player, the
    /// LMS side of cmi5, plugins): never stored, so it authenticates nothing; it only carries
    /// scopes and the `authority` of what it writes. Its key should not look like an issued
    /// one (those are letters and digits only).
    pub fn internal(
        key: &str,
        name: &str,
        scopes: Vec<Scope>,
        authority: Value,
        now: DateTime<Utc>,
    ) -> Credential {
        Credential {
            id: Uuid::nil(),
            key: key.to_owned(),
            secret_hash: String::new(),
            name: name.to_owned(),
            scopes,
            authority,
            created: now,
            revoked: None,
            binding: None,
            expires: None,
        }
    }

    /// Creates a browser session for the holder of `of`: a credential with the same scopes and
    /// authority that expires at `expires` and names its parent, so that revoking the parent
    /// ends it (see `Lrs::authenticate_session`).
    pub fn generate_session(
        of: &Credential,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> NewCredential {
        let mut new = Credential::generate(
            &format!("{SESSION_PREFIX}{}", of.key),
            of.scopes.clone(),
            now,
        );
        new.credential.authority = of.authority.clone();
        new.credential.expires = Some(expires);
        new
    }

    /// The key of the credential a session was opened with, if this is a session.
    pub fn session_of(&self) -> Option<&str> {
        self.name
            .strip_prefix(SESSION_PREFIX)
            .filter(|_| self.expires.is_some() && self.binding.is_none())
    }

    /// Creates a credential for content in one launch, bound to its learner until `expires`.
    /// It may write statements and read those about its learner, and use that learner's
    /// state and profile documents.
    pub fn generate_bound(
        name: &str,
        binding: Binding,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> NewCredential {
        let mut new = Credential::generate(
            name,
            vec![
                Scope::StatementsWrite,
                Scope::StatementsRead,
                Scope::State,
                Scope::Profile,
            ],
            now,
        );
        new.credential.binding = Some(binding);
        new.credential.expires = Some(expires);
        new
    }

    pub fn verify_secret(&self, secret: &str) -> bool {
        let given = hash_secret(secret);
        given.as_bytes().ct_eq(self.secret_hash.as_bytes()).into()
    }

    /// Neither revoked nor expired at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked.is_none() && self.expires.is_none_or(|e| now < e)
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Whether the scopes allow `access`. `statements/read/mine` is answered here as allowed
    /// for reads; the statement resource then restricts results to this authority
    /// (see [`Credential::reads_only_own`]).
    pub fn allows(&self, access: Access) -> bool {
        use Scope::*;
        let any = |list: &[Scope]| list.iter().any(|s| self.has(*s));
        match access {
            Access::Admin => any(&[Admin]),
            Access::WriteStatements => any(&[All, StatementsWrite, Admin]),
            Access::ReadStatements => {
                any(&[All, AllRead, StatementsRead, StatementsReadMine, Admin])
            }
            Access::ReadState | Access::WriteState => {
                any(&[All, State, Admin]) || (access == Access::ReadState && any(&[AllRead]))
            }
            Access::ReadProfile | Access::WriteProfile => {
                any(&[All, Profile, Admin]) || (access == Access::ReadProfile && any(&[AllRead]))
            }
            Access::ReadActivities | Access::ReadAgents => any(&[
                All,
                AllRead,
                Define,
                Profile,
                State,
                StatementsRead,
                StatementsReadMine,
                Admin,
            ]),
        }
    }

    /// True when statement reads must be limited to statements this credential wrote.
    pub fn reads_only_own(&self) -> bool {
        use Scope::*;
        self.has(StatementsReadMine)
            && ![All, AllRead, StatementsRead, Admin]
                .iter()
                .any(|s| self.has(*s))
    }
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// `chars` random ASCII letters and digits (about 5.95 bits each). Letters and digits only:
/// a key beginning with `-` was read as an option by the `lara credentials revoke KEY` command
/// line, and such tokens need no quoting in URLs, shells or configuration files.
pub fn random_token(chars: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(chars)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_secrets_are_letters_and_digits_only() {
        for _ in 0..2000 {
            let new = Credential::generate("t", vec![Scope::All], Utc::now());
            assert_eq!(new.credential.key.len(), 20);
            assert_eq!(new.secret.len(), 43);
            assert!(
                new.credential
                    .key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric())
            );
            assert!(new.secret.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn secret_verifies_and_wrong_secret_does_not() {
        let new = Credential::generate("t", vec![Scope::All], Utc::now());
        assert!(new.credential.verify_secret(&new.secret));
        assert!(!new.credential.verify_secret("nope"));
    }

    #[test]
    fn scopes_round_trip() {
        for s in Scope::ALL_SCOPES {
            assert_eq!(s.as_str().parse::<Scope>().unwrap(), s);
        }
        assert!("statements/delete".parse::<Scope>().is_err());
    }

    #[test]
    fn read_mine_limits_reads() {
        let c = Credential::generate("t", vec![Scope::StatementsReadMine], Utc::now()).credential;
        assert!(c.allows(Access::ReadStatements));
        assert!(c.reads_only_own());
        assert!(!c.allows(Access::WriteStatements));
        let c = Credential::generate("t", vec![Scope::All], Utc::now()).credential;
        assert!(!c.reads_only_own());
        assert!(!c.allows(Access::Admin));
    }
}
