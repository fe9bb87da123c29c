//! One typed configuration: command-line flags, each also readable from the environment, with
//! defaults that run the demo on the embedded store.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Store: a file path (embedded GeoPackage, created on first start) or postgres://...
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        default_value = "data/wangge.gpkg"
    )]
    pub database_url: String,

    /// Address to listen on.
    #[arg(long, env = "WANGGE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Points outside every unit snap to the nearest unit within this many metres.
    #[arg(long, env = "WANGGE_SNAP_TOLERANCE_M", default_value_t = 30.0)]
    pub snap_tolerance_m: f64,

    /// Unit that receives points outside every unit (属地兜底); default: nearest top-level unit.
    #[arg(long, env = "WANGGE_FALLBACK_UNIT")]
    pub fallback_unit: Option<String>,

    /// Sibling overlaps and child-outside-parent areas up to this many m² are tolerated.
    #[arg(long, env = "WANGGE_OVERLAP_TOLERANCE_M2", default_value_t = 1.0)]
    pub overlap_tolerance_m2: f64,

    /// Largest request body accepted by ordinary endpoints, in bytes.
    #[arg(long, env = "WANGGE_MAX_BODY", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest request body accepted by batch assignment and imports, in bytes.
    #[arg(long, env = "WANGGE_MAX_BATCH_BODY", default_value_t = 256 * 1024 * 1024)]
    pub max_batch_body_bytes: usize,

    /// Folder of the web front end.
    #[arg(long, env = "WANGGE_WEB_DIR", default_value = "web")]
    pub web_dir: PathBuf,

    /// Log as JSON lines instead of human-readable text.
    #[arg(long, env = "WANGGE_LOG_JSON", default_value_t = false)]
    pub log_json: bool,

    /// Memory for cached vector tiles, in MiB; the least recently used tiles go first.
    #[arg(long, env = "WANGGE_TILE_CACHE_MIB", default_value_t = 256)]
    pub tile_cache_mib: usize,

    /// First zoom of each level in the `units` tiles (levels left out keep their default).
    #[arg(
        long,
        env = "WANGGE_TILE_MIN_ZOOMS",
        default_value = "district=8,street=11,community=13,grid=14,micro_grid=16"
    )]
    pub tile_min_zooms: crate::maps::LevelZooms,

    /// Deepest zoom served (at most 22).
    #[arg(long, env = "WANGGE_TILE_MAX_ZOOM", default_value_t = 22,
          value_parser = clap::value_parser!(u8).range(0..=22))]
    pub tile_max_zoom: u8,

    /// The URL clients reach the service under, for TileJSON tile URLs (e.g.
    /// https://maps.example.org); default: taken from each request's Host header. An `https://`
    /// URL also makes session cookies Secure and turns on HSTS.
    #[arg(long, env = "WANGGE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Reverse proxies (comma-separated addresses) whose X-Forwarded-For and X-Forwarded-Proto
    /// headers are believed; from anyone else those headers are ignored.
    #[arg(long, env = "WANGGE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,

    /// Other origins (comma-separated, e.g. https://app.example.org) whose browser pages may call
    /// the API with API tokens (CORS); none by default: the web front end is same-origin.
    #[arg(long, env = "WANGGE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Web sessions end this many hours after sign-in.
    #[arg(long, env = "WANGGE_SESSION_HOURS", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub session_hours: u32,

    /// Longest lifetime of an API token, in days (tokens are issued for 90 days unless asked).
    #[arg(long, env = "WANGGE_TOKEN_MAX_DAYS", default_value_t = 365,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub token_max_days: u32,

    /// Public writes (sign-in, report intake) allowed per client address per minute...
    #[arg(long, env = "WANGGE_RATE_LIMIT_ADDRESS_PER_MINUTE", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_address_per_minute: u32,

    /// ...and how many of them may come at once.
    #[arg(long, env = "WANGGE_RATE_LIMIT_ADDRESS_BURST", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_address_burst: u32,

    /// Public writes allowed per API token per minute (integrations behind one address)...
    #[arg(long, env = "WANGGE_RATE_LIMIT_TOKEN_PER_MINUTE", default_value_t = 600,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_token_per_minute: u32,

    /// ...and how many of them may come at once.
    #[arg(long, env = "WANGGE_RATE_LIMIT_TOKEN_BURST", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_token_burst: u32,

    /// Every failed sign-in is answered this many milliseconds late.
    #[arg(long, env = "WANGGE_SIGN_IN_FAILURE_DELAY_MS", default_value_t = 1000)]
    pub sign_in_failure_delay_ms: u64,

    /// Open reports of the same category within this many metres of a new one are offered as
    /// its likely duplicates...
    #[arg(long, env = "WANGGE_REPORT_DUPLICATE_RADIUS_M", default_value_t = 50.0)]
    pub report_duplicate_radius_m: f64,

    /// ...when they came in within this many days.
    #[arg(long, env = "WANGGE_REPORT_DUPLICATE_DAYS", default_value_t = 7)]
    pub report_duplicate_days: u32,

    /// Public holidays (comma-separated dates, e.g. 2026-10-01,2026-10-02): report deadlines
    /// count working hours, Monday to Friday, and skip these days.
    #[arg(long, env = "WANGGE_HOLIDAYS", value_delimiter = ',')]
    pub holidays: Vec<chrono::NaiveDate>,

    /// The public report heat tiles leave out H3 cells with fewer open reports than this, so that
    /// no single report can be located (at least 2).
    #[arg(long, env = "WANGGE_REPORT_HEAT_MIN_COUNT", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(2..))]
    pub report_heat_min_count: u32,

    /// Seconds between two passes of the escalation scheduler over overdue reports.
    #[arg(long, env = "WANGGE_ESCALATION_INTERVAL_S", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub escalation_interval_s: u64,

    /// Walking speed of the fifteen-minute circle's estimate, m/s (see `facilities::walking`).
    #[arg(long, env = "WANGGE_WALK_SPEED_M_S",
          default_value_t = crate::facilities::StraightLine::DEFAULT_SPEED_M_S,
          value_parser = walking_speed)]
    pub walk_speed_m_s: f64,

    /// Detour (circuity) factor of the walking estimate: network distance ÷ straight line.
    #[arg(long, env = "WANGGE_WALK_DETOUR_FACTOR",
          default_value_t = crate::facilities::StraightLine::DEFAULT_DETOUR_FACTOR,
          value_parser = detour_factor)]
    pub walk_detour_factor: f64,

    /// A facility category catalogue (JSON, as `geodata/facility-categories.json`) replacing
    /// the shipped one.
    #[arg(long, env = "WANGGE_FACILITY_CATALOGUE",
          value_parser = crate::facilities::catalogue::read_catalogue_file)]
    pub facility_catalogue: Option<crate::facilities::FacilityCatalogue>,

    /// Content-Security-Policy of the web front end's pages (API answers get `default-src 'none'`).
    #[arg(long, env = "WANGGE_CSP", default_value = crate::auth::headers::DEFAULT_PAGE_CSP)]
    pub content_security_policy: String,
}

