//! Parity functions for `player_core::PackageStore`, run by every backend through
//! [`crate::package_parity_suite!`].

use std::io::{Cursor, Write};
use std::sync::Arc;

use player_core::{
    AuSession, CHUNK_BYTES, FetchClaim, ImportFailure, ImportOptions, LaunchStore, NewVersion,
    PackageStore, Registration, VersionFile, import_file,
};

/// What the player and the plugins need of a backend: packages, registrations with their
/// launches, installed plugins and the directory.
pub trait PlayerStore:
    PackageStore + LaunchStore + lara_plugin_registry::PluginStore + lrs_core::directory::DirectoryStore
{
}

impl<
    T: PackageStore
        + LaunchStore
        + lara_plugin_registry::PluginStore
        + lrs_core::directory::DirectoryStore
        + ?Sized,
> PlayerStore for T
{
}
use sha2::{Digest, Sha256};

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Stores `data` as one file of one chunk and returns its hash.
async fn store_file(store: &dyn PackageStore, data: &[u8]) -> String {
    let h = sha(data);
    store
        .put_chunks(vec![(h.clone(), data.to_vec())])
        .await
        .unwrap();
    store
        .put_file(h.clone(), data.len() as u64, vec![h.clone()])
        .await
        .unwrap();
    h
}

fn new_version(identifier: &str, files: Vec<VersionFile>) -> NewVersion {
    NewVersion {
        identifier: identifier.to_owned(),
        package_id: None,
        standard: "scorm12".into(),
        title: "T".into(),
        manifest: "{}".into(),
        report: "{\"problems\":[]}".into(),
        files,
        created: crate::t(10),
    }
}

pub async fn chunks_are_content_addressed(store: Arc<dyn PlayerStore>) {
    let a = sha(b"aaa");
    let b = sha(b"bbb");
    assert_eq!(
        store
            .missing_chunks(vec![a.clone(), b.clone()])
            .await
            .unwrap(),
        vec![a.clone(), b.clone()]
    );
    store
        .put_chunks(vec![(a.clone(), b"aaa".to_vec())])
        .await
        .unwrap();
    // Storing it again is harmless.
    store
        .put_chunks(vec![(a.clone(), b"aaa".to_vec())])
        .await
        .unwrap();
    assert_eq!(
        store
            .missing_chunks(vec![a.clone(), b.clone()])
            .await
            .unwrap(),
        vec![b.clone()]
    );
    assert_eq!(store.read_chunk(&a).await.unwrap().unwrap(), b"aaa");
    assert!(store.read_chunk(&b).await.unwrap().is_none());
    // A file may only name stored chunks.
    assert!(store.put_file(sha(b"x"), 3, vec![b.clone()]).await.is_err());
    store
        .put_file(sha(b"aaaaaa"), 6, vec![a.clone(), a.clone()])
        .await
        .unwrap();
    assert_eq!(
        store.file_chunks(&sha(b"aaaaaa")).await.unwrap().unwrap(),
        vec![a.clone(), a]
    );
    assert!(store.file_chunks(&b).await.unwrap().is_none());
}

