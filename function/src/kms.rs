//! The seam between Ratchet and AWS KMS.
//!
//! [`Kms`] is the two calls envelope encryption needs. [`AwsKms`] makes them
//! with aws-sdk-kms; [`MemoryKms`] keeps a key in memory for tests and
//! benchmarks, with the same refusal on a wrong encryption context; and
//! [`CountingKms`] wraps either to count calls.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{AeadCore, Aes256Gcm};
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use zeroize::Zeroizing;

use crate::{Error, ProfileName, seal::FORMAT_VERSION};

/// KMS encryption context: name to value.
pub type EncryptionContext = HashMap<String, String>;

/// The encryption context that binds a sealed value to its profile and to
/// the format version: `{"ratchet-profile": NAME, "ratchet-format": "1"}`.
pub fn encryption_context(profile: &ProfileName) -> EncryptionContext {
    HashMap::from([
        ("ratchet-profile".to_owned(), profile.as_str().to_owned()),
        ("ratchet-format".to_owned(), FORMAT_VERSION.to_string()),
    ])
}

/// A fresh data key: its plaintext (wiped on drop) and its KMS-encrypted form.
pub struct DataKey {
    /// The 32-byte AES-256 key; never stored, never logged.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The key as KMS encrypted it, stored beside the ciphertext.
    pub encrypted: Vec<u8>,
}

/// The KMS calls that envelope encryption needs.
pub trait Kms: Send + Sync {
    /// `GenerateDataKey` with an AES-256 key spec.
    fn generate_data_key(
        &self,
        key_id: &str,
        context: &EncryptionContext,
    ) -> impl Future<Output = Result<DataKey, Error>> + Send;

    /// `Decrypt` of an encrypted data key under `context`.
    fn decrypt(
        &self,
        encrypted_key: &[u8],
        context: &EncryptionContext,
    ) -> impl Future<Output = Result<Zeroizing<Vec<u8>>, Error>> + Send;
}

/// KMS through aws-sdk-kms.
#[derive(Clone, Debug)]
pub struct AwsKms {
    client: aws_sdk_kms::Client,
}

impl AwsKms {
    /// Builds a client from the standard AWS environment (region,
    /// credentials, `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Self {
        Self::load(aws_config::defaults(aws_config::BehaviorVersion::latest())).await
    }

    /// Builds a client from `loader`, over rustls with ring.
    ///
    /// Timeouts are short because a caller waits behind API Gateway: a KMS
    /// that does not answer becomes a 503 with a retry hint rather than a
    /// gateway timeout.
    pub async fn load(loader: aws_config::ConfigLoader) -> Self {
        use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(1))
            .operation_attempt_timeout(Duration::from_secs(2))
            .operation_timeout(Duration::from_secs(5))
            .build();
        let config = loader
            .http_client(http_client)
            .timeout_config(timeouts)
            .load()
            .await;
        Self::new(aws_sdk_kms::Client::new(&config))
    }

    /// Wraps a client built elsewhere.
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        Self { client }
    }

    /// The SDK client, for calls beyond the seam (creating keys in tests).
    pub fn client(&self) -> &aws_sdk_kms::Client {
        &self.client
    }
}

impl Kms for AwsKms {
    async fn generate_data_key(
        &self,
        key_id: &str,
        context: &EncryptionContext,
    ) -> Result<DataKey, Error> {
        let output = self
            .client
            .generate_data_key()
            .key_id(key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context.clone()))
            .send()
            .await
            .map_err(classify)?;
        let plaintext = output.plaintext.map(Blob::into_inner);
        let encrypted = output.ciphertext_blob.map(Blob::into_inner);
        match (plaintext, encrypted) {
            (Some(plaintext), Some(encrypted)) => Ok(DataKey {
                plaintext: Zeroizing::new(plaintext),
                encrypted,
            }),
            _ => Err(Error::KmsUnavailable {
                code: "IncompleteResponse".into(),
                message: "GenerateDataKey returned no key".into(),
            }),
        }
    }

    async fn decrypt(
        &self,
        encrypted_key: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let output = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(encrypted_key))
            .set_encryption_context(Some(context.clone()))
            .send()
            .await
            .map_err(classify)?;
        match output.plaintext {
            Some(plaintext) => Ok(Zeroizing::new(plaintext.into_inner())),
            None => Err(Error::KmsUnavailable {
                code: "IncompleteResponse".into(),
                message: "Decrypt returned no key".into(),
            }),
        }
    }
}

/// Sorts a KMS failure: a refused ciphertext is the sealed value's fault;
/// anything else (throttling, a disabled or missing key, denied access, no
/// network) is KMS being unavailable.
fn classify<E, R>(err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = match (&err, err.code()) {
        (_, Some(code)) => code.to_owned(),
        (SdkError::TimeoutError(_), None) => "Timeout".to_owned(),
        (SdkError::DispatchFailure(_), None) => "DispatchFailure".to_owned(),
        _ => "Unknown".to_owned(),
    };
    match code.as_str() {
        "InvalidCiphertextException" | "IncorrectKeyException" => Error::KmsRejected { code },
        _ => Error::KmsUnavailable {
            message: err
                .message()
                .map_or_else(|| DisplayErrorContext(&err).to_string(), str::to_owned),
            code,
        },
    }
}

