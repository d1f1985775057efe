//! Lara's plugin host: runs WebAssembly components that implement the `lara:plugin` world
//! (`plugins/wit/lara-plugin.wit`) in a sandbox.
//!
//! - **Compiled once.** [`PluginHost::load`] compiles a component to native code and keeps the
//!   result in a cache directory keyed by the SHA-256 of the wasm, the engine's compatibility
//!   hash and the wasmtime version, so a restart loads it without compiling again.
//! - **Sandboxed per call.** Every call gets a fresh store with a wall-clock deadline (epoch
//!   interruption, [`Limits::call_millis`]) and a memory cap ([`Limits::memory_bytes`]). The
//!   component has no WASI: no files, network, environment or clock other than the host's
//!   imports. A loop, a trap or an allocation past the cap ends the call with a
//!   [`PluginError`], and the host is unharmed.
//! - **Capabilities.** Each host import that reaches Lara needs a capability the plugin
//!   declared in `describe` and an administrator granted; otherwise it answers
//!   `not-permitted` without calling [`Services`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use thiserror::Error;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder};

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
});

// `Description`, `StoredStatement`, `HttpRequest` and `HttpResponse` are at the top already
// (the world uses them).
pub use lara::plugin::types::{
    Capability, Document, Error as HostError, Header, Level, Person, Route, StatementFilter,
};

impl StatementFilter {
    /// A filter that matches every statement, oldest first, `limit` at a time.
    pub fn everything(limit: u32) -> Self {
        StatementFilter {
            agent: None,
            verb: None,
            activity: None,
            registration: None,
            related_activities: false,
            related_agents: false,
            since: None,
            until: None,
            limit,
            ascending: true,
        }
    }
}

/// How often the engine's epoch advances: the granularity of call deadlines.
const TICK: Duration = Duration::from_millis(10);

/// The bounds of one call into a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time the plugin's own code may run in one call (wall clock, without the time Lara
    /// spends serving its host calls).
    pub call_millis: u64,
    /// Time one call may take in all, host calls included.
    pub wall_millis: u64,
    /// Linear memory a plugin instance may grow to.
    pub memory_bytes: usize,
    /// Instances kept ready in wasmtime's pooling allocator (0: allocate each on demand).
    pub pooled_instances: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            call_millis: 100,
            wall_millis: 10_000,
            memory_bytes: 64 << 20,
            pooled_instances: 0,
        }
    }
}

#[derive(Debug, Error)]
pub enum PluginError {
    #[error("the plugin ran past its time limit of {0} ms and was stopped")]
    TimedOut(u64),
    #[error("the plugin tried to use more than its {0} bytes of memory and was stopped")]
    OutOfMemory(usize),
    #[error("the plugin trapped: {0}")]
    Trapped(String),
    #[error("the component is not a Lara plugin: {0}")]
    Invalid(String),
    #[error("plugin cache: {0}")]
    Cache(String),
}

/// What the host offers plugins beyond the clock and the log: Lara's statements, the plugin's
/// documents and the directory. Called from the plugin's thread; only for granted
/// capabilities.
pub trait Services: Send + Sync + 'static {
    fn query_statements(
        &self,
        plugin: &str,
        filter: StatementFilter,
    ) -> Result<Vec<StoredStatement>, HostError>;
    /// Stores statements a plugin emits. `chain` names the plugins whose statements led to
    /// this call (the plugin itself excluded): the statements must not be delivered back to
    /// any of them, nor to `plugin`.
    fn emit_statements(
        &self,
        plugin: &str,
        chain: &[String],
        statements: Vec<String>,
    ) -> Result<Vec<String>, HostError>;
    fn get_document(&self, plugin: &str, id: &str) -> Result<Option<Document>, HostError>;
    fn put_document(
        &self,
        plugin: &str,
        id: &str,
        content_type: &str,
        content: Vec<u8>,
        if_match: Option<String>,
    ) -> Result<String, HostError>;
    fn delete_document(
        &self,
        plugin: &str,
        id: &str,
        if_match: Option<String>,
    ) -> Result<(), HostError>;
    fn list_documents(&self, plugin: &str, prefix: &str) -> Result<Vec<String>, HostError>;
    fn people(&self, plugin: &str, org_unit: Option<String>) -> Result<Vec<Person>, HostError>;
    fn now(&self) -> String;
}

