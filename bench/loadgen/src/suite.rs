//! A benchmark run: for each store, a fresh seeded store, the chosen scenarios one after
//! the other (each on its own server process), and the machine facts the report needs.

use std::path::PathBuf;
use std::time::Instant;

use crate::manifest::Manifest;
use crate::profile::Profile;
use crate::report::{Row, Verdict, text_table};
use crate::runner::{Env, StoreKind};
use crate::scenarios::{self, Ctx};

/// What a run needs from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub server_bin: PathBuf,
    pub stores: Vec<StoreKind>,
    pub scenarios: Vec<String>,
    pub profile: Profile,
    pub pg_url: String,
    pub redis_url: String,
    pub work_dir: PathBuf,
    /// Keep the seeded stores (and server logs) instead of removing them.
    pub keep: bool,
    /// Record a perf profile of every server into this directory.
    pub perf_dir: Option<PathBuf>,
    /// Run on a store seeded before (`ferrochat-bench seed`) instead of a fresh one.
    pub reuse: Option<Reuse>,
}

/// A store seeded earlier: its DATA_DIR (SQLite), database (PostgreSQL) and manifest.
#[derive(Debug, Clone)]
pub struct Reuse {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub manifest: PathBuf,
}

/// The machine and conditions, for the report's heading.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub cores: usize,
    pub memory_gib: f64,
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
    pub seconds: f64,
    pub nofile: u64,
}

impl Conditions {
    pub fn describe(&self) -> String {
        let load = |l: Option<f64>| l.map_or_else(|| "?".into(), |v| format!("{v:.2}"));
        format!(
            "{} cores, {:.0} GiB; 1-min load {} before, {} after; {:.0} s; RLIMIT_NOFILE {}",
            self.cores,
            self.memory_gib,
            load(self.load_before),
            load(self.load_after),
            self.seconds,
            self.nofile
        )
    }
}

fn memory_gib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0)
}

fn needs_seed(scenario: &str, store: StoreKind) -> bool {
    match scenario {
        "idle-server" => false,
        "cluster" => store == StoreKind::Postgres,
        _ => true,
    }
}

async fn run_scenarios(options: &Options, ctx: &Ctx<'_>, rows: &mut Vec<Row>) {
    let store = ctx.env.store.name();
    for scenario in &options.scenarios {
        println!("[{store}] {scenario} ...");
        let at = Instant::now();
        let new_rows = scenarios::run(scenario, ctx).await;
        print!("{}", text_table(&new_rows));
        println!(
            "[{store}] {scenario} took {:.0} s",
            at.elapsed().as_secs_f64()
        );
        rows.extend(new_rows);
    }
}

/// Runs everything asked; prints each scenario's rows as they come.
pub async fn run(options: &Options) -> (Vec<Row>, Conditions) {
    let started = Instant::now();
    let nofile = crate::rlimit::raise_nofile(1 << 20).unwrap_or_else(|e| {
        eprintln!("warning: {e}");
        0
    });
    let mut conditions = Conditions {
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        memory_gib: memory_gib(),
        load_before: crate::procfs::load_average(),
        nofile,
        ..Conditions::default()
    };
    let _ = std::fs::create_dir_all(&options.work_dir);
    if let Some(dir) = &options.perf_dir {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut rows = Vec::new();
    for &store in &options.stores {
        let env = Env {
            server_bin: options.server_bin.clone(),
            store,
            pg_url: options.pg_url.clone(),
            redis_url: options.redis_url.clone(),
            work_dir: options.work_dir.clone(),
            profile: options.profile.clone(),
            perf_dir: options.perf_dir.clone(),
        };
        if let Some(reuse) = &options.reuse {
            let handle = crate::runner::StoreHandle {
                kind: store,
                dir: reuse.data_dir.clone(),
                database_url: reuse.database_url.clone(),
            };
            let manifest = match Manifest::load(&reuse.manifest) {
                Ok(m) => m,
                Err(e) => {
                    let mut row = Row::failed(0, "seed", e.to_string());
                    row.store = store.name().into();
                    rows.push(row);
                    continue;
                }
            };
            let ctx = Ctx {
                env: &env,
                store: &handle,
                manifest: &manifest,
            };
            run_scenarios(options, &ctx, &mut rows).await;
            continue;
        }
        let handle = match env.fresh_store("seed").await {
            Ok(h) => h,
            Err(e) => {
                let mut row = Row::failed(0, "seed", format!("fresh store: {e}"));
                row.store = store.name().into();
                rows.push(row);
                continue;
            }
        };
        let manifest = if options.scenarios.iter().any(|s| needs_seed(s, store)) {
            match env.seed(&handle).await {
                Ok((manifest, stats)) => {
                    let mut row = Row::new(0, "seed", format!("{} rows", stats.rows()));
                    row.store = store.name().into();
                    row.rate = Some(stats.rows() as f64 / stats.total_seconds.max(1e-3));
                    row.ok = stats.rows();
                    row.verdict = Verdict::Info;
                    row = row.note(format!(
                        "{:.1} s with migrations and index builds ({:.1} s); {}",
                        stats.total_seconds,
                        stats.index_seconds,
                        stats
                            .tables
                            .iter()
                            .map(|(t, n, s)| format!("{t} {:.0}/s", *n as f64 / s.max(1e-3)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    rows.push(row);
                    manifest
                }
                Err(e) => {
                    let mut row = Row::failed(0, "seed", e.to_string());
                    row.store = store.name().into();
                    rows.push(row);
                    env.remove(&handle).await;
                    continue;
                }
            }
        } else {
            Manifest::empty()
        };
        let ctx = Ctx {
            env: &env,
            store: &handle,
            manifest: &manifest,
        };
        run_scenarios(options, &ctx, &mut rows).await;
        if options.keep {
            println!("kept {} ({:?})", handle.dir.display(), handle.database_url);
        } else {
            env.remove(&handle).await;
        }
    }
    conditions.load_after = crate::procfs::load_average();
    conditions.seconds = started.elapsed().as_secs_f64();
    (rows, conditions)
}
