//! Loopback listeners inside the sandbox (e.g. the egress proxy `HTTPS_PROXY` points at). Each
//! accepted connection becomes a tunnel over the current server connection; with no server
//! connected it is closed at once.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

pub struct Accepted {
    pub kind: &'static str,
    pub stream: TcpStream,
}

#[derive(Clone)]
pub struct Tunnels {
    ports: BTreeMap<String, u16>,
    sink: Arc<Mutex<Option<mpsc::Sender<Accepted>>>>,
}

impl Tunnels {
    pub async fn listen(egress_port: u16, model_port: u16) -> std::io::Result<Self> {
        let sink: Arc<Mutex<Option<mpsc::Sender<Accepted>>>> = Arc::new(Mutex::new(None));
        let mut ports = BTreeMap::new();
        for (kind, port) in [("egress", egress_port), ("model", model_port)] {
            let listener = TcpListener::bind(("127.0.0.1", port)).await?;
            ports.insert(kind.to_string(), listener.local_addr()?.port());
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let tx = sink.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    if let Some(tx) = tx {
                        let _ = tx.try_send(Accepted { kind, stream });
                    }
                }
            });
        }
        Ok(Self { ports, sink })
    }

    pub fn ports(&self) -> &BTreeMap<String, u16> {
        &self.ports
    }

    /// Routes accepted connections to the connection that calls this (replacing any previous).
    pub fn route_to(&self, tx: mpsc::Sender<Accepted>) {
        *self.sink.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
    }
}
