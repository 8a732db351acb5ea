//! The `berth` command: serve the dashboard, or create the demo.

use std::path::PathBuf;

use berth::{clock::unix_now, config::Config, demo, error::Error, startup, telemetry};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "berth",
    version,
    about = "Environment and release dashboard for Kubernetes + GitOps"
)]
struct Cli {
    /// Path of berth.toml; without it, the demo in the data dir is used.
    #[arg(long, global = true, env = "BERTH_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard (the default).
    Serve {
        /// The embedded demo only: seconds between its developers' commits
        /// to the demo source repositories (0: none).
        #[arg(long, default_value_t = 90)]
        demo_commit_every: u64,
    },
    /// The embedded demo: a generated GitOps repository and its config.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// API tokens for scripts.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token acting as USER; it is printed once and stored hashed.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "created with berth token create")]
        label: String,
        /// Groups the token's user belongs to, for roles given to groups.
        #[arg(long)]
        group: Vec<String>,
        /// How many days the token lives (at most 365).
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Create the demo under the data dir (BERTH_DATA_DIR, default ./.berth).
    Init {
        /// Recreate it even if one exists.
        #[arg(long)]
        force: bool,
        /// Succeed quietly when a demo already exists.
        #[arg(long)]
        if_missing: bool,
        #[arg(long, default_value_t = 10)]
        services: usize,
        #[arg(long, default_value_t = 14)]
        sandboxes: usize,
        #[arg(long, default_value_t = 60)]
        days: i64,
    },
}

fn data_dir() -> PathBuf {
    std::env::var_os("BERTH_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("./.berth"))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let serve_by_default = Command::Serve {
        demo_commit_every: 90,
    };
    let result = match cli.command.unwrap_or(serve_by_default) {
        Command::Serve { demo_commit_every } => serve(cli.config, demo_commit_every).await,
        Command::Token {
            command:
                TokenCommand::Create {
                    user,
                    label,
                    group,
                    days,
                },
        } => create_token(cli.config, &user, &label, &group, days).await,
        Command::Demo {
            command:
                DemoCommand::Init {
                    force,
                    if_missing,
                    services,
                    sandboxes,
                    days,
                },
        } => {
            let dir = data_dir();
            if if_missing && berth::config::demo_config_path(&dir).exists() {
                println!("The demo already exists in {}.", dir.display());
                Ok(())
            } else {
                let size = demo::DemoSize {
                    services,
                    sandboxes,
                    days,
                };
                demo::init(&dir, &size, force, unix_now())
                    .map(|path| {
                        println!(
                            "Created the demo GitOps repository; its config is {}.",
                            path.display()
                        );
                    })
                    .map_err(Error::Unavailable)
            }
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // The operator's console gets the whole story, git's stderr too.
            eprintln!("berth: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config_path: Option<PathBuf>, demo_commit_every: u64) -> Result<(), Error> {
    let config = Config::load(config_path.as_deref())?;
    telemetry::init(config.log_format);
    // The embedded demo brings its clusters along, and a CI that reports
    // builds of its source repositories; Berth reaches them as it would
    // real ones (a kubeconfig, signed webhooks).
    let demo = config_path.is_none();
    let _demo_clusters = if demo {
        let clusters = demo::start_clusters(&config)
            .await
            .map_err(Error::Unavailable)?;
        demo::ci::spawn(&config, config.listen);
        demo::ci::spawn_developers(&config, std::time::Duration::from_secs(demo_commit_every));
        Some(clusters)
    } else {
        None
    };
    let state = startup::build_state(config).await?;
    if demo {
        demo::sharing::seed(&state).await;
    }
    startup::run_state(state).await
}

async fn create_token(
    config_path: Option<PathBuf>,
    user: &str,
    label: &str,
    groups: &[String],
    days: u32,
) -> Result<(), Error> {
    let config = Config::load(config_path.as_deref())?;
    let state = startup::build_state(config).await?;
    let token = state
        .actions
        .issue_token(user, label, groups, days)
        .await
        .map_err(|e| Error::Invalid(e.to_string()))?;
    println!("{token}");
    eprintln!(
        "This token acts as {user} for {days} days. It is shown only now; store it as a secret."
    );
    Ok(())
}
