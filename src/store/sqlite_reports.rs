//! [`ReportStore`] on the embedded store. Same tables and rules as PostGIS; times are fixed-width
//! RFC 3339 text (see `sqlite.rs`), so comparing text compares time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::reports::{
    catalogue_record, catalogue_rows, created_record, evaluation_record, json_columns,
    prefix_patterns, read_category, read_evaluation, transition_record, Escalation, EventRow,
    Intake, NewEvent, NewReport, Reassignment, ReportFilter, ReportRow, ReportStore, Transition,
};
use super::reports::{PointQuery, PointRow, ReportPoint, POINT_COLUMNS};
use super::sqlite::{timestamp, SqliteStore};
use super::sqlite_auth::insert_audit;
use super::StoreError;
use crate::auth::audit::AuditContext;
use crate::auth::Role;
use crate::reports::catalogue::Category;
use crate::reports::model::match_str;
use crate::reports::{Evaluation, Report, ReportEvent, State};
use crate::spatial::Bbox;
use crate::units::UnitCode;

const REPORT_COLUMNS: &str = "id, category, description, lon, lat, input_crs, channel, media, \
     reporter, chain, unit_code, match, handler, queue_unit, assignee, state, merged_into, \
     accept_due, handle_due, created_at, updated_at, receipt_sha256";

fn time(text: &str, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("{what} `{text}`: {e}")))
}

fn report_from_row(row: &SqliteRow) -> Result<Report, StoreError> {
    let t = |column: &str| -> Result<DateTime<Utc>, StoreError> {
        let text: String = row.try_get(column)?;
        time(&text, &format!("reports.{column}"))
    };
    ReportRow {
        id: row.try_get("id")?,
        category: row.try_get("category")?,
        description: row.try_get("description")?,
        lon: row.try_get("lon")?,
        lat: row.try_get("lat")?,
        input_crs: row.try_get("input_crs")?,
        channel: row.try_get("channel")?,
        media: row.try_get("media")?,
        reporter: row.try_get("reporter")?,
        chain: row.try_get("chain")?,
        unit_code: row.try_get("unit_code")?,
        matched: row.try_get("match")?,
        handler: row.try_get("handler")?,
        queue_unit: row.try_get("queue_unit")?,
        assignee: row.try_get("assignee")?,
        state: row.try_get("state")?,
        merged_into: row.try_get("merged_into")?,
        accept_due: t("accept_due")?,
        handle_due: t("handle_due")?,
        created_at: t("created_at")?,
        updated_at: t("updated_at")?,
        receipt_sha256: row.try_get("receipt_sha256")?,
    }
    .into_report()
}

