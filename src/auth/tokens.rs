//! API tokens for integrations: `wg_` and 43 random base64url characters (256 bits). The token is
//! shown once when issued; the store keeps only its SHA-256 (a token has too much entropy for a
//! slow hash to matter) and its first characters, to recognise it in lists.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const TOKEN_PREFIX: &str = "wg_";
/// Characters of the token kept in clear to tell tokens apart (`wg_` and six more).
const SHOWN_CHARS: usize = 9;
/// Tokens are issued for this many days unless the request says otherwise.
pub const DEFAULT_DAYS: u32 = 90;

/// `bytes` random bytes from the operating system, base64url without padding.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The stored form of a secret: lower-case hex SHA-256.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new token: the secret (shown once), what may be shown again, and what is stored.
pub struct IssuedToken {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuedToken({}…)", self.prefix)
    }
}

pub fn issue() -> IssuedToken {
    let secret = format!("{TOKEN_PREFIX}{}", random_secret(32));
    IssuedToken {
        prefix: secret[..SHOWN_CHARS].to_owned(),
        hash: digest(&secret),
        secret,
    }
}

/// Whether a bearer credential has the shape of one of our tokens (saves a lookup otherwise).
pub fn looks_like_token(s: &str) -> bool {
    s.len() == TOKEN_PREFIX.len() + 43
        && s.starts_with(TOKEN_PREFIX)
        && s[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_random_and_stored_only_as_hash() {
        let a = issue();
        let b = issue();
        assert_ne!(a.secret, b.secret);
        assert!(looks_like_token(&a.secret));
        assert_eq!(a.hash, digest(&a.secret));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.secret[3..]));
        assert!(a.secret.starts_with(&a.prefix) && a.prefix.len() == 9);
        assert!(!format!("{a:?}").contains(&a.secret));
    }

    #[test]
    fn foreign_credentials_do_not_look_like_tokens() {
        assert!(!looks_like_token("test-admin-token"));
        assert!(!looks_like_token(&format!("wg_{}", "a".repeat(42))));
        assert!(!looks_like_token(&format!("wg_{}!", "a".repeat(42))));
    }
}
