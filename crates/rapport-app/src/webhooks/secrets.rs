//! Webhook signing secrets at rest: sealed with ChaCha20-Poly1305 (ring,
//! already built for TLS) under a 256-bit key kept outside the database,
//! so a copy of the database alone holds no usable secret. The key comes
//! from the `RAPPORT_SECRET_KEY` setting when one is given, else from a key
//! file beside the database (`rapport.db.key`), made with mode 0600 the
//! first time a secret is sealed or opened.

use std::io::Write;
use std::path::{Path, PathBuf};

use rapport_core::alerts::delivery::SealedSecret;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::{AppError, AppResult};

/// The first byte of a sealed secret: the format (ChaCha20-Poly1305, a
/// random 96-bit nonce, this label as associated data).
const FORMAT: u8 = 1;
const LABEL: &[u8] = b"rapport webhook signing secret";

/// A 256-bit key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecretKey([hidden])")
    }
}

impl SecretKey {
    /// 64 hexadecimal digits (`openssl rand -hex 32`).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let valid = text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit());
        if !valid {
            return Err(
                "must be 64 hexadecimal digits (256 bits; `openssl rand -hex 32` makes one)"
                    .to_string(),
            );
        }
        let mut key = [0u8; 32];
        for (index, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16)
                .map_err(|error| error.to_string())?;
        }
        Ok(SecretKey(key))
    }

    fn random() -> AppResult<Self> {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| AppError::External("the operating system gave no random bytes".into()))?;
        Ok(SecretKey(key))
    }

    fn to_hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(
            UnboundKey::new(&CHACHA20_POLY1305, &self.0).expect("a 256-bit ChaCha20 key"),
        )
    }
}

/// Where the key sealing webhook secrets comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKeySource {
    /// A key file (`rapport.db.key` beside a SQLite database), made on first
    /// use with mode 0600; back it up with the database.
    File(PathBuf),
    /// A key given in the settings (`RAPPORT_SECRET_KEY`).
    Given(SecretKey),
    /// A key made for this process only: a database in memory, or tests.
    Ephemeral,
}

/// Seals and opens secrets under the key, loaded on first use.
#[derive(Debug)]
pub(crate) struct Sealer {
    source: SecretKeySource,
    key: std::sync::OnceLock<SecretKey>,
}

impl Sealer {
    pub(crate) fn new(source: SecretKeySource) -> Self {
        Sealer {
            source,
            key: std::sync::OnceLock::new(),
        }
    }

    fn key(&self) -> AppResult<&SecretKey> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let key = match &self.source {
            SecretKeySource::File(path) => load_or_create(path)?,
            SecretKeySource::Given(key) => key.clone(),
            SecretKeySource::Ephemeral => SecretKey::random()?,
        };
        // Two threads may both load it: the same file, or the first random key wins.
        Ok(self.key.get_or_init(|| key))
    }

    pub(crate) fn seal(&self, secret: &str) -> AppResult<SealedSecret> {
        let key = self.key()?;
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| AppError::External("the operating system gave no random bytes".into()))?;
        let mut sealed = secret.as_bytes().to_vec();
        key.aead()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(LABEL),
                &mut sealed,
            )
            .map_err(|_| AppError::External("cannot seal the webhook secret".into()))?;
        let mut bytes = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        bytes.push(FORMAT);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        Ok(SealedSecret(bytes))
    }

    /// The secret in the clear, or why it cannot be had (a plain sentence
    /// for the delivery's `lastError`; never the secret or the key).
    pub(crate) fn open(&self, sealed: &SealedSecret) -> Result<String, String> {
        let key = self.key().map_err(|error| error.to_string())?;
        let bytes = &sealed.0;
        if bytes.is_empty() {
            return Err("the webhook has no signing secret; add it again".into());
        }
        if bytes[0] != FORMAT || bytes.len() < 1 + NONCE_LEN {
            return Err("the webhook's sealed signing secret is in an unknown format".into());
        }
        let nonce: [u8; NONCE_LEN] = bytes[1..1 + NONCE_LEN].try_into().expect("length checked");
        let mut in_out = bytes[1 + NONCE_LEN..].to_vec();
        let plain = key
            .aead()
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(LABEL),
                &mut in_out,
            )
            .map_err(|_| {
                format!(
                    "cannot open the webhook's signing secret: it was sealed under another key than {}",
                    self.describe()
                )
            })?;
        String::from_utf8(plain.to_vec())
            .map_err(|_| "the webhook's signing secret is not text".to_string())
    }

    /// Where the key is, for messages.
    fn describe(&self) -> String {
        match &self.source {
            SecretKeySource::File(path) => format!("the key file {}", path.display()),
            SecretKeySource::Given(_) => "RAPPORT_SECRET_KEY".into(),
            SecretKeySource::Ephemeral => "this process's key".into(),
        }
    }
}