/// The state of one call: who is calling, what it may do, and its memory limiter.
struct CallState {
    plugin: String,
    /// The plugins whose statements this call is handling (see [`Services::emit_statements`]).
    chain: Vec<String>,
    granted: BTreeSet<CapabilityKey>,
    services: Arc<dyn Services>,
    limits: StoreLimits,
    /// When the call began, and how much of it was spent in host services.
    started: Instant,
    host_time: Duration,
}

/// `Capability` as an orderable key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CapabilityKey {
    QueryStatements,
    EmitStatements,
    Documents,
    Directory,
}

impl From<Capability> for CapabilityKey {
    fn from(c: Capability) -> Self {
        match c {
            Capability::QueryStatements => CapabilityKey::QueryStatements,
            Capability::EmitStatements => CapabilityKey::EmitStatements,
            Capability::Documents => CapabilityKey::Documents,
            Capability::Directory => CapabilityKey::Directory,
        }
    }
}

impl CallState {
    /// Runs a service for the plugin, counting its time as Lara's, not the plugin's.
    fn serve<R>(&mut self, f: impl FnOnce(&Self) -> R) -> R {
        let start = Instant::now();
        let result = f(self);
        self.host_time = self.host_time.saturating_add(start.elapsed());
        result
    }

    fn permit(&self, c: CapabilityKey) -> Result<(), HostError> {
        if self.granted.contains(&c) {
            Ok(())
        } else {
            Err(HostError::NotPermitted(format!(
                "the plugin {} has no {c:?} capability",
                self.plugin
            )))
        }
    }
}

impl lara::plugin::types::Host for CallState {}

impl lara::plugin::host::Host for CallState {
    fn query_statements(
        &mut self,
        filter: StatementFilter,
    ) -> Result<Vec<StoredStatement>, HostError> {
        self.permit(CapabilityKey::QueryStatements)?;
        self.serve(|s| s.services.query_statements(&s.plugin, filter))
    }

    fn emit_statements(&mut self, statements: Vec<String>) -> Result<Vec<String>, HostError> {
        self.permit(CapabilityKey::EmitStatements)?;
        self.serve(|s| s.services.emit_statements(&s.plugin, &s.chain, statements))
    }

    fn get_document(&mut self, id: String) -> Result<Option<Document>, HostError> {
        self.permit(CapabilityKey::Documents)?;
        self.serve(|s| s.services.get_document(&s.plugin, &id))
    }

    fn put_document(
        &mut self,
        id: String,
        content_type: String,
        content: Vec<u8>,
        if_match: Option<String>,
    ) -> Result<String, HostError> {
        self.permit(CapabilityKey::Documents)?;
        self.serve(|s| {
            s.services
                .put_document(&s.plugin, &id, &content_type, content, if_match)
        })
    }

    fn delete_document(&mut self, id: String, if_match: Option<String>) -> Result<(), HostError> {
        self.permit(CapabilityKey::Documents)?;
        self.serve(|s| s.services.delete_document(&s.plugin, &id, if_match))
    }

    fn list_documents(&mut self, prefix: String) -> Result<Vec<String>, HostError> {
        self.permit(CapabilityKey::Documents)?;
        self.serve(|s| s.services.list_documents(&s.plugin, &prefix))
    }

    fn people(&mut self, org_unit: Option<String>) -> Result<Vec<Person>, HostError> {
        self.permit(CapabilityKey::Directory)?;
        self.serve(|s| s.services.people(&s.plugin, org_unit))
    }

    fn now(&mut self) -> String {
        self.services.now()
    }

    fn log(&mut self, level: Level, message: String) {
        let plugin = self.plugin.as_str();
        match level {
            Level::Trace => tracing::trace!(plugin, "{message}"),
            Level::Debug => tracing::debug!(plugin, "{message}"),
            Level::Info => tracing::info!(plugin, "{message}"),
            Level::Warn => tracing::warn!(plugin, "{message}"),
            Level::Error => tracing::error!(plugin, "{message}"),
        }
    }
}

/// The engine, its epoch ticker and the compile cache: one per process.
pub struct PluginHost {
    engine: Engine,
    cache_dir: PathBuf,
    limits: Limits,
}

