//! Webhook signatures: GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The `X-Hub-Signature-256` value for `body`: `sha256=<lowercase hex>`.
pub fn sign_webhook(secret: &[u8], body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, body).finalize().into_bytes())
    )
}

/// Verifies GitHub's `X-Hub-Signature-256: sha256=<hex>` over the raw body, in constant time.
/// Anything malformed (other prefix, bad hex, wrong length) is `false`.
pub fn verify_webhook_signature(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    mac(secret, body).verify_slice(&sig).is_ok()
}

fn mac(secret: &[u8], body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_githubs_documented_example() {
        // From GitHub's "Validating webhook deliveries" page.
        let sig = sign_webhook(b"It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(
            sig,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        assert!(verify_webhook_signature(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            &sig
        ));
    }

    #[test]
    fn rejects_wrong_or_malformed() {
        let sig = sign_webhook(b"s", b"body");
        assert!(verify_webhook_signature(b"s", b"body", &sig));
        assert!(!verify_webhook_signature(b"t", b"body", &sig));
        assert!(!verify_webhook_signature(b"s", b"body!", &sig));
        assert!(!verify_webhook_signature(
            b"s",
            b"body",
            &sig.replace("sha256=", "sha1=")
        ));
        assert!(!verify_webhook_signature(b"s", b"body", "sha256=zz"));
        assert!(!verify_webhook_signature(b"s", b"body", "sha256="));
        assert!(!verify_webhook_signature(
            b"s",
            b"body",
            &sig[..sig.len() - 2]
        ));
    }
}
