//! `lara`: the Lara learning platform server and its administration commands.

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use lara_server::db::DatabaseUrl;
use lara_server::{DEFAULT_DATABASE_URL, DEFAULT_LISTEN};
use lrs_core::Lrs;
use lrs_core::auth::Scope;
use serde_json::json;
use tracing_subscriber::EnvFilter;
use xapi_model::XapiVersion;

/// mimalloc instead of the system allocator: request handling allocates and frees many small
/// JSON values on several threads, which glibc's allocator serialises on its arenas (see
/// `lrs/lara-bench/README.md` for the measured difference).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "lara",
    version,
    about = "Lara: an open learning platform with a complete xAPI LRS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct DbArgs {
    /// Database: sqlite://PATH (embedded, the default) or postgres://USER@HOST/DB.
    #[arg(long, env = "LARA_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "LARA_LISTEN", default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// Address of the content origin, which serves package files and nothing else. Give it
        /// a host name of its own in production (browsers share cookies across the ports of
        /// one host): e.g. content.lara.example in front of this address.
        #[arg(long, env = "LARA_CONTENT_LISTEN", default_value = lara_server::DEFAULT_CONTENT_LISTEN)]
        content_listen: SocketAddr,
        /// The content origin as browsers reach it; launch URLs point there. Default:
        /// http://localhost:PORT with the content listener's port.
        #[arg(long, env = "LARA_CONTENT_URL")]
        content_url: Option<String>,
        /// Lara's own origin as browsers reach it (cmi5 and xAPI content is given its LRS
        /// endpoint under it). Default: http://ADDR with the listen address.
        #[arg(long, env = "LARA_PUBLIC_URL")]
        public_url: Option<String>,
        /// Base of the activity IRIs Lara mints for SCORM packages, which have none:
        /// BASE/scorm/PACKAGE-ID/ITEM. Choose it once; default: the public URL.
        #[arg(long, env = "LARA_ACTIVITY_IRI_BASE")]
        activity_iri_base: Option<String>,
        /// xAPI version announced on responses to requests that name none (1.0.3 or 2.0.0).
        #[arg(long, env = "LARA_XAPI_DEFAULT_VERSION", default_value = "2.0.0", value_parser = parse_version)]
        xapi_default_version: XapiVersion,
        /// Largest accepted request body in bytes (statements with attachments).
        #[arg(long, env = "LARA_MAX_BODY_BYTES", default_value_t = 64 * 1024 * 1024)]
        max_body_bytes: usize,
        /// Largest package upload accepted by POST /api/packages, in bytes.
        #[arg(long, env = "LARA_MAX_PACKAGE_BYTES", default_value_t = 4 << 30)]
        max_package_bytes: u64,
        /// Do not import the demo course on first start.
        #[arg(long, env = "LARA_NO_DEMO_COURSE")]
        no_demo_course: bool,
        /// The share of time (0.01 to 1) a plugin that is behind may spend catching up; the
        /// rest is left to the LRS's own requests.
        #[arg(long, env = "LARA_PLUGIN_DUTY", default_value_t = 0.5, value_parser = parse_duty)]
        plugin_duty: f64,
        #[command(flatten)]
        cache: PluginCache,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Import an e-learning package (SCORM 1.2, SCORM 2004, cmi5 or xAPI zip) as a new version.
    Import {
        /// The package zip.
        file: std::path::PathBuf,
        /// Lara's public URL, as `serve` has it (the default base of SCORM activity IRIs).
        #[arg(long, env = "LARA_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
        /// Base of the activity IRIs Lara mints, as `serve` has it.
        #[arg(long, env = "LARA_ACTIVITY_IRI_BASE")]
        activity_iri_base: Option<String>,
        /// Print the result as JSON for scripts (no progress bar).
        #[arg(long)]
        json: bool,
        /// Make it a new version of this package (its id), whatever the manifest's identifier.
        #[arg(long)]
        package_id: Option<uuid::Uuid>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage API credentials (HTTP Basic key and secret with scopes).
    Credentials {
        #[command(subcommand)]
        action: CredentialsAction,
    },
    /// Install and manage WASM plugins.
    Plugins {
        #[command(subcommand)]
        action: PluginsAction,
    },
}

