//! The `wangge` command line: serve, demo, import, export, validate, assign, geodata.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use wangge::config::Config;
use wangge::spatial::Crs;
use wangge::units::import::{import, ImportOptions, ImportReport};
use wangge::units::{Level, UnitCode};
use wangge::AppState;

/// Seed of the committed demo dataset (the day it was first generated).
const DEMO_SEED: u64 = 20261126;

#[derive(Parser)]
#[command(
    name = "wangge",
    version,
    about = "Grid-governance (网格化管理) mapping service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve {
        #[command(flatten)]
        config: Config,
    },
    /// Run the HTTP service with the demo data of geodata/ loaded (imported on first start).
    Demo {
        #[command(flatten)]
        config: Config,
        /// The demo units file.
        #[arg(long, default_value = "geodata/siming.geojson")]
        units: PathBuf,
    },
    /// Import units from a GeoJSON FeatureCollection: all or nothing.
    Import {
        file: PathBuf,
        /// Fix what can be fixed safely and report each change.
        #[arg(long)]
        repair: bool,
        /// Validate and report without writing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        config: Config,
    },
    /// Check a GeoJSON file of units without writing (same checks as import).
    Validate {
        file: PathBuf,
        #[arg(long)]
        repair: bool,
        #[command(flatten)]
        config: Config,
    },
    /// Export current units as a GeoJSON FeatureCollection.
    Export {
        #[arg(long)]
        level: Option<Level>,
        /// Only this unit and everything below it.
        #[arg(long)]
        within: Option<UnitCode>,
        #[arg(long, default_value = "wgs84")]
        crs: Crs,
        /// Output file; standard output when absent.
        #[arg(long, short)]
        out: Option<PathBuf>,
        #[command(flatten)]
        config: Config,
    },
    /// Assign one point and print the answer as JSON.
    Assign {
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, default_value = "wgs84")]
        crs: Crs,
        #[command(flatten)]
        config: Config,
    },
    /// Generate datasets from ../shared/geodata-sources.
    Geodata {
        #[command(subcommand)]
        which: GeodataCommand,
    },
}

