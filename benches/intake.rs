//! Intake load from a separate process: starts the release `wangge demo` on a fresh store (an
//! embedded file, or the PostGIS server `WANGGE_BENCH_DATABASE_URL` names), then keeps
//! `WANGGE_BENCH_CONCURRENCY` clients posting reports for `WANGGE_BENCH_SECONDS` and prints the
//! acknowledged rate and latency percentiles.
//!
//! `cargo build --release --bin wangge && cargo bench --bench intake`

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const PASSWORD: &str = "bench-demo-password";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let database = std::env::var("WANGGE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| dir.path().join("bench.gpkg").display().to_string());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let _service = Service(
        Command::new(root.join("target/release/wangge"))
            .args([
                "demo",
                "--database",
                &database,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .current_dir(&root)
            .env("WANGGE_DEMO_PASSWORD", PASSWORD)
            .env("WANGGE_RATE_LIMIT_TOKEN_PER_MINUTE", "100000000")
            .env("WANGGE_RATE_LIMIT_TOKEN_BURST", "10000000")
            .env("RUST_LOG", "warn")
            .stderr(Stdio::null())
            .spawn()
            .expect("start target/release/wangge (cargo build --release --bin wangge)"),
    );
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "service not ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .expect("sign in");
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let issued: Value = client
        .post(format!("{base}/api/v1/tokens"))
        .header("cookie", cookie)
        .json(&json!({"name": "bench", "expires_in_days": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["token"].as_str().expect("a token").to_owned();

    let concurrency = env_or("WANGGE_BENCH_CONCURRENCY", 64);
    let seconds = env_or("WANGGE_BENCH_SECONDS", 10);
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(0u64));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, token, base) = (client.clone(), token.clone(), base.clone());
        let (latencies, errors) = (latencies.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut mine = Vec::new();
            while Instant::now() < stop {
                n += 1;
                // Spread over the demo district so that duplicates stay few.
                let lon = 118.07 + ((worker * 7919 + n * 104_729) % 400) as f64 * 0.0001;
                let lat = 24.45 + ((worker * 15_485_863 + n * 7907) % 400) as f64 * 0.0001;
                let body = json!({"category": "noise", "description": "bench",
                    "location": {"lon": lon, "lat": lat}, "channel": "hotline"});
                let t = Instant::now();
                let ok = client
                    .post(format!("{base}/api/v1/reports"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16() == 201)
                    .unwrap_or(false);
                if ok {
                    mine.push(t.elapsed());
                } else {
                    *errors.lock().unwrap() += 1;
                }
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let mut all = latencies.lock().unwrap().clone();
    all.sort();
    let kind = if database.starts_with("postgres") {
        "postgis"
    } else {
        "embedded"
    };
    println!(
        "intake {kind}: {} acknowledged in {elapsed:.1} s = {:.0}/s with {concurrency} clients; \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} errors",
        all.len(),
        all.len() as f64 / elapsed,
        percentile(&all, 0.50).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        errors.lock().unwrap()
    );
}
