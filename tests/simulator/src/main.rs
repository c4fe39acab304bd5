//! TEST ONLY: runs the registry operator simulator against the cluster named by
//! KUBECONFIG (or the in-cluster service account).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    // Several TLS providers may be compiled in; pick ring explicitly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = kube::Client::try_default().await?;
    registry_operator_simulator::run(client).await
}