#[derive(Subcommand)]
enum GeodataCommand {
    /// The committed demo: Siming district, Xiamen, down to micro-grids.
    Demo {
        #[arg(long, default_value = "../shared/geodata-sources")]
        sources: PathBuf,
        #[arg(long, default_value = "geodata/siming.geojson")]
        out: PathBuf,
        #[arg(long, default_value_t = DEMO_SEED)]
        seed: u64,
    },
    /// The national benchmark set (not committed): every district, street and community, grids below.
    National {
        #[arg(long, default_value = "../shared/geodata-sources")]
        sources: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = DEMO_SEED)]
        seed: u64,
        /// Only this province (2-digit code), for quick runs.
        #[arg(long)]
        province: Option<String>,
    },
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { config } => {
            init_logging(config.log_json);
            serve(open(config).await?).await?;
        }
        Command::Demo { config, units } => {
            init_logging(config.log_json);
            let state = open(config).await?;
            if state.snapshot.load().is_empty() {
                let text = std::fs::read(&units)
                    .map_err(|e| anyhow::anyhow!("reading demo units {}: {e}", units.display()))?;
                let opts = ImportOptions {
                    tolerances: state.config.tolerances(),
                    ..Default::default()
                };
                let report = import(
                    state.store.as_ref(),
                    &text,
                    &state.snapshot.load(),
                    &opts,
                    "demo",
                )
                .await?;
                if !report.written {
                    print_report(&report);
                    anyhow::bail!("the demo data did not import");
                }
                state.reload_snapshot().await?;
                tracing::info!(units = report.features, "demo data imported");
            }
            let addr = state.config.listen;
            eprintln!("wangge demo: http://{addr}/  (try http://{addr}/api/v1/assign?lon=118.0894&lat=24.4798)");
            serve(state).await?;
        }
        Command::Import {
            file,
            repair,
            dry_run,
            config,
        } => return import_file(config, &file, repair, dry_run).await,
        Command::Validate {
            file,
            repair,
            config,
        } => return import_file(config, &file, repair, true).await,
        Command::Export {
            level,
            within,
            crs,
            out,
            config,
        } => {
            let state = open(config).await?;
            let snap = state.snapshot.load();
            let units = snap
                .units()
                .iter()
                .filter(|u| level.is_none_or(|l| u.level == l))
                .filter(|u| within.as_ref().is_none_or(|w| u.code.is_within(w)));
            let doc = wangge::units::geojson::feature_collection(units, crs);
            let text = serde_json::to_string(&doc)?;
            match out {
                Some(path) => std::fs::write(&path, text)?,
                None => println!("{text}"),
            }
        }
        Command::Assign {
            lon,
            lat,
            crs,
            config,
        } => {
            let state = open(config).await?;
            let snap = state.snapshot.load();
            let w = crs.to_wgs84(lon, lat);
            let a = snap.assign(w.lon, w.lat);
            let view = wangge::spatial::routes::AssignmentView::new(&snap, &a, w.lon, w.lat);
            println!("{}", serde_json::to_string_pretty(&view)?);
        }
        Command::Geodata { which } => match which {
            GeodataCommand::Demo { sources, out, seed } => {
                let units = wangge::geodata::generate_demo(&sources, seed)?;
                write_drafts(&units, &out)?;
            }
            GeodataCommand::National {
                sources,
                out,
                seed,
                province,
            } => {
                let units =
                    wangge::geodata::generate_national(&sources, seed, province.as_deref())?;
                write_drafts(&units, &out)?;
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn write_drafts(units: &[wangge::units::UnitDraft], out: &std::path::Path) -> anyhow::Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let doc = wangge::units::geojson::drafts_feature_collection(units);
    let mut text = serde_json::to_string(&doc)?;
    text.push('\n');
    std::fs::write(out, text)?;
    eprintln!("wrote {} units to {}", units.len(), out.display());
    Ok(())
}

async fn open(config: Config) -> anyhow::Result<AppState> {
    if let Some(dir) = std::path::Path::new(&config.database_url).parent() {
        if !config.database_url.contains("://") && !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    Ok(AppState::open(config).await?)
}

async fn serve(state: AppState) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(state.config.listen).await?;
    tracing::info!(addr = %state.config.listen, store = state.store.kind(), units = state.snapshot.load().len(), "listening");
    wangge::serve(state, listener).await?;
    Ok(())
}

async fn import_file(
    config: Config,
    file: &PathBuf,
    repair: bool,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
    let state = open(config).await?;
    let opts = ImportOptions {
        repair,
        dry_run,
        tolerances: state.config.tolerances(),
    };
    let report = import(
        state.store.as_ref(),
        &text,
        &state.snapshot.load(),
        &opts,
        "cli",
    )
    .await?;
    print_report(&report);
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn print_report(report: &ImportReport) {
    for r in &report.repaired {
        for c in &r.changes {
            eprintln!("repaired {}: {c}", r.code);
        }
    }
    for p in &report.problems {
        let code = p.code.as_deref().unwrap_or("-");
        let feature = p.feature.map_or("-".to_owned(), |f| f.to_string());
        let at = p
            .location
            .map_or(String::new(), |[x, y]| format!(" at {x:.6},{y:.6}"));
        eprintln!(
            "problem: unit {code} (feature {feature}): {} [{}]{at}",
            p.message, p.kind
        );
    }
    match (&report.outcome, report.problems.is_empty()) {
        (Some(o), _) => eprintln!(
            "imported {} features: {} created, {} updated, {} unchanged",
            report.features,
            o.created.len(),
            o.updated.len(),
            o.unchanged.len()
        ),
        (None, true) => eprintln!(
            "{} features valid; nothing written (dry run)",
            report.features
        ),
        (None, false) => eprintln!(
            "{} problem(s) in {} features; nothing written",
            report.problems.len(),
            report.features
        ),
    }
}
