//! `/ws/events`: state changes pushed to the UI — `sandbox` (a `SandboxView`),
//! `sandbox_removed` (`{id}`), `terminal` (a `TerminalView`), `terminal_removed` (`{id}`), and
//! `resync` when this client fell behind and should re-list.
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use orchestrator::FleetEvent;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;

pub async fn events_socket(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    ws.max_message_size(64 * 1024)
        .on_upgrade(move |socket| run(socket, state))
}

async fn run(mut socket: WebSocket, state: AppState) {
    let gauge = state
        .metrics
        .websocket_connections_active
        .with_label_values(&["event"]);
    let out = state
        .metrics
        .websocket_messages_total
        .with_label_values(&["out", "event"]);
    gauge.inc();
    let mut rx = state.fleet.subscribe();
    let hello = json!({"type": "hello", "payload": {"driver": state.fleet.driver_kind()}});
    let mut ok = socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_ok();
    while ok {
        let msg = tokio::select! {
            _ = state.shutdown.cancelled() => break,
            inbound = socket.recv() => match inbound {
                Some(Ok(Message::Text(t))) if is_ping(t.as_str()) => json!({"type": "pong"}),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            },
            ev = rx.recv() => match ev {
                Ok(FleetEvent::Sandbox(id)) => match state.fleet.get(&id).await {
                    Ok(s) => json!({"type": "sandbox", "payload": crate::api::sandboxes::view(s)}),
                    Err(_) => json!({"type": "sandbox_removed", "payload": {"id": id}}),
                },
                Ok(FleetEvent::SandboxRemoved(id)) => json!({"type": "sandbox_removed", "payload": {"id": id}}),
                Ok(FleetEvent::Terminal(id)) => {
                    let found = match id.parse() {
                        Ok(tid) => state.hub.get(tid).await.ok(),
                        Err(_) => None,
                    };
                    match found {
                        Some(t) => json!({"type": "terminal", "payload": crate::api::terminals::view(t)}),
                        None => json!({"type": "terminal_removed", "payload": {"id": id}}),
                    }
                }
                Ok(FleetEvent::AgentState(tid)) => match state.fleet.agent_status(&tid) {
                    Some(s) => {
                        let sandbox = s.sandbox_id.clone();
                        json!({"type": "agent_state", "payload": {"terminalId": tid, "sandboxId": sandbox, "agent": crate::api::claude::agent_view(s)}})
                    }
                    None => continue,
                },
                Ok(FleetEvent::RateLimited { sandbox, status, retry_after_secs }) => {
                    json!({"type": "rate_limited", "payload": {"sandboxId": sandbox, "status": status, "retryAfterSecs": retry_after_secs}})
                }
                Ok(FleetEvent::Run(id)) => match state.fleet.hub().store().get_run(&id).await {
                    Ok(Some(r)) => json!({"type": "run", "payload": {"id": r.id, "status": r.status, "sandboxId": r.sandbox_id, "terminalId": r.terminal_id}}),
                    _ => continue,
                },
                Ok(FleetEvent::Project(id)) => match state.projects.get(&id).await {
                    Ok(p) => json!({"type": "project", "payload": crate::api::projects::project_view(p)}),
                    Err(_) => json!({"type": "project_removed", "payload": {"id": id}}),
                },
                Ok(FleetEvent::ProjectRemoved(id)) => json!({"type": "project_removed", "payload": {"id": id}}),
                Ok(FleetEvent::Pull { project, number }) => match state.projects.pull(&project, number).await {
                    Ok(p) => json!({"type": "pull", "payload": crate::api::projects::pull_view(p)}),
                    Err(_) => continue,
                },
                Ok(FleetEvent::GithubAuth) => json!({"type": "github_auth"}),
                Ok(FleetEvent::Setup { sandbox, terminal, state: st, exit_code }) => {
                    json!({"type": "setup", "payload": {"sandboxId": sandbox, "terminalId": terminal, "state": st, "exitCode": exit_code}})
                }
                Ok(FleetEvent::Task(id)) => match state.tasks.get(&id).await {
                    Ok(t) => json!({"type": "task", "payload": crate::api::tasks::task_view_with_usage(state.tasks.store(), t).await}),
                    Err(_) => continue,
                },
                Ok(FleetEvent::Scheduler) => match crate::api::tasks::scheduler_view(&state.tasks).await {
                    Ok(v) => json!({"type": "scheduler", "payload": v}),
                    Err(_) => continue,
                },
                Ok(FleetEvent::ForgeEvent { .. }) => continue,
                Ok(FleetEvent::WorkflowRun(id)) => json!({"type": "workflow_run", "payload": {"id": id}}),
                Ok(FleetEvent::Radar(project)) => {
                    let found: Vec<_> = state.projects.radar(Some(&project)).into_iter().map(|o| json!({"projectId": o.project_id, "sandboxes": o.sandboxes, "branches": o.branches, "files": o.files})).collect();
                    json!({"type": "radar", "payload": {"projectId": project, "overlaps": found}})
                }
                Err(RecvError::Lagged(_)) => json!({"type": "resync"}),
                Err(RecvError::Closed) => break,
            },
        };
        out.inc();
        ok = socket
            .send(Message::Text(msg.to_string().into()))
            .await
            .is_ok();
    }
    gauge.dec();
}

fn is_ping(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v["type"] == "ping")
}
