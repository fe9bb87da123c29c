//! Rate limits for public writes (sign-in, report intake, Open311 `POST requests`, reporters'
//! evaluations): per API token when the request carries a valid one, otherwise per client
//! address. Over the limit, the answer is 429 with `Retry-After`. Limits are configuration.
//!
//! [`RateLimitLayer`] is an ordinary tower layer. `http::router` puts it on every path listed in
//! [`PUBLIC_WRITE_PATHS`]; to limit a new public write endpoint, add its path there (e.g.
//! `"/api/v1/reports"`, `"/open311/v2/requests.json"`). Only writes (POST, PUT, PATCH, DELETE)
//! are counted, so reads of the same path stay free.
//!
//! The buckets live in the memory of each instance: behind a load balancer with N instances a
//! client gets up to N times the limit, which is what a front proxy's own limit is for.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use super::client::ClientInfo;
use super::principal::{self, Credential};
use crate::config::Config;
use crate::http::error::ApiError;
use crate::AppState;

/// Paths whose writes anyone may make, and which are therefore rate-limited.
pub const PUBLIC_WRITE_PATHS: &[&str] = &[
    "/api/v1/auth/login",
    "/api/v1/reports",
    "/api/v1/reports/{id}/evaluation",
    "/open311/v2/requests.json",
    "/open311/v2/requests.xml",
];

/// So many requests per minute, with up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_minute: u32,
    pub burst: u32,
}

impl Quota {
    fn interval(self) -> Duration {
        Duration::from_secs(60) / self.per_minute.max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BucketKey {
    Address(Option<IpAddr>),
    Token(i64),
}

/// Buckets kept before idle ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// The generic cell rate algorithm: each key keeps the time at which its bucket will be empty
/// again ("theoretical arrival time"); a request is allowed while that lies less than
/// `burst` intervals ahead.
#[derive(Debug)]
pub struct RateLimiter {
    address: Quota,
    token: Quota,
    buckets: Mutex<HashMap<BucketKey, Instant>>,
}

impl RateLimiter {
    pub fn new(address: Quota, token: Quota) -> RateLimiter {
        RateLimiter {
            address,
            token,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn from_config(config: &Config) -> RateLimiter {
        RateLimiter::new(
            Quota {
                per_minute: config.rate_limit_address_per_minute,
                burst: config.rate_limit_address_burst,
            },
            Quota {
                per_minute: config.rate_limit_token_per_minute,
                burst: config.rate_limit_token_burst,
            },
        )
    }

    /// Counts one request of `key` at `now`; `Err(wait)` when it is over the limit.
    pub fn check(&self, key: BucketKey, now: Instant) -> Result<(), Duration> {
        let quota = match key {
            BucketKey::Address(_) => self.address,
            BucketKey::Token(_) => self.token,
        };
        let interval = quota.interval();
        let allowance = interval * quota.burst.max(1);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|_, tat| *tat > now);
        }
        let tat = buckets.get(&key).copied().unwrap_or(now).max(now);
        let next = tat + interval;
        if next - now > allowance {
            return Err(next - now - allowance);
        }
        buckets.insert(key, next);
        Ok(())
    }
}

/// Wraps a route so that its writes pass through the limiter.
#[derive(Clone)]
pub struct RateLimitLayer {
    state: AppState,
}

impl RateLimitLayer {
    pub fn new(state: AppState) -> RateLimitLayer {
        RateLimitLayer { state }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> RateLimit<S> {
        RateLimit {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RateLimit<S> {
    inner: S,
    state: AppState,
}

fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut res = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests: try again in {secs} s"),
    )
    .with_details(serde_json::json!({ "retry_after_s": secs }))
    .into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    res
}

fn is_write(method: &Method) -> bool {
    !(method == Method::GET || method == Method::HEAD || method == Method::OPTIONS)
}

impl<S> Service<Request> for RateLimit<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // The clone that was made ready goes into the future; `self` keeps a fresh one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move {
            if !is_write(req.method()) {
                return inner.call(req).await;
            }
            let (mut parts, body) = req.into_parts();
            let principal = principal::peek(&parts, &state).await;
            let key = match principal.as_ref().map(|p| p.credential) {
                Some(Credential::Token { id, .. }) => BucketKey::Token(id),
                _ => BucketKey::Address(
                    ClientInfo::of(&parts.headers, &parts.extensions, &state.config).ip,
                ),
            };
            if let Err(wait) = state.limiter.check(key.clone(), Instant::now()) {
                tracing::warn!(key = ?key, path = %parts.uri.path(), "rate limited");
                return Ok(too_many(wait));
            }
            if let Some(p) = principal {
                // Resolved once: the handler's extractor finds it here.
                parts.extensions.insert(p);
            }
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, burst: u32) -> RateLimiter {
        let q = Quota { per_minute, burst };
        RateLimiter::new(
            q,
            Quota {
                per_minute: 600,
                burst: 100,
            },
        )
    }

    #[test]
    fn a_burst_passes_then_one_request_per_interval() {
        let l = limiter(60, 3);
        let t0 = Instant::now();
        let a = BucketKey::Address(Some("192.0.2.1".parse().unwrap()));
        for _ in 0..3 {
            assert!(l.check(a.clone(), t0).is_ok());
        }
        let wait = l.check(a.clone(), t0).unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::ZERO,
            "{wait:?}"
        );
        assert!(l.check(a.clone(), t0 + Duration::from_millis(999)).is_err());
        assert!(l.check(a.clone(), t0 + Duration::from_secs(1)).is_ok());
        assert!(l.check(a, t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn keys_have_their_own_buckets_and_tokens_their_own_quota() {
        let l = limiter(1, 1);
        let t0 = Instant::now();
        let a = BucketKey::Address(Some("192.0.2.1".parse().unwrap()));
        let b = BucketKey::Address(Some("192.0.2.2".parse().unwrap()));
        assert!(l.check(a.clone(), t0).is_ok());
        assert!(l.check(a, t0).is_err());
        assert!(l.check(b, t0).is_ok());
        for _ in 0..100 {
            assert!(l.check(BucketKey::Token(7), t0).is_ok());
        }
        assert!(l.check(BucketKey::Token(7), t0).is_err());
    }

    #[test]
    fn the_wait_is_until_the_next_request_fits() {
        let l = limiter(1, 1);
        let t0 = Instant::now();
        let a = BucketKey::Address(None);
        assert!(l.check(a.clone(), t0).is_ok());
        let wait = l
            .check(a.clone(), t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert_eq!(too_many(wait).headers()[header::RETRY_AFTER], "50");
    }
}
