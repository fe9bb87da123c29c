//! What every response leaves with: security headers, and the CORS policy. The web front end is
//! same-origin, so by default no other origin may read anything; origins named in the
//! configuration may call the API from browsers with API tokens (never with the session cookie,
//! which is SameSite=Strict and refused on cross-origin writes).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::client::{origin_of, ClientInfo};
use crate::config::Config;
use crate::AppState;

/// Pages: scripts, styles, workers and data from this origin only (inline styles allowed, inline
/// scripts not); never framed. Basemap hosts are added through the configuration.
pub const DEFAULT_PAGE_CSP: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; \
     connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// API answers are data, never documents to render.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    headers.entry(name).or_insert(value);
}

/// The middleware that adds the security headers (those a handler set itself are kept).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let client = ClientInfo::of(req.headers(), req.extensions(), &state.config);
    let carries_credentials = req.headers().contains_key(header::AUTHORIZATION)
        || req.headers().contains_key(header::COOKIE);
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let csp = if is_page {
        HeaderValue::from_str(&state.config.content_security_policy)
            .unwrap_or_else(|_| HeaderValue::from_static(DEFAULT_PAGE_CSP))
    } else {
        HeaderValue::from_static(API_CSP)
    };
    let h = res.headers_mut();
    set_default(h, header::CONTENT_SECURITY_POLICY, csp);
    set_default(
        h,
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    set_default(h, header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    set_default(
        h,
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    set_default(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    set_default(
        h,
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), payment=(), geolocation=(self)"),
    );
    if client.tls {
        set_default(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if api {
        // What an API answer contains may depend on who asks (unit attributes, accounts).
        h.append(
            header::VARY,
            HeaderValue::from_static("Authorization, Cookie"),
        );
        if carries_credentials {
            set_default(
                h,
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            );
        }
    }
    res
}

/// The CORS layer for the configured origins; `None` (no CORS at all) when none are configured.
/// Invalid origins are refused by [`check_cors_origins`] at start-up.
pub fn cors(config: &Config) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(&origin_of(o)).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
            ])
            .expose_headers([header::ETAG, header::RETRY_AFTER, header::LOCATION])
            .allow_credentials(false)
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// Every configured CORS origin must be `http(s)://host[:port]`.
pub fn check_cors_origins(config: &Config) -> Result<(), String> {
    for o in &config.cors_origins {
        let norm = origin_of(o);
        let ok = (norm.starts_with("https://") || norm.starts_with("http://"))
            && norm.split_once("://").is_some_and(|(_, h)| !h.is_empty())
            && HeaderValue::from_str(&norm).is_ok()
            && o.trim().trim_end_matches('/').eq_ignore_ascii_case(&norm);
        if !ok {
            return Err(format!(
                "CORS origin `{o}` must be scheme://host[:port], without path or `*`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_origins_must_be_bare_origins() {
        let mut c = Config::for_database("unused.gpkg");
        assert!(cors(&c).is_none(), "same-origin only by default");
        c.cors_origins = vec!["https://app.example.org".into()];
        assert!(check_cors_origins(&c).is_ok());
        assert!(cors(&c).is_some());
        for bad in [
            "*",
            "app.example.org",
            "https://app.example.org/path",
            "ftp://x",
        ] {
            c.cors_origins = vec![bad.into()];
            assert!(check_cors_origins(&c).is_err(), "{bad}");
        }
    }
}
