//! Terminals on the host (local PTYs): REST, WebSocket protocol, security, flow control.
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::*;

#[tokio::test]
async fn requests_without_the_token_are_refused_with_a_json_error() {
    let s = TestServer::start().await;
    let res = s.http.get(s.url("/api/terminals")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(body["error"]["requestId"]
        .as_str()
        .is_some_and(|r| !r.is_empty()));
    let res = s
        .http
        .get(s.url("/api/terminals"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = s.http.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // A WebSocket without the token is refused at the upgrade.
    let err = tokio_tungstenite::connect_async(format!("ws://{}/ws/terminals/x", s.addr)).await;
    assert!(err.is_err());
}

#[tokio::test]
async fn opening_the_page_with_the_token_sets_a_cookie_that_authenticates() {
    let s = TestServer::start().await;
    let res = s
        .http
        .get(s.url(&format!("/?token={TOKEN}&tab=2")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/?tab=2");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().unwrap();
    let res = s
        .http
        .get(s.url("/api/terminals"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A wrong token in the URL sets nothing.
    let res = s.http.get(s.url("/?token=nope")).send().await.unwrap();
    assert!(res.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn foreign_hosts_and_cross_site_origins_are_refused() {
    let s = TestServer::start().await;
    let res = s
        .http
        .get(s.url("/api/terminals"))
        .bearer_auth(TOKEN)
        .header("host", "evil.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "forbidden_host"
    );
    let res = s
        .http
        .post(s.url("/api/terminals"))
        .bearer_auth(TOKEN)
        .header("origin", "http://evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "forbidden_origin"
    );
    // A cross-site WebSocket is refused even with the token.
    let id = s.create(json!({"command": ["cat"]})).await;
    let mut req = format!("ws://{}/ws/terminals/{id}?token={TOKEN}", s.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
    // The same origin is fine.
    let mut req = format!("ws://{}/ws/terminals/{id}?token={TOKEN}", s.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", format!("http://{}", s.addr).parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok());
}

#[tokio::test]
async fn bad_requests_get_stable_error_codes() {
    let s = TestServer::start().await;
    let cases = [
        (json!({"cols": 0, "rows": 24}), 400, "invalid_size"),
        (json!({"cols": 80, "rows": 100000}), 400, "invalid_size"),
        (json!({"command": []}), 400, "invalid_request"),
        (json!({"command": "bash"}), 400, "invalid_request"),
        (
            json!({"cwd": "/definitely/not/here"}),
            400,
            "invalid_request",
        ),
        (json!({"bogus": 1}), 400, "invalid_request"),
        (
            json!({"command": ["/no/such/program"]}),
            422,
            "spawn_failed",
        ),
        (json!({"sandboxId": "nope"}), 404, "not_found"),
    ];
    for (body, status, code) in cases {
        let (st, v) = s
            .api(reqwest::Method::POST, "/api/terminals", Some(body.clone()))
            .await;
        assert_eq!(
            (st, v["error"]["code"].as_str().unwrap()),
            (status, code),
            "{body} → {v}"
        );
    }
    let res = s
        .http
        .post(s.url("/api/terminals"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_request"
    );
    for path in [
        "/api/terminals/not-a-uuid",
        "/api/terminals/01a221d4-c7d2-70ca-8edc-5980db99cffd",
        "/api/nothing-here",
    ] {
        let (st, v) = s.api(reqwest::Method::GET, path, None).await;
        assert_eq!(
            (st, v["error"]["code"].as_str().unwrap()),
            (404, "not_found"),
            "{path}"
        );
    }
    let id = s.create(json!({"command": ["cat"]})).await;
    let (st, v) = s
        .api(
            reqwest::Method::POST,
            &format!("/api/terminals/{id}/resize"),
            Some(json!({"cols": 0, "rows": 0})),
        )
        .await;
    assert_eq!(
        (st, v["error"]["code"].as_str().unwrap()),
        (400, "invalid_size")
    );
    let (st, _) = s
        .api(
            reqwest::Method::PATCH,
            &format!("/api/terminals/{id}"),
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(st, 400);
    // The server still serves.
    let (st, v) = s.api(reqwest::Method::GET, "/api/terminals", None).await;
    assert_eq!(st, 200);
    assert_eq!(v.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn terminal_lifecycle_rename_resize_delete() {
    let s = TestServer::start().await;
    let id = s
        .create(json!({"command": ["cat"], "cols": 100, "rows": 30, "name": "first"}))
        .await;
    let (_, v) = s
        .api(
            reqwest::Method::PATCH,
            &format!("/api/terminals/{id}"),
            Some(json!({"name": "renamed"})),
        )
        .await;
    assert_eq!(v["name"], "renamed");
    let (_, v) = s
        .api(
            reqwest::Method::POST,
            &format!("/api/terminals/{id}/resize"),
            Some(json!({"cols": 120, "rows": 40})),
        )
        .await;
    assert_eq!(
        (v["cols"].as_u64(), v["rows"].as_u64()),
        (Some(120), Some(40))
    );
    let (st, _) = s
        .api(
            reqwest::Method::DELETE,
            &format!("/api/terminals/{id}"),
            None,
        )
        .await;
    assert_eq!(st, 204);
    let (st, _) = s
        .api(reqwest::Method::GET, &format!("/api/terminals/{id}"), None)
        .await;
    assert_eq!(st, 404);
    let (st, _) = s
        .api(
            reqwest::Method::DELETE,
            &format!("/api/terminals/{id}"),
            None,
        )
        .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn echo_reconnect_from_offset_and_snapshot_for_a_new_viewer() {
    let s = TestServer::start().await;
    let id = s
        .create(json!({"command": ["/bin/sh"], "env": {"PS1": "$ "}}))
        .await;
    let mut t = s.connect(&id, "&from=0").await;
    let hello = t.until_json("hello").await;
    assert_eq!(hello["payload"]["terminalId"], id.as_str());
    t.input("echo hel''lo\r").await;
    t.until_output("hello\r\n").await;
    let seen = t.next.unwrap();
    drop(t);

    // Output while nobody watches.
    let mut other = s.connect(&id, "&from=0").await;
    other.input("echo while-away\r").await;
    other.until_output("while-away\r\n").await;
    let end = other.next.unwrap();
    drop(other);

    // Resume from where the first viewer stopped: exactly the missed bytes, nothing twice.
    let mut back = s.connect(&id, &format!("&from={seen}")).await;
    while back.next.unwrap_or(seen) < end {
        back.recv(true).await;
    }
    assert_eq!(back.snapshots, 0);
    let missed = String::from_utf8_lossy(&back.output).to_string();
    assert!(missed.contains("while-away"), "{missed:?}");
    assert!(
        !missed.contains("hello\r\n"),
        "nothing from before the offset: {missed:?}"
    );

    // A viewer without an offset gets a snapshot of the screen first.
    let mut fresh = s.connect(&id, "").await;
    let snap = loop {
        if let Got::Snapshot(d) = fresh.recv(true).await {
            break String::from_utf8_lossy(&d).to_string();
        }
    };
    assert!(
        snap.contains("hello") && snap.contains("while-away"),
        "{snap:?}"
    );
}

#[tokio::test]
async fn two_viewers_see_the_same_output() {
    let s = TestServer::start().await;
    let id = s.create(json!({"command": ["cat"]})).await;
    let mut a = s.connect(&id, "&from=0").await;
    let mut b = s.connect(&id, "&from=0").await;
    a.until_json("hello").await;
    b.until_json("hello").await;
    a.input("shared-line\r").await;
    a.until_output("shared-line").await;
    b.until_output("shared-line").await;
}

#[tokio::test]
async fn output_written_just_before_exit_is_delivered_then_the_exit() {
    let s = TestServer::start().await;
    let id = s
        .create(json!({"command": sh("head -c 300000 /dev/zero | tr '\\0' x; printf END; exit 7")}))
        .await;
    let mut t = s.connect(&id, "&from=0").await;
    let exit = t.until_json("exit").await;
    assert_eq!(exit["payload"]["code"], 7);
    let text = String::from_utf8_lossy(&t.output);
    assert_eq!(text.matches('x').count(), 300_000);
    assert!(
        text.ends_with("END"),
        "the last bytes arrive before the exit"
    );
    // The REST view agrees, and the recording has every byte.
    let (_, v) = s
        .api(reqwest::Method::GET, &format!("/api/terminals/{id}"), None)
        .await;
    assert_eq!(v["status"], "exited");
    assert_eq!(v["exitCode"], 7);
    let cast = s
        .http
        .get(s.url(&format!("/api/terminals/{id}/recording")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(cast.headers()["content-type"], "application/x-asciicast");
    let cast = cast.text().await.unwrap();
    let mut lines = cast.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    let recorded: String = lines
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e[1] == "o")
        .map(|e| e[2].as_str().unwrap().to_string())
        .collect();
    assert_eq!(recorded.matches('x').count(), 300_000);
}

/// Where the current flow-control window began: the last snapshot's offset, or 0.
fn window_start(t: &Term) -> u64 {
    t.window_start
}

#[tokio::test]
async fn ctrl_c_stops_a_flood_while_the_viewer_lags() {
    let s = TestServer::start_with(|c| {
        c.flow = terminal::FlowConfig {
            window: 64 * 1024,
            lag_limit: 256 * 1024,
            max_frame: 16 * 1024,
        };
        c.buffer_bytes = 1024 * 1024;
    })
    .await;
    let id = s.create(json!({"command": ["yes"]})).await;
    let mut t = s.connect(&id, "&from=0").await;
    // Read without acknowledging: the server must stop at the window, not buffer without bound.
    // A snapshot starts a new window (the viewer skipped ahead); within one window the
    // unacknowledged bytes never exceed it.
    let mut in_window = 0usize;
    while in_window < 64 * 1024 {
        match t.recv(false).await {
            Got::Output => in_window = (t.next.unwrap() - window_start(&t)) as usize,
            Got::Snapshot(_) => in_window = 0,
            _ => {}
        }
        assert!(in_window <= 64 * 1024, "window respected: {in_window}");
    }
    t.input("\u{3}").await;
    // Now acknowledge what arrived, so the server may send the rest.
    let n = t.next.unwrap();
    t.send(json!({"type": "ack", "payload": {"offset": n}}))
        .await;
    let exit = t.until_json("exit").await;
    assert_eq!(exit["payload"]["signal"], 2, "yes died of SIGINT: {exit}");
    // (Skipping to a snapshot when far behind is covered by the viewer unit tests.)
    // Server memory stayed bounded: the buffer never holds more than twice its capacity.
    let (_, v) = s
        .api(reqwest::Method::GET, &format!("/api/terminals/{id}"), None)
        .await;
    let held = v["endOffset"].as_u64().unwrap() - v["startOffset"].as_u64().unwrap();
    assert!(held <= 2 * 1024 * 1024, "held {held}");
}

#[tokio::test]
async fn malformed_websocket_messages_get_errors_and_the_connection_survives() {
    let s = TestServer::start().await;
    let id = s.create(json!({"command": ["cat"]})).await;
    let mut t = s.connect(&id, "&from=0").await;
    t.until_json("hello").await;
    t.ws.send(Message::Text("garbage".into())).await.unwrap();
    assert_eq!(
        t.until_json("error").await["payload"]["code"],
        "invalid_message"
    );
    t.send(json!({"type": "teleport", "payload": {}})).await;
    let e = t.until_json("error").await;
    assert!(e["payload"]["message"]
        .as_str()
        .unwrap()
        .contains("teleport"));
    t.send(json!({"type": "resize", "payload": {"cols": 0, "rows": 0}}))
        .await;
    assert_eq!(
        t.until_json("error").await["payload"]["code"],
        "invalid_size"
    );
    t.send(json!({"type": "resize", "payload": {"cols": 99999, "rows": 5}}))
        .await;
    assert_eq!(
        t.until_json("error").await["payload"]["code"],
        "invalid_size"
    );
    t.send(json!({"type": "command", "payload": {"command": "explode"}}))
        .await;
    assert_eq!(
        t.until_json("error").await["payload"]["code"],
        "invalid_message"
    );
    t.send(json!({"type": "ping", "payload": {"timestamp": 42}}))
        .await;
    assert_eq!(t.until_json("pong").await["payload"]["timestamp"], 42);
    t.input("still-alive\r").await;
    t.until_output("still-alive").await;

    // An oversized frame closes this connection with 1009; other terminals keep working.
    t.ws.send(Message::Text("x".repeat(70 * 1024).into()))
        .await
        .unwrap();
    let closed = loop {
        if let Got::Closed(code) = t.recv(true).await {
            break code;
        }
    };
    assert_eq!(closed, Some(1009));
    let mut again = s.connect(&id, "&from=0").await;
    again.input("after-close\r").await;
    again.until_output("after-close").await;

    // Unknown terminals close with 4404.
    let mut none = s.connect("01a221d4-c7d2-70ca-8edc-5980db99cffd", "").await;
    match none.recv(true).await {
        Got::Closed(code) => assert_eq!(code, Some(4404)),
        _ => panic!("expected close"),
    }
}

#[tokio::test]
async fn restart_and_kill_commands() {
    let s = TestServer::start().await;
    let id = s
        .create(json!({"command": sh("echo started-$$; exec cat")}))
        .await;
    let mut t = s.connect(&id, "&from=0").await;
    t.until_output("started-").await;
    t.send(json!({"type": "command", "payload": {"command": "restart"}}))
        .await;
    t.until_json("exit").await;
    // The same command runs again in the same terminal; offsets continue.
    while String::from_utf8_lossy(&t.output)
        .matches("started-")
        .count()
        < 2
    {
        t.recv(true).await;
    }
    t.send(json!({"type": "command", "payload": {"command": "kill"}}))
        .await;
    let exit = t.until_json("exit").await;
    assert_eq!(exit["payload"]["signal"], 9);
}

#[tokio::test]
async fn metrics_and_openapi_are_served() {
    let s = TestServer::start().await;
    let id = s.create(json!({"command": ["cat"]})).await;
    let mut t = s.connect(&id, "&from=0").await;
    t.until_json("hello").await;
    t.input("x").await;
    t.until_output("x").await;
    let text = s
        .http
        .get(s.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "http_requests_total",
        "http_request_duration_seconds",
        "websocket_connections_active",
        "websocket_messages_total",
    ] {
        assert!(text.contains(name), "{name} missing");
    }
    assert!(
        text.contains("path=\"/api/terminals\""),
        "routes are labelled by template"
    );
    assert!(text.contains("websocket_connections_active{type=\"terminal\"} 1"));
    let (st, doc) = s.api(reqwest::Method::GET, "/api/openapi.json", None).await;
    assert_eq!(st, 200);
    assert!(doc["paths"]["/api/terminals"]["post"].is_object());
    assert!(doc["components"]["schemas"]["TerminalServerMessage"].is_object());
}

#[tokio::test]
async fn the_spa_falls_back_to_index_and_api_misses_stay_json() {
    let s = TestServer::start().await;
    let res = s
        .http
        .get(s.url("/some/client/route"))
        .send()
        .await
        .unwrap();
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"), "{ct}");
    let (st, v) = s
        .api(reqwest::Method::GET, "/api/unknown/thing", None)
        .await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("not_found")));
}
