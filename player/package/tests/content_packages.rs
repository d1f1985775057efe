//! Every package the project writes (`content-packages/`) imports without an error or a
//! warning, as the standard it claims.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{Cursor, Write};
use std::path::Path;

use lara_package::{Archive, Limits, Manifest, Standard, read_package};

/// The folder zipped with paths relative to it.
fn zip_folder(dir: &Path) -> Vec<u8> {
    fn walk(root: &Path, dir: &Path, w: &mut zip::ZipWriter<Cursor<Vec<u8>>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(root, &path, w);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .replace('\\', "/");
                w.start_file(name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(&std::fs::read(&path).unwrap()).unwrap();
            }
        }
    }
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    walk(dir, dir, &mut w);
    w.finish().unwrap().into_inner()
}

fn read(folder: &str) -> lara_package::Package {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../content-packages")
        .join(folder);
    let mut archive = Archive::open(Cursor::new(zip_folder(&dir)), Limits::default()).unwrap();
    let package = read_package(&mut archive).unwrap_or_else(|e| panic!("{folder}: {e}"));
    assert!(
        package.report.problems.is_empty(),
        "{folder}: {:?}",
        package.report
    );
    package
}

#[test]
fn demo_scorm12() {
    let p = read("demo-scorm12");
    assert_eq!(p.standard(), Standard::Scorm12);
}

#[test]
fn scorm2004_onboarding() {
    let p = read("scorm2004-onboarding");
    assert_eq!(p.standard(), Standard::Scorm2004 { edition: 4 });
    let Manifest::Scorm(m) = &p.manifest else {
        panic!()
    };
    let org = m.organization().unwrap();
    assert_eq!(org.items.len(), 2);
    assert_eq!(
        org.items[0].children.len(),
        2,
        "two SCOs in the first module"
    );
    let quiz = &org.items[0].children[1];
    assert_eq!(
        quiz.data_maps[0].target_id,
        "urn:lara:test:onboarding:notes"
    );
    assert!(
        quiz.sequencing
            .as_deref()
            .unwrap()
            .contains("urn:lara:test:onboarding:safety")
    );
    assert_eq!(org.items[1].hide_lms_ui, vec!["previous"]);
}

#[test]
fn cmi5_medication() {
    let p = read("cmi5-medication");
    assert_eq!(p.standard(), Standard::Cmi5);
    let Manifest::Cmi5(c) = &p.manifest else {
        panic!()
    };
    let aus = c.aus();
    assert_eq!(aus.len(), 2);
    assert_eq!(aus[1].mastery_score, Some(0.8));
}

#[test]
fn xapi_lifting() {
    let p = read("xapi-lifting");
    assert_eq!(p.standard(), Standard::Xapi);
}

#[test]
fn the_sequencing_samples_import_cleanly() {
    // Each is a SCORM 2004 4th edition course whose sequencing the import parses and checks.
    for folder in [
        "scorm2004-seq-linear",
        "scorm2004-seq-pretest",
        "scorm2004-seq-remediation",
        "scorm2004-seq-random",
        "scorm2004-seq-global",
        "scorm2004-seq-constrained",
    ] {
        let p = read(folder);
        assert_eq!(p.standard(), Standard::Scorm2004 { edition: 4 }, "{folder}");
        let Manifest::Scorm(m) = &p.manifest else {
            panic!("{folder}: not SCORM");
        };
        let org = m.organization().unwrap();
        assert!(org.sequencing.is_some(), "{folder}: no root sequencing");
    }
}
