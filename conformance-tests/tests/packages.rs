//! The package API: `POST /api/packages` imports a zip, `GET` lists and shows versions; only
//! administrators may use it, and a refused package answers with every problem and its path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{Cursor, Write};

use conformance_tests::{TestLrs, basic, on_both_backends};
use lrs_core::auth::Scope;
use serde_json::Value;

on_both_backends!(
    import_list_and_show_a_package,
    refused_packages_name_their_problems,
    only_admins_import_packages
);

fn api(lrs: &TestLrs) -> String {
    lrs.base.replace("/xapi", "/api/packages")
}

fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const MANIFEST: &str = r#"<?xml version="1.0"?>
<manifest identifier="org.example.hygiene" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Hand hygiene</title>
    <item identifier="i" identifierref="r"><title>Lesson</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/><file href="gone.png"/></resource></resources>
</manifest>"#;

async fn post(lrs: &TestLrs, auth: &str, body: Vec<u8>) -> reqwest::Response {
    lrs.client
        .post(api(lrs))
        .header("Authorization", auth)
        .header("Content-Type", "application/zip")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn import_list_and_show_a_package(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let admin = basic(&key, &secret);
    let package = zip(&[
        ("imsmanifest.xml", MANIFEST),
        ("index.html", "<html></html>"),
    ]);
    let r = post(lrs, &admin, package.clone()).await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["identifier"], "org.example.hygiene");
    assert_eq!(first["standard"], "scorm12");
    assert_eq!(first["title"], "Hand hygiene");
    assert_eq!(first["version"], 1);
    assert_eq!(first["files"], 2);
    let warnings = first["report"]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["message"].as_str().unwrap().contains("gone.png")),
        "{first}"
    );

    // Importing it again makes version 2 of the same package, storing no new bytes.
    let second: Value = post(lrs, &admin, package).await.json().await.unwrap();
    assert_eq!(second["version"], 2);
    assert_eq!(second["packageId"], first["packageId"]);
    assert_eq!(second["newBytes"], 0);

    // A course whose manifest reuses another identifier can be versioned by package id.
    let renamed = MANIFEST.replace("org.example.hygiene", "org.example.generic");
    let explicit = zip(&[("imsmanifest.xml", &renamed), ("index.html", "")]);
    let send = |query: &str, body: Vec<u8>| {
        lrs.client
            .post(format!("{}?{query}", api(lrs)))
            .header("Authorization", &admin)
            .body(body)
            .send()
    };
    let third: Value = send(
        &format!("packageId={}", first["packageId"].as_str().unwrap()),
        explicit.clone(),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(third["version"], 3);
    assert_eq!(third["packageId"], first["packageId"]);
    let unknown = format!("packageId={}", uuid::Uuid::new_v4());
    assert_eq!(
        send(&unknown, explicit.clone()).await.unwrap().status(),
        404
    );
    assert_eq!(
        send("packageId=nope", explicit.clone())
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(send("other=1", explicit).await.unwrap().status(), 400);

    let list: Value = lrs
        .client
        .get(api(lrs))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["version"], 3);

    let shown: Value = lrs
        .client
        .get(format!(
            "{}/{}",
            api(lrs),
            first["versionId"].as_str().unwrap()
        ))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["version"], 1);
    assert_eq!(shown["manifest"]["type"], "scorm");
    assert_eq!(
        shown["manifest"]["organizations"][0]["items"][0]["resource"],
        "r"
    );
    let r = lrs
        .client
        .get(format!("{}/{}", api(lrs), uuid::Uuid::new_v4()))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn refused_packages_name_their_problems(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let admin = basic(&key, &secret);
    // The launch file is missing.
    let r = post(lrs, &admin, zip(&[("imsmanifest.xml", MANIFEST)])).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    let problems = body["error"]["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(
            |p| p["path"] == "imsmanifest.xml: manifest/resources/resource/@href"
                && p["message"].as_str().unwrap().contains("index.html")
        ),
        "{body}"
    );
    // A zip-slip entry.
    let r = post(
        lrs,
        &admin,
        zip(&[("imsmanifest.xml", MANIFEST), ("../../evil.sh", "x")]),
    )
    .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("evil.sh"), "{body}");
    // Not a zip, and nothing at all.
    assert_eq!(post(lrs, &admin, b"hello".to_vec()).await.status(), 400);
    assert_eq!(post(lrs, &admin, Vec::new()).await.status(), 400);
    // Nothing of a refused package was stored.
    let list: Value = lrs
        .client
        .get(api(lrs))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, Value::Array(Vec::new()));
}

