//! Webhook deliveries: one worker posts them in order, signed like GitHub
//! (`X-Hub-Signature-256`), best effort (failures are logged, never retried).

use std::time::Duration;

use tokio::sync::mpsc;

/// How many deliveries may wait; more are dropped with a warning.
pub const QUEUE: usize = 1024;
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Delivery {
    pub url: String,
    pub secret: String,
    pub event: &'static str,
    pub body: Vec<u8>,
}

/// Posts deliveries until every sender is gone.
pub async fn deliver(mut queue: mpsc::Receiver<Delivery>) {
    let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "fake-forge: no HTTP client for webhooks");
            return;
        }
    };
    while let Some(d) = queue.recv().await {
        let id = uuid::Uuid::new_v4().to_string();
        let signature = forge::sign_webhook(d.secret.as_bytes(), &d.body);
        let result = client
            .post(&d.url)
            .header("content-type", "application/json")
            .header("user-agent", "GitHub-Hookshot/fake-forge")
            .header("x-github-event", d.event)
            .header("x-github-delivery", &id)
            .header("x-hub-signature-256", signature)
            .body(d.body)
            .send()
            .await;
        match result {
            Ok(r) => {
                tracing::info!(event = d.event, delivery = %id, status = r.status().as_u16(), "webhook delivered")
            }
            Err(e) => {
                tracing::warn!(event = d.event, delivery = %id, error = %e, "webhook delivery failed")
            }
        }
    }
}
