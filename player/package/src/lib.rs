//! Reading e-learning packages safely.
//!
//! A vendor's zip is untrusted input. This crate is pure (no HTTP, no database): given a
//! reader over the uploaded file it
//! 1. checks the archive before anything is extracted ([`archive`]: zip slip, symlinks,
//!    duplicates, encryption, zip bombs);
//! 2. finds the manifest at the package root and reads it: `cmi5.xml` ([`cmi5`]),
//!    `imsmanifest.xml` for SCORM 1.2 and 2004 ([`scorm`]) or `tincan.xml` ([`tincan`]);
//! 3. reports every problem with the manifest path it was found at ([`report`]); a package with
//!    an error is refused as a whole.

pub mod archive;
pub mod cmi5;
mod refs;
pub mod report;
pub mod scorm;
pub mod tincan;
mod xml;

use std::io::{Read, Seek};

pub use archive::{Archive, ArchiveError, Entry, Limits};
pub use report::{Problem, Report, Severity};
use thiserror::Error;

/// Largest manifest read into memory.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// The standard a package follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Standard {
    Scorm12,
    /// SCORM 2004, by edition (2, 3 or 4).
    Scorm2004 {
        edition: u8,
    },
    Cmi5,
    /// An xAPI ("Tin Can") package with `tincan.xml`.
    Xapi,
}

impl Standard {
    /// A stable name for APIs and storage: `scorm12`, `scorm2004-4`, `cmi5`, `xapi`.
    pub fn name(self) -> String {
        match self {
            Standard::Scorm12 => "scorm12".into(),
            Standard::Scorm2004 { edition } => format!("scorm2004-{edition}"),
            Standard::Cmi5 => "cmi5".into(),
            Standard::Xapi => "xapi".into(),
        }
    }
}

/// A parsed manifest.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Manifest {
    Scorm(scorm::ScormManifest),
    Cmi5(cmi5::Cmi5Course),
    Xapi(tincan::TinCanManifest),
}

/// A package whose archive and manifest passed every check, with the warnings found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    pub manifest: Manifest,
    pub report: Report,
}

impl Package {
    pub fn standard(&self) -> Standard {
        match &self.manifest {
            Manifest::Scorm(m) => match m.version {
                scorm::ScormVersion::Scorm12 => Standard::Scorm12,
                scorm::ScormVersion::Scorm2004 { edition } => Standard::Scorm2004 { edition },
            },
            Manifest::Cmi5(_) => Standard::Cmi5,
            Manifest::Xapi(_) => Standard::Xapi,
        }
    }
}

/// Why a package was refused.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{0}")]
    NoManifest(String),
    /// The manifest has errors; the report lists them (and any warnings).
    #[error("the package has {} error(s); first: {}", .0.errors().count(), .0.errors().next().map(ToString::to_string).unwrap_or_default())]
    Invalid(Report),
}

/// Finds and reads the package's manifest. cmi5 wins over SCORM, SCORM over xAPI, when a
/// package carries several (the others are named in a warning).
pub fn read_package<R: Read + Seek>(archive: &mut Archive<R>) -> Result<Package, ImportError> {
    let present: Vec<&str> = [cmi5::MANIFEST, scorm::MANIFEST, tincan::MANIFEST]
        .into_iter()
        .filter(|m| archive.get(m).is_some())
        .collect();
    let Some(&chosen) = present.first() else {
        return Err(ImportError::NoManifest(no_manifest_message(archive)));
    };
    let bytes = archive.read(chosen, MAX_MANIFEST_BYTES)?;
    let mut report = Report::default();
    for other in present.iter().skip(1) {
        report.warning(
            chosen,
            "",
            format!("{other} is also present and was ignored"),
        );
    }
    let Ok(text) = std::str::from_utf8(strip_bom(&bytes)) else {
        report.error(chosen, "", "not UTF-8 text");
        return Err(ImportError::Invalid(report));
    };
    let exists = |p: &str| archive.get(p).is_some();
    let manifest = match chosen {
        cmi5::MANIFEST => cmi5::parse(text, &exists, &mut report).map(Manifest::Cmi5),
        scorm::MANIFEST => scorm::parse(text, &exists, &mut report).map(Manifest::Scorm),
        _ => tincan::parse(text, &exists, &mut report).map(Manifest::Xapi),
    };
    match manifest {
        Some(manifest) if !report.has_errors() => Ok(Package { manifest, report }),
        _ => Err(ImportError::Invalid(report)),
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Explains a missing manifest, pointing at the common mistake of zipping the folder instead
/// of its contents.
fn no_manifest_message<R: Read + Seek>(archive: &Archive<R>) -> String {
    let nested = archive.files().find(|e| {
        [cmi5::MANIFEST, scorm::MANIFEST, tincan::MANIFEST]
            .iter()
            .any(|m| e.path.ends_with(&format!("/{m}")))
    });
    match nested {
        Some(e) => format!(
            "no manifest at the root of the package, but {:?} was found: zip the contents of \
             that folder, not the folder itself",
            e.path
        ),
        None => "no manifest: a package needs cmi5.xml, imsmanifest.xml (SCORM) or tincan.xml \
                 at its root"
            .into(),
    }
}
