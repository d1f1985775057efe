//! The demo course: `content-packages/demo-scorm12`, built into the binary and imported on
//! first start so that a new installation has a course to look at.

use std::io::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use player_core::{PackageStore, PackageVersion};

use crate::db::Backend;

/// The package's files, as in `content-packages/demo-scorm12`.
const FILES: &[(&str, &[u8])] = &[
    (
        "imsmanifest.xml",
        include_bytes!("../../../content-packages/demo-scorm12/imsmanifest.xml"),
    ),
    (
        "index.html",
        include_bytes!("../../../content-packages/demo-scorm12/index.html"),
    ),
    (
        "lesson.js",
        include_bytes!("../../../content-packages/demo-scorm12/lesson.js"),
    ),
    (
        "style.css",
        include_bytes!("../../../content-packages/demo-scorm12/style.css"),
    ),
];

/// Imports the demo course through the normal import path (so it is checked like any upload).
pub async fn import_demo_course(
    backend: &Arc<dyn Backend>,
    activity_base: &str,
) -> anyhow::Result<PackageVersion> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = dir.path().join("demo.zip");
    {
        let file = std::fs::File::create(&path).context("writing the demo package")?;
        let mut zip = zip::ZipWriter::new(file);
        for (name, data) in FILES {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .context("writing the demo package")?;
            zip.write_all(data).context("writing the demo package")?;
        }
        zip.finish().context("writing the demo package")?;
    }
    let packages: Arc<dyn PackageStore> = backend.clone();
    let imported = player_core::import_file(packages, path, player_core::ImportOptions::default())
        .await
        .context("importing the demo course")?;
    let lrs: Arc<dyn lrs_core::store::Store> = backend.clone();
    player_core::publish_activities(
        lrs.as_ref(),
        &imported.package.manifest,
        imported.version.package_id,
        activity_base,
    )
    .await
    .context("writing the demo course's activity definitions")?;
    Ok(imported.version)
}
