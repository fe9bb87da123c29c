//! Command-line administration on both stores: the first admin, accounts, tokens issued (shown
//! once) and revoked, each write audited as done at the command line.

mod common;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::*;
use wangge::auth::audit::AuditFilter;
use wangge::auth::password::{verify, Password};
use wangge::auth::tokens::digest;
use wangge::auth::Via;

fn wangge(database: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(args)
        .args(["--database", database])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wangge");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

async fn administer(database: &str) {
    let first = wangge(
        database,
        &["user", "create", "--username", "root", "--role", "admin"],
        None,
    );
    let password = stdout(&first);
    assert_eq!(password.len(), 20, "a random password, printed once");

    let no_scope = wangge(
        database,
        &[
            "user",
            "create",
            "--username",
            "planner1",
            "--role",
            "planner",
        ],
        None,
    );
    assert!(!no_scope.status.success());
    assert!(String::from_utf8_lossy(&no_scope.stderr).contains("scope"));
    let planner = wangge(
        database,
        &[
            "user",
            "create",
            "--username",
            "planner1",
            "--role",
            "planner",
            "--scope",
            "350203001",
            "--password-stdin",
        ],
        Some("planner-password-1\n"),
    );
    assert_eq!(stdout(&planner), "", "a given password is not echoed");
    let again = wangge(
        database,
        &["user", "create", "--username", "root", "--role", "admin"],
        None,
    );
    assert!(!again.status.success(), "usernames are unique");

    let issued = wangge(
        database,
        &[
            "token",
            "issue",
            "--username",
            "planner1",
            "--name",
            "GIS desk",
            "--days",
            "7",
        ],
        None,
    );
    let secret = stdout(&issued);
    assert!(secret.starts_with("wg_"));
    let list = stdout(&wangge(database, &["token", "list"], None));
    assert!(list.contains("GIS desk") && list.contains(&secret[..9]));
    assert!(!list.contains(&secret[9..]));
    let users = stdout(&wangge(database, &["user", "list"], None));
    assert!(users.contains("planner1\tplanner\t350203001") && users.contains("root\tadmin\t*"));

    let store = wangge::store::open(database).await.unwrap();
    let (account, hash) = store.credentials("root").await.unwrap().unwrap();
    assert!(verify(&Password::new(password), &hash.unwrap()));
    assert_eq!(account.role, wangge::auth::Role::Admin);
    let (token, owner) = store
        .token(&digest(&secret), chrono::Utc::now())
        .await
        .unwrap()
        .expect("the issued token works");
    assert_eq!(owner.username, "planner1");
    assert!(token.expires_at - chrono::Utc::now() <= chrono::Duration::days(7));

    let revoked = wangge(database, &["token", "revoke", &token.id.to_string()], None);
    stdout(&revoked);
    assert!(store
        .token(&digest(&secret), chrono::Utc::now())
        .await
        .unwrap()
        .is_none());

    let reset = wangge(
        database,
        &[
            "user",
            "password",
            "--username",
            "planner1",
            "--password-stdin",
        ],
        Some("another-password-2\n"),
    );
    stdout(&reset);
    let (_, hash) = store.credentials("planner1").await.unwrap().unwrap();
    assert!(verify(&Password::new("another-password-2"), &hash.unwrap()));

    let entries = store
        .audit_entries(&AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.update",
            "token.revoke",
            "token.issue",
            "account.create",
            "account.create"
        ]
    );
    assert!(entries
        .iter()
        .all(|e| e.via == Via::Cli && e.actor.starts_with("cli")));
}

#[tokio::test]
async fn the_command_line_creates_accounts_and_issues_and_revokes_tokens_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    administer(&dir.path().join("cli.gpkg").display().to_string()).await;
}

#[tokio::test]
async fn the_command_line_creates_accounts_and_issues_and_revokes_tokens_on_postgis() {
    let Some(server) = postgres_server() else {
        return;
    };
    let (url, name) = fresh_postgres_database(&server).await;
    administer(&url).await;
    drop_database(&server, &name).await;
}
