use anyhow::Context as _;
use registry_console::{config, startup::Application, telemetry};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = config::Cli::parse_args();
    let settings = config::load(&cli).context("invalid configuration")?;
    if cli.print_config {
        println!("{}", settings.to_json_pretty());
        return Ok(());
    }
    telemetry::init(&settings.log);
    let app = Application::build(settings).await.context("cannot start the server")?;
    tracing::info!(address = %app.address(), version = model::VERSION, "listening");
    app.run().await.context("server stopped with an error")?;
    tracing::info!("stopped");
    Ok(())
}
