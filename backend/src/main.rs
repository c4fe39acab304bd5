use std::process::ExitCode;

use anyhow::Context as _;
use registry_console::startup::{self, Application};
use registry_console::{config, telemetry};

/// Errors end the process with one readable line (the cause chain), never a
/// backtrace: they are about configuration or the environment, not bugs.
fn main() -> ExitCode {
    match actix_web::rt::System::new().block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "exiting");
            eprintln!("registry-console: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = config::Cli::parse_args();
    let settings = config::load(&cli).context("invalid configuration")?;
    if cli.print_config {
        println!("{}", settings.to_json_pretty());
        return Ok(());
    }
    telemetry::init(&settings.log);
    for name in config::unknown_env_vars() {
        tracing::warn!(variable = %name, "environment variable names no setting; ignored");
    }
    let app = Application::build(settings).await.context("cannot start the server")?;
    // Handlers are in place before anyone can learn the address, so a
    // SIGTERM sent right after start still shuts down gracefully.
    let shutdown = startup::shutdown_signal().context("cannot install signal handlers")?;
    tracing::info!(address = %app.address(), version = model::VERSION, "listening");
    app.run_until(shutdown).await.context("server stopped with an error")?;
    tracing::info!("stopped");
    Ok(())
}