pub async fn versions_count_up_per_identifier(store: Arc<dyn PlayerStore>) {
    let h = store_file(&*store, b"<html/>").await;
    let file = VersionFile {
        path: "index.html".into(),
        sha256: h.clone(),
        size: 7,
    };
    let v1 = store
        .add_version(new_version("urn:a", vec![file.clone()]))
        .await
        .unwrap();
    let v2 = store
        .add_version(new_version("urn:a", vec![file.clone()]))
        .await
        .unwrap();
    let other = store
        .add_version(new_version("urn:b", vec![file.clone()]))
        .await
        .unwrap();
    assert_eq!((v1.version, v2.version, other.version), (1, 2, 1));
    assert_eq!(v1.package_id, v2.package_id);
    assert_ne!(v1.package_id, other.package_id);
    assert_ne!(v1.version_id, v2.version_id);
    assert_eq!(v1.created, crate::t(10));
    let got = store.get_version(v1.version_id).await.unwrap().unwrap();
    assert_eq!(got, v1);
    assert!(
        store
            .get_version(uuid::Uuid::new_v4())
            .await
            .unwrap()
            .is_none()
    );
    let list = store.list_packages().await.unwrap();
    let newest: Vec<(String, i64)> = list
        .iter()
        .map(|v| (v.identifier.clone(), v.version))
        .collect();
    assert_eq!(
        newest,
        vec![("urn:a".to_owned(), 2), ("urn:b".to_owned(), 1)]
    );
    assert_eq!(
        store
            .version_file(v1.version_id, "index.html")
            .await
            .unwrap(),
        Some(file)
    );
    assert!(
        store
            .version_file(v1.version_id, "nope.html")
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn a_version_can_name_its_package(store: Arc<dyn PlayerStore>) {
    let h = store_file(&*store, b"<html/>").await;
    let file = VersionFile {
        path: "index.html".into(),
        sha256: h,
        size: 7,
    };
    let first = store
        .add_version(new_version("urn:vendor:generic", vec![file.clone()]))
        .await
        .unwrap();
    assert!(store.package_exists(first.package_id).await.unwrap());
    assert!(!store.package_exists(uuid::Uuid::new_v4()).await.unwrap());
    // Another course with the same generic identifier, imported as its own package first...
    let mut other = new_version("urn:vendor:other", vec![file.clone()]);
    let other_pkg = store.add_version(other.clone()).await.unwrap();
    // ...then a new version of it whose manifest reuses the first one's identifier.
    other.identifier = "urn:vendor:generic".into();
    other.package_id = Some(other_pkg.package_id);
    let v2 = store.add_version(other).await.unwrap();
    assert_eq!(v2.package_id, other_pkg.package_id);
    assert_eq!(v2.version, 2);
    assert_eq!(
        v2.identifier, "urn:vendor:other",
        "the package keeps its identifier"
    );
    // The first package is untouched.
    let list = store.list_packages().await.unwrap();
    let generic = list
        .iter()
        .find(|v| v.package_id == first.package_id)
        .unwrap();
    assert_eq!(generic.version, 1);
    // A package that does not exist is refused.
    let mut orphan = new_version("urn:x", vec![file]);
    orphan.package_id = Some(uuid::Uuid::new_v4());
    assert!(store.add_version(orphan).await.is_err());
}

pub async fn a_version_needs_its_files_stored(store: Arc<dyn PlayerStore>) {
    let file = VersionFile {
        path: "index.html".into(),
        sha256: sha(b"never stored"),
        size: 12,
    };
    assert!(
        store
            .add_version(new_version("urn:c", vec![file]))
            .await
            .is_err()
    );
    assert!(
        store.list_packages().await.unwrap().is_empty(),
        "nothing of a failed version stays"
    );
}

fn zip(files: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&bytes).unwrap();
    f
}

const TINCAN: &str = r#"<?xml version="1.0"?>
<tincan><activities><activity id="https://example.org/a" type="http://adlnet.gov/expapi/activities/course">
<name lang="en-US">Course A</name><launch>index.html</launch></activity></activities></tincan>"#;

/// Reads a stored file back through its chunks.
async fn read_back(store: &dyn PackageStore, sha256: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in store.file_chunks(sha256).await.unwrap().unwrap() {
        out.extend(store.read_chunk(&c).await.unwrap().unwrap());
    }
    out
}

pub async fn import_stores_files_once_and_adds_versions(store: Arc<dyn PlayerStore>) {
    // A file over two chunks, with the same content in both halves: one chunk stored.
    let big: Vec<u8> = (0..2 * CHUNK_BYTES)
        .map(|i| (i % CHUNK_BYTES % 251) as u8)
        .collect();
    let upload = zip(&[
        ("tincan.xml", TINCAN.as_bytes()),
        ("index.html", b"<html/>"),
        ("video.bin", &big),
    ]);
    let first = import_file(
        store.clone(),
        upload.path().to_owned(),
        ImportOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(first.version.identifier, "https://example.org/a");
    assert_eq!(first.version.title, "Course A");
    assert_eq!(first.version.standard, "xapi");
    assert_eq!(first.version.version, 1);
    assert_eq!(first.files, 3);
    let total = (big.len() + TINCAN.len() + 7) as u64;
    assert_eq!(first.bytes, total);
    assert_eq!(
        first.new_bytes,
        total - CHUNK_BYTES as u64,
        "the repeated chunk is stored once"
    );
    let video = store
        .version_file(first.version.version_id, "video.bin")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(video.size, big.len() as u64);
    assert_eq!(read_back(&*store, &video.sha256).await, big);
    let manifest: serde_json::Value = serde_json::from_str(&first.version.manifest).unwrap();
    assert_eq!(manifest["type"], "xapi");

    // The same package again: a new version, no new bytes.
    let second = import_file(
        store.clone(),
        upload.path().to_owned(),
        ImportOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(second.version.version, 2);
    assert_eq!(second.version.package_id, first.version.package_id);
    assert_eq!(second.new_bytes, 0);

    // A refused package stores no version.
    let bad = zip(&[("tincan.xml", TINCAN.as_bytes())]);
    let e = import_file(
        store.clone(),
        bad.path().to_owned(),
        ImportOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ImportFailure::Refused(_)), "{e}");
    assert!(e.to_string().contains("index.html"), "{e}");
    let list = store.list_packages().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].version, 2);
}

