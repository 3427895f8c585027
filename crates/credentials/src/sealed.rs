//! The on-disk envelope of every encrypted file: `MAGIC || nonce (12 bytes) || AES-256-GCM(plain)`,
//! with the magic as associated data, a fresh random nonce each time.

use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

const NONCE_LEN: usize = 12;

/// Why an envelope did not open.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unsealed {
    /// Not this kind of file at all.
    WrongMagic,
    Truncated,
    /// The key does not open it (another installation's key, or tampering).
    Decrypt,
}

pub(crate) fn seal(cipher: &Aes256Gcm, magic: &[u8], plain: &[u8]) -> Option<Vec<u8>> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plain,
                aad: magic,
            },
        )
        .ok()?;
    let mut out = Vec::with_capacity(magic.len() + NONCE_LEN + ciphertext.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(nonce.as_slice());
    out.extend_from_slice(&ciphertext);
    Some(out)
}

pub(crate) fn open(cipher: &Aes256Gcm, magic: &[u8], bytes: &[u8]) -> Result<Vec<u8>, Unsealed> {
    let rest = bytes.strip_prefix(magic).ok_or(Unsealed::WrongMagic)?;
    if rest.len() < NONCE_LEN + 16 {
        return Err(Unsealed::Truncated);
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: magic,
            },
        )
        .map_err(|_| Unsealed::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::KeyInit;

    #[test]
    fn round_trip_and_each_failure() {
        let c = Aes256Gcm::new(&Aes256Gcm::generate_key(OsRng));
        let other = Aes256Gcm::new(&Aes256Gcm::generate_key(OsRng));
        let sealed = seal(&c, b"M1\n", b"secret").unwrap();
        assert_eq!(open(&c, b"M1\n", &sealed).unwrap(), b"secret");
        assert_eq!(open(&c, b"M2\n", &sealed), Err(Unsealed::WrongMagic));
        assert_eq!(open(&other, b"M1\n", &sealed), Err(Unsealed::Decrypt));
        assert_eq!(open(&c, b"M1\n", b"M1\nshort"), Err(Unsealed::Truncated));
        assert_ne!(
            seal(&c, b"M1\n", b"secret").unwrap(),
            sealed,
            "a fresh nonce each time"
        );
    }
}
