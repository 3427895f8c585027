//! Tunnels from a sandbox's loopback egress port, served by the allowlisting proxy (`egress`).
use std::sync::Arc;

use bytes::Bytes;
use sandbox::link::{Tunnel, TunnelHandler};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct EgressTunnels {
    policy: Arc<egress::Policy>,
}

impl EgressTunnels {
    pub fn new(policy: egress::Policy) -> Self {
        Self {
            policy: Arc::new(policy),
        }
    }
}

impl TunnelHandler for EgressTunnels {
    fn handle(&self, sandbox: &str, tunnel: Tunnel) {
        if tunnel.kind != "egress" {
            tracing::warn!(kind = %tunnel.kind, "unknown tunnel kind; closing");
            return;
        }
        let policy = Arc::clone(&self.policy);
        let sandbox = sandbox.to_string();
        tokio::spawn(async move {
            // Bridge the tunnel's channels to a byte stream for the proxy.
            let (proxy_side, bridge) = tokio::io::duplex(64 * 1024);
            let Tunnel {
                mut from_sandbox,
                to_sandbox,
                ..
            } = tunnel;
            let (mut br, mut bw) = tokio::io::split(bridge);
            let inbound = async move {
                while let Some(data) = from_sandbox.recv().await {
                    if bw.write_all(&data).await.is_err() {
                        break;
                    }
                }
                let _ = bw.shutdown().await;
            };
            let outbound = async move {
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
            };
            let proxy = async {
                match egress::serve(proxy_side, &policy).await {
                    Ok(outcome) => tracing::info!(sandbox = %sandbox, ?outcome, "egress"),
                    Err(e) => {
                        tracing::debug!(sandbox = %sandbox, error = %e, "egress connection failed")
                    }
                }
            };
            tokio::join!(inbound, outbound, proxy);
        });
    }
}
