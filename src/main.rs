//! The `wangge` command line: serve, demo, import, export, validate, assign, geodata, user, token.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use wangge::auth::accounts::{self, AccountRequest, AccountUpdate};
use wangge::auth::password::{self, Password};
use wangge::auth::{AuditContext, Role};
use wangge::config::Config;
use wangge::spatial::Crs;
use wangge::store::Store;
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
enum HouseholdsCommand {
    /// Import households from CSV (UTF-8 or GBK); bad rows are reported by line, the rest are
    /// upserted on address + room in batches of 5,000 rows per transaction. Exit code 2 when
    /// rows failed.
    Import {
        file: PathBuf,
        /// CRS of rows without a 坐标系/crs cell: wgs84, gcj02 or bd09.
        #[arg(long, default_value = "wgs84")]
        crs: wangge::spatial::Crs,
        /// auto, utf-8 or gbk.
        #[arg(long, default_value = "auto")]
        encoding: String,
        /// Header override COLUMN=FIELD (FIELD `-` ignores the column); repeatable.
        #[arg(long = "map")]
        map: Vec<String>,
        /// Check and report without writing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        config: Config,
    },
}

#[derive(Subcommand)]
enum FacilitiesCommand {
    /// Import facilities from CSV (UTF-8 or GBK) or GeoJSON (by the file's extension); bad rows
    /// are reported where they are, the rest are upserted on external id, then category + name +
    /// address, in one transaction. Exit code 2 when rows failed.
    Import {
        file: PathBuf,
        /// CRS of rows without a 坐标系/crs cell: wgs84, gcj02 or bd09.
        #[arg(long, default_value = "wgs84")]
        crs: wangge::spatial::Crs,
        /// Check and report without writing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        config: Config,
    },
}

/// Rows per transaction of a command-line household import.
const HOUSEHOLD_BATCH: usize = 5_000;

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
        /// The demo facilities file, imported when the store has no facility yet.
        #[arg(long, default_value = "geodata/siming-facilities.geojson")]
        facilities: PathBuf,
        /// The demo households file (generated, fictional), imported when the store has none.
        #[arg(long, default_value = "geodata/siming-households.csv")]
        households: PathBuf,
        /// Password of the demo admin created on first start; random (and printed) when unset.
        #[arg(long, env = "WANGGE_DEMO_PASSWORD", hide_env_values = true)]
        demo_password: Option<String>,
    },
    /// Facilities of the fifteen-minute circle: CSV or GeoJSON import.
    Facilities {
        #[command(subcommand)]
        action: FacilitiesCommand,
    },
    /// Households (personal data): CSV import.
    Households {
        #[command(subcommand)]
        action: HouseholdsCommand,
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
    /// Accounts: create (the first admin too), list, set a password.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// API tokens: issue (shown once), list, revoke.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Generate datasets from ../shared/geodata-sources.
    Geodata {
        #[command(subcommand)]
        which: GeodataCommand,
    },
}