async fn report_by_id(conn: &mut SqliteConnection, id: &str) -> Result<Option<Report>, StoreError> {
    sqlx::query(&format!(
        "SELECT {REPORT_COLUMNS} FROM reports WHERE id = ?1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(report_from_row)
    .transpose()
}

async fn insert_event(
    conn: &mut SqliteConnection,
    report_id: &str,
    audit: &AuditContext,
    event: NewEvent<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let NewEvent {
        from,
        to,
        note,
        photos,
    } = event;
    sqlx::query(
        "INSERT INTO report_events (report_id, at, actor_id, actor, from_state, to_state, note, \
         photos) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(report_id)
    .bind(timestamp(now))
    .bind(audit.actor_id)
    .bind(&audit.actor)
    .bind(from.map(State::as_str))
    .bind(to.as_str())
    .bind(note)
    .bind(Value::from(photos.to_vec()).to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes one report of a batch, or finds its key's earlier answer (writing nothing).
async fn write_report(conn: &mut SqliteConnection, new: &NewReport) -> Result<Intake, StoreError> {
    let NewReport {
        report,
        key,
        answer,
        audit,
    } = new;
    if let Some(k) = key {
        if let Some((request_sha256, answer)) = stored_answer(conn, &k.key).await? {
            return Ok(Intake::Replayed {
                request_sha256,
                answer,
            });
        }
    }
    let (media, reporter, chain, handler) = json_columns(report);
    sqlx::query(&format!(
        "INSERT INTO reports ({REPORT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
         ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
    ))
    .bind(&report.id)
    .bind(&report.category)
    .bind(&report.description)
    .bind(report.location.lon)
    .bind(report.location.lat)
    .bind(report.input_crs.as_str())
    .bind(report.channel.as_str())
    .bind(media)
    .bind(reporter)
    .bind(chain)
    .bind(report.unit_code.as_str())
    .bind(match_str(report.matched))
    .bind(handler)
    .bind(report.queue_unit.as_str())
    .bind(&report.assignee)
    .bind(report.state.as_str())
    .bind(&report.merged_into)
    .bind(timestamp(report.accept_due))
    .bind(timestamp(report.handle_due))
    .bind(timestamp(report.created_at))
    .bind(timestamp(report.updated_at))
    .bind(&report.receipt_sha256)
    .execute(&mut *conn)
    .await?;
    let first = NewEvent {
        from: None,
        to: report.state,
        note: "",
        photos: &report.media,
    };
    insert_event(conn, &report.id, audit, first, report.created_at).await?;
    insert_audit(conn, audit, &created_record(report), report.created_at).await?;
    if let Some(k) = key {
        sqlx::query(
            "INSERT INTO report_idempotency_keys (key, request_sha256, report_id, answer, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&k.key)
        .bind(&k.request_sha256)
        .bind(&report.id)
        .bind(answer.to_string())
        .bind(timestamp(report.created_at))
        .execute(&mut *conn)
        .await?;
    }
    Ok(Intake::Created)
}

async fn stored_answer(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<(String, Value)>, StoreError> {
    let row =
        sqlx::query("SELECT request_sha256, answer FROM report_idempotency_keys WHERE key = ?1")
            .bind(key)
            .fetch_optional(conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let answer: String = row.try_get("answer")?;
    let answer = serde_json::from_str(&answer).map_err(|e| {
        StoreError::Corrupt(format!("report_idempotency_keys row {key}: answer: {e}"))
    })?;
    Ok(Some((row.try_get("request_sha256")?, answer)))
}

async fn read_catalogue(conn: &mut SqliteConnection) -> Result<Vec<Category>, StoreError> {
    let rows = sqlx::query("SELECT code, entry FROM dispatch_catalogue ORDER BY position")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("code")?;
            let entry: String = row.try_get("entry")?;
            read_category(&entry, &code)
        })
        .collect()
}

async fn write_catalogue(
    conn: &mut SqliteConnection,
    categories: &[Category],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (code, position, entry) in catalogue_rows(categories) {
        sqlx::query(
            "INSERT INTO dispatch_catalogue (code, position, entry, updated_at) \
             VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(code)
        .bind(position)
        .bind(entry)
        .bind(timestamp(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn json_list<T: AsRef<str>>(items: &[T]) -> String {
    Value::from(
        items
            .iter()
            .map(|s| s.as_ref().to_owned())
            .collect::<Vec<_>>(),
    )
    .to_string()
}

#[async_trait]
impl ReportStore for SqliteStore {
    async fn catalogue(&self) -> Result<Vec<Category>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        read_catalogue(&mut conn).await
    }

    async fn seed_catalogue(
        &self,
        categories: &[Category],
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM dispatch_catalogue")
            .fetch_one(&mut *tx)
            .await?;
        if count > 0 {
            return Ok(false);
        }
        write_catalogue(&mut tx, categories, now).await?;
        insert_audit(&mut tx, audit, &catalogue_record(categories, None), now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn replace_catalogue(
        &self,
        categories: &[Category],
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let before = read_catalogue(&mut tx).await?;
        sqlx::query("DELETE FROM dispatch_catalogue")
            .execute(&mut *tx)
            .await?;
        write_catalogue(&mut tx, categories, now).await?;
        let record = catalogue_record(
            categories,
            Some(serde_json::json!({ "categories": before })),
        );
        insert_audit(&mut tx, audit, &record, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_reports(
        &self,
        batch: &[NewReport],
    ) -> Result<Vec<Result<Intake, StoreError>>, StoreError> {
        // IMMEDIATE: the key checks and the inserts happen under one write lock, so two requests
        // with the same key cannot both pass the check.
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let mut answers = Vec::with_capacity(batch.len());
        for new in batch {
            let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
            let answer = write_report(&mut savepoint, new).await;
            match answer {
                Ok(Intake::Created) => savepoint.commit().await?,
                _ => savepoint.rollback().await?,
            }
            answers.push(answer);
        }
        tx.commit().await?;
        Ok(answers)
    }

    async fn idempotent_answer(&self, key: &str) -> Result<Option<(String, Value)>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        stored_answer(&mut conn, key).await
    }

    async fn report(&self, id: &str) -> Result<Option<Report>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        report_by_id(&mut conn, id).await
    }

    async fn report_events(&self, id: &str) -> Result<Vec<ReportEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, from_state, to_state, note, photos FROM report_events \
             WHERE report_id = ?1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let at: String = row.try_get("at")?;
                EventRow {
                    id: row.try_get("id")?,
                    at: time(&at, "report_events.at")?,
                    actor: row.try_get("actor")?,
                    from_state: row.try_get("from_state")?,
                    to_state: row.try_get("to_state")?,
                    note: row.try_get("note")?,
                    photos: row.try_get("photos")?,
                }
                .into_event()
            })
            .collect()
    }

    async fn open_reports_near(
        &self,
        category: &str,
        bbox: Bbox,
        since: DateTime<Utc>,
    ) -> Result<Vec<Report>, StoreError> {
        sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM {IN_BOX} AND category = ?1 \
             AND lon BETWEEN ?2 AND ?4 AND lat BETWEEN ?3 AND ?5 AND created_at >= ?6 \
             AND state NOT IN ('closed', 'merged') ORDER BY created_at, id",
            IN_BOX = reports_in_box(2, 3, 4, 5)
        ))
        .bind(category)
        .bind(bbox.min_x)
        .bind(bbox.min_y)
        .bind(bbox.max_x)
        .bind(bbox.max_y)
        .bind(timestamp(since))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(report_from_row)
        .collect()
    }

    async fn transition(
        &self,
        change: &Transition,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Report>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let updated = sqlx::query(
            "UPDATE reports SET state = ?1, updated_at = ?2, \
             assignee = CASE WHEN ?3 THEN ?4 ELSE assignee END, \
             merged_into = coalesce(?5, merged_into) \
             WHERE id = ?6 AND state = ?7",
        )
        .bind(change.to.as_str())
        .bind(timestamp(now))
        .bind(change.assignee.is_some())
        .bind(change.assignee.clone().flatten())
        .bind(&change.merged_into)
        .bind(&change.report_id)
        .bind(change.from.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        insert_event(&mut tx, &change.report_id, audit, NewEvent::of(change), now).await?;
        let Some(after) = report_by_id(&mut tx, &change.report_id).await? else {
            return Ok(None);
        };
        insert_audit(&mut tx, audit, &transition_record(change, &after), now).await?;
        tx.commit().await?;
        Ok(Some(after))
    }

    async fn reports(&self, f: &ReportFilter) -> Result<Vec<Report>, StoreError> {
        let within = f.within.as_deref().map(|c| json_list(&prefix_patterns(c)));
        let queue_within = f
            .queue_within
            .as_deref()
            .map(|c| json_list(&prefix_patterns(c)));
        let states = f
            .states
            .as_deref()
            .map(|s| json_list(&s.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
        sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE \
             (?1 IS NULL OR EXISTS (SELECT 1 FROM json_each(?1) j WHERE reports.unit_code LIKE j.value)) \
             AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(?2) j WHERE reports.queue_unit LIKE j.value)) \
             AND (?3 IS NULL OR assignee = ?3) \
             AND (?4 IS NULL OR state IN (SELECT value FROM json_each(?4))) \
             AND (?5 IS NULL OR category = ?5) \
             AND (?6 IS NULL OR created_at >= ?6) \
             AND (?7 IS NULL OR created_at < ?7) \
             AND (?8 IS NULL OR (lon BETWEEN ?8 AND ?10 AND lat BETWEEN ?9 AND ?11)) \
             AND (?12 IS NULL \
                  OR (state IN ('received', 'dispatched', 'returned') AND accept_due < ?12) \
                  OR (state IN ('accepted', 'reopened') AND handle_due < ?12)) \
             ORDER BY created_at DESC, id DESC LIMIT ?13 OFFSET ?14"
        ))
        .bind(within)
        .bind(queue_within)
        .bind(&f.assignee)
        .bind(states)
        .bind(&f.category)
        .bind(f.from.map(timestamp))
        .bind(f.to.map(timestamp))
        .bind(f.bbox.map(|b| b.min_x))
        .bind(f.bbox.map(|b| b.min_y))
        .bind(f.bbox.map(|b| b.max_x))
        .bind(f.bbox.map(|b| b.max_y))
        .bind(f.overdue_at.map(timestamp))
        .bind(i64::from(f.limit))
        .bind(i64::from(f.offset))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(report_from_row)
        .collect()
    }

    async fn evaluate(
        &self,
        report_id: &str,
        e: &Evaluation,
        audit: &AuditContext,
    ) -> Result<Option<Report>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM reports WHERE id = ?1")
            .bind(report_id)
            .fetch_optional(&mut *tx)
            .await?;
        if state.as_deref() != Some(State::Closed.as_str()) {
            return Ok(None);
        }
        let inserted = sqlx::query(
            "INSERT INTO report_evaluations (report_id, rating, comment, reopened, actor, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(report_id)
        .bind(e.rating.as_str())
        .bind(&e.comment)
        .bind(e.reopened)
        .bind(&e.actor)
        .bind(timestamp(e.at))
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                return Err(StoreError::Conflict(format!(
                    "report {report_id} has been evaluated already"
                )));
            }
            Err(other) => return Err(other.into()),
        }
        if e.reopened {
            sqlx::query("UPDATE reports SET state = ?1, updated_at = ?2 WHERE id = ?3")
                .bind(State::Reopened.as_str())
                .bind(timestamp(e.at))
                .bind(report_id)
                .execute(&mut *tx)
                .await?;
            let note = format!("dissatisfied: {}", e.comment);
            let event = NewEvent {
                from: Some(State::Closed),
                to: State::Reopened,
                note: &note,
                photos: &[],
            };
            insert_event(&mut tx, report_id, audit, event, e.at).await?;
        }
        insert_audit(&mut tx, audit, &evaluation_record(report_id, e), e.at).await?;
        let after = report_by_id(&mut tx, report_id).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn evaluations_of(
        &self,
        ids: &[String],
    ) -> Result<Vec<(String, Evaluation)>, StoreError> {
        let rows = sqlx::query(
            "SELECT report_id, rating, comment, reopened, actor, at FROM report_evaluations \
             WHERE report_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )
        .bind(json_list(ids))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let rating: String = row.try_get("rating")?;
                let e = read_evaluation(
                    &rating,
                    row.try_get("comment")?,
                    row.try_get::<bool, _>("reopened")?,
                    row.try_get("actor")?,
                    {
                        let text: String = row.try_get("at")?;
                        time(&text, "report_evaluations.at")?
                    },
                )?;
                Ok((row.try_get("report_id")?, e))
            })
            .collect()
    }

    async fn events_of(&self, ids: &[String]) -> Result<Vec<(String, ReportEvent)>, StoreError> {
        let rows = sqlx::query(
            "SELECT report_id, id, at, actor, from_state, to_state, note, photos \
             FROM report_events WHERE report_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )
        .bind(json_list(ids))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let event = EventRow {
                    id: row.try_get("id")?,
                    at: {
                        let text: String = row.try_get("at")?;
                        time(&text, "report_events.at")?
                    },
                    actor: row.try_get("actor")?,
                    from_state: row.try_get("from_state")?,
                    to_state: row.try_get("to_state")?,
                    note: row.try_get("note")?,
                    photos: row.try_get("photos")?,
                }
                .into_event()?;
                Ok((row.try_get("report_id")?, event))
            })
            .collect()
    }

    async fn reassign(
        &self,
        r: &Reassignment,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Report>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let Some(before) = report_by_id(&mut tx, &r.report_id).await? else {
            return Ok(None);
        };
        if before.state != r.state {
            return Ok(None);
        }
        // BEGIN IMMEDIATE holds the write lock since the read above: the state is still `r.state`.
        sqlx::query(
            "UPDATE reports SET handler = ?1, queue_unit = ?2, assignee = ?3, \
             updated_at = ?4 WHERE id = ?5",
        )
        .bind(serde_json::to_string(&r.handler).unwrap_or_else(|_| "{}".to_owned()))
        .bind(r.queue_unit.as_str())
        .bind(&r.assignee)
        .bind(timestamp(now))
        .bind(&r.report_id)
        .execute(&mut *tx)
        .await?;
        let event = NewEvent {
            from: Some(r.state),
            to: r.state,
            note: &r.note,
            photos: &[],
        };
        insert_event(&mut tx, &r.report_id, audit, event, now).await?;
        insert_audit(&mut tx, audit, &r.record(&before), now).await?;
        let after = report_by_id(&mut tx, &r.report_id).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn escalate(
        &self,
        e: &Escalation,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let inserted = sqlx::query(
            "INSERT INTO report_escalations (report_id, deadline, due_at, from_unit, to_unit, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        )
        .bind(&e.report_id)
        .bind(e.deadline)
        .bind(timestamp(e.due_at))
        .bind(e.from_unit.as_str())
        .bind(e.to_unit.as_str())
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        let moved = sqlx::query(
            "UPDATE reports SET queue_unit = ?1, assignee = ?2, updated_at = ?3 \
             WHERE id = ?4 AND state = ?5",
        )
        .bind(e.to_unit.as_str())
        .bind(&e.assignee)
        .bind(timestamp(now))
        .bind(&e.report_id)
        .bind(e.state.as_str())
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            // It moved on meanwhile: the deadline no longer applies.
            return Ok(false);
        }
        let note = e.note();
        let event = NewEvent {
            from: Some(e.state),
            to: e.state,
            note: &note,
            photos: &[],
        };
        insert_event(&mut tx, &e.report_id, audit, event, now).await?;
        insert_audit(&mut tx, audit, &e.record(), now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn responsible_staff(
        &self,
        codes: &[UnitCode],
        role: Role,
        department: Option<&str>,
    ) -> Result<Vec<(String, UnitCode)>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.username, s.unit_code FROM accounts a \
             JOIN account_scopes s ON s.account_id = a.id \
             WHERE a.disabled = 0 AND a.role = ?1 AND (?2 IS NULL OR a.department = ?2) \
             AND s.unit_code IN (SELECT value FROM json_each(?3)) \
             ORDER BY a.username, s.unit_code",
        )
        .bind(role.as_str())
        .bind(department)
        .bind(json_list(
            &codes.iter().map(UnitCode::as_str).collect::<Vec<_>>(),
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let username: String = row.try_get("username")?;
                let code: String = row.try_get("unit_code")?;
                let code = UnitCode::parse(&code).map_err(|e| {
                    StoreError::Corrupt(format!("scope of account {username}: {e}"))
                })?;
                Ok((username, code))
            })
            .collect()
    }

    async fn report_points(&self, q: &PointQuery) -> Result<Vec<ReportPoint>, StoreError> {
        let within = q.within.as_deref().map(|c| json_list(&prefix_patterns(c)));
        let states = q
            .states
            .as_deref()
            .map(|s| json_list(&s.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
        let categories = q.categories.as_deref().map(json_list);
        sqlx::query(&format!(
            "SELECT {POINT_COLUMNS} FROM {IN_BOX} \
             AND lon BETWEEN ?1 AND ?3 AND lat BETWEEN ?2 AND ?4 \
             AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(?5) j WHERE reports.unit_code LIKE j.value)) \
             AND (?6 IS NULL OR state IN (SELECT value FROM json_each(?6))) \
             AND (?7 IS NULL OR category IN (SELECT value FROM json_each(?7))) \
             ORDER BY created_at DESC, id DESC LIMIT ?8",
            IN_BOX = reports_in_box(1, 2, 3, 4)
        ))
        .bind(q.bbox.min_x)
        .bind(q.bbox.min_y)
        .bind(q.bbox.max_x)
        .bind(q.bbox.max_y)
        .bind(within)
        .bind(states)
        .bind(categories)
        .bind(i64::from(q.limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| {
            let t = |column: &str| -> Result<DateTime<Utc>, StoreError> {
                let text: String = row.try_get(column)?;
                time(&text, &format!("reports.{column}"))
            };
            PointRow {
                id: row.try_get("id")?,
                category: row.try_get("category")?,
                lon: row.try_get("lon")?,
                lat: row.try_get("lat")?,
                state: row.try_get("state")?,
                unit_code: row.try_get("unit_code")?,
                queue_unit: row.try_get("queue_unit")?,
                accept_due: t("accept_due")?,
                handle_due: t("handle_due")?,
                created_at: t("created_at")?,
            }
            .into_point()
        })
        .collect()
    }
}

/// `reports` joined to their R*Tree entries in the box bound to parameters `?min_x, ?min_y,
/// ?max_x, ?max_y`, up to an open `WHERE` the caller continues with `AND`. `CROSS JOIN` makes
/// SQLite read the R*Tree first (else it prefers the category index, which scans every report of
/// the category). The tree stores 32-bit floats rounded outward, so the caller still compares
/// `lon` and `lat` exactly.
fn reports_in_box(min_x: u8, min_y: u8, max_x: u8, max_y: u8) -> String {
    format!(
        "reports_rtree CROSS JOIN reports ON reports.id = reports_rtree.report_id \
         WHERE min_x <= ?{max_x} AND max_x >= ?{min_x} AND min_y <= ?{max_y} AND max_y >= ?{min_y}"
    )
}
