//! The sealed format, and envelope encryption with KMS.
//!
//! A sealed profile is one line of text:
//!
//! ```text
//! ratchet:v1:<envelope in URL-safe base64, unpadded>
//! ```
//!
//! The URL-safe alphabet without padding (RFC 4648, section 5) keeps the
//! value to letters, digits, `-` and `_`, which every `.env` parser, shell,
//! JSON and HCL string takes unquoted and unescaped.
//!
//! The envelope, integers big-endian:
//!
//! | bytes | content |
//! |---|---|
//! | 1 | format version, `1` |
//! | 2 | length `n` of the encrypted data key |
//! | n | the data key as KMS `GenerateDataKey` encrypted it |
//! | 12 | AES-GCM nonce, random per seal |
//! | rest | AES-256-GCM ciphertext of the variables' JSON, then the 16-byte tag |
//!
//! The data key is encrypted under the KMS encryption context
//! `{"ratchet-profile": NAME, "ratchet-format": "1"}` and the ciphertext
//! authenticates `ratchet-format=1;ratchet-profile=NAME` as associated data,
//! so a value copied to another profile's variable fails to open.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::kms::{Kms, encryption_context};
use crate::{Error, ProfileName, Variables};

/// The format version written into every sealed value and its context.
pub const FORMAT_VERSION: u8 = 1;

/// Text that starts every sealed value of this format.
pub const PREFIX: &str = "ratchet:v1:";

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// Seals `variables` for `profile` with a fresh data key from `key_id`.
pub async fn seal<K: Kms>(
    kms: &K,
    key_id: &str,
    profile: &ProfileName,
    variables: &Variables,
) -> Result<String, Error> {
    let data_key = kms
        .generate_data_key(key_id, &encryption_context(profile))
        .await?;
    let cipher = cipher(&data_key.plaintext)?;
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let plaintext = variables.to_json();
    let aad = associated_data(profile);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: &plaintext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| Error::Input("the variables are too large to encrypt".into()))?;
    let envelope = Envelope {
        encrypted_key: data_key.encrypted,
        nonce: nonce.into(),
        ciphertext,
    };
    Ok(envelope.encode())
}

/// Opens a sealed value for `profile`: one KMS `Decrypt`, then AES-GCM.
pub async fn open<K: Kms>(
    kms: &K,
    profile: &ProfileName,
    sealed: &str,
) -> Result<Variables, Error> {
    let envelope = Envelope::decode(sealed)?;
    let data_key = kms
        .decrypt(envelope.encrypted_key(), &encryption_context(profile))
        .await?;
    envelope.unseal(&data_key, profile)
}

