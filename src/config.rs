//! One typed configuration: command-line flags, each also readable from the environment, with
//! defaults that run the demo on the embedded store.

use std::net::SocketAddr;
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

    /// Bearer token that authorises unit imports over HTTP until accounts exist; unset disables
    /// HTTP imports (the command line always works).
    #[arg(long, env = "WANGGE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

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
