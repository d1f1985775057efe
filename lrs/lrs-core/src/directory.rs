//! The directory of people: who works where, under whom, in which roles. Plugins read it
//! (`people`); administrators keep it over `/api/people` until directory sync (AD/Entra)
//! fills it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::store::StoreError;

/// Longest id, name, e-mail, org unit or role accepted.
const MAX_FIELD: usize = 320;
/// Most roles one person may have.
const MAX_ROLES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The directory's id (an employee number, an Entra object id…).
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub org_unit: Option<String>,
    /// The id of the person's manager.
    pub manager: Option<String>,
    pub roles: Vec<String>,
    pub updated: DateTime<Utc>,
}

impl Person {
    /// The problems of a person record, each with the field it concerns; empty if none.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut check = |field: &str, value: &str, required: bool| {
            if value.trim().is_empty() {
                if required {
                    out.push((field.to_owned(), "must not be empty".to_owned()));
                }
            } else if value.len() > MAX_FIELD {
                out.push((
                    field.to_owned(),
                    format!("must be at most {MAX_FIELD} bytes"),
                ));
            } else if value.chars().any(char::is_control) {
                out.push((
                    field.to_owned(),
                    "must not contain control characters".to_owned(),
                ));
            }
        };
        check("id", &self.id, true);
        check("name", &self.name, true);
        for (field, value) in [
            ("email", &self.email),
            ("orgUnit", &self.org_unit),
            ("manager", &self.manager),
        ] {
            if let Some(v) = value {
                check(field, v, true);
            }
        }
        if let Some(e) = &self.email {
            let parts = e.split_once('@');
            if !parts.is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.')) {
                out.push(("email".into(), "must be an e-mail address".into()));
            }
        }
        if self.manager.as_deref() == Some(self.id.as_str()) {
            out.push(("manager".into(), "a person cannot manage themself".into()));
        }
        if self.roles.len() > MAX_ROLES {
            out.push(("roles".into(), format!("at most {MAX_ROLES} roles")));
        }
        for (i, role) in self.roles.iter().enumerate() {
            if role.is_empty() || role.len() > MAX_FIELD || role.chars().any(char::is_whitespace) {
                out.push((
                    format!("roles[{i}]"),
                    "must be a non-empty name without spaces".into(),
                ));
            }
        }
        out
    }
}

#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Inserts or replaces people by id, all or none.
    async fn upsert_people(&self, people: Vec<Person>) -> Result<(), StoreError>;
    async fn person(&self, id: &str) -> Result<Option<Person>, StoreError>;
    /// Everyone, or the people of one org unit, by id.
    async fn list_people(&self, org_unit: Option<&str>) -> Result<Vec<Person>, StoreError>;
    /// False if there was no such person.
    async fn delete_person(&self, id: &str) -> Result<bool, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ola() -> Person {
        Person {
            id: "e1001".into(),
            name: "Ola Nordmann".into(),
            email: Some("ola@kommune.example".into()),
            org_unit: Some("home-care-north".into()),
            manager: Some("e0001".into()),
            roles: vec!["nurse".into()],
            updated: Utc::now(),
        }
    }

    #[test]
    fn records_name_their_problems() {
        assert!(ola().problems().is_empty());
        let bad = Person {
            id: " ".into(),
            email: Some("nobody".into()),
            roles: vec!["head nurse".into()],
            ..ola()
        };
        let fields: Vec<String> = bad.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["id", "email", "roles[0]"]);
        let own = Person {
            manager: Some("e1001".into()),
            ..ola()
        };
        assert_eq!(own.problems()[0].0, "manager");
    }
}
