//! HTTP remotes: the token reaches the server as a header and nowhere else; status codes map to
//! errors.

use std::sync::{Arc, Mutex};

use gitops::{CloneOptions, GitError, HttpAuth, Mirror};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A fake HTTP server: `/private/…` answers 401 (Basic), `/forbidden/…` 403, anything else
/// 404. Records every request head.
async fn fake_forge() -> (u16, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split(' ').nth(1).unwrap_or("").to_owned();
                log.lock().unwrap().push(head);
                let reply = if path.starts_with("/private/") {
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else if path.starts_with("/forbidden/") {
                    "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else {
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                };
                let _ = sock.write_all(reply.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (port, seen, task)
}

#[tokio::test]
async fn token_goes_in_a_header_and_never_into_errors_or_config() {
    let (port, seen, server) = fake_forge().await;
    let tmp = tempfile::tempdir().unwrap();
    let token = "ghs_VerySecretToken123";
    let auth = HttpAuth::token(token);
    let dest = tmp.path().join("m.git");

    let err = Mirror::clone_from(
        &format!("http://127.0.0.1:{port}/private/r.git"),
        &dest,
        Some(&auth),
        &CloneOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, GitError::Auth(_)), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(token), "{text}");
    assert!(!text.contains("eC1hY2Nlc3MtdG9rZW46"), "{text}");
    assert!(!dest.exists());

    let heads = seen.lock().unwrap().clone();
    assert!(!heads.is_empty());
    // base64("x-access-token:ghs_VerySecretToken123")
    let want = "Authorization: Basic eC1hY2Nlc3MtdG9rZW46Z2hzX1ZlcnlTZWNyZXRUb2tlbjEyMw==";
    assert!(
        heads.iter().all(|h| h.contains(want)),
        "every request carries the header: {heads:?}"
    );
    server.abort();
}

#[tokio::test]
async fn status_codes_map_to_errors() {
    let (port, _seen, server) = fake_forge().await;
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("private", None, "Auth"),
        ("forbidden", Some(HttpAuth::token("t0ken")), "Auth"),
        ("missing", None, "NotFound"),
    ];
    for (i, (path, auth, want)) in cases.into_iter().enumerate() {
        let dest = tmp.path().join(format!("m{i}.git"));
        let err = Mirror::clone_from(
            &format!("http://127.0.0.1:{port}/{path}/r.git"),
            &dest,
            auth.as_ref(),
            &CloneOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(format!("{err:?}").starts_with(want), "{path}: {err:?}");
        assert!(!dest.exists());
    }
    server.abort();
}

#[tokio::test]
async fn credentials_are_never_written_into_the_mirror() {
    let tmp = tempfile::tempdir().unwrap();
    let up = crate::support::new_repo(tmp.path(), "up");
    let url = format!("file://{}", up.display());
    let dest = tmp.path().join("m.git");
    let auth = HttpAuth::token("tok_in_env_only");
    let mirror = Mirror::clone_from(&url, &dest, Some(&auth), &CloneOptions::default())
        .await
        .unwrap();
    mirror.fetch(Some(&auth)).await.unwrap();
    let config = std::fs::read_to_string(mirror.path().join("config")).unwrap();
    assert!(
        !config.to_ascii_lowercase().contains("extraheader"),
        "{config}"
    );
    assert!(!config.contains("Authorization"), "{config}");
    assert!(!config.contains("tok_in_env_only"), "{config}");
}