async fn only_admins_import_packages(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::All]).await;
    let package = zip(&[("imsmanifest.xml", MANIFEST), ("index.html", "")]);
    assert_eq!(
        post(lrs, &basic(&key, &secret), package.clone())
            .await
            .status(),
        403
    );
    assert_eq!(post(lrs, "Basic bm86cGU=", package).await.status(), 401);
}

on_both_backends!(
    the_content_origin_serves_package_files_only,
    imported_activities_are_defined_in_the_lrs
);

async fn imported_activities_are_defined_in_the_lrs(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let tincan = r#"<?xml version="1.0"?>
<tincan><activities>
  <activity id="https://example.org/courses/lifting" type="http://adlnet.gov/expapi/activities/course">
    <name lang="en-US">Safe lifting</name><name lang="sv-SE">Säkra lyft</name>
    <description lang="en-US">Moving people without injury.</description>
    <launch lang="en-us">index.html</launch>
  </activity>
</activities></tincan>"#;
    let r = post(
        lrs,
        &basic(&key, &secret),
        zip(&[("tincan.xml", tincan), ("index.html", "")]),
    )
    .await;
    assert_eq!(r.status(), 201);
    let (status, activity) = lrs
        .get_json("/activities?activityId=https%3A%2F%2Fexample.org%2Fcourses%2Flifting")
        .await;
    assert_eq!(status, 200);
    assert_eq!(activity["definition"]["name"]["sv-SE"], "Säkra lyft");
    assert_eq!(
        activity["definition"]["type"],
        "http://adlnet.gov/expapi/activities/course"
    );

    // A SCORM course has no IRIs: Lara's own for the course and each SCO are defined at import.
    let r = post(
        lrs,
        &basic(&key, &secret),
        zip(&[("imsmanifest.xml", MANIFEST), ("index.html", "")]),
    )
    .await;
    assert_eq!(r.status(), 201);
    let imported: Value = r.json().await.unwrap();
    let course = format!(
        "{}/scorm/{}",
        lrs.base.trim_end_matches("/xapi"),
        imported["packageId"].as_str().unwrap()
    );
    for (id, name, kind) in [
        (course.clone(), "Hand hygiene", "course"),
        (format!("{course}/i"), "Lesson", "lesson"),
    ] {
        let r = lrs
            .req(reqwest::Method::GET, "/activities")
            .query(&[("activityId", id.as_str())])
            .send()
            .await
            .unwrap();
        let activity: Value = r.json().await.unwrap();
        assert_eq!(activity["definition"]["name"]["und"], name, "{id}");
        assert_eq!(
            activity["definition"]["type"],
            format!("http://adlnet.gov/expapi/activities/{kind}")
        );
    }
}

async fn the_content_origin_serves_package_files_only(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let admin = basic(&key, &secret);
    let page = "<html><body>Lesson</body></html>";
    let video: String = (0..3_000_000u32)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let package = zip(&[
        ("imsmanifest.xml", MANIFEST),
        ("index.html", page),
        ("media/intro video.mp4", &video),
    ]);
    let imported: Value = post(lrs, &admin, package).await.json().await.unwrap();
    let version = imported["versionId"].as_str().unwrap();
    let url = |path: &str| format!("{}/content/{version}/{path}", lrs.content_base);

    let r = lrs.client.get(url("index.html")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("connect-src 'self'") && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(r.text().await.unwrap(), page);

    // Unchanged content is not sent again.
    let r = lrs
        .client
        .get(url("index.html"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // A file over several chunks, whole and by range (a video seek), path percent-encoded.
    let r = lrs
        .client
        .get(url("media/intro%20video.mp4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(r.text().await.unwrap(), video);
    let r = lrs
        .client
        .get(url("media/intro%20video.mp4"))
        .header("Range", "bytes=1048570-1048585")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 1048570-1048585/{}", video.len()).as_str()
    );
    assert_eq!(r.text().await.unwrap(), &video[1_048_570..=1_048_585]);
    let r = lrs
        .client
        .get(url("media/intro%20video.mp4"))
        .header("Range", "bytes=9999999-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);

    // Nothing else: unknown files and versions, traversal, and no APIs on this origin.
    for path in [
        url("missing.html"),
        url("..%2F..%2Fimsmanifest.xml"),
        format!(
            "{}/content/{}/index.html",
            lrs.content_base,
            uuid::Uuid::new_v4()
        ),
        format!("{}/content/not-a-uuid/index.html", lrs.content_base),
        format!("{}/api/packages", lrs.content_base),
    ] {
        let r = lrs
            .client
            .get(&path)
            .header("Authorization", &admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    // The content origin's xAPI endpoint is for launched content: other credentials, even an
    // administrator's, are refused there.
    for auth in [admin.clone(), lrs.auth_header()] {
        let r = lrs
            .client
            .get(format!("{}/xapi/statements", lrs.content_base))
            .header("Authorization", &auth)
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
}