impl PluginHost {
    /// Starts a host whose compiled plugins are cached in `cache_dir`.
    pub fn new(cache_dir: &Path, limits: Limits) -> Result<Self, PluginError> {
        let mut config = Config::new();
        config.wasm_component_model(true).epoch_interruption(true);
        if limits.pooled_instances > 0 {
            let n = limits.pooled_instances;
            let mut pool = wasmtime::PoolingAllocationConfig::default();
            pool.total_component_instances(n)
                .total_core_instances(n.saturating_mul(8))
                .total_memories(n.saturating_mul(2))
                .total_tables(n.saturating_mul(4))
                .max_memories_per_component(2)
                .max_memory_size(limits.memory_bytes);
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&config).map_err(|e| PluginError::Invalid(e.to_string()))?;
        std::fs::create_dir_all(cache_dir).map_err(|e| PluginError::Cache(e.to_string()))?;
        // The ticker holds a weak handle: it stops once the engine is gone.
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("lara-plugin-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(TICK);
                }
            })
            .map_err(|e| PluginError::Cache(format!("starting the epoch ticker: {e}")))?;
        Ok(Self {
            engine,
            cache_dir: cache_dir.to_owned(),
            limits,
        })
    }

    /// The cache file of a component: its hash, the engine's compatibility hash and the
    /// wasmtime version, so that neither another build of Lara nor other settings reuse it.
    fn cache_path(&self, wasm: &[u8]) -> PathBuf {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        let name = format!(
            "{}-{:016x}-{}.cwasm",
            hex::encode(Sha256::digest(wasm)),
            h.finish(),
            env!("CARGO_PKG_VERSION")
        );
        self.cache_dir.join(name)
    }

    /// Loads a plugin from its wasm bytes (compiling it, or reusing the cached compilation),
    /// asks it to describe itself, and grants it the capabilities in `granted` that it
    /// declared.
    pub fn load(
        &self,
        wasm: &[u8],
        granted: &[CapabilityKey],
        services: Arc<dyn Services>,
    ) -> Result<LoadedPlugin, PluginError> {
        let path = self.cache_path(wasm);
        let component = match self.cached(&path) {
            Some(c) => c,
            None => {
                let compiled = self
                    .engine
                    .precompile_component(wasm)
                    .map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
                let tmp = path.with_extension("tmp");
                std::fs::write(&tmp, &compiled).map_err(|e| PluginError::Cache(e.to_string()))?;
                std::fs::rename(&tmp, &path).map_err(|e| PluginError::Cache(e.to_string()))?;
                self.cached(&path).ok_or_else(|| {
                    PluginError::Cache("a compiled plugin could not be read back".into())
                })?
            }
        };
        let mut linker: Linker<CallState> = Linker::new(&self.engine);
        Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
        let pre = PluginPre::new(pre).map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
        let mut plugin = LoadedPlugin {
            engine: self.engine.clone(),
            pre,
            limits: self.limits,
            name: String::from("(loading)"),
            granted: BTreeSet::new(),
            services,
            description: None,
        };
        let description = plugin.describe()?;
        let declared: BTreeSet<CapabilityKey> = description
            .capabilities
            .iter()
            .map(|c| CapabilityKey::from(*c))
            .collect();
        plugin.name = description.name.clone();
        plugin.granted = granted
            .iter()
            .copied()
            .filter(|c| declared.contains(c))
            .collect();
        plugin.description = Some(description);
        Ok(plugin)
    }

    /// A compiled component from the cache, if it is there and loads.
    #[allow(unsafe_code)]
    fn cached(&self, path: &Path) -> Option<Component> {
        if !path.is_file() {
            return None;
        }
        // SAFETY: the file is one this host wrote with `precompile_component` for this engine
        // configuration and wasmtime version (both in its name), into a directory Lara owns.
        // Wasmtime also checks the compatibility header before using it.
        match unsafe { Component::deserialize_file(&self.engine, path) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "a cached plugin did not load; compiling it again");
                None
            }
        }
    }
}

/// A plugin ready to be called: instantiated afresh, in its own store, for every call.
pub struct LoadedPlugin {
    engine: Engine,
    pre: PluginPre<CallState>,
    limits: Limits,
    name: String,
    granted: BTreeSet<CapabilityKey>,
    services: Arc<dyn Services>,
    /// What the plugin answered to `describe` when it was loaded.
    description: Option<Description>,
}

impl LoadedPlugin {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the plugin said of itself when it was loaded.
    pub fn description(&self) -> Option<&Description> {
        self.description.as_ref()
    }

    /// The capabilities the plugin has: declared and granted.
    pub fn granted(&self) -> &BTreeSet<CapabilityKey> {
        &self.granted
    }