pub async fn registrations_launches_and_state(store: Arc<dyn PlayerStore>) {
    let h = store_file(&*store, b"<html/>").await;
    let file = VersionFile {
        path: "index.html".into(),
        sha256: h,
        size: 7,
    };
    let v1 = store
        .add_version(new_version("urn:course", vec![file.clone()]))
        .await
        .unwrap();
    let key = "mbox:mailto:learner@example.com";
    assert!(
        store
            .latest_registration(key, v1.package_id)
            .await
            .unwrap()
            .is_none()
    );
    let first = Registration {
        id: uuid::Uuid::new_v4(),
        package_id: v1.package_id,
        version_id: v1.version_id,
        actor: r#"{"mbox":"mailto:learner@example.com"}"#.into(),
        actor_key: key.into(),
        created: crate::t(100),
    };
    store.add_registration(first.clone()).await.unwrap();
    // A second registration later: the newest one is found.
    let v2 = store
        .add_version(new_version("urn:course", vec![file]))
        .await
        .unwrap();
    let second = Registration {
        id: uuid::Uuid::new_v4(),
        version_id: v2.version_id,
        created: crate::t(200),
        ..first.clone()
    };
    store.add_registration(second.clone()).await.unwrap();
    assert_eq!(
        store.latest_registration(key, v1.package_id).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        store.get_registration(first.id).await.unwrap(),
        Some(first.clone()),
        "the first registration keeps its version"
    );
    assert!(
        store.add_registration(first.clone()).await.is_err(),
        "ids are unique"
    );

    // Launch tokens open their registration until they expire.
    store
        .add_launch("hash-a".into(), first.id, crate::t(1000))
        .await
        .unwrap();
    assert_eq!(
        store.launch("hash-a", crate::t(999)).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.launch("hash-a", crate::t(1000)).await.unwrap(), None);
    assert_eq!(store.launch("hash-b", crate::t(1)).await.unwrap(), None);

    // State per item, replaced on save.
    assert_eq!(store.load_state(first.id, "sco-1").await.unwrap(), None);
    store
        .save_state(first.id, "sco-1", "{\"a\":1}".into(), crate::t(300))
        .await
        .unwrap();
    store
        .save_state(first.id, "sco-1", "{\"a\":2}".into(), crate::t(301))
        .await
        .unwrap();
    store
        .save_state(second.id, "sco-1", "{\"b\":1}".into(), crate::t(302))
        .await
        .unwrap();
    assert_eq!(
        store
            .load_state(first.id, "sco-1")
            .await
            .unwrap()
            .as_deref(),
        Some("{\"a\":2}")
    );
    assert_eq!(store.load_state(first.id, "sco-2").await.unwrap(), None);
}

