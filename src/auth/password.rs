//! Passwords: argon2id hashes (PHC strings) and the rules a new password must meet. A
//! [`Password`] never prints itself, so it cannot reach a log by `{:?}`.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use serde::Deserialize;

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 256;

/// A password as received; `Debug` and `Display` show nothing of it.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(s: impl Into<String>) -> Password {
        Password(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Why a new password is refused; `Ok` when it may be used for `username`.
pub fn check_policy(password: &Password, username: &str) -> Result<(), String> {
    let n = password.0.chars().count();
    if n < MIN_CHARS {
        return Err(format!("a password needs at least {MIN_CHARS} characters"));
    }
    if n > MAX_CHARS {
        return Err(format!(
            "a password may have at most {MAX_CHARS} characters"
        ));
    }
    if password.0.trim().to_lowercase() == username.to_lowercase() {
        return Err("a password must not be the username".to_owned());
    }
    if password.0.chars().all(|c| password.0.starts_with(c)) {
        return Err("a password must not repeat one character".to_owned());
    }
    Ok(())
}

/// The argon2id PHC string of `password` with a random salt (OWASP parameters: 19 MiB, t=2).
pub fn hash(password: &Password) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| format!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.0.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing: {e}"))
}

/// Whether `password` matches the PHC string `phc` (any argon2 variant and parameters).
pub fn verify(password: &Password, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.0.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of nothing anyone knows, verified against when the account does not exist or has no
/// password, so that a wrong username takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash(&generate()).unwrap_or_default())
}

/// A random password (20 characters, about 120 bits) for new accounts and the demo admin.
pub fn generate() -> Password {
    Password(super::tokens::random_secret(15))
}

/// [`hash`] off the async threads (it takes tens of milliseconds by design).
pub async fn hash_async(password: Password) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| format!("hashing task: {e}"))?
}

/// [`verify`] off the async threads.
pub async fn verify_async(password: Password, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let p = Password::new("correct horse battery");
        let h = hash(&p).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("correct horse"));
        assert!(verify(&p, &h));
        assert!(!verify(&Password::new("correct horse battery!"), &h));
        assert!(!verify(&p, "not a phc string"));
        assert_ne!(hash(&p).unwrap(), h, "salted");
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert!(check_policy(&Password::new("short"), "zhang")
            .unwrap_err()
            .contains("10"));
        assert!(check_policy(&Password::new("aaaaaaaaaaaa"), "zhang").is_err());
        assert!(check_policy(&Password::new("zhang.san.01"), "zhang.san.01").is_err());
        assert!(check_policy(&Password::new("x".repeat(300)), "zhang").is_err());
        assert!(check_policy(&Password::new("网格员的密码很长很长"), "zhang").is_ok());
    }

    #[test]
    fn passwords_do_not_print() {
        let p = Password::new("s3cret-s3cret");
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert!(!format!("{:?}", Some(&p)).contains("s3cret"));
    }

    #[test]
    fn generated_passwords_meet_the_policy() {
        let p = generate();
        assert_eq!(p.expose().len(), 20);
        assert!(check_policy(&p, "admin").is_ok());
    }
}
