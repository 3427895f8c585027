//! The server side of each sandbox's loopback ports: `egress` is served by the allowlisting
//! proxy (`egress`), `model` by the model proxy (`model-proxy`).
use std::sync::Arc;

use bytes::Bytes;
use sandbox::link::{Tunnel, TunnelHandler};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct SandboxTunnels {
    egress: Arc<egress::Policy>,
    model: Option<Arc<model_proxy::Proxy>>,
    /// Sandboxes in direct credential mode, and their policy (which also allows the upstream).
    direct: Option<(
        Arc<crate::credential_mode::DirectSandboxes>,
        Arc<egress::Policy>,
    )>,
}

impl SandboxTunnels {
    pub fn new(egress: egress::Policy, model: Option<Arc<model_proxy::Proxy>>) -> Self {
        Self {
            egress: Arc::new(egress),
            model,
            direct: None,
        }
    }

    /// Direct-mode sandboxes get `policy` (the usual allowlist plus the model upstream).
    pub fn with_direct(
        mut self,
        sandboxes: Arc<crate::credential_mode::DirectSandboxes>,
        policy: egress::Policy,
    ) -> Self {
        self.direct = Some((sandboxes, Arc::new(policy)));
        self
    }
}

impl TunnelHandler for SandboxTunnels {
    fn handle(&self, sandbox: &str, tunnel: Tunnel) {
        let sandbox = sandbox.to_string();
        match tunnel.kind.as_str() {
            "egress" => {
                let policy = match &self.direct {
                    Some((direct, policy)) if direct.contains(&sandbox) => Arc::clone(policy),
                    _ => Arc::clone(&self.egress),
                };
                tokio::spawn(async move {
                    match egress::serve(bridge(tunnel), &policy).await {
                        Ok(outcome) => tracing::info!(sandbox = %sandbox, ?outcome, "egress"),
                        Err(e) => {
                            tracing::debug!(sandbox = %sandbox, error = %e, "egress connection failed")
                        }
                    }
                });
            }
            "model" => match &self.model {
                Some(proxy) => {
                    let proxy = Arc::clone(proxy);
                    tokio::spawn(model_proxy::serve_connection(
                        bridge(tunnel),
                        sandbox,
                        proxy,
                    ));
                }
                None => tracing::warn!("model tunnel opened but no model proxy is configured"),
            },
            other => tracing::warn!(kind = %other, "unknown tunnel kind; closing"),
        }
    }
}

/// A tunnel's channels as one byte stream, pumped both ways by two tasks.
fn bridge(tunnel: Tunnel) -> tokio::io::DuplexStream {
    let (service_side, bridge) = tokio::io::duplex(64 * 1024);
    let Tunnel {
        mut from_sandbox,
        to_sandbox,
        ..
    } = tunnel;
    let (mut br, mut bw) = tokio::io::split(bridge);
    tokio::spawn(async move {
        while let Some(data) = from_sandbox.recv().await {
            if bw.write_all(&data).await.is_err() {
                break;
            }
        }
        let _ = bw.shutdown().await;
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match br.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to_sandbox
                        .send(Bytes::copy_from_slice(&buf[..n]))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    service_side
}
