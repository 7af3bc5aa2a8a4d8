//! SQL fragments shared by several modules, as macros: the same text must run inside either
//! backend's transaction, and generic executor functions do not survive being spawned.

/// Appends one event row. A macro, not a function: the same text runs on both backends'
/// transactions, and generic executor functions do not survive being spawned.
macro_rules! insert_event {
    ($ex:expr, $case_id:expr, $n:expr, $at:expr, $actor:expr, $event:expr) => {{
        let event: &harta_domain::case::CaseEvent = $event;
        let actor = serde_json::to_string($actor).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
        let data = serde_json::to_string(event).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
        sqlx::query("INSERT INTO case_events (case_id, n, at, actor, type, data) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind($case_id)
            .bind($n)
            .bind($crate::rows::millis($at))
            .bind(actor)
            .bind(event.name())
            .bind(data)
            .execute($ex)
            .await
            .map_err(|e| {
                $crate::constraint(e, "this change (the case was changed at the same moment; reload and try again)")
            })?;
    }};
}

/// Takes the case's row lock for the rest of the transaction (a no-op write), so that two
/// transactions appending to one case's history, such as two jobs of one case finishing at once
/// on PostgreSQL, number their events one after the other instead of colliding.
macro_rules! lock_case {
    ($ex:expr, $case_id:expr) => {{
        sqlx::query("UPDATE cases SET updated_at = updated_at WHERE id = $1")
            .bind($case_id)
            .execute($ex)
            .await
            .map_err($crate::StoreError::from)?;
    }};
}

/// The number the case's next event takes, for appends that change nothing the state holds (a
/// letter sent, a receipt returned): one indexed look-up instead of reading and folding the
/// whole history. Take [`lock_case!`] first.
macro_rules! next_event_n {
    ($ex:expr, $case_id:expr) => {{
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(n) FROM case_events WHERE case_id = $1")
            .bind($case_id)
            .fetch_one($ex)
            .await
            .map_err($crate::StoreError::from)?;
        last.unwrap_or(0) + 1
    }};
}

/// Reads a case's events (oldest first) and folds them into its state. A macro for the same
/// reason as [`insert_event!`]. Evaluates to `(state, next event number)`.
macro_rules! replay_case {
    ($ex:expr, $case_id:expr) => {{
        let history: Vec<(i64, String)> =
            sqlx::query_as("SELECT n, data FROM case_events WHERE case_id = $1 ORDER BY n")
                .bind($case_id)
                .fetch_all($ex)
                .await
                .map_err($crate::StoreError::from)?;
        let events = history
            .iter()
            .map(|(_, data)| {
                serde_json::from_str::<harta_domain::case::CaseEvent>(data)
                    .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))
            })
            .collect::<$crate::Result<Vec<_>>>()?;
        let state = harta_domain::case::CaseState::replay(&events);
        (state, history.last().map_or(1, |(n, _)| n + 1))
    }};
}

/// Writes a case's derived state into its row, with the facts the figures count (see
/// `harta_domain::performance`): the day of its first holding reply and the day of its answer
/// are the day of the event that first set them, kept while the state keeps them.
macro_rules! update_row {
    ($ex:expr, $case_id:expr, $state:expr, $at:expr) => {{
        let state: &harta_domain::case::CaseState = $state;
        sqlx::query(
            "UPDATE cases SET state = $1, responsible_id = $2, original_due = $3, extended_due = $4, due = $5,
                updated_at = $6,
                held_on = CASE WHEN $4 IS NULL THEN NULL ELSE COALESCE(held_on, $8) END,
                answered_on = CASE WHEN $1 IN ('answered', 'closed') THEN COALESCE(answered_on, $8) ELSE NULL END
             WHERE id = $7",
        )
        .bind(state.state.as_str())
        .bind(state.responsible.map(|s| s.0))
        .bind($crate::rows::day(state.original_due))
        .bind(state.extended_due.map($crate::rows::day))
        .bind($crate::rows::day(state.due()))
        .bind($crate::rows::millis($at))
        .bind($case_id)
        .bind($crate::rows::day(harta_domain::format::in_sofia($at).date()))
        .execute($ex)
        .await
        .map_err($crate::StoreError::from)?;
    }};
}

