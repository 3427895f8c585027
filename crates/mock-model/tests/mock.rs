//! The mock over HTTP, with reqwest: SSE order and assembly, JSON replies, faults, stream cuts,
//! rules, side requests, conversations and the request log.

use std::time::Duration;

use mock_model::{sse, Block, MockModel, Reply, RequestKind, Script, Served, Turn, Usage};
use serde_json::{json, Value};

fn body(prompt: &str, stream: bool) -> Value {
    json!({
        "model": "claude-test",
        "max_tokens": 1024,
        "stream": stream,
        "tools": [{"name": "Write", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>context</system-reminder>"},
            {"type": "text", "text": prompt}]}],
    })
}

async fn post(mock: &MockModel, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", mock.base_url()))
        .header("authorization", "Bearer test-token")
        .header("anthropic-beta", "a-1,b-2")
        .header("x-claude-code-session-id", "s1")
        .json(body)
        .send()
        .await
        .expect("request to the mock")
}

/// Reads an SSE body chunk by chunk; returns the events and whether the body ended cleanly.
async fn read_sse(mut response: reqwest::Response) -> (Vec<sse::Event>, bool) {
    let mut buf = Vec::new();
    let clean = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            Ok(None) => break true,
            Err(_) => break false,
        }
    };
    (sse::parse(&String::from_utf8_lossy(&buf)), clean)
}

#[tokio::test]
async fn streams_text_and_tool_use_in_order() {
    let reply = Reply {
        usage: Usage {
            input_tokens: 120,
            output_tokens: 33,
            cache_creation_input_tokens: 7,
            cache_read_input_tokens: 9,
        },
        ..Reply::new([
            Block::text("I'll write the file."),
            Block::tool_use(
                "Write",
                json!({"file_path": "/w/hello.txt", "content": "hello\nworld \"q\""}),
            ),
        ])
    };
    let mock = MockModel::start(Script::turns([Turn::Reply(reply)])).await;
    let response = post(&mock, "/v1/messages?beta=true", &body("go", true)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let (events, clean) = read_sse(response).await;
    assert!(clean);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names[..2], ["message_start", "ping"]);
    assert_eq!(names[names.len() - 2..], ["message_delta", "message_stop"]);
    // Blocks are started, filled and stopped one after another.
    let structural: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| *n != "content_block_delta")
        .collect();
    assert_eq!(
        structural,
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_stop",
            "content_block_start",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let input_deltas = events
        .iter()
        .filter(|e| e.data["delta"]["type"] == "input_json_delta")
        .count();
    assert!(input_deltas > 2, "tool input arrives in several deltas");

    let start = &events[0].data["message"];
    assert_eq!(start["model"], "claude-test");
    assert_eq!(start["usage"]["input_tokens"], 120);
    assert_eq!(start["usage"]["cache_read_input_tokens"], 9);
    assert_eq!(start["usage"]["output_tokens"], 1);
    let delta = &events[events.len() - 2].data;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(delta["usage"]["output_tokens"], 33);

    let blocks = sse::assemble(&events);
    assert_eq!(
        blocks[0],
        json!({"type": "text", "text": "I'll write the file."})
    );
    assert_eq!(blocks[1]["name"], "Write");
    assert_eq!(
        blocks[1]["input"],
        json!({"file_path": "/w/hello.txt", "content": "hello\nworld \"q\""})
    );
    assert!(blocks[1]["id"].as_str().unwrap().starts_with("toolu_mock_"));
}

