//! Who is on the other end of a request: the client address (behind trusted proxies only, the
//! address they forward) and whether the request reached us over TLS.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderMap, Method};

use crate::config::Config;
use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientInfo {
    /// `None` when the server was started without connection info (a bare router in tests).
    pub ip: Option<IpAddr>,
    /// Served over TLS: the public URL is `https://`, or a trusted proxy says so.
    pub tls: bool,
}

impl ClientInfo {
    pub fn of(headers: &HeaderMap, extensions: &Extensions, config: &Config) -> ClientInfo {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_canonical());
        let trusted = |ip: &IpAddr| config.trusted_proxies.contains(ip);
        let via_proxy = peer.as_ref().is_some_and(trusted);
        let ip = if via_proxy {
            forwarded_client(headers, &trusted).or(peer)
        } else {
            peer
        };
        let https_url = config
            .public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"));
        let forwarded_https = via_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        ClientInfo {
            ip,
            tls: https_url || forwarded_https,
        }
    }
}

/// The right-most address of X-Forwarded-For that is not one of our proxies: entries further
/// left were written by the client and prove nothing.
fn forwarded_client(headers: &HeaderMap, trusted: &dyn Fn(&IpAddr) -> bool) -> Option<IpAddr> {
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().parse::<IpAddr>().map(|ip| ip.to_canonical()))
        .collect::<Result<_, _>>()
        .ok()?;
    hops.iter()
        .rev()
        .find(|ip| !trusted(ip))
        .or(hops.first())
        .copied()
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ClientInfo, Infallible> {
        Ok(ClientInfo::of(
            &parts.headers,
            &parts.extensions,
            &state.config,
        ))
    }
}

/// Whether a browser request comes from our own pages. Requests without `Origin` (non-browser
/// clients, same-origin navigations) pass; `Sec-Fetch-Site: cross-site` and any other origin
/// fail. Same-origin means the configured public URL's origin, or else this request's Host.
pub fn same_origin(method: &Method, headers: &HeaderMap, config: &Config) -> bool {
    if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
        return true;
    }
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site") | Some("same-site")) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    match config.public_url.as_deref() {
        Some(url) => origin == origin_of(url),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_ascii_lowercase);
            let origin_host = origin.split_once("://").map(|(_, h)| h);
            host.is_some() && origin_host == host.as_deref()
        }
    }
}

/// `scheme://host[:port]` of a URL, lower-case.
pub fn origin_of(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            format!("{scheme}://{host}")
        }
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn config(public_url: Option<&str>, proxies: &[&str]) -> Config {
        let mut c = Config::for_database("unused.gpkg");
        c.public_url = public_url.map(str::to_owned);
        c.trusted_proxies = proxies.iter().map(|p| p.parse().unwrap()).collect();
        c
    }

    fn peer(ip: &str) -> Extensions {
        let mut e = Extensions::new();
        e.insert(ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 4000)));
        e
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7"),
            ("x-forwarded-proto", "https"),
        ]);
        let direct = ClientInfo::of(&h, &peer("198.51.100.1"), &config(None, &[]));
        assert_eq!(direct.ip, Some("198.51.100.1".parse().unwrap()));
        assert!(!direct.tls);
        let proxied = ClientInfo::of(&h, &peer("10.0.0.2"), &config(None, &["10.0.0.2"]));
        assert_eq!(proxied.ip, Some("203.0.113.7".parse().unwrap()));
        assert!(proxied.tls);
    }

    #[test]
    fn spoofed_left_entries_of_x_forwarded_for_are_ignored() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7, 10.0.0.3")]);
        let c = ClientInfo::of(
            &h,
            &peer("10.0.0.2"),
            &config(None, &["10.0.0.2", "10.0.0.3"]),
        );
        assert_eq!(c.ip, Some("203.0.113.7".parse().unwrap()));
    }

    #[test]
    fn an_https_public_url_means_tls() {
        let c = ClientInfo::of(
            &HeaderMap::new(),
            &peer("::ffff:192.0.2.1"),
            &config(Some("https://wangge.example.org"), &[]),
        );
        assert!(c.tls);
        assert_eq!(c.ip, Some("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn only_own_origin_may_post_with_a_session() {
        let c = config(None, &[]);
        let post = Method::POST;
        let own = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ]);
        assert!(same_origin(&post, &own, &c));
        let other = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example"),
        ]);
        assert!(!same_origin(&post, &other, &c));
        let null = headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]);
        assert!(!same_origin(&post, &null, &c));
        let cross = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]);
        assert!(!same_origin(&post, &cross, &c));
        assert!(same_origin(&Method::GET, &other, &c));
        assert!(
            same_origin(&post, &headers(&[]), &c),
            "no Origin: not a browser"
        );
        let public = config(Some("https://wangge.example.org/"), &[]);
        let behind = headers(&[
            ("host", "internal:8080"),
            ("origin", "https://wangge.example.org"),
        ]);
        assert!(same_origin(&post, &behind, &public));
    }
}
