//! Web sessions: a random id in a cookie that scripts cannot read (HttpOnly), that browsers do
//! not send with requests from other sites (SameSite=Strict), and that travels only over TLS when
//! the service is served over TLS (Secure). The store keeps only the id's SHA-256.

use axum::http::{header, HeaderMap, HeaderValue};

pub const COOKIE: &str = "wangge_session";

/// A new session id (256 bits).
pub fn new_id() -> String {
    super::tokens::random_secret(32)
}

/// The `Set-Cookie` value that starts a session lasting `max_age_secs`.
pub fn set_cookie(id: &str, max_age_secs: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={id}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    ))
    .ok()
}

/// The `Set-Cookie` value that makes the browser forget the session.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("wangge_session=; Path=/; Max-Age=0"))
}

/// The session id the request carries, if any.
pub fn read_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_is_http_only_strict_and_secure_over_tls() {
        let c = set_cookie("abc", 3600, true).unwrap();
        let c = c.to_str().unwrap();
        for part in [
            "wangge_session=abc",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/",
        ] {
            assert!(c.contains(part), "{c}");
        }
        let plain = set_cookie("abc", 3600, false).unwrap();
        assert!(!plain.to_str().unwrap().contains("Secure"));
        assert!(clear_cookie(false).to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; wangge_session=xyz; lang=zh"),
        );
        assert_eq!(read_cookie(&h), Some("xyz"));
        h.insert(header::COOKIE, HeaderValue::from_static("wangge_session="));
        assert_eq!(read_cookie(&h), None);
    }
}