pub async fn au_sessions_and_their_one_time_fetch(store: Arc<dyn PlayerStore>) {
    let h = store_file(&*store, b"<html/>").await;
    let v = store
        .add_version(new_version(
            "urn:cmi5",
            vec![VersionFile {
                path: "index.html".into(),
                sha256: h,
                size: 7,
            }],
        ))
        .await
        .unwrap();
    let registration = Registration {
        id: uuid::Uuid::new_v4(),
        package_id: v.package_id,
        version_id: v.version_id,
        actor: r#"{"mbox":"mailto:learner@example.com"}"#.into(),
        actor_key: "mbox:mailto:learner@example.com".into(),
        created: crate::t(100),
    };
    store.add_registration(registration.clone()).await.unwrap();
    let session = |n: u128, fetch: &str, created: i64| AuSession {
        id: uuid::Uuid::from_u128(n),
        registration_id: registration.id,
        au: "urn:au:1".into(),
        fetch_hash: fetch.into(),
        fetched: None,
        state: "{}".into(),
        created: crate::t(created),
        expires: crate::t(created + 1000),
    };
    let first = session(1, "fetch-1", 200);
    let second = session(2, "fetch-2", 300);
    store.add_au_session(second.clone()).await.unwrap();
    store.add_au_session(first.clone()).await.unwrap();
    assert!(store.add_au_session(first.clone()).await.is_err());
    // The fetch URL works once, and not after its session expired.
    let claimed = store.claim_fetch("fetch-1", crate::t(250)).await.unwrap();
    let FetchClaim::Claimed(got) = claimed else {
        panic!("{claimed:?}")
    };
    assert_eq!(got.id, first.id);
    assert_eq!(got.fetched, Some(crate::t(250)));
    assert_eq!(
        store.claim_fetch("fetch-1", crate::t(251)).await.unwrap(),
        FetchClaim::Spent
    );
    assert_eq!(
        store.claim_fetch("fetch-2", crate::t(1300)).await.unwrap(),
        FetchClaim::Spent
    );
    assert_eq!(
        store.claim_fetch("nope", crate::t(1)).await.unwrap(),
        FetchClaim::Unknown
    );
    store
        .update_au_session(second.id, "{\"terminated\":true}".into())
        .await
        .unwrap();
    let listed = store
        .au_sessions(registration.id, "urn:au:1")
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|s| s.id).collect::<Vec<_>>(),
        [first.id, second.id],
        "oldest first"
    );
    assert_eq!(listed[1].state, "{\"terminated\":true}");
    assert_eq!(store.au_session(first.id).await.unwrap(), Some(got));
    assert!(
        store
            .au_sessions(registration.id, "urn:au:2")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn plugins_install_upgrade_and_move_their_cursor(store: Arc<dyn PlayerStore>) {
    use lara_plugin_registry::InstalledPlugin;
    let plugin = InstalledPlugin {
        name: "certification".into(),
        version: "0.1.0".into(),
        wasm_sha256: "aa".into(),
        wasm: vec![0, 97, 115, 109],
        description: "{\"name\":\"certification\"}".into(),
        granted: vec!["emit-statements".into(), "documents".into()],
        enabled: true,
        cursor: 0,
        health: "{}".into(),
        installed: crate::t(100),
    };
    assert!(store.install_plugin(plugin.clone()).await.unwrap());
    assert!(
        !store.install_plugin(plugin.clone()).await.unwrap(),
        "a name is installed once"
    );
    assert_eq!(
        store.plugin("certification").await.unwrap(),
        Some(plugin.clone())
    );
    assert_eq!(store.plugin("nope").await.unwrap(), None);

    // The cursor moves only from where it is.
    assert!(
        store
            .advance_plugin_cursor("certification", 0, 40)
            .await
            .unwrap()
    );
    assert!(
        !store
            .advance_plugin_cursor("certification", 0, 50)
            .await
            .unwrap()
    );
    assert!(
        store
            .advance_plugin_cursor("certification", 40, 45)
            .await
            .unwrap()
    );
    // A batch's acknowledgement moves the cursor and writes the counts together, or neither.
    assert!(
        !store
            .acknowledge_plugin_batch("certification", 40, 60, "{\"delivered\":9}")
            .await
            .unwrap()
    );
    assert_eq!(
        store.plugin("certification").await.unwrap().unwrap().health,
        "{}"
    );
    assert!(
        store
            .acknowledge_plugin_batch("certification", 45, 50, "{\"delivered\":5}")
            .await
            .unwrap()
    );
    assert_eq!(
        store.plugin("certification").await.unwrap().unwrap().health,
        "{\"delivered\":5}"
    );

    // An upgrade replaces the component and keeps grants, state and cursor.
    assert!(
        store
            .upgrade_plugin("certification", "0.2.0", "bb", vec![1, 2], "{}")
            .await
            .unwrap()
    );
    assert!(
        !store
            .upgrade_plugin("nope", "1", "cc", vec![], "{}")
            .await
            .unwrap()
    );
    assert!(
        store
            .set_plugin_enabled("certification", false)
            .await
            .unwrap()
    );
    assert!(
        store
            .set_plugin_grants("certification", vec!["documents".into()])
            .await
            .unwrap()
    );
    assert!(
        store
            .set_plugin_health("certification", "{\"failures\":1}")
            .await
            .unwrap()
    );
    let got = store.plugin("certification").await.unwrap().unwrap();
    assert_eq!(
        (
            got.version.as_str(),
            got.wasm_sha256.as_str(),
            got.wasm.as_slice()
        ),
        ("0.2.0", "bb", &[1u8, 2][..])
    );
    assert_eq!(got.cursor, 50);
    assert!(!got.enabled);
    assert_eq!(got.granted, vec!["documents".to_owned()]);
    assert_eq!(got.health, "{\"failures\":1}");

    // Listings leave the components out.
    let second = InstalledPlugin {
        name: "attendance".into(),
        ..plugin
    };
    assert!(store.install_plugin(second).await.unwrap());
    let listed = store.list_plugins().await.unwrap();
    assert_eq!(
        listed.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["attendance", "certification"]
    );
    assert!(listed.iter().all(|p| p.wasm.is_empty()));
}

pub async fn plugin_leases_go_to_one_node_at_a_time(store: Arc<dyn PlayerStore>) {
    use lara_plugin_registry::InstalledPlugin;
    let plugin = InstalledPlugin {
        name: "leased".into(),
        version: "0.1.0".into(),
        wasm_sha256: "aa".into(),
        wasm: vec![0, 97, 115, 109],
        description: "{}".into(),
        granted: Vec::new(),
        enabled: true,
        cursor: 0,
        health: "{}".into(),
        installed: crate::t(100),
    };
    assert!(store.install_plugin(plugin).await.unwrap());
    assert!(store.lease_plugin("leased", "node-a", 30).await.unwrap());
    assert!(
        !store.lease_plugin("leased", "node-b", 30).await.unwrap(),
        "node a holds it"
    );
    assert!(
        store.lease_plugin("leased", "node-a", 30).await.unwrap(),
        "the holder renews"
    );
    assert!(!store.lease_plugin("nope", "node-a", 30).await.unwrap());
    // Released, the next node takes it at once.
    store.release_plugin("leased", "node-b").await.unwrap();
    assert!(!store.lease_plugin("leased", "node-b", 30).await.unwrap());
    store.release_plugin("leased", "node-a").await.unwrap();
    assert!(store.lease_plugin("leased", "node-b", 1).await.unwrap());
    // A lease that ran out passes on.
    assert!(!store.lease_plugin("leased", "node-a", 30).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(store.lease_plugin("leased", "node-a", 30).await.unwrap());

    // Removed, it is gone; a plugin of that name can be installed afresh.
    assert!(store.remove_plugin("leased").await.unwrap());
    assert!(!store.remove_plugin("leased").await.unwrap());
    assert_eq!(store.plugin("leased").await.unwrap(), None);
    assert!(!store.lease_plugin("leased", "node-a", 30).await.unwrap());
}

pub async fn people_are_kept_and_listed_by_org_unit(store: Arc<dyn PlayerStore>) {
    use lrs_core::directory::Person;
    let person = |id: &str, unit: Option<&str>, roles: &[&str]| Person {
        id: id.into(),
        name: format!("Person {id}"),
        email: Some(format!("{id}@kommune.example")),
        org_unit: unit.map(str::to_owned),
        manager: (id != "E0").then(|| "E0".to_owned()),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        updated: crate::t(200),
    };
    store
        .upsert_people(vec![
            person("e2", Some("north"), &["nurse"]),
            person("E0", None, &["manager", "nurse"]),
            person("e1", Some("north"), &[]),
            person("e3", Some("south"), &["assistant"]),
        ])
        .await
        .unwrap();
    let ids = |list: Vec<Person>| list.into_iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_people(None).await.unwrap()),
        ["E0", "e1", "e2", "e3"],
        "by id, byte order"
    );
    assert_eq!(
        ids(store.list_people(Some("north")).await.unwrap()),
        ["e1", "e2"]
    );
    assert_eq!(
        store.person("E0").await.unwrap(),
        Some(person("E0", None, &["manager", "nurse"]))
    );
    // A second sync replaces the record.
    let moved = Person {
        org_unit: Some("south".into()),
        email: None,
        ..person("e2", None, &["nurse", "mentor"])
    };
    store.upsert_people(vec![moved.clone()]).await.unwrap();
    assert_eq!(store.person("e2").await.unwrap(), Some(moved));
    assert_eq!(
        ids(store.list_people(Some("south")).await.unwrap()),
        ["e2", "e3"]
    );
    assert!(store.delete_person("e3").await.unwrap());
    assert!(!store.delete_person("e3").await.unwrap());
    assert_eq!(store.person("e3").await.unwrap(), None);
    assert!(store.list_people(Some("nowhere")).await.unwrap().is_empty());
}
