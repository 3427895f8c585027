//! Wiring between the model proxy and its owners: the credentials broker (the real secret) and
//! the fleet (which sandbox holds which proxy token), plus usage metering into the store.
use std::sync::{Arc, OnceLock, Weak};

use model_proxy::{BoxFutureAuth, UpstreamAuth, Usage};
use orchestrator::Fleet;

pub struct BrokerCredentials {
    pub broker: Arc<credentials::Broker>,
    pub fleet: OnceLock<Weak<Fleet>>,
}

impl model_proxy::Credentials for BrokerCredentials {
    fn resolve(&self) -> BoxFutureAuth<'_> {
        Box::pin(async move {
            match self.broker.resolve().await {
                Ok(c) => Ok(match c.kind {
                    credentials::ActiveKind::ApiKey => {
                        UpstreamAuth::ApiKey(c.secret.expose().to_owned())
                    }
                    credentials::ActiveKind::OAuth => {
                        UpstreamAuth::OAuth(c.secret.expose().to_owned())
                    }
                }),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    fn token_valid(&self, sandbox: &str, token: &str) -> bool {
        self.fleet
            .get()
            .and_then(Weak::upgrade)
            .is_some_and(|f| f.token_valid(sandbox, token))
    }
}

pub struct StoreUsage(pub store::Store);

impl model_proxy::UsageSink for StoreUsage {
    fn record(&self, sandbox: &str, u: Usage) {
        let store = self.0.clone();
        let sandbox = sandbox.to_string();
        tokio::spawn(async move {
            let r = store
                .add_usage(
                    &sandbox,
                    &u.model,
                    u.input_tokens,
                    u.output_tokens,
                    u.cache_creation_input_tokens,
                    u.cache_read_input_tokens,
                )
                .await;
            if let Err(e) = r {
                tracing::warn!(error = %e, "cannot record usage");
            }
        });
    }
}

/// PR summaries written by Claude through the model proxy (the user's credential stays on the
/// host; usage is metered under `anycode-host`).
pub struct ClaudeSummarizer(pub Arc<model_proxy::Proxy>);

impl orchestrator::projects::Summarizer for ClaudeSummarizer {
    fn summarize(
        &self,
        prompt: String,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<String>> + Send + '_>> {
        Box::pin(async move {
            match self
                .0
                .ask("anycode-host", "claude-haiku-4-5", 600, &prompt)
                .await
            {
                Ok(text) if !text.trim().is_empty() => Some(text),
                Ok(_) => None,
                Err(e) => {
                    tracing::info!(error = %e, "no PR summary from Claude");
                    None
                }
            }
        })
    }
}
