//! Test helpers outside #[test] functions unwrap too: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use credentials::{
    validate, ActiveKind, Broker, CredError, CredentialKind, CredentialSource, CredentialStore,
    Sources, StoredKind,
};

const KEY: &str = "sk-ant-api03-STOREDAPIKEYabcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN: &str = "sk-ant-oat01-STOREDOAUTHTOKENabcdefghijklmnopqrstuvwxyz0123";

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn round_trip_without_plaintext_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = CredentialStore::open(&data).unwrap();
    assert!(store.list().is_empty());

    let a = store.add(StoredKind::ApiKey, KEY).unwrap();
    let b = store
        .add(StoredKind::OAuthToken, &format!("  {TOKEN}\n"))
        .unwrap();
    assert_eq!(a.kind, CredentialKind::ApiKey);
    assert_eq!(a.source, CredentialSource::Stored);
    assert_eq!(a.prefix.as_deref(), Some("sk-ant-api03…"));
    assert!(a.warning.is_none() && b.warning.is_none());
    assert!(a.created_at.is_some());

    for name in ["secret.key", "credentials.enc"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    let on_disk = std::fs::read(data.join("credentials.enc")).unwrap();
    let text = String::from_utf8_lossy(&on_disk);
    assert!(!text.contains(KEY) && !text.contains(TOKEN));
    assert!(!text.contains("STOREDAPIKEY") && !text.contains("STOREDOAUTH"));
    // No temporary files left behind.
    let names: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // A new nonce on every write: the same contents encrypt differently.
    drop(store);
    let store = CredentialStore::open(&data).unwrap();
    let ids: Vec<_> = store.list().into_iter().map(|i| i.id).collect();
    assert_eq!(ids, vec![b.id.clone(), a.id.clone()], "most recent first");

    // The most recent stored credential wins over env and file.
    let store = Arc::new(store);
    let home = tempfile::tempdir().unwrap();
    let env: BTreeMap<_, _> = [(
        "ANTHROPIC_API_KEY".to_string(),
        "sk-ant-api03-envenvenvenv".to_string(),
    )]
    .into();
    let broker = Broker::new(Sources::new(home.path(), env)).with_store(store.clone());
    let active = broker.resolve_now().unwrap();
    assert_eq!(active.id, b.id);
    assert_eq!(active.kind, ActiveKind::OAuth);
    assert_eq!(active.secret.expose(), TOKEN);
    assert_eq!(broker.list().len(), 3);

    store.remove(&b.id).unwrap();
    let active = broker.resolve_now().unwrap();
    assert_eq!(
        (active.kind, active.secret.expose()),
        (ActiveKind::ApiKey, KEY)
    );
    assert!(matches!(store.remove(&b.id), Err(CredError::NotFound(_))));

    let before = std::fs::read(data.join("credentials.enc")).unwrap();
    store.remove(&a.id).unwrap();
    store.add(StoredKind::ApiKey, KEY).unwrap();
    let after = std::fs::read(data.join("credentials.enc")).unwrap();
    assert_ne!(before, after);
    drop(store);
    let reopened = CredentialStore::open(&data).unwrap();
    assert_eq!(reopened.list().len(), 1);
}

#[test]
fn key_file_with_wider_permissions_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = CredentialStore::open(dir.path()).unwrap();
    store.add(StoredKind::ApiKey, KEY).unwrap();
    drop(store);
    let key = dir.path().join("secret.key");
    for bad in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(bad)).unwrap();
        let err = CredentialStore::open(dir.path()).unwrap_err();
        assert!(matches!(err, CredError::KeyFilePermissions { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("chmod 600") && msg.contains(&format!("{bad:04o}")),
            "{msg}"
        );
    }
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert_eq!(CredentialStore::open(dir.path()).unwrap().list().len(), 1);
}

#[test]
fn key_file_of_the_wrong_size_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("secret.key");
    std::fs::write(&key, b"short").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = CredentialStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, CredError::KeyFile { .. }), "{err}");
}