/// The key in `path`, or a new one written there (64 hexadecimal digits and
/// a line break, mode 0600). A new key is written to a file of its own and
/// then linked into place, so two processes starting together agree on one.
fn load_or_create(path: &Path) -> AppResult<SecretKey> {
    let external = |what: &str, error: std::io::Error| {
        AppError::External(format!(
            "cannot {what} the webhook secret key file {}: {error}",
            path.display()
        ))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            warn_if_readable_by_others(path);
            return SecretKey::from_hex(&text).map_err(|reason| {
                AppError::External(format!(
                    "the webhook secret key file {} {reason}",
                    path.display()
                ))
            });
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(external("read", error)),
    }
    let key = SecretKey::random()?;
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}.new", std::process::id()));
    let fresh = PathBuf::from(name);
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&fresh)?;
        file.write_all(format!("{}\n", key.to_hex()).as_bytes())?;
        file.sync_all()?;
        std::fs::hard_link(&fresh, path)
    })();
    let _ = std::fs::remove_file(&fresh);
    match written {
        Ok(()) => {
            tracing::info!(
                "made the webhook secret key file {} (back it up with the database: without it, webhook secrets must be entered again)",
                path.display()
            );
            Ok(key)
        }
        // Another process made it first: theirs is the key.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(|error| external("read", error))?;
            SecretKey::from_hex(&text)
                .map_err(|reason| AppError::External(format!("{}: {reason}", path.display())))
        }
        Err(error) => Err(external("write", error)),
    }
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                "the webhook secret key file {} can be read by other users than its owner (chmod 600 it)",
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_under_its_key_only() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("rapport.db.key");
        let sealer = Sealer::new(SecretKeySource::File(path.clone()));
        let sealed = sealer.seal("s3cret-signing-key").unwrap();
        assert_eq!(sealed.0[0], FORMAT);
        assert!(
            !sealed.0.windows(6).any(|window| window == b"s3cret"),
            "sealed, not encoded"
        );
        assert_ne!(
            sealer.seal("s3cret-signing-key").unwrap(),
            sealed,
            "a nonce each time"
        );
        assert_eq!(sealer.open(&sealed).unwrap(), "s3cret-signing-key");
        // Another process over the same key file opens it too.
        let again = Sealer::new(SecretKeySource::File(path.clone()));
        assert_eq!(again.open(&sealed).unwrap(), "s3cret-signing-key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64);
        // Another key does not open it, and says which key it tried.
        let other = Sealer::new(SecretKeySource::Ephemeral);
        let refused = other.open(&sealed).unwrap_err();
        assert!(refused.contains("another key"), "{refused}");
        // A changed byte is refused (the tag).
        let mut tampered = sealed.clone();
        let last = tampered.0.len() - 1;
        tampered.0[last] ^= 1;
        assert!(sealer.open(&tampered).is_err());
        assert!(sealer.open(&SealedSecret::default()).is_err());
    }

    #[test]
    fn a_given_key_is_64_hex_digits_and_never_printed() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let key = SecretKey::from_hex(hex).unwrap();
        assert_eq!(key.to_hex(), hex.to_lowercase());
        assert_eq!(format!("{key:?}"), "SecretKey([hidden])");
        assert!(SecretKey::from_hex("abc").is_err());
        assert!(SecretKey::from_hex(&"g".repeat(64)).is_err());
        let sealer = Sealer::new(SecretKeySource::Given(key.clone()));
        let sealed = sealer.seal("x").unwrap();
        assert_eq!(
            Sealer::new(SecretKeySource::Given(key))
                .open(&sealed)
                .unwrap(),
            "x"
        );
    }

    #[test]
    fn a_broken_key_file_is_named() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("rapport.db.key");
        std::fs::write(&path, "not a key\n").unwrap();
        let error = Sealer::new(SecretKeySource::File(path))
            .seal("x")
            .unwrap_err()
            .to_string();
        assert!(error.contains("rapport.db.key"), "{error}");
    }
}
