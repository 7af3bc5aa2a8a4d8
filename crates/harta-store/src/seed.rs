//! Bulk loading of generated cases (`harta demo seed`): many rows per statement, many cases per
//! transaction, with the registry counters advanced in the same transaction so that registering
//! afterwards continues the sequences without a gap.

use std::collections::BTreeMap;

use harta_domain::case::{Actor, CaseEvent, CaseKind, CaseState, Channel};
use harta_domain::registry::RegistryNumber;
use jiff::Timestamp;

use crate::cases::NewParty;
use crate::rows::{day, millis};
use crate::{Db, Result, StoreError, on_db};

/// A generated case with its whole history (the first event must be its registration).
#[derive(Debug, Clone)]
pub struct SeedCase {
    /// Its number (continuing the stored counters).
    pub number: RegistryNumber,
    /// Kind.
    pub kind: CaseKind,
    /// Channel.
    pub channel: Channel,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// Party.
    pub party: NewParty,
    /// Unit code.
    pub unit: String,
    /// Received.
    pub received_at: Timestamp,
    /// History, oldest first.
    pub events: Vec<(Timestamp, Actor, CaseEvent)>,
}

/// Rows per INSERT statement: under SQLite's 32,766 bound parameters with 18 columns.
const ROWS_PER_STATEMENT: usize = 1000;

/// The last sequence number used per register and year.
pub async fn counters(db: &Db) -> Result<BTreeMap<(String, i16), u32>> {
    let rows: Vec<(String, i64, i64)> = on_db!(read db, |pool| sqlx::query_as("SELECT register, year, last FROM registry_counters").fetch_all(pool).await?);
    rows.into_iter()
        .map(|(r, y, l)| {
            let year = i16::try_from(y).map_err(|_| StoreError::Corrupt(format!("year {y}")))?;
            let last = u32::try_from(l).map_err(|_| StoreError::Corrupt(format!("counter {l}")))?;
            Ok(((r, year), last))
        })
        .collect()
}

/// Loads a batch of generated cases in one transaction.
pub async fn load(db: &Db, cases: &[SeedCase]) -> Result<()> {
    let states = cases
        .iter()
        .map(|c| {
            let events: Vec<&CaseEvent> = c.events.iter().map(|(_, _, e)| e).collect();
            CaseState::replay(events).map_err(|e| StoreError::Corrupt(format!("{}: {e}", c.number)))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut last: BTreeMap<(String, i16), u32> = BTreeMap::new();
    for c in cases {
        let slot = last.entry((c.number.register().to_string(), c.number.year())).or_default();
        *slot = (*slot).max(c.number.seq());
    }
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let next_id =
            |table: &'static str| sqlx::AssertSqlSafe(format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"));
        let party0: i64 = sqlx::query_scalar(next_id("parties")).fetch_one(&mut *tx).await?;
        let case0: i64 = sqlx::query_scalar(next_id("cases")).fetch_one(&mut *tx).await?;
        let mut event_id: i64 = sqlx::query_scalar(next_id("case_events")).fetch_one(&mut *tx).await?;

        for (chunk_no, chunk) in cases.chunks(ROWS_PER_STATEMENT).enumerate() {
            let base = (chunk_no * ROWS_PER_STATEMENT) as i64;
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO parties (id, kind, name, email, phone, address, preferred_channel, created_at) ",
            );
            q.push_values(chunk.iter().enumerate(), |mut b, (i, c)| {
                b.push_bind(party0 + base + i as i64)
                    .push_bind(c.party.kind.as_str())
                    .push_bind(c.party.name.as_str().to_string())
                    .push_bind(c.party.email.as_ref().map(|e| e.as_str().to_string()))
                    .push_bind(c.party.phone.as_ref().map(|e| e.as_str().to_string()))
                    .push_bind(c.party.address.as_ref().map(|e| e.as_str().to_string()))
                    .push_bind(c.party.preferred_channel.map(|p| p.as_str()))
                    .push_bind(millis(c.received_at));
            });
            q.build().execute(&mut *tx).await?;

            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO cases (id, registry_number, register, year, seq, kind, channel, subject, body, party_id,
                    unit_code, responsible_id, state, received_at, original_due, extended_due, due, updated_at) ",
            );
            let chunk_states = &states[chunk_no * ROWS_PER_STATEMENT..][..chunk.len()];
            q.push_values(chunk.iter().zip(chunk_states).enumerate(), |mut b, (i, (c, s))| {
                let updated = c.events.last().map_or(c.received_at, |(at, _, _)| *at);
                b.push_bind(case0 + base + i as i64)
                    .push_bind(c.number.as_str().to_string())
                    .push_bind(c.number.register().to_string())
                    .push_bind(i64::from(c.number.year()))
                    .push_bind(i64::from(c.number.seq()))
                    .push_bind(c.kind.as_str())
                    .push_bind(c.channel.as_str())
                    .push_bind(c.subject.clone())
                    .push_bind(c.body.clone())
                    .push_bind(party0 + base + i as i64)
                    .push_bind(c.unit.clone())
                    .push_bind(s.responsible.map(|r| r.0))
                    .push_bind(s.state.as_str())
                    .push_bind(millis(c.received_at))
                    .push_bind(day(s.original_due))
                    .push_bind(s.extended_due.map(day))
                    .push_bind(day(s.due()))
                    .push_bind(millis(updated));
            });
            q.build().execute(&mut *tx).await?;

            let mut rows = Vec::new();
            for (i, c) in chunk.iter().enumerate() {
                for (n, (at, actor, event)) in c.events.iter().enumerate() {
                    let actor = serde_json::to_string(actor).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let data = serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    rows.push((case0 + base + i as i64, n as i64 + 1, millis(*at), actor, event.name(), data));
                }
            }
            for part in rows.chunks(ROWS_PER_STATEMENT * 2) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO case_events (id, case_id, n, at, actor, type, data) ");
                q.push_values(part, |mut b, (case_id, n, at, actor, kind, data)| {
                    b.push_bind(event_id).push_bind(*case_id).push_bind(*n).push_bind(*at).push_bind(actor.clone());
                    b.push_bind(*kind).push_bind(data.clone());
                    event_id += 1;
                });
                q.build().execute(&mut *tx).await?;
            }
        }
        for ((register, year), seq) in &last {
            sqlx::query(
                "INSERT INTO registry_counters (register, year, last) VALUES ($1, $2, $3)
                 ON CONFLICT (register, year) DO UPDATE SET last =
                    CASE WHEN registry_counters.last < excluded.last THEN excluded.last ELSE registry_counters.last END",
            )
            .bind(register.clone())
            .bind(i64::from(*year))
            .bind(i64::from(*seq))
            .execute(&mut *tx)
            .await?;
        }
        if db.backend() == "postgres" {
            for table in ["parties", "cases", "case_events"] {
                let sql =
                    format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    })
}