#[test]
fn tampered_ciphertext_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = CredentialStore::open(dir.path()).unwrap();
    store.add(StoredKind::ApiKey, KEY).unwrap();
    drop(store);
    let path = dir.path().join("credentials.enc");
    let good = std::fs::read(&path).unwrap();

    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    std::fs::write(&path, &flipped).unwrap();
    let err = CredentialStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, CredError::Decrypt { .. }), "{err}");
    assert!(err.to_string().contains("could not be decrypted"));

    std::fs::write(&path, &good[..good.len() / 3]).unwrap();
    let err = CredentialStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            CredError::CorruptStore { .. } | CredError::Decrypt { .. }
        ),
        "{err}"
    );

    std::fs::write(&path, b"hello").unwrap();
    let err = CredentialStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, CredError::CorruptStore { .. }), "{err}");

    // Another key cannot read it either.
    std::fs::write(&path, &good).unwrap();
    let key = dir.path().join("secret.key");
    std::fs::remove_file(&key).unwrap();
    let err = CredentialStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, CredError::Decrypt { .. }), "{err}");
}

#[test]
fn validation_table() {
    let long = "x".repeat(5000);
    let cases: Vec<(StoredKind, &str, Result<bool, &str>)> = vec![
        // Ok(has_warning) / Err(substring of the message)
        (StoredKind::ApiKey, KEY, Ok(false)),
        (StoredKind::ApiKey, "my-proxy-key-123456", Ok(true)),
        (StoredKind::ApiKey, TOKEN, Ok(true)),
        (StoredKind::OAuthToken, TOKEN, Ok(false)),
        (StoredKind::OAuthToken, KEY, Ok(true)),
        (StoredKind::OAuthToken, "some-other-bearer-token", Ok(true)),
        (
            StoredKind::OAuthToken,
            "sk-ant-ort01-refreshrefresh",
            Err("refresh token"),
        ),
        (StoredKind::ApiKey, "", Err("empty")),
        (StoredKind::OAuthToken, " \n ", Err("empty")),
        (
            StoredKind::ApiKey,
            "sk-ant-api03 abc",
            Err("spaces or line breaks"),
        ),
        (
            StoredKind::ApiKey,
            "sk-ant-api03\nabcdef",
            Err("spaces or line breaks"),
        ),
        (
            StoredKind::ApiKey,
            "sk-ant-api03-é-abcdef",
            Err("printable ASCII"),
        ),
        (StoredKind::ApiKey, "sk-ant", Err("too short")),
        (StoredKind::ApiKey, &long, Err("too long")),
    ];
    for (kind, value, want) in cases {
        match (validate(kind, value), want) {
            (Ok((_, warning)), Ok(w)) => assert_eq!(warning.is_some(), w, "{value:.20}"),
            (Err(e), Err(sub)) => {
                assert!(e.to_string().contains(sub), "{value:.20}: {e}");
                assert!(!e.to_string().contains(value.trim()) || value.trim().is_empty());
            }
            (got, want) => panic!("{value:.20}: got {:?}, want {want:?}", got.map(|(_, w)| w)),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let store = CredentialStore::open(dir.path()).unwrap();
    let info = store
        .add(StoredKind::ApiKey, "my-proxy-key-123456")
        .unwrap();
    assert!(info.warning.is_some());
    assert!(store.add(StoredKind::ApiKey, "").is_err());
    assert_eq!(store.list().len(), 1);
    assert!(
        store.list()[0].warning.is_some(),
        "the warning survives a reload"
    );
}

#[test]
fn concurrent_opens_agree_on_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || CredentialStore::open(&p).map(|_| ()))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let store = CredentialStore::open(&path).unwrap();
    store.add(StoredKind::ApiKey, KEY).unwrap();
    drop(store);
    assert_eq!(CredentialStore::open(&path).unwrap().list().len(), 1);
}