/// Keeps `working_days` and the figures true to a calendar whose day `$date` became a working
/// day (`$delta` 1) or a day off (-1), or neither (0), as version `$version`: what the cases
/// spanning the day counted for is taken off with the old running counts and added back with
/// the new ones.
macro_rules! shift_working_days {
    ($ex:expr, $date:expr, $delta:expr, $version:expr) => {{
        let (date, delta): (jiff::civil::Date, i64) = ($date, $delta);
        let spanning = $crate::performance::add_figures_sql($crate::performance::SPANNING);
        if delta != 0 {
            sqlx::query(sqlx::AssertSqlSafe(spanning.clone()))
                .bind(-1_i64)
                .bind($crate::rows::day(date))
                .execute($ex)
                .await?;
            sqlx::query("UPDATE working_days SET n = n + $1 WHERE day >= $2")
                .bind(delta)
                .bind($crate::rows::day(date))
                .execute($ex)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(spanning)).bind(1_i64).bind($crate::rows::day(date)).execute($ex).await?;
        }
        sqlx::query("UPDATE working_days_version SET version = $1 WHERE id = 1").bind($version).execute($ex).await?;
    }};
}

/// Reads the stored decisions. A macro so that it runs inside either backend's transaction.
macro_rules! load_decisions {
    ($ex:expr) => {{
        let rows = sqlx::query(
            "SELECT date, kind, number, decided_on, note, added_by, added_at FROM calendar_decisions ORDER BY date",
        )
        .fetch_all($ex)
        .await
        .map_err($crate::StoreError::from)?;
        rows.iter()
            .map(|row| {
                use sqlx::Row;
                use $crate::rows::{date, parse, timestamp};
                Ok($crate::calendar::StoredDecision {
                    decision: harta_domain::calendar::Decision {
                        date: date(&row.try_get::<String, _>("date")?)?,
                        kind: parse(
                            "decision kind",
                            &row.try_get::<String, _>("kind")?,
                            harta_domain::calendar::DecisionKind::parse,
                        )?,
                        number: row.try_get("number")?,
                        decided_on: row.try_get::<Option<String>, _>("decided_on")?.as_deref().map(date).transpose()?,
                        note: row.try_get("note")?,
                    },
                    added_by: row.try_get("added_by")?,
                    added_at: timestamp(row.try_get("added_at")?)?,
                })
            })
            .collect::<$crate::Result<Vec<_>>>()
    }};
}

/// Inserts a delivery's row (and its job, or its failure event under number `$n`) inside a
/// transaction. Evaluates to the delivery's id.
macro_rules! start_delivery {
    ($tx:expr, $case_id:expr, $letter_n:expr, $letter_number:expr, $at:expr, $actor:expr, $delivery:expr, $n:expr) => {{
        let delivery: &$crate::deliveries::NewDelivery = $delivery;
        let (state, finished, detail) = match &delivery.start {
            $crate::deliveries::Start::Undeliverable(reason) => ("failed", Some($crate::rows::millis($at)), Some(reason.as_str())),
            _ => ("pending", None, None),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO deliveries (case_id, letter_n, channel, state, created_at, finished_at, detail, return_receipt)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind($case_id)
        .bind($letter_n)
        .bind(delivery.channel.as_str())
        .bind(state)
        .bind($crate::rows::millis($at))
        .bind(finished)
        .bind(detail)
        .bind(i64::from(delivery.return_receipt))
        .fetch_one(&mut *$tx)
        .await?;
        match &delivery.start {
            $crate::deliveries::Start::Job(job) => {
                sqlx::query(
                    "INSERT INTO jobs (case_id, delivery_id, kind, payload, created_at, run_at) VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind($case_id)
                .bind(id)
                .bind(&job.kind)
                .bind(&job.payload)
                .bind($crate::rows::millis($at))
                .execute(&mut *$tx)
                .await?;
            }
            $crate::deliveries::Start::Queue => {}
            $crate::deliveries::Start::Undeliverable(reason) => {
                let event = harta_domain::case::CaseEvent::LetterNotDelivered {
                    number: $letter_number.to_string(),
                    channel: delivery.channel,
                    reason: reason.clone(),
                };
                insert_event!(&mut *$tx, $case_id, $n, $at, $actor, &event);
            }
        }
        id
    }};
}

/// Marks a job finished (`done`, or `failed` with the reason) inside a transaction, emptying its
/// payload: it may hold a secret (an access code, sealed) that nobody needs once the job is over.
macro_rules! finish_job {
    ($ex:expr, $job_id:expr, $at:expr, $failure:expr) => {{
        let failure: Option<&str> = $failure;
        sqlx::query(
            "UPDATE jobs SET finished_at = $1, outcome = $2, last_error = COALESCE($3, last_error),
                locked_until = NULL, payload = '{}' WHERE id = $4",
        )
        .bind($crate::rows::millis($at))
        .bind(if failure.is_some() { "failed" } else { "done" })
        .bind(failure)
        .bind($job_id)
        .execute($ex)
        .await?;
    }};
}