/// A KMS in memory, for tests and benchmarks: one AES-256 master key,
/// encryption context checked as the real one does.
pub struct MemoryKms {
    master: Aes256Gcm,
    unavailable: AtomicBool,
}

impl Default for MemoryKms {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryKms {
    /// A KMS with a fresh random master key.
    pub fn new() -> Self {
        Self {
            master: Aes256Gcm::new(&Aes256Gcm::generate_key(&mut aes_gcm::aead::OsRng)),
            unavailable: AtomicBool::new(false),
        }
    }

    /// Makes every later call fail as a throttled KMS would (or succeed again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    fn check_available(&self) -> Result<(), Error> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(Error::KmsUnavailable {
                code: "ThrottlingException".into(),
                message: "rate exceeded (simulated)".into(),
            });
        }
        Ok(())
    }
}

/// The context in a fixed order, as associated data.
fn context_bytes(context: &EncryptionContext) -> Vec<u8> {
    let sorted: std::collections::BTreeMap<_, _> = context.iter().collect();
    serde_json::to_vec(&sorted).expect("a map of strings always serializes")
}

impl Kms for MemoryKms {
    async fn generate_data_key(
        &self,
        _key_id: &str,
        context: &EncryptionContext,
    ) -> Result<DataKey, Error> {
        self.check_available()?;
        let key = Aes256Gcm::generate_key(&mut aes_gcm::aead::OsRng);
        let plaintext = Zeroizing::new(key.to_vec());
        let nonce = Aes256Gcm::generate_nonce(&mut aes_gcm::aead::OsRng);
        let aad = context_bytes(context);
        let sealed = self
            .master
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption of 32 bytes cannot fail");
        let mut encrypted = nonce.to_vec();
        encrypted.extend_from_slice(&sealed);
        Ok(DataKey {
            plaintext,
            encrypted,
        })
    }

    async fn decrypt(
        &self,
        encrypted_key: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.check_available()?;
        let rejected = || Error::KmsRejected {
            code: "InvalidCiphertextException".into(),
        };
        if encrypted_key.len() < 12 {
            return Err(rejected());
        }
        let (nonce, sealed) = encrypted_key.split_at(12);
        let aad = context_bytes(context);
        self.master
            .decrypt(
                nonce.into(),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| rejected())
    }
}

/// Counts the calls made through an inner [`Kms`].
pub struct CountingKms<K> {
    inner: K,
    generated: AtomicUsize,
    decrypted: AtomicUsize,
}

impl<K> CountingKms<K> {
    /// Wraps `inner` with both counters at zero.
    pub fn new(inner: K) -> Self {
        Self {
            inner,
            generated: AtomicUsize::new(0),
            decrypted: AtomicUsize::new(0),
        }
    }

    /// The wrapped KMS.
    pub fn inner(&self) -> &K {
        &self.inner
    }

    /// `GenerateDataKey` calls so far.
    pub fn generate_calls(&self) -> usize {
        self.generated.load(Ordering::SeqCst)
    }

    /// `Decrypt` calls so far.
    pub fn decrypt_calls(&self) -> usize {
        self.decrypted.load(Ordering::SeqCst)
    }
}

impl<K: Kms> Kms for CountingKms<K> {
    async fn generate_data_key(
        &self,
        key_id: &str,
        context: &EncryptionContext,
    ) -> Result<DataKey, Error> {
        self.generated.fetch_add(1, Ordering::SeqCst);
        self.inner.generate_data_key(key_id, context).await
    }

    async fn decrypt(
        &self,
        encrypted_key: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.decrypted.fetch_add(1, Ordering::SeqCst);
        self.inner.decrypt(encrypted_key, context).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str) -> ProfileName {
        ProfileName::parse(name).unwrap()
    }

    /// The context is exactly the one the contract names.
    #[test]
    fn context_names_profile_and_format() {
        let context = encryption_context(&profile("app"));
        assert_eq!(context.len(), 2);
        assert_eq!(context["ratchet-profile"], "app");
        assert_eq!(context["ratchet-format"], "1");
    }

    /// The in-memory KMS opens a key only under the context it was made for.
    #[tokio::test]
    async fn memory_kms_checks_the_context() {
        let kms = MemoryKms::new();
        let key = kms
            .generate_data_key("alias/test", &encryption_context(&profile("app")))
            .await
            .unwrap();
        assert_eq!(key.plaintext.len(), 32);
        let opened = kms
            .decrypt(&key.encrypted, &encryption_context(&profile("app")))
            .await
            .unwrap();
        assert_eq!(*opened, *key.plaintext);
        let other = kms
            .decrypt(&key.encrypted, &encryption_context(&profile("other")))
            .await;
        assert!(matches!(other, Err(Error::KmsRejected { .. })), "{other:?}");
    }

    /// The counter counts each kind of call separately.
    #[tokio::test]
    async fn counts_calls() {
        let kms = CountingKms::new(MemoryKms::new());
        let context = encryption_context(&profile("app"));
        let key = kms.generate_data_key("k", &context).await.unwrap();
        kms.decrypt(&key.encrypted, &context).await.unwrap();
        kms.decrypt(&key.encrypted, &context).await.unwrap();
        assert_eq!((kms.generate_calls(), kms.decrypt_calls()), (1, 2));
    }
}