#[tokio::test]
async fn non_streaming_json_and_prefixed_paths() {
    let mock = MockModel::start(Script::turns([Turn::text("plain")])).await;
    let response = post(&mock, "/sbx/abc/v1/messages", &body("hi", false)).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("request-id"));
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["type"], "message");
    assert_eq!(
        message["content"],
        json!([{"type": "text", "text": "plain"}])
    );
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["usage"]["input_tokens"], 10);

    // Steps exhausted: the default echo of the prompt (system reminders skipped).
    let message: Value = post(&mock, "/v1/messages", &body("second", false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(message["content"][0]["text"], "Mock reply to: second");

    let log = mock.requests();
    assert_eq!(log[0].path, "/sbx/abc/v1/messages");
    assert_eq!(log[0].served, Served::Turn { index: 0 });
    assert_eq!(log[1].served, Served::Fallback);
}

#[tokio::test]
async fn faults_have_status_body_and_headers() {
    let mut custom = Turn::error(429).should_retry(false);
    if let Turn::Error(f) = &mut custom {
        f.headers.insert("x-custom".into(), "yes".into());
        f.message = Some("quota exceeded".into());
    }
    let mock = MockModel::start(Script::turns([
        Turn::unauthorized(),
        Turn::rate_limited(3),
        Turn::overloaded().repeat(2),
        Turn::server_error(),
        custom,
        Turn::text("finally"),
    ]))
    .await;
    let b = body("x", true);

    let r = post(&mock, "/v1/messages", &b).await;
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["type"], "error");
    assert_eq!(e["error"]["type"], "authentication_error");

    let r = post(&mock, "/v1/messages", &b).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "3");
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["type"], "rate_limit_error");

    for _ in 0..2 {
        let r = post(&mock, "/v1/messages", &b).await;
        assert_eq!(r.status().as_u16(), 529);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["type"], "overloaded_error");
    }

    let r = post(&mock, "/v1/messages", &b).await;
    assert_eq!(r.status(), 500);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["type"], "api_error");

    let r = post(&mock, "/v1/messages", &b).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-should-retry"], "false");
    assert_eq!(r.headers()["x-custom"], "yes");
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["message"], "quota exceeded");

    let r = post(&mock, "/v1/messages", &b).await;
    assert_eq!(r.status(), 200);
    let (events, _) = read_sse(r).await;
    assert_eq!(sse::assemble(&events)[0]["text"], "finally");
}

#[tokio::test]
async fn stream_cut_ends_early() {
    let reply = Reply::new([Block::text("this will never finish properly")]);
    let mock = MockModel::start(Script::turns([Turn::cut(reply, 4)])).await;
    let r = post(&mock, "/v1/messages", &body("x", true)).await;
    assert_eq!(r.status(), 200);
    let (events, clean) = read_sse(r).await;
    assert!(!clean, "the body must end with an error, not cleanly");
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.event != "message_stop"));

    // Non-streaming: no complete response arrives.
    let mock = MockModel::start(Script::turns([Turn::cut(
        Reply::new([Block::text("x")]),
        0,
    )]))
    .await;
    let sent = reqwest::Client::new()
        .post(format!("{}/v1/messages", mock.base_url()))
        .json(&body("x", false))
        .send()
        .await;
    match sent {
        Err(_) => {}
        Ok(r) => assert!(r.bytes().await.is_err()),
    }
}

