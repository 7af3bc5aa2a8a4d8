//! Bulk loading of generated cases (`harta demo seed`): many rows per statement, many cases per
//! transaction, with the registry counters advanced in the same transaction so that registering
//! afterwards continues the sequences without a gap.

use std::collections::BTreeMap;

use harta_domain::case::{Actor, CaseEvent, CaseKind, CaseState, Channel};
use harta_domain::registry::RegistryNumber;
use jiff::Timestamp;

use crate::bulk::{CaseRow, InsertRows, Milestones, ReserveIds, Rows};
use crate::cases::NewParty;
use crate::cases::begin_writing;
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
    let events = cases.iter().map(|c| c.events.len() as i64).sum();
    on_db!(db, |pool| {
        let mut tx = pool.begin_with(begin_writing(db)).await?;
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
        let (party_ids, case_ids, event_ids) = tx.reserve_ids(cases.len() as i64, events).await?;
        let mut rows = Rows::default();
        let mut event_ids = event_ids.into_iter();
        for (i, (c, state)) in cases.iter().zip(&states).enumerate() {
            rows.push_party(party_ids[i], &c.party, c.received_at);
            rows.push_case(CaseRow {
                request_digest: None,
                party_id: party_ids[i],
                case_id: case_ids[i],
                number: &c.number,
                kind: c.kind,
                channel: c.channel,
                subject: &c.subject,
                body: &c.body,
                unit: &c.unit,
                state,
                received_at: c.received_at,
                updated_at: c.events.last().map_or(c.received_at, |(at, _, _)| *at),
                access_digest: None,
                submission_key: None,
                publish_consent: false,
                party_name: c.party.name.as_str(),
                service: None,
                received_on: None,
                milestones: c.events.iter().fold(Milestones::default(), |mut m, (at, _, event)| {
                    m.see(event, *at);
                    m
                }),
            });
            for (n, (at, actor, event)) in c.events.iter().enumerate() {
                let id = event_ids.next().ok_or_else(|| StoreError::Corrupt("event ids".into()))?;
                rows.push_event(id, case_ids[i], n as i64 + 1, *at, actor, event)?;
            }
        }
        tx.insert_parties(&mut rows).await?;
        tx.insert_cases(&mut rows).await?;
        tx.commit().await?;
        Ok(())
    })
}
