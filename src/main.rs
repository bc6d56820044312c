//! The `ferrochat` command: `serve` (the default) and `migrate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ferrochat_server::config::{Config, KEYS};

#[derive(Parser)]
#[command(
    name = "ferrochat",
    version,
    about = "Ferrochat: a team-chat server that speaks Rocket.Chat's REST and realtime APIs",
    after_long_help = env_help()
)]
struct Cli {
    /// A TOML file with configuration keys (the same names as the environment variables,
    /// e.g. `PORT = 3000`); the environment wins over it.
    #[arg(long, short, env = "FERROCHAT_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
}

fn env_help() -> String {
    let mut text = String::from("Configuration (environment variables):\n");
    for (key, what) in KEYS {
        text.push_str(&format!("  {key:<26} {what}\n"));
    }
    text
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .init();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ferrochat: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ferrochat: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => ferrochat_server::serve(config).await,
            Command::Migrate => ferrochat_server::open_store(&config).await.map(|_| {
                tracing::info!("migrations are up to date");
            }),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrochat: {e:#}");
            ExitCode::FAILURE
        }
    }
}
