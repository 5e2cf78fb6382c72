//! `powernode`: the native platform binary.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use powernode_api::service::admin::{self, AdminSeed};
use powernode_host::{HostConfig, logging, restore, server};

#[derive(Parser)]
#[command(
    name = "powernode",
    version,
    about = "Powernode: the API, queue and processors on one machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, seed the admin, and serve the API until SIGTERM or SIGINT.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create a platform admin (or give an existing user the role) and exit.
    CreateAdmin {
        /// Email (default: POWERNODE_ADMIN_EMAIL).
        #[arg(long, env = "POWERNODE_ADMIN_EMAIL")]
        email: String,
        /// Password (default: POWERNODE_ADMIN_PASSWORD); prefer the variable, as arguments show in `ps`.
        #[arg(long, env = "POWERNODE_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Restore an account from a backup (the daily `backup` task's JSON) into DATABASE_URL:
    /// one transaction, rows already present are kept, so it can be run again safely.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["file", "account"])))]
    Restore {
        /// A backup document on disk.
        #[arg(long, value_name = "PATH")]
        file: Option<std::path::PathBuf>,
        /// Read the backup from this account's default storage.
        #[arg(long, value_name = "ID")]
        account: Option<uuid::Uuid>,
        /// The day of the backup to read (default: the newest).
        #[arg(
            long,
            value_name = "YYYY-MM-DD",
            requires = "account",
            conflicts_with = "file"
        )]
        date: Option<chrono::NaiveDate>,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    logging::init();
    let cli = Cli::parse();
    let config = HostConfig::from_env()?;
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let api = server::build_api_without_cache(&config)?;
            let applied = powernode_api::migrate::run(&api)
                .await
                .context("migrating")?;
            println!(
                "migrations applied: {}",
                if applied.is_empty() {
                    "none (up to date)".into()
                } else {
                    applied.join(", ")
                }
            );
            Ok(())
        }
        Command::CreateAdmin {
            email,
            password,
            name,
        } => {
            let api = server::build_api_without_cache(&config)?;
            powernode_api::migrate::run(&api)
                .await
                .context("migrating")?;
            let outcome = admin::ensure_platform_admin(&api, &email, &password, name.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{} {:?}", e.message, e.details))?;
            match outcome {
                AdminSeed::Created => println!("platform admin {email} created"),
                AdminSeed::AlreadyPresent => {
                    println!("{email} exists; platform admin role ensured (password unchanged)")
                }
            }
            Ok(())
        }
        Command::Restore {
            file,
            account,
            date,
        } => {
            let source = match (file, account) {
                (Some(path), _) => restore::Source::File(path),
                (None, Some(id)) => restore::Source::Account { id, date },
                // clap's `source` group requires one of the two.
                (None, None) => anyhow::bail!("give --file PATH or --account ID"),
            };
            let outcomes = restore::run(&config, source).await?;
            println!(
                "{:<22} {:>8} {:>8} {:>8}",
                "table", "rows", "inserted", "skipped"
            );
            for o in &outcomes {
                println!(
                    "{:<22} {:>8} {:>8} {:>8}",
                    o.table,
                    o.rows,
                    o.inserted,
                    o.skipped()
                );
            }
            Ok(())
        }
    }
}

async fn serve(config: HostConfig) -> Result<()> {
    let running = server::start(config).await?;
    tracing::info!(addr = %running.addr, "powernode is serving");
    wait_for_stop_signal().await?;
    tracing::info!("stop signal received; draining");
    running.stop().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_stop_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
    Ok(())
}
