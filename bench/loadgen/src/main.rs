//! `ferrochat-bench`: seed a store, run one benchmark scenario, or the quick profile.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use ferrochat_bench::profile::Profile;
use ferrochat_bench::report::{Row, Verdict, markdown_table, text_table};
use ferrochat_bench::runner::StoreKind;
use ferrochat_bench::scenarios::ALL;
use ferrochat_bench::seed::{self, SeedConfig, Target};
use ferrochat_bench::suite::{self, Options};

#[derive(Parser)]
#[command(
    name = "ferrochat-bench",
    version,
    about = "Ferrochat's data seeder and load generator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum StoreArg {
    Sqlite,
    Postgres,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum StoresArg {
    Sqlite,
    Postgres,
    Both,
}

impl StoresArg {
    fn kinds(self) -> Vec<StoreKind> {
        match self {
            StoresArg::Sqlite => vec![StoreKind::Sqlite],
            StoresArg::Postgres => vec![StoreKind::Postgres],
            StoresArg::Both => vec![StoreKind::Sqlite, StoreKind::Postgres],
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ProfileArg {
    Quick,
    Full,
}

/// Where and how to run scenarios.
#[derive(Args, Debug)]
struct RunArgs {
    /// The `ferrochat` binary to benchmark (a release build).
    #[arg(long, env = "FERROCHAT_BIN")]
    server_bin: PathBuf,
    #[arg(long, value_enum, default_value = "both")]
    store: StoresArg,
    /// PostgreSQL with the right to create databases; each run gets a fresh database.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_url: String,
    /// Redis for the two-node cluster scenario.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Fresh DATA_DIRs, manifests and server logs go under here.
    #[arg(long, default_value = "/tmp/ferrochat-bench")]
    work_dir: PathBuf,
    /// Keep the seeded stores and server logs.
    #[arg(long)]
    keep: bool,
    /// Also write the table as Markdown to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// A label for the heading (e.g. the commit under test).
    #[arg(long, default_value = "")]
    label: String,
    /// Record a CPU profile of every server with `perf record` into this directory
    /// (`<store>-<scenario>.perf.data`; read with `perf report -i`).
    #[arg(long)]
    perf: Option<PathBuf>,
    /// Run on a store seeded before with `ferrochat-bench seed` (its DATA_DIR) instead of
    /// seeding a fresh one; with one --store. The store is left in place.
    #[arg(long)]
    reuse_data_dir: Option<PathBuf>,
    /// PostgreSQL: the database seeded before (with --reuse-data-dir for the logs).
    #[arg(long)]
    reuse_database_url: Option<String>,
    /// The manifest of the reused store (default: <reuse-data-dir>/bench-seed.json).
    #[arg(long)]
    reuse_manifest: Option<PathBuf>,
    /// Scenario 4: only these subscriber counts (default: the profile's), e.g. `100` for a
    /// run under valgrind.
    #[arg(long, value_delimiter = ',')]
    fanout_sizes: Option<Vec<u64>>,
    /// Scenario 4: seconds of posting per size (default: the profile's).
    #[arg(long)]
    fanout_secs: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Fill a store with users, rooms and messages, straight through the server's schema.
    Seed {
        #[arg(long, value_enum, default_value = "sqlite")]
        store: StoreArg,
        /// SQLite: the server's DATA_DIR (the database is DATA_DIR/ferrochat.db).
        #[arg(long, default_value = "./bench-data")]
        data_dir: PathBuf,
        /// PostgreSQL: the database to fill (created when missing).
        #[arg(
            long,
            default_value = "postgres://postgres@127.0.0.1:5432/ferrochat_bench"
        )]
        database_url: String,
        #[arg(long, default_value_t = 10_000)]
        users: u64,
        /// Rooms in all, the big room and the fan-out rooms included.
        #[arg(long, default_value_t = 50_000)]
        rooms: u64,
        #[arg(long, default_value_t = 1_000_000)]
        big_room_messages: u64,
        /// Messages in all, the big room's included.
        #[arg(long, default_value_t = 10_000_000)]
        messages: u64,
        /// Member counts of the fan-out rooms.
        #[arg(long, value_delimiter = ',', default_value = "100,1000,10000")]
        fanout: Vec<u64>,
        /// Every seeded user's password.
        #[arg(long, default_value = "bench-password")]
        password: String,
        /// Where to write the manifest (users, tokens, rooms) the generator reads.
        /// Default: DATA_DIR/bench-seed.json (SQLite), ./bench-seed.json (PostgreSQL).
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Create the schema with `<this binary> migrate` instead of the migrations built
        /// into this tool (use the binary you will benchmark).
        #[arg(long, env = "FERROCHAT_BIN")]
        server_bin: Option<PathBuf>,
    },
    /// Run one scenario (or `all`) at a profile's size on fresh, seeded stores.
    Run {
        /// logins, reconnect, posts, fanout, idle-conns, presence, history, search,
        /// idle-server, cluster, or all.
        scenario: String,
        #[arg(long, value_enum, default_value = "quick")]
        profile: ProfileArg,
        #[command(flatten)]
        args: RunArgs,
    },
    /// Every scenario at a small size, on both stores, in one table.
    Quick {
        #[command(flatten)]
        args: RunArgs,
    },
}

async fn bench(scenarios: Vec<String>, mut profile: Profile, args: RunArgs) -> Result<()> {
    if let Some(sizes) = &args.fanout_sizes {
        profile.fanout_sizes.clone_from(sizes);
    }
    if let Some(secs) = args.fanout_secs {
        profile.fanout_secs = secs;
    }
    if !args.server_bin.is_file() {
        bail!(
            "{}: no such binary (cargo build --release first)",
            args.server_bin.display()
        );
    }
    let reuse = match (&args.reuse_data_dir, args.store) {
        (None, _) => None,
        (Some(_), StoresArg::Both) => bail!("--reuse-data-dir needs --store sqlite or postgres"),
        (Some(dir), _) => Some(suite::Reuse {
            data_dir: dir.clone(),
            database_url: args.reuse_database_url.clone(),
            manifest: args
                .reuse_manifest
                .clone()
                .unwrap_or_else(|| dir.join("bench-seed.json")),
        }),
    };
    if args.store == StoresArg::Postgres && reuse.as_ref().is_some_and(|r| r.database_url.is_none())
    {
        bail!("--store postgres with --reuse-data-dir needs --reuse-database-url");
    }
    let options = Options {
        server_bin: args.server_bin.clone(),
        stores: args.store.kinds(),
        scenarios,
        profile: profile.clone(),
        pg_url: args.pg_url,
        redis_url: args.redis_url,
        work_dir: args.work_dir,
        keep: args.keep,
        perf_dir: args.perf,
        reuse,
    };
    let (rows, conditions) = suite::run(&options).await;
    let heading = format!(
        "profile {}{}; {}",
        profile.name,
        if args.label.is_empty() {
            String::new()
        } else {
            format!(", {}", args.label)
        },
        conditions.describe()
    );
    println!();
    println!("== ferrochat-bench: {heading}");
    print!("{}", text_table(&rows));
    if let Some(path) = &args.markdown {
        let text = format!("{heading}\n\n{}", markdown_table(&rows));
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("markdown: {}", path.display());
    }
    let failed: Vec<&Row> = rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Failed(_)))
        .collect();
    if !failed.is_empty() {
        println!(
            "{} case(s) could not be measured (see FAILED rows)",
            failed.len()
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Seed {
            store,
            data_dir,
            database_url,
            users,
            rooms,
            big_room_messages,
            messages,
            fanout,
            password,
            manifest,
            server_bin,
        } => {
            let target = match store {
                StoreArg::Sqlite => Target::Sqlite {
                    data_dir: data_dir.clone(),
                },
                StoreArg::Postgres => {
                    seed::ensure_database(&database_url)
                        .await
                        .context("creating the database")?;
                    Target::Postgres { url: database_url }
                }
            };
            let manifest = manifest.unwrap_or_else(|| match store {
                StoreArg::Sqlite => data_dir.join("bench-seed.json"),
                StoreArg::Postgres => PathBuf::from("bench-seed.json"),
            });
            let cfg = SeedConfig {
                users,
                rooms,
                big_room_messages,
                messages,
                fanout_sizes: fanout,
                password,
            };
            println!("seeding {} ...", ferrochat_store::redact_url(&target.url()));
            let (_, stats) = seed::seed(cfg, &target, &manifest, server_bin.as_deref())
                .await
                .context("seeding")?;
            stats.print();
            println!("manifest: {}", manifest.display());
        }
        Command::Run {
            scenario,
            profile,
            args,
        } => {
            let scenarios: Vec<String> = if scenario == "all" {
                ALL.iter().map(|(_, n)| (*n).to_owned()).collect()
            } else if ALL.iter().any(|(_, n)| *n == scenario) {
                vec![scenario]
            } else {
                bail!(
                    "unknown scenario {scenario}; one of: all, {}",
                    ALL.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
                );
            };
            let profile = match profile {
                ProfileArg::Quick => Profile::quick(),
                ProfileArg::Full => Profile::full(),
            };
            bench(scenarios, profile, args).await?;
        }
        Command::Quick { args } => {
            let scenarios = ALL.iter().map(|(_, n)| (*n).to_owned()).collect();
            bench(scenarios, Profile::quick(), args).await?;
        }
    }
    Ok(())
}