    fn store(&self, chain: &[String]) -> Store<CallState> {
        let state = CallState {
            plugin: self.name.clone(),
            chain: chain.to_vec(),
            granted: self.granted.clone(),
            services: self.services.clone(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.memory_bytes)
                .trap_on_grow_failure(true)
                .build(),
            started: Instant::now(),
            host_time: Duration::ZERO,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let ticks = |d: Duration| (d.as_millis() as u64).div_ceil(TICK.as_millis().max(1) as u64);
        let budget = Duration::from_millis(self.limits.call_millis);
        let wall = Duration::from_millis(self.limits.wall_millis.max(self.limits.call_millis));
        store.set_epoch_deadline(ticks(budget).max(1));
        // At the deadline: time spent in host calls does not count against the plugin, so
        // it gets what is left of its budget, as long as the call's total stays in bounds.
        store.epoch_deadline_callback(move |ctx| {
            let s = ctx.data();
            let elapsed = s.started.elapsed();
            let own = elapsed.saturating_sub(s.host_time);
            if own >= budget || elapsed >= wall {
                Ok(wasmtime::UpdateDeadline::Interrupt)
            } else {
                let left = (budget - own).min(wall - elapsed);
                Ok(wasmtime::UpdateDeadline::Continue(ticks(left).max(1)))
            }
        });
        store
    }

    /// Runs `f` against a fresh instance, turning traps into [`PluginError`]s.
    fn call<R>(
        &self,
        chain: &[String],
        f: impl FnOnce(&Plugin, &mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        let mut store = self.store(chain);
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| f(&instance, &mut store));
        result.map_err(|e| self.classify(e))
    }

    fn classify(&self, e: wasmtime::Error) -> PluginError {
        if let Some(trap) = e.downcast_ref::<wasmtime::Trap>()
            && *trap == wasmtime::Trap::Interrupt
        {
            return PluginError::TimedOut(self.limits.call_millis);
        }
        let text = format!("{e:#}");
        if text.contains("memory") && text.contains("grow") {
            return PluginError::OutOfMemory(self.limits.memory_bytes);
        }
        PluginError::Trapped(text)
    }

    pub fn describe(&self) -> Result<Description, PluginError> {
        self.call(&[], |p, s| p.call_describe(s))
    }

    /// Delivers statements; the plugin's own error comes back as `Ok(Err(..))`.
    pub fn on_statements(
        &self,
        batch: &[StoredStatement],
    ) -> Result<Result<(), String>, PluginError> {
        self.on_statements_from(batch, &[])
    }

    /// Delivers statements that other plugins' statements are among: `chain` names those
    /// plugins, and the statements this call emits carry them on (see
    /// [`Services::emit_statements`]).
    pub fn on_statements_from(
        &self,
        batch: &[StoredStatement],
        chain: &[String],
    ) -> Result<Result<(), String>, PluginError> {
        self.call(chain, |p, s| p.call_on_statements(s, batch))
    }

    pub fn handle_request(&self, request: &HttpRequest) -> Result<HttpResponse, PluginError> {
        self.call(&[], |p, s| p.call_handle_request(s, request))
    }

    pub fn on_schedule(&self, now: &str) -> Result<Result<(), String>, PluginError> {
        self.call(&[], |p, s| p.call_on_schedule(s, now))
    }
}

/// For tests and benchmarks: builds a plugin crate of this workspace as a component and
/// returns its bytes. It runs `cargo build --release --target wasm32-unknown-unknown -p
/// PACKAGE` in a target directory of its own (below `CARGO_TARGET_DIR`), so it works from inside
/// a running `cargo test`.
pub fn build_workspace_plugin(package: &str) -> Result<Vec<u8>, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("plugin-tests");
    ensure_wasm_target()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            package,
        ])
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building {package} failed (is the wasm32-unknown-unknown target installed?)"
        ));
    }
    let file = format!(
        "wasm32-unknown-unknown/release/{}.wasm",
        package.replace('-', "_")
    );
    std::fs::read(target.join(file)).map_err(|e| format!("reading {package}: {e}"))
}

/// Installs the `wasm32-unknown-unknown` standard library with rustup when the toolchain lacks
/// it, so that `cargo test` works on a fresh machine.
fn ensure_wasm_target() -> Result<(), String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = std::process::Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("running rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_owned();
    if Path::new(&sysroot)
        .join("lib/rustlib/wasm32-unknown-unknown")
        .is_dir()
    {
        return Ok(());
    }
    let status = std::process::Command::new("rustup")
        .args(["target", "add", "wasm32-unknown-unknown"])
        .status()
        .map_err(|e| {
            format!("the wasm32-unknown-unknown target is missing and rustup did not run: {e}")
        })?;
    if status.success() {
        Ok(())
    } else {
        Err("rustup could not add the wasm32-unknown-unknown target".into())
    }
}
