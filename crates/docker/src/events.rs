//! The engine's events for our containers as [`DriverEvent`]s. The engine ends the stream when
//! it restarts: this reconnects (with backoff, once the engine answers again), replays what it
//! still has since the last event seen, and says [`DriverEvent::Resync`] so the caller re-lists.
use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptionsBuilder;
use bollard::Docker;
use futures_util::stream::{BoxStream, StreamExt};
use sandbox::{DriverEvent, LABEL_SANDBOX_ID};

const ACTIONS: [&str; 7] = ["die", "start", "stop", "pause", "unpause", "destroy", "oom"];
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(5);

struct State {
    docker: Docker,
    /// Label filters selecting this installation's sandboxes.
    labels: Vec<String>,
    events: Option<BoxStream<'static, Result<EventMessage, bollard::errors::Error>>>,
    /// The engine's time of the last event seen (seconds), to resume from.
    last_seen: Option<i64>,
    /// The previous stream ended: the next one starts with `Resync`.
    lost: bool,
    retry: Duration,
}

pub(crate) fn stream(docker: Docker, labels: Vec<String>) -> BoxStream<'static, DriverEvent> {
    let state = State {
        docker,
        labels,
        events: None,
        last_seen: None,
        lost: false,
        retry: FIRST_RETRY,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        let event = next(&mut st).await;
        Some((event, st))
    })
    .boxed()
}

async fn next(st: &mut State) -> DriverEvent {
    loop {
        let Some(events) = st.events.as_mut() else {
            if st.lost {
                tokio::time::sleep(st.retry).await;
                st.retry = (st.retry * 2).min(MAX_RETRY);
                if st.docker.ping().await.is_err() {
                    continue;
                }
            }
            st.events = Some(subscribe(&st.docker, &st.labels, st.last_seen));
            if std::mem::take(&mut st.lost) {
                return DriverEvent::Resync;
            }
            continue;
        };
        match events.next().await {
            Some(Ok(message)) => {
                st.retry = FIRST_RETRY;
                if let Some(time) = message.time {
                    st.last_seen = Some(st.last_seen.map_or(time, |t| t.max(time)));
                }
                if let Some(id) = sandbox_of(&message) {
                    return DriverEvent::Changed { id };
                }
            }
            Some(Err(e)) => {
                tracing::warn!("Docker event stream failed, reconnecting: {e}");
                st.events = None;
                st.lost = true;
            }
            None => {
                tracing::info!("Docker event stream ended (engine restart?), reconnecting");
                st.events = None;
                st.lost = true;
            }
        }
    }
}

fn subscribe(
    docker: &Docker,
    labels: &[String],
    since: Option<i64>,
) -> BoxStream<'static, Result<EventMessage, bollard::errors::Error>> {
    let filters = HashMap::from([
        ("type", vec!["container".to_owned()]),
        ("label", labels.to_vec()),
        ("event", ACTIONS.map(str::to_owned).to_vec()),
    ]);
    let mut options = EventsOptionsBuilder::new().filters(&filters);
    if let Some(since) = since {
        options = options.since(&since.to_string());
    }
    docker.events(Some(options.build())).boxed()
}

fn sandbox_of(message: &EventMessage) -> Option<String> {
    if message.typ != Some(EventMessageTypeEnum::CONTAINER) {
        return None;
    }
    let action = message.action.as_deref()?;
    // `oom` and the rest as they are; an engine may suffix actions (`exec_start: …`).
    if !ACTIONS.contains(&action) {
        return None;
    }
    message
        .actor
        .as_ref()?
        .attributes
        .as_ref()?
        .get(LABEL_SANDBOX_ID)
        .cloned()
}