impl Config {
    pub fn rules(&self) -> crate::spatial::AssignRules {
        crate::spatial::AssignRules {
            snap_tolerance_m: self.snap_tolerance_m,
            fallback_unit: self
                .fallback_unit
                .as_deref()
                .and_then(|c| crate::units::UnitCode::parse(c).ok()),
        }
    }

    pub fn tolerances(&self) -> crate::spatial::validate::Tolerances {
        crate::spatial::validate::Tolerances {
            overlap_m2: self.overlap_tolerance_m2,
        }
    }

    /// The walking estimate the configuration names (its values were checked when parsed).
    pub fn walking(&self) -> crate::facilities::StraightLine {
        crate::facilities::StraightLine {
            speed_m_s: self.walk_speed_m_s,
            detour_factor: self.walk_detour_factor,
        }
    }

    /// The configured facility catalogue, or the shipped one.
    pub fn catalogue(&self) -> crate::facilities::FacilityCatalogue {
        self.facility_catalogue
            .clone()
            .unwrap_or_else(crate::facilities::FacilityCatalogue::default_catalogue)
    }

    /// Defaults for tests and tools: the embedded store at `database_url`.
    pub fn for_database(database_url: &str) -> Config {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        let mut c = Wrapper::parse_from(["wangge"]).config;
        c.database_url = database_url.to_owned();
        c
    }
}

fn walking_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{s}: {e}"))?;
    crate::facilities::StraightLine::new(v, 1.0).map(|w| w.speed_m_s)
}

fn detour_factor(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{s}: {e}"))?;
    crate::facilities::StraightLine::new(1.0, v).map(|w| w.detour_factor)
}
