//! The suggestions board (C3): which suggestions are published, in what wording, and what the
//! administration answered.

use harta_domain::case::{CaseEvent, State};
use jiff::Timestamp;
use sqlx::Row;

use crate::rows::{millis, parse, timestamp};
use crate::{Db, Result, StoreError, on_db};

/// A published suggestion as the board shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardEntry {
    /// Its registry number.
    pub registry_number: String,
    /// When it was received.
    pub received_at: Timestamp,
    /// The wording approved for publication.
    pub text: String,
    /// Where it stands.
    pub state: State,
    /// The administration's answer, when there is one: when and what.
    pub answer: Option<(Timestamp, String)>,
}

/// A suggestion whose author agreed to publication, with the decision taken on it so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its registry number.
    pub registry_number: String,
    /// When it was received.
    pub received_at: Timestamp,
    /// Its responsible unit.
    pub unit: String,
    /// Where it stands.
    pub state: State,
    /// What its author wrote.
    pub body: String,
    /// The decision so far: published or not, in which wording; `None` while undecided.
    pub decision: Option<(bool, String)>,
}

/// Publication decisions and the board.
#[derive(Debug, Clone)]
pub struct Publications {
    db: Db,
}

impl Publications {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Records a decision on a suggestion: published in this wording, or not (again).
    pub async fn decide(&self, case_id: i64, published: bool, text: &str, at: Timestamp, by: &str) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO publications (case_id, published, text, decided_at, decided_by) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (case_id) DO UPDATE SET published = $2, text = $3, decided_at = $4, decided_by = $5",
            )
            .bind(case_id)
            .bind(published)
            .bind(text)
            .bind(millis(at))
            .bind(by)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// A page of the board, newest suggestion first.
    pub async fn board(&self, limit: u32, offset: u32) -> Result<Vec<BoardEntry>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(
                "SELECT c.registry_number, c.received_at, c.state, p.text,
                    (SELECT e.at FROM case_events e WHERE e.case_id = c.id AND e.type = 'answered'
                     ORDER BY e.n DESC LIMIT 1) AS answered_at,
                    (SELECT e.data FROM case_events e WHERE e.case_id = c.id AND e.type = 'answered'
                     ORDER BY e.n DESC LIMIT 1) AS answer
                 FROM publications p JOIN cases c ON c.id = p.case_id
                 WHERE p.published
                 ORDER BY c.received_at DESC, c.id DESC LIMIT $1 OFFSET $2",
            )
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let answer = match (
                        row.try_get::<Option<i64>, _>("answered_at")?,
                        row.try_get::<Option<String>, _>("answer")?,
                    ) {
                        (Some(at), Some(data)) => match serde_json::from_str(&data) {
                            Ok(CaseEvent::Answered { summary, .. }) => Some((timestamp(at)?, summary)),
                            _ => return Err(StoreError::Corrupt(format!("an answer event: {data}"))),
                        },
                        _ => None,
                    };
                    Ok(BoardEntry {
                        registry_number: row.try_get("registry_number")?,
                        received_at: timestamp(row.try_get("received_at")?)?,
                        text: row.try_get("text")?,
                        state: parse("state", &row.try_get::<String, _>("state")?, State::parse)?,
                        answer,
                    })
                })
                .collect()
        })
    }

    /// Suggestions whose authors agreed to publication, undecided ones first, then newest
    /// first; only a unit's when `unit_scope` names one.
    pub async fn candidates(&self, unit_scope: Option<&str>, limit: u32) -> Result<Vec<Candidate>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(
                "SELECT c.registry_number, c.received_at, c.unit_code, c.state, c.body, p.published, p.text
                 FROM cases c LEFT JOIN publications p ON p.case_id = c.id
                 WHERE c.publish_consent AND c.kind = 'suggestion' AND ($1 IS NULL OR c.unit_code = $1)
                 ORDER BY p.case_id IS NULL DESC, c.received_at DESC, c.id DESC LIMIT $2",
            )
            .bind(unit_scope)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let decision = match (row.try_get::<Option<bool>, _>("published")?, row.try_get("text")?) {
                        (Some(published), Some(text)) => Some((published, text)),
                        _ => None,
                    };
                    Ok(Candidate {
                        registry_number: row.try_get("registry_number")?,
                        received_at: timestamp(row.try_get("received_at")?)?,
                        unit: row.try_get("unit_code")?,
                        state: parse("state", &row.try_get::<String, _>("state")?, State::parse)?,
                        body: row.try_get("body")?,
                        decision,
                    })
                })
                .collect()
        })
    }

    /// How many suggestions are published.
    pub async fn count(&self) -> Result<i64> {
        on_db!(read & self.db, |pool| {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM publications WHERE published").fetch_one(pool).await?)
        })
    }
}