#[derive(Debug, clap::Args)]
struct PluginCache {
    /// Where compiled plugins are cached.
    #[arg(
        long,
        env = "LARA_PLUGIN_CACHE",
        default_value = "lara-data/plugin-cache"
    )]
    plugin_cache: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
enum PluginsAction {
    /// Install a plugin (a component built for wasm32-unknown-unknown).
    Install {
        file: std::path::PathBuf,
        /// Capabilities to grant, comma separated: query-statements, emit-statements,
        /// documents, directory. Only those the plugin declares are granted.
        #[arg(long, value_delimiter = ',')]
        grant: Vec<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        cache: PluginCache,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Replace an installed plugin by a new version of it (grants, state and cursor stay).
    Upgrade {
        file: std::path::PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        cache: PluginCache,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List installed plugins with their health and cursor lag.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Let a plugin receive statements and serve its routes again.
    Enable {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Stop delivering to a plugin and serving its routes (its cursor stays where it is).
    Disable {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Uninstall a plugin; its documents are deleted unless --keep-documents. The statements
    /// it emitted stay.
    Remove {
        name: String,
        #[arg(long)]
        keep_documents: bool,
        #[command(flatten)]
        cache: PluginCache,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Replace a plugin's granted capabilities (only those it declares take effect).
    Grant {
        name: String,
        /// Capabilities, comma separated; none to revoke all.
        #[arg(value_delimiter = ',')]
        capabilities: Vec<String>,
        #[command(flatten)]
        cache: PluginCache,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
enum CredentialsAction {
    /// Create a credential and print its key and secret (the secret is shown only now).
    Create {
        /// A name to recognise the credential by; it is also the authority's name.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes: statements/write, statements/read, statements/read/mine,
        /// all/read, all, state, define, profile, admin.
        #[arg(long, default_value = "all", value_delimiter = ',')]
        scopes: Vec<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List credentials (never secrets).
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a credential by key.
    Revoke {
        /// The key (keys issued before letters-and-digits-only may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        key: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("LARA_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            content_listen,
            content_url,
            public_url,
            activity_iri_base,
            xapi_default_version,
            max_body_bytes,
            max_package_bytes,
            no_demo_course,
            plugin_duty,
            cache,
            db,
        } => {
            let config = lrs_http::HttpConfig {
                max_body_bytes,
                default_version: xapi_default_version,
                max_package_bytes,
                // Set once the content listener is bound (its port may be chosen by the OS).
                content_base_url: content_url.unwrap_or_default(),
                public_url: public_url.unwrap_or_default(),
                activity_iri_base: activity_iri_base.unwrap_or_default(),
                launch_credentials_only: false,
            };
            let plugins = lara_plugin_runtime::RuntimeSettings {
                duty: plugin_duty,
                ..Default::default()
            };
            serve(
                listen,
                content_listen,
                config,
                !no_demo_course,
                (&cache.plugin_cache, plugins),
                &db,
            )
            .await
        }
        Command::Migrate { db } => {
            let url = DatabaseUrl::parse(&db.database_url)?;
            url.open().await?;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::Credentials { action } => credentials(action).await,
        Command::Plugins { action } => plugins(action).await,
        Command::Import {
            file,
            public_url,
            activity_iri_base,
            json,
            package_id,
            db,
        } => {
            let base = activity_iri_base.unwrap_or(public_url);
            import(file, json, package_id, &base, &db).await
        }
    }
}

fn parse_duty(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(d) if (0.01..=1.0).contains(&d) => Ok(d),
        _ => Err(format!("{s:?} is not a share between 0.01 and 1")),
    }
}

fn parse_version(s: &str) -> Result<XapiVersion, String> {
    XapiVersion::from_header(s)
        .ok_or_else(|| format!("{s:?} is not an xAPI version this LRS speaks (1.0.3 or 2.0.0)"))
}

async fn serve(
    listen: SocketAddr,
    content_listen: SocketAddr,
    mut config: lrs_http::HttpConfig,
    demo_course: bool,
    (plugin_cache, plugin_settings): (&std::path::Path, lara_plugin_runtime::RuntimeSettings),
    db: &DbArgs,
) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&db.database_url)?;
    let backend = url.open().await?;
    let store: std::sync::Arc<dyn lrs_core::store::Store> = backend.clone();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener
        .local_addr()
        .context("reading the listen address")?;
    let content_listener = tokio::net::TcpListener::bind(content_listen)
        .await
        .with_context(|| format!("listening on {content_listen} (the content origin)"))?;
    let content_addr = content_listener
        .local_addr()
        .context("reading the content listen address")?;
    if config.content_base_url.is_empty() {
        // `localhost`, not the bound IP: browsers then treat content and Lara (127.0.0.1) as
        // different sites.
        config.content_base_url = format!("http://localhost:{}", content_addr.port());
    }
    if config.public_url.is_empty() {
        config.public_url = format!("http://{addr}");
    }
    if let Some(admin) = lara_server::bootstrap_admin(&store).await? {
        say("Created the administrator credential. The secret is shown only this once:");
        say(&format!("  key:    {}", admin.credential.key));
        say(&format!("  secret: {}", admin.secret));
        say("  scopes: all, admin");
        if demo_course {
            let demo =
                lara_server::demo::import_demo_course(&backend, config.activity_base()).await?;
            say(&format!(
                "Imported the demo course {:?}: package version {}",
                demo.title, demo.version_id
            ));
        }
    }
    say(&format!(
        "Package content served on http://{content_addr}/content/"
    ));
    say(&format!("Lara LRS listening on http://{addr}/xapi/"));
    tracing::info!(%addr, %content_addr, database = ?url, "serving");
    // One shutdown signal stops both listeners.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    // Plugins run beside the listeners: delivery never holds up a request.
    let plugins = lara_server::plugins::runtime_with(&backend, plugin_cache, plugin_settings)?;
    let delivery = tokio::spawn(plugins.clone().run(until_stopped(stopped.clone())));
    let (app, content_app) = lara_server::apps_with_plugins(backend, config, Some(plugins));
    tokio::try_join!(
        lara_server::run(listener, app, until_stopped(stopped.clone())),
        lara_server::run(content_listener, content_app, until_stopped(stopped),),
    )?;
    delivery.await.context("the plugin delivery task")?;
    Ok(())
}

/// Prints a line for the operator. A server must not stop because nobody reads its output any
/// more (a closed pipe), so write errors are ignored.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

async fn import(
    file: std::path::PathBuf,
    json: bool,
    package_id: Option<uuid::Uuid>,
    activity_base: &str,
    db: &DbArgs,
) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    let backend = DatabaseUrl::parse(&db.database_url)?.open().await?;
    let lrs: std::sync::Arc<dyn lrs_core::store::Store> = backend.clone();
    let packages: std::sync::Arc<dyn player_core::PackageStore> = backend;
    let progress: Option<player_core::import::Progress> = if json {
        None
    } else {
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} storing files {bar:40} {bytes}/{total_bytes} ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(Box::new(move |done, total| {
            bar.set_length(total);
            bar.set_position(done);
            if done >= total {
                bar.finish_and_clear();
            }
        }))
    };
    let options = player_core::ImportOptions {
        package_id,
        progress,
        ..Default::default()
    };
    let result = player_core::import_file(packages, file.clone(), options).await;
    let imported = match result {
        Ok(i) => i,
        Err(player_core::ImportFailure::Refused(lara_package::ImportError::Invalid(report))) => {
            if json {
                let problems: Vec<_> = report
                    .problems
                    .iter()
                    .map(|p| json!({"severity": format!("{:?}", p.severity).to_lowercase(), "file": p.file, "path": p.path, "message": p.message}))
                    .collect();
                println!("{}", json!({"refused": true, "problems": problems}));
            } else {
                eprintln!("{} was refused:", file.display());
                for p in &report.problems {
                    eprintln!("  {p}");
                }
            }
            bail!("the package has errors");
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("importing {}", file.display())));
        }
    };
    player_core::publish_activities(
        lrs.as_ref(),
        &imported.package.manifest,
        imported.version.package_id,
        activity_base,
    )
    .await
    .context("writing the course structure's activity definitions")?;
    let v = &imported.version;
    if json {
        let warnings: Vec<_> = imported
            .package
            .report
            .warnings()
            .map(|p| json!({"file": p.file, "path": p.path, "message": p.message}))
            .collect();
        println!(
            "{}",
            json!({
                "packageId": v.package_id,
                "versionId": v.version_id,
                "identifier": v.identifier,
                "version": v.version,
                "standard": v.standard,
                "title": v.title,
                "files": imported.files,
                "bytes": imported.bytes,
                "newBytes": imported.new_bytes,
                "warnings": warnings,
            })
        );
    } else {
        println!(
            "imported {:?} ({}) as version {}",
            v.title, v.standard, v.version
        );
        println!("  package:  {}", v.package_id);
        println!("  version:  {}", v.version_id);
        println!("  identifier: {}", v.identifier);
        println!(
            "  files:    {} ({} bytes, {} of them new)",
            imported.files, imported.bytes, imported.new_bytes
        );
        for w in imported.package.report.warnings() {
            println!("  {w}");
        }
    }
    Ok(())
}

async fn plugins(action: PluginsAction) -> anyhow::Result<()> {
    use lara_server::plugins;
    let read =
        |f: &std::path::Path| std::fs::read(f).with_context(|| format!("reading {}", f.display()));
    let show = |p: &lara_plugin_registry::InstalledPlugin, json: bool, what: &str| {
        if json {
            println!("{}", plugins::summary(p, None));
        } else {
            println!(
                "{what} {} {} (granted: {})",
                p.name,
                p.version,
                if p.granted.is_empty() {
                    "nothing".to_owned()
                } else {
                    p.granted.join(", ")
                }
            );
        }
    };
    match action {
        PluginsAction::Install {
            file,
            grant,
            json,
            cache,
            db,
        } => {
            let backend = DatabaseUrl::parse(&db.database_url)?.open().await?;
            let p = plugins::install(&backend, read(&file)?, &grant, &cache.plugin_cache).await?;
            show(&p, json, "installed");
        }
        PluginsAction::Upgrade {
            file,
            json,
            cache,
            db,
        } => {
            let backend = DatabaseUrl::parse(&db.database_url)?.open().await?;
            let p = plugins::upgrade(&backend, read(&file)?, &cache.plugin_cache).await?;
            show(&p, json, "upgraded");
        }
        PluginsAction::List { json, db } => {
            let backend = DatabaseUrl::parse(&db.database_url)?.open().await?;
            let list = backend.list_plugins().await?;
            let newest = backend.max_seq().await?;
            if json {
                let out: Vec<_> = list
                    .iter()
                    .map(|p| plugins::summary(p, Some(newest)))
                    .collect();
                println!("{}", serde_json::Value::Array(out));
            } else {
                for p in &list {
                    let health = lara_plugin_runtime::Health::parse(&p.health);
                    println!(
                        "{} {} {} {} lag {}{}",
                        p.name,
                        p.version,
                        if p.enabled { "enabled" } else { "disabled" },
                        health.status(),
                        (newest - p.cursor).max(0),
                        health
                            .last_error
                            .map(|e| format!(" (last error: {e})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        PluginsAction::Remove {
            name,
            keep_documents,
            cache,
            db,
        } => {
            let backend = DatabaseUrl::parse(&db.database_url)?.open().await?;
            let runtime = plugins::runtime(&backend, &cache.plugin_cache)?;
            runtime.remove(&name, keep_documents).await?;
            println!("{name} removed");
        }
        PluginsAction::Grant {
            name,
            capabilities,
            cache,
            db,
        } => {
            let backend = DatabaseUrl::parse(&db.database_url)?.open().await?;
            let runtime = plugins::runtime(&backend, &cache.plugin_cache)?;
            runtime.set_grants(&name, &capabilities).await?;
            let p = backend.plugin(&name).await?.context("the plugin is gone")?;
            show(&p, false, "granted");
        }
        PluginsAction::Enable { name, db } => set_enabled(&name, true, &db).await?,
        PluginsAction::Disable { name, db } => set_enabled(&name, false, &db).await?,
    }
    Ok(())
}

async fn set_enabled(name: &str, enabled: bool, db: &DbArgs) -> anyhow::Result<()> {
    let backend = DatabaseUrl::parse(&db.database_url)?.open().await?;
    if !backend.set_plugin_enabled(name, enabled).await? {
        bail!("no plugin named {name:?} is installed");
    }
    println!("{name} {}", if enabled { "enabled" } else { "disabled" });
    Ok(())
}

async fn credentials(action: CredentialsAction) -> anyhow::Result<()> {
    match action {
        CredentialsAction::Create {
            name,
            scopes,
            json,
            db,
        } => {
            let scopes = scopes
                .iter()
                .map(|s| s.trim().parse::<Scope>())
                .collect::<Result<Vec<_>, _>>()
                .context("parsing --scopes")?;
            if scopes.is_empty() {
                bail!("give at least one scope");
            }
            let store = DatabaseUrl::parse(&db.database_url)?.open().await?;
            let new = Lrs::new(store).create_credential(&name, scopes).await?;
            let scopes: Vec<&str> = new.credential.scopes.iter().map(|s| s.as_str()).collect();
            if json {
                let out = json!({
                    "name": new.credential.name,
                    "key": new.credential.key,
                    "secret": new.secret,
                    "scopes": scopes,
                });
                println!("{out}");
            } else {
                println!(
                    "key:    {}\nsecret: {}\nscopes: {}",
                    new.credential.key,
                    new.secret,
                    scopes.join(", ")
                );
            }
            Ok(())
        }
        CredentialsAction::List { json, db } => {
            let store = DatabaseUrl::parse(&db.database_url)?.open().await?;
            let list = store.list_credentials().await?;
            if json {
                let out: Vec<_> = list
                    .iter()
                    .map(|c| {
                        json!({
                            "name": c.name,
                            "key": c.key,
                            "scopes": c.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                            "created": c.created.to_rfc3339(),
                            "revoked": c.revoked.map(|r| r.to_rfc3339()),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(out));
            } else {
                for c in list {
                    let scopes: Vec<&str> = c.scopes.iter().map(|s| s.as_str()).collect();
                    let state = if c.revoked.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!("{}\t{}\t{}\t{}", c.key, c.name, scopes.join(","), state);
                }
            }
            Ok(())
        }
        CredentialsAction::Revoke { key, db } => {
            let store = DatabaseUrl::parse(&db.database_url)?.open().await?;
            if store.revoke_credential(&key, chrono_now()).await? {
                println!("revoked {key}");
                Ok(())
            } else {
                bail!("no credential with key {key}")
            }
        }
    }
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }

    /// Regression: a key beginning with `-` was read as an option and could not be revoked.
    #[test]
    fn a_key_beginning_with_a_hyphen_can_be_revoked() {
        use clap::Parser;
        let cli = super::Cli::try_parse_from(["lara", "credentials", "revoke", "-lXyZ"]).unwrap();
        let super::Command::Credentials {
            action: super::CredentialsAction::Revoke { key, .. },
        } = cli.command
        else {
            panic!("parsed as something else")
        };
        assert_eq!(key, "-lXyZ");
    }
}
