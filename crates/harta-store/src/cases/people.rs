//! Finding people already known, to register for them at the counter or to recognise the sender
//! of an e-mail: within the unit scope of the cases they come from.

use super::{Cases, PartyRecord, party_record};
use crate::{Db, Result, on_db};

/// How to find a person or organisation already known.
#[derive(Debug, Clone, Copy)]
pub enum PersonKey<'a> {
    /// The keyed blind index of an ЕГН or ЛНЧ.
    NationalIdIndex(&'a str),
    /// An e-mail address, exactly.
    Email(&'a str),
    /// A telephone number in E.164, exactly.
    Phone(&'a str),
    /// Words, found through the cases' search index (names are in it).
    Words(&'a str),
}

impl Cases {
    /// People and organisations already known, newest first (each case keeps its own copy of
    /// the details, so the same person may come back more than once); with a `unit`, only those
    /// of that unit's cases, as the cases themselves are scoped.
    pub async fn find_people(&self, key: PersonKey<'_>, unit: Option<&str>, limit: i64) -> Result<Vec<PartyRecord>> {
        const COLUMNS: &str = "SELECT p.id AS party_id, p.kind AS party_kind, p.name, p.email, p.phone, p.address,
            p.preferred_channel, p.national_id_masked, p.national_id_kind, p.eik FROM parties p WHERE ";
        let (condition, value) = match key {
            PersonKey::NationalIdIndex(i) => ("p.national_id_index = $1".to_string(), i.to_string()),
            PersonKey::Email(e) => ("p.email = $1".to_string(), e.to_string()),
            PersonKey::Phone(p) => ("p.phone = $1".to_string(), p.to_string()),
            PersonKey::Words(w) => {
                let words: Vec<String> = harta_domain::text::fold(w)
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                if words.is_empty() {
                    return Ok(Vec::new());
                }
                match &self.db {
                    Db::Sqlite(_) => (
                        "p.id IN (SELECT party_id FROM cases WHERE id IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH $1))"
                            .to_string(),
                        words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" "),
                    ),
                    Db::Postgres(_) => (
                        "p.id IN (SELECT party_id FROM cases WHERE search_vector @@ to_tsquery('simple', $1))".to_string(),
                        words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & "),
                    ),
                }
            }
        };
        let sql = format!(
            "{COLUMNS}{condition} AND ($3 IS NULL OR EXISTS (SELECT 1 FROM cases c WHERE c.party_id = p.id AND c.unit_code = $3))
             ORDER BY p.id DESC LIMIT $2"
        );
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).bind(limit).bind(unit).fetch_all(pool).await?;
            rows.iter().map(party_record).collect()
        })
    }
}
