//! What the morning run reads: the open cases whose deadline is near, that nobody is
//! responsible for, or that wait for the citizen (with the date given to them).

use harta_domain::case::{CaseEvent, PreferredChannel, State};
use harta_domain::digest::RemindBy;
use jiff::civil::Date;
use sqlx::Row;

use super::Cases;
use crate::rows::{date, day, parse};
use crate::{Result, StoreError, on_db};

impl Cases {
    /// The open cases the morning run looks at: due by `horizon`, nobody responsible, or
    /// waiting for the citizen (with the date they were given).
    pub async fn watch_list(&self, horizon: Date) -> Result<Vec<harta_domain::digest::Watched>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(
                "SELECT c.id, c.registry_number, c.subject, c.unit_code, c.responsible_id, c.due, c.state,
                        (SELECT e.data FROM case_events e WHERE e.case_id = c.id AND e.type = 'information_requested'
                         ORDER BY e.n DESC LIMIT 1) AS asked,
                        p.email IS NOT NULL AS by_email, p.name, p.phone, p.preferred_channel
                 FROM cases c JOIN parties p ON p.id = c.party_id
                 WHERE c.state IN ('registered', 'assigned', 'in_progress', 'information_requested')
                   AND (c.due <= $1 OR c.responsible_id IS NULL OR c.state = 'information_requested')
                 ORDER BY c.due, c.id",
            )
            .bind(day(horizon))
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let state = parse("state", &row.try_get::<String, _>("state")?, State::parse)?;
                    let data: Option<String> = row.try_get("asked")?;
                    let asked = match data.map(|data| serde_json::from_str::<CaseEvent>(&data)) {
                        Some(Ok(CaseEvent::InformationRequested { what, by }))
                            if state == State::InformationRequested =>
                        {
                            Some((what, by))
                        }
                        Some(Err(e)) => return Err(StoreError::Corrupt(e.to_string())),
                        _ => None,
                    };
                    Ok(harta_domain::digest::Watched {
                        id: row.try_get("id")?,
                        number: row.try_get("registry_number")?,
                        subject: row.try_get("subject")?,
                        unit: row.try_get("unit_code")?,
                        responsible: row.try_get("responsible_id")?,
                        due: date(&row.try_get::<String, _>("due")?)?,
                        state,
                        asked,
                        person: row.try_get("name")?,
                        remind_by: RemindBy::of(
                            row.try_get("by_email")?,
                            row.try_get::<Option<String>, _>("phone")?.as_deref(),
                            row.try_get::<Option<String>, _>("preferred_channel")?
                                .as_deref()
                                .and_then(PreferredChannel::parse),
                        ),
                    })
                })
                .collect()
        })
    }
}
