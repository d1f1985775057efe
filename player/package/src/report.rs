//! The validation report of an import: every problem found, with where it was found.

use std::fmt;

/// How bad a problem is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    /// The package still imports and plays; an author may want to fix it.
    Warning,
    /// The package cannot be imported.
    Error,
}

/// One problem, located in a manifest: `file` is the manifest's path in the package, `path` an
/// element path such as `manifest/resources/resource[2]/@href` (positions count from 1 among
/// siblings of the same name).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        if self.path.is_empty() {
            write!(f, "{level}: {}: {}", self.file, self.message)
        } else {
            write!(f, "{level}: {}: {}: {}", self.file, self.path, self.message)
        }
    }
}

/// Problems collected while reading a package.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn error(&mut self, file: &str, path: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Error, file, path.into(), message.into());
    }

    pub fn warning(&mut self, file: &str, path: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Warning, file, path.into(), message.into());
    }

    fn push(&mut self, severity: Severity, file: &str, path: String, message: String) {
        self.problems.push(Problem {
            severity,
            file: file.to_owned(),
            path,
            message,
        });
    }

    /// Whether any problem stops the import.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }
}