/// Identifies a sealed value (not its secrets): the first 16 hex digits of
/// the SHA-256 of its text.
pub fn version(sealed: &str) -> String {
    let digest = Sha256::digest(sealed.trim().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The parts of a sealed value.
pub struct Envelope {
    encrypted_key: Vec<u8>,
    nonce: [u8; NONCE_BYTES],
    ciphertext: Vec<u8>,
}

impl Envelope {
    /// Parses a sealed value's text. Surrounding whitespace is ignored.
    pub fn decode(sealed: &str) -> Result<Self, Error> {
        let encoded = sealed
            .trim()
            .strip_prefix(PREFIX)
            .ok_or(Error::Malformed("it does not start with `ratchet:v1:`"))?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|_| Error::Malformed("its body is not base64"))?;

        let (&format, rest) = bytes.split_first().ok_or(Error::Malformed("it is empty"))?;
        if format != FORMAT_VERSION {
            return Err(Error::Malformed("its format version is not 1"));
        }
        let (length, rest) = rest
            .split_first_chunk::<2>()
            .ok_or(Error::Malformed("it is truncated"))?;
        let key_length = usize::from(u16::from_be_bytes(*length));
        if key_length == 0 || rest.len() < key_length + NONCE_BYTES + TAG_BYTES {
            return Err(Error::Malformed("it is truncated"));
        }
        let (encrypted_key, rest) = rest.split_at(key_length);
        let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
        Ok(Self {
            encrypted_key: encrypted_key.to_vec(),
            nonce: nonce.try_into().expect("split at the nonce length"),
            ciphertext: ciphertext.to_vec(),
        })
    }

    /// The sealed value's text.
    pub fn encode(&self) -> String {
        let key_length =
            u16::try_from(self.encrypted_key.len()).expect("KMS ciphertext blobs are under 64 KiB");
        let mut bytes =
            Vec::with_capacity(3 + self.encrypted_key.len() + NONCE_BYTES + self.ciphertext.len());
        bytes.push(FORMAT_VERSION);
        bytes.extend_from_slice(&key_length.to_be_bytes());
        bytes.extend_from_slice(&self.encrypted_key);
        bytes.extend_from_slice(&self.nonce);
        bytes.extend_from_slice(&self.ciphertext);
        format!("{PREFIX}{}", BASE64.encode(bytes))
    }

    /// The data key as KMS encrypted it.
    pub fn encrypted_key(&self) -> &[u8] {
        &self.encrypted_key
    }

    /// Decrypts the variables with the data key KMS returned.
    pub fn unseal(&self, data_key: &[u8], profile: &ProfileName) -> Result<Variables, Error> {
        let cipher = cipher(data_key)?;
        let aad = associated_data(profile);
        let plaintext = cipher
            .decrypt(
                Nonce::from_slice(&self.nonce),
                Payload {
                    msg: &self.ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Error::Unseal)?;
        Variables::from_json(&plaintext)
            .map_err(|_| Error::Malformed("its payload is not an object of strings"))
    }
}

fn cipher(data_key: &[u8]) -> Result<Aes256Gcm, Error> {
    if data_key.len() != KEY_BYTES {
        return Err(Error::Malformed("its data key is not 256 bits"));
    }
    Ok(Aes256Gcm::new_from_slice(data_key).expect("length checked above"))
}

fn associated_data(profile: &ProfileName) -> String {
    format!("ratchet-format={FORMAT_VERSION};ratchet-profile={profile}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::{CountingKms, MemoryKms};

    fn profile(name: &str) -> ProfileName {
        ProfileName::parse(name).unwrap()
    }

    fn variables() -> Variables {
        Variables::from_json(br#"{"DATABASE_URL":"postgres://u:pw@db/app","TOKEN":"t0ken"}"#)
            .unwrap()
    }

    /// Sealing then opening gives the same variables, with one KMS call each.
    #[tokio::test]
    async fn round_trips_with_one_call_each_way() {
        let kms = CountingKms::new(MemoryKms::new());
        let sealed = seal(&kms, "alias/ratchet", &profile("app"), &variables())
            .await
            .unwrap();
        assert!(sealed.starts_with(PREFIX));
        let body = &sealed[PREFIX.len()..];
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert!(!sealed.contains("t0ken"));
        let opened = open(&kms, &profile("app"), &sealed).await.unwrap();
        assert_eq!(opened.get("TOKEN"), Some("t0ken"));
        assert_eq!(opened.get("DATABASE_URL"), Some("postgres://u:pw@db/app"));
        assert_eq!((kms.generate_calls(), kms.decrypt_calls()), (1, 1));
    }

    /// Two seals of the same variables differ: fresh key and nonce each time.
    #[tokio::test]
    async fn seals_are_fresh() {
        let kms = MemoryKms::new();
        let a = seal(&kms, "k", &profile("app"), &variables())
            .await
            .unwrap();
        let b = seal(&kms, "k", &profile("app"), &variables())
            .await
            .unwrap();
        assert_ne!(a, b);
        assert_ne!(version(&a), version(&b));
        assert_eq!(version(&a).len(), 16);
    }

    /// A value copied to another profile fails at KMS, whose context differs.
    #[tokio::test]
    async fn refuses_another_profile() {
        let kms = MemoryKms::new();
        let sealed = seal(&kms, "k", &profile("app"), &variables())
            .await
            .unwrap();
        let result = open(&kms, &profile("other"), &sealed).await;
        assert!(
            matches!(result, Err(Error::KmsRejected { .. })),
            "{result:?}"
        );
    }

    /// Even with the right data key, the ciphertext is bound to its profile.
    #[tokio::test]
    async fn associated_data_binds_the_profile() {
        let kms = MemoryKms::new();
        let sealed = seal(&kms, "k", &profile("app"), &variables())
            .await
            .unwrap();
        let envelope = Envelope::decode(&sealed).unwrap();
        let key = kms
            .decrypt(
                envelope.encrypted_key(),
                &encryption_context(&profile("app")),
            )
            .await
            .unwrap();
        assert!(envelope.unseal(&key, &profile("app")).is_ok());
        assert!(matches!(
            envelope.unseal(&key, &profile("other")),
            Err(Error::Unseal)
        ));
    }

    /// Any flipped bit in the ciphertext, nonce or encrypted key is refused.
    #[tokio::test]
    async fn refuses_tampering() {
        let kms = MemoryKms::new();
        let sealed = seal(&kms, "k", &profile("app"), &variables())
            .await
            .unwrap();
        let bytes = BASE64.decode(&sealed[PREFIX.len()..]).unwrap();
        for index in [5, bytes.len() - 30, bytes.len() - 1] {
            let mut altered = bytes.clone();
            altered[index] ^= 0x01;
            let altered = format!("{PREFIX}{}", BASE64.encode(&altered));
            let result = open(&kms, &profile("app"), &altered).await;
            assert!(
                matches!(result, Err(Error::Unseal | Error::KmsRejected { .. })),
                "byte {index}: {result:?}"
            );
        }
    }

    /// Text that is not a sealed value is refused before any KMS call.
    #[tokio::test]
    async fn refuses_malformed_text() {
        let kms = CountingKms::new(MemoryKms::new());
        for text in [
            "",
            "plain",
            "ratchet:v1:!!!",
            "ratchet:v1:",
            "ratchet:v1:AgAB",
            "ratchet:v1:AQAB",
        ] {
            let result = open(&kms, &profile("app"), text).await;
            assert!(
                matches!(result, Err(Error::Malformed(_))),
                "{text}: {result:?}"
            );
        }
        assert_eq!(kms.decrypt_calls(), 0);
    }

    /// The envelope survives encoding and decoding unchanged.
    #[test]
    fn envelope_round_trips() {
        let envelope = Envelope {
            encrypted_key: vec![7; 184],
            nonce: [9; NONCE_BYTES],
            ciphertext: vec![1; 40],
        };
        let text = envelope.encode();
        let again = Envelope::decode(&format!("  {text}\n")).unwrap();
        assert_eq!(again.encrypted_key, envelope.encrypted_key);
        assert_eq!(again.nonce, envelope.nonce);
        assert_eq!(again.ciphertext, envelope.ciphertext);
    }
}