#[tokio::test]
async fn rules_tool_results_and_side_requests() {
    let script = Script::echo()
        .rule(
            "create",
            [
                Turn::tool_use("Write", json!({"file_path": "/a", "content": "b"})),
                Turn::text("Created."),
            ],
        )
        .rule_text("weather", "Sunny.")
        .with_side_reply("Title");
    let mock = MockModel::start(script).await;
    let text_of = |m: Value| {
        m["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    // Rule 1, step 0: a tool_use.
    let first: Value = post(&mock, "/v1/messages", &body("please CREATE a file", false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["content"][0]["type"], "tool_use");
    let tool_id = first["content"][0]["id"].clone();

    // A side request (no tools) in between consumes nothing.
    let side = json!({"model": "claude-haiku-4-5-20251001", "max_tokens": 32000,
                      "messages": [{"role": "user", "content": "make a title"}]});
    assert_eq!(
        text_of(
            post(&mock, "/v1/messages", &side)
                .await
                .json()
                .await
                .unwrap()
        ),
        "Title"
    );

    // The tool_result gets step 1.
    let mut b = body("please CREATE a file", false);
    b["messages"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "assistant", "content": first["content"]}));
    b["messages"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": tool_id, "content": "ok"}]}));
    assert_eq!(
        text_of(post(&mock, "/v1/messages", &b).await.json().await.unwrap()),
        "Created."
    );

    // Other prompts: another rule, then the echo.
    let r = post(&mock, "/v1/messages", &body("weather?", false)).await;
    assert_eq!(text_of(r.json().await.unwrap()), "Sunny.");
    let r = post(&mock, "/v1/messages", &body("anything", false)).await;
    assert_eq!(text_of(r.json().await.unwrap()), "Mock reply to: anything");

    let log = mock.requests();
    let served: Vec<Served> = log.iter().map(|r| r.served.clone()).collect();
    assert_eq!(
        served,
        [
            Served::Rule { rule: 0, step: 0 },
            Served::Side,
            Served::Rule { rule: 0, step: 1 },
            Served::Rule { rule: 1, step: 0 },
            Served::Fallback,
        ]
    );
    assert_eq!(log[1].kind, RequestKind::Side);
    assert_eq!(log[2].tool_results().len(), 1);
    assert_eq!(log[2].prompt().as_deref(), Some("please CREATE a file"));
}

#[tokio::test]
async fn rule_retry_does_not_restart() {
    let script = Script::echo().rule("go", [Turn::rate_limited(0), Turn::text("ok")]);
    let mock = MockModel::start(script).await;
    let b = body("go", false);
    assert_eq!(post(&mock, "/v1/messages", &b).await.status(), 429);
    let m: Value = post(&mock, "/v1/messages", &b).await.json().await.unwrap();
    assert_eq!(m["content"][0]["text"], "ok");
}

#[tokio::test]
async fn conversations_progress_independently() {
    let mock = MockModel::start(Script::turns([Turn::text("one"), Turn::text("two")])).await;
    let client = reqwest::Client::new();
    let send = |session: &'static str| {
        client
            .post(format!("{}/v1/messages", mock.base_url()))
            .header("x-claude-code-session-id", session)
            .json(&body("x", false))
            .send()
    };
    let text = |v: Value| v["content"][0]["text"].as_str().unwrap().to_string();
    assert_eq!(text(send("a").await.unwrap().json().await.unwrap()), "one");
    assert_eq!(text(send("b").await.unwrap().json().await.unwrap()), "one");
    assert_eq!(text(send("a").await.unwrap().json().await.unwrap()), "two");
}

#[tokio::test]
async fn log_headers_count_tokens_and_other_paths() {
    let mock = MockModel::start(Script::echo()).await;
    let r = post(
        &mock,
        "/v1/messages/count_tokens?beta=true",
        &body("count me", false),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["input_tokens"].as_u64().unwrap() > 0);

    let r = reqwest::get(format!("{}/api/whatever", mock.base_url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({}));

    post(&mock, "/v1/messages?beta=true", &body("hello", true)).await;

    let log = mock.log();
    let msg = log
        .wait_for(Duration::from_secs(2), |r| r.kind == RequestKind::Main)
        .await
        .unwrap();
    assert_eq!(msg.bearer(), Some("test-token"));
    assert_eq!(msg.header("Authorization"), Some("Bearer test-token"));
    assert_eq!(msg.betas(), ["a-1", "b-2"]);
    assert_eq!(msg.session_id(), Some("s1"));
    assert_eq!(msg.query.as_deref(), Some("beta=true"));
    assert_eq!(msg.model(), Some("claude-test"));
    assert_eq!(msg.tool_names(), ["Write"]);
    assert!(msg.is_stream());
    assert_eq!(msg.prompt().as_deref(), Some("hello"));
    assert_eq!(log.len(), 3);
    assert_eq!(log.all()[0].kind, RequestKind::CountTokens);
    assert_eq!(log.all()[1].kind, RequestKind::Other);

    // The log endpoint.
    let all: Value = reqwest::get(format!("{}/_mock/requests", mock.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[2]["served"]["source"], "fallback");
}

#[tokio::test]
async fn binary_runs_a_script_file() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.json");
    std::fs::write(
        &path,
        r#"{"turns":[{"type":"reply","content":[{"type":"text","text":"from file"}]}]}"#,
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_anycode-mock-model"))
        .args(["--port", "0", "--script"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().unwrap();
    let base = line.strip_prefix("listening on ").unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    let m: Value = reqwest::Client::new()
        .post(format!("{base}/v1/messages"))
        .json(&body("x", false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["content"][0]["text"], "from file");
    child.kill().await.unwrap();
}