/// Only the store is needed by account commands.
#[derive(Args)]
struct StoreArgs {
    /// Store: a file path (embedded GeoPackage) or postgres://...
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        default_value = "data/wangge.gpkg"
    )]
    database_url: String,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. Without --password-stdin a random password is made and printed once.
    Create {
        #[arg(long)]
        username: String,
        /// admin, planner, dispatcher, grid_worker, department or viewer.
        #[arg(long)]
        role: Role,
        /// A unit code the account acts within (with everything below it); repeatable. Every role
        /// but admin needs one.
        #[arg(long = "scope")]
        scopes: Vec<UnitCode>,
        /// The department, for department accounts.
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, conflicts_with = "no_password")]
        password_stdin: bool,
        /// An account for integrations that signs in only with API tokens.
        #[arg(long)]
        no_password: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set an account's password (ends its sessions); random and printed unless --password-stdin.
    Password {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue an API token for an account; it is printed once and stored only as a hash.
    Issue {
        #[arg(long)]
        username: String,
        /// What uses the token (e.g. "12345 hotline bridge").
        #[arg(long)]
        name: String,
        /// Lifetime in days.
        #[arg(long, default_value_t = wangge::auth::tokens::DEFAULT_DAYS)]
        days: u32,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List tokens (of one account, or all).
    List {
        #[arg(long)]
        username: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token by its id.
    Revoke {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
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
    /// The committed demo population of Siming: facilities of every catalogue kind (GeoJSON) and
    /// a sample of households (CSV), generated on the demo units.
    DemoPopulation {
        /// The demo units (down to micro-grids), as `geodata demo` writes them.
        #[arg(long, default_value = "geodata/siming.geojson")]
        units: PathBuf,
        #[arg(long, default_value = "geodata/siming-facilities.geojson")]
        facilities_out: PathBuf,
        #[arg(long, default_value = "geodata/siming-households.csv")]
        households_out: PathBuf,
        /// How many households.
        #[arg(long, default_value_t = wangge::geodata::DEMO_HOUSEHOLDS)]
        households: usize,
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
        Command::Demo {
            config,
            units,
            facilities,
            households,
            demo_password,
        } => {
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
                    &AuditContext::system("demo"),
                )
                .await?;
                if !report.written {
                    print_report(&report);
                    anyhow::bail!("the demo data did not import");
                }
                state.reload_snapshot().await?;
                tracing::info!(units = report.features, "demo data imported");
            }
            if state.facilities.index.load().is_empty() && facilities.exists() {
                let failed = import_facilities(
                    &state,
                    &facilities,
                    wangge::spatial::Crs::Wgs84,
                    false,
                    &AuditContext::system("demo"),
                )
                .await?;
                if failed > 0 {
                    anyhow::bail!("{failed} demo facilities did not import");
                }
            }
            if households.exists() && state.store.household_locations().await?.is_empty() {
                let failed = import_households_into(
                    &state,
                    &households,
                    wangge::spatial::Crs::Wgs84,
                    "auto",
                    &[],
                    false,
                    &AuditContext::system("demo"),
                )
                .await?;
                if failed > 0 {
                    anyhow::bail!("{failed} demo households did not import");
                }
            }
            let addr = state.config.listen;
            let sign_in = ensure_demo_admin(&state, demo_password).await?;
            eprintln!("wangge demo: http://{addr}/  (try http://{addr}/api/v1/assign?lon=118.0894&lat=24.4798)");
            // Standard output, not the log: the one place the generated password is shown.
            println!("{sign_in}");
            serve(state).await?;
        }
        Command::Facilities {
            action:
                FacilitiesCommand::Import {
                    file,
                    crs,
                    dry_run,
                    config,
                },
        } => {
            let state = open(config).await?;
            let failed =
                import_facilities(&state, &file, crs, dry_run, &AuditContext::cli()).await?;
            return Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            });
        }
        Command::Households {
            action:
                HouseholdsCommand::Import {
                    file,
                    crs,
                    encoding,
                    map,
                    dry_run,
                    config,
                },
        } => return import_households(config, &file, crs, &encoding, &map, dry_run).await,
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
        Command::User { action } => user_command(action).await?,
        Command::Token { action } => token_command(action).await?,
        Command::Geodata { which } => match which {
            GeodataCommand::Demo { sources, out, seed } => {
                let units = wangge::geodata::generate_demo(&sources, seed)?;
                write_drafts(&units, &out)?;
            }
            GeodataCommand::DemoPopulation {
                units,
                facilities_out,
                households_out,
                households,
                seed,
            } => write_demo_population(&units, &facilities_out, &households_out, households, seed)?,
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

fn write_demo_population(
    units: &std::path::Path,
    facilities_out: &std::path::Path,
    households_out: &std::path::Path,
    households: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(units).with_context(|| format!("reading {}", units.display()))?;
    let (drafts, problems) = wangge::units::geojson::read_drafts(&bytes)
        .map_err(|p| anyhow::anyhow!("{}: {}", units.display(), p.message))?;
    if let Some(p) = problems.first() {
        anyhow::bail!(
            "{}: {} features cannot be read, the first: {}",
            units.display(),
            problems.len(),
            p.message
        );
    }
    let population = wangge::geodata::generate_demo_population(&drafts, households, seed)?;
    for (path, text) in [
        (
            facilities_out,
            wangge::geodata::facilities_geojson(&population.facilities, seed)?,
        ),
        (
            households_out,
            wangge::geodata::households_csv(&population.households)?,
        ),
    ] {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    eprintln!(
        "wrote {} facilities to {} and {} households to {}",
        population.facilities.len(),
        facilities_out.display(),
        population.households.len(),
        households_out.display()
    );
    Ok(())
}

async fn open(config: Config) -> anyhow::Result<AppState> {
    wangge::auth::headers::check_cors_origins(&config).map_err(anyhow::Error::msg)?;
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

/// Imports a facility file (GeoJSON by its `.geojson`/`.json` extension, else CSV) with the
/// whole store as the area; says what it did on standard error. Answers how many rows failed.
async fn import_facilities(
    state: &AppState,
    file: &std::path::Path,
    crs: wangge::spatial::Crs,
    dry_run: bool,
    audit: &AuditContext,
) -> anyhow::Result<usize> {
    use wangge::facilities::import::{self, At, Format};
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
    let geojson = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("geojson") || e.eq_ignore_ascii_case("json"));
    let no_overrides = std::collections::BTreeMap::new();
    let format = if geojson {
        Format::GeoJson
    } else {
        Format::Csv {
            encoding: None,
            overrides: &no_overrides,
        }
    };
    let snap = state.snapshot.load();
    let checked = import::check(
        &bytes,
        format,
        crs,
        &state.facilities.catalogue,
        &snap,
        |_| true,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    for p in &checked.problems {
        match p.at {
            At::Line(l) => eprintln!("{}:{l}: {}", file.display(), p.reason),
            At::Feature(f) => eprintln!("{}: feature {f}: {}", file.display(), p.reason),
        }
    }
    let rows: Vec<_> = checked.rows.into_iter().map(|(f, u, _)| (f, u)).collect();
    let done = if dry_run || rows.is_empty() {
        Default::default()
    } else {
        let source = file.display().to_string();
        let done = state
            .store
            .upsert_facilities(&rows, &source, audit, chrono::Utc::now())
            .await?;
        state.facilities.reload(state.store.as_ref()).await?;
        done
    };
    eprintln!(
        "{}: {} rows: {} valid ({} created, {} updated, {} unchanged{}), {} failed",
        file.display(),
        rows.len() + checked.problems.len(),
        rows.len(),
        done.created,
        done.updated,
        done.unchanged,
        if dry_run { ", dry run" } else { "" },
        checked.problems.len()
    );
    Ok(checked.problems.len())
}

async fn import_households(
    config: Config,
    file: &std::path::Path,
    crs: wangge::spatial::Crs,
    encoding: &str,
    map: &[String],
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let state = open(config).await?;
    let failed = import_households_into(
        &state,
        file,
        crs,
        encoding,
        map,
        dry_run,
        &AuditContext::cli(),
    )
    .await?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Imports a household CSV into the store of `state`, reporting on standard error; answers how
/// many rows failed.
async fn import_households_into(
    state: &AppState,
    file: &std::path::Path,
    crs: wangge::spatial::Crs,
    encoding: &str,
    map: &[String],
    dry_run: bool,
    audit: &AuditContext,
) -> anyhow::Result<usize> {
    use wangge::households::csv_import;
    let encoding = match encoding {
        "auto" => None,
        e => Some(
            e.parse::<csv_import::Encoding>()
                .map_err(anyhow::Error::msg)?,
        ),
    };
    let overrides = csv_import::parse_overrides(&map.join(",")).map_err(anyhow::Error::msg)?;
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
    let snap = state.snapshot.load();
    let checked = csv_import::check(&bytes, encoding, &overrides, crs, |h| {
        csv_import::place_in(&snap, h, |_| true)
    })
    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    eprintln!("encoding: {:?}", checked.encoding);
    for m in &checked.mapping {
        eprintln!("  {} -> {}", m.column, m.field.unwrap_or("(ignored)"));
    }
    for p in &checked.problems {
        eprintln!("{}:{}: {}", file.display(), p.line, p.reason);
    }
    let rows: Vec<_> = checked.rows.into_iter().map(|(h, u, _)| (h, u)).collect();
    let (mut created, mut updated) = (0, 0);
    if !dry_run {
        let source = file.display().to_string();
        for batch in rows.chunks(HOUSEHOLD_BATCH) {
            let done = state
                .store
                .upsert_households(batch, &source, audit, chrono::Utc::now())
                .await?;
            created += done.created;
            updated += done.updated;
        }
    }
    eprintln!(
        "{} rows: {} valid ({created} created, {updated} updated{}), {} failed",
        rows.len() + checked.problems.len(),
        rows.len(),
        if dry_run { ", dry run" } else { "" },
        checked.problems.len()
    );
    Ok(checked.problems.len())
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
        &AuditContext::cli(),
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

/// The username of the account `wangge demo` creates on first start.
const DEMO_ADMIN: &str = "admin";

/// Creates the demo admin when the store has no account yet; says how to sign in.
async fn ensure_demo_admin(state: &AppState, password: Option<String>) -> anyhow::Result<String> {
    let url = format!("http://{}/signin.html", state.config.listen);
    if state.store.account_count().await? > 0 {
        return Ok(format!(
            "wangge demo: sign in at {url} with an existing account \
             (`wangge user password --username {DEMO_ADMIN}` sets a new password for the demo admin)"
        ));
    }
    let (password, shown) = match password {
        Some(p) => (
            Password::new(p),
            "the password in WANGGE_DEMO_PASSWORD".to_owned(),
        ),
        None => {
            let p = password::generate();
            let shown = format!("password `{}` (shown once)", p.expose());
            (p, shown)
        }
    };
    let request = AccountRequest {
        username: DEMO_ADMIN.to_owned(),
        display_name: Some("Demo admin".to_owned()),
        role: Role::Admin,
        department: None,
        scopes: Vec::new(),
        password: Some(password),
    };
    accounts::create(state.store.as_ref(), request, &AuditContext::system("demo")).await?;
    Ok(format!(
        "wangge demo: sign in at {url} as `{DEMO_ADMIN}` with {shown}"
    ))
}

async fn open_store(store: &StoreArgs) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    let url = &store.database_url;
    if let Some(dir) = std::path::Path::new(url).parent() {
        if !url.contains("://") && !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    Ok(wangge::store::open(url).await?)
}

/// The password from standard input (`--password-stdin`), or a random one to print.
fn password_from(stdin: bool) -> anyhow::Result<(Password, bool)> {
    if !stdin {
        return Ok((password::generate(), true));
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']);
    if line.is_empty() {
        anyhow::bail!("no password on standard input");
    }
    Ok((Password::new(line), false))
}

async fn user_command(action: UserCommand) -> anyhow::Result<()> {
    match action {
        UserCommand::Create {
            username,
            role,
            scopes,
            department,
            display_name,
            password_stdin,
            no_password,
            store,
        } => {
            let store = open_store(&store).await?;
            let (password, print) = if no_password {
                (None, false)
            } else {
                let (p, print) = password_from(password_stdin)?;
                (Some(p), print)
            };
            let shown = password
                .as_ref()
                .filter(|_| print)
                .map(|p| p.expose().to_owned());
            let request = AccountRequest {
                username,
                display_name,
                role,
                department,
                scopes,
                password,
            };
            let account = accounts::create(store.as_ref(), request, &AuditContext::cli()).await?;
            eprintln!(
                "created {} account `{}`{}",
                account.role,
                account.username,
                if account.scopes.is_empty() {
                    String::new()
                } else {
                    format!(
                        " for {}",
                        account
                            .scopes
                            .iter()
                            .map(UnitCode::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            );
            if let Some(p) = shown {
                println!("{p}");
                eprintln!("(the password above is shown once)");
            }
        }
        UserCommand::List { store } => {
            let store = open_store(&store).await?;
            for a in store.accounts().await? {
                let scopes: Vec<&str> = a.scopes.iter().map(UnitCode::as_str).collect();
                println!(
                    "{}\t{}\t{}\t{}{}",
                    a.username,
                    a.role,
                    if scopes.is_empty() {
                        "*".to_owned()
                    } else {
                        scopes.join(",")
                    },
                    a.department.as_deref().unwrap_or("-"),
                    if a.disabled { "\tdisabled" } else { "" }
                );
            }
        }
        UserCommand::Password {
            username,
            password_stdin,
            store,
        } => {
            let store = open_store(&store).await?;
            let (p, print) = password_from(password_stdin)?;
            let shown = print.then(|| p.expose().to_owned());
            let update = AccountUpdate {
                password: Some(p),
                ..Default::default()
            };
            accounts::update(store.as_ref(), &username, update, &AuditContext::cli())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account `{username}`"))?;
            eprintln!("password of `{username}` set; its sessions have ended");
            if let Some(p) = shown {
                println!("{p}");
            }
        }
    }
    Ok(())
}

async fn token_command(action: TokenCommand) -> anyhow::Result<()> {
    match action {
        TokenCommand::Issue {
            username,
            name,
            days,
            store,
        } => {
            let store = open_store(&store).await?;
            let account = store
                .account(&username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account `{username}`"))?;
            if account.disabled {
                anyhow::bail!("account `{username}` is disabled");
            }
            if days == 0 {
                anyhow::bail!("--days must be at least 1");
            }
            let token = wangge::auth::tokens::issue();
            let now = chrono::Utc::now();
            let new = wangge::store::auth::NewToken {
                account_id: account.id,
                name: name.trim().to_owned(),
                prefix: token.prefix.clone(),
                hash: token.hash.clone(),
                created_at: now,
                expires_at: now + chrono::Duration::days(i64::from(days)),
            };
            let record = store.create_token(&new, &AuditContext::cli()).await?;
            eprintln!(
                "issued token {} ({}) for `{}`, expires {}; it is shown once:",
                record.id, record.name, record.account, record.expires_at
            );
            println!("{}", token.secret);
        }
        TokenCommand::List { username, store } => {
            let store = open_store(&store).await?;
            let account_id = match username {
                Some(u) => Some(
                    store
                        .account(&u)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no account `{u}`"))?
                        .id,
                ),
                None => None,
            };
            for t in store.tokens(account_id).await? {
                let state = match t.revoked_at {
                    Some(r) => format!("revoked {r}"),
                    None if t.expires_at <= chrono::Utc::now() => "expired".to_owned(),
                    None => format!("expires {}", t.expires_at),
                };
                println!(
                    "{}\t{}\t{}…\t{}\t{}",
                    t.id, t.account, t.prefix, t.name, state
                );
            }
        }
        TokenCommand::Revoke { id, store } => {
            let store = open_store(&store).await?;
            let t = store
                .revoke_token(id, &AuditContext::cli(), chrono::Utc::now())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no token {id}"))?;
            eprintln!("token {} ({}) of `{}` is revoked", t.id, t.name, t.account);
        }
    }
    Ok(())
}
