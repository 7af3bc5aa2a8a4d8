//! The audit trail: who read or changed which case or person, when (C5). Append-only and
//! chained: each entry's hash is an HMAC-SHA-256, under a key kept apart from the database,
//! of its content and the previous entry's hash, and a head row keeps the last sequence
//! number and hash. Editing, deleting or inserting an entry outside harta breaks the chain,
//! and whoever can write the database cannot mend it without the key; [`Audit::verify`] finds
//! where. What the head itself cannot prove (the last entries cut off and the head moved back)
//! a [`Checkpoint`] kept outside the database does: it is signed with the key and names an
//! entry and its hash, which must still be there, unchanged.
//!
//! Trails written before the chain was keyed were plain SHA-256 chains: [`Audit::key_chain`]
//! checks such a chain and re-hashes it under the key, once.

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::Row;

use tokio::sync::{mpsc, oneshot};

use crate::rows::millis;
use crate::{Db, Result, StoreError, on_db};

/// Appends to and checks the audit trail.
#[derive(Clone)]
pub struct Audit {
    db: Db,
    /// The chain's key; without it the trail can be read, not written or checked.
    key: Option<[u8; 32]>,
    /// The writer that appends entries in batches (with the key only).
    writer: Option<mpsc::Sender<Pending>>,
}

/// An entry waiting for the writer, and whom to tell once it is committed.
struct Pending {
    at: Timestamp,
    texts: [String; 4],
    reply: oneshot::Sender<Result<()>>,
}

/// The most entries one transaction appends.
const MAX_BATCH: usize = 256;

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit").field("keyed", &self.key.is_some()).finish_non_exhaustive()
    }
}

/// A signed statement that the trail held entry `seq` with hash `hash`: printed by
/// `harta admin audit checkpoint`, kept outside the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The entry's sequence number.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
    /// When the checkpoint was made.
    pub at: Timestamp,
}

/// A checkpoint's text that does not read or whose signature is not the key's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a checkpoint of this trail (altered, or signed with another key)")]
pub struct ForeignCheckpoint;

impl Checkpoint {
    const TAG: &'static str = "harta-audit-checkpoint-v1";

    fn signature(&self, key: &[u8; 32]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
        for part in [Self::TAG, &self.seq.to_string(), &self.hash, &self.at.as_millisecond().to_string()] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        hex(&mac.finalize().into_bytes())
    }

    /// The checkpoint as one line of text, signed.
    pub fn to_text(&self, audit: &Audit) -> Result<String> {
        let key = audit.key()?;
        Ok(format!("{} seq={} at={} hash={} mac={}", Self::TAG, self.seq, self.at, self.hash, self.signature(key)))
    }

    /// Reads a checkpoint's line back, checking its signature.
    pub fn from_text(text: &str, audit: &Audit) -> std::result::Result<Self, ForeignCheckpoint> {
        let key = audit.key.as_ref().ok_or(ForeignCheckpoint)?;
        let mut words = text.split_whitespace();
        if words.next() != Some(Self::TAG) {
            return Err(ForeignCheckpoint);
        }
        let mut field = |name: &str| words.next().and_then(|w| w.strip_prefix(name)).map(str::to_string);
        let (seq, at, hash, mac) = (field("seq="), field("at="), field("hash="), field("mac="));
        let (Some(seq), Some(at), Some(hash), Some(mac)) = (seq, at, hash, mac) else { return Err(ForeignCheckpoint) };
        let point = Self {
            seq: seq.parse().map_err(|_| ForeignCheckpoint)?,
            at: at.parse().map_err(|_| ForeignCheckpoint)?,
            hash,
        };
        let expected = point.signature(key);
        // Constant time: the signature is a secret's work.
        let same =
            expected.len() == mac.len() && expected.bytes().zip(mac.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
        if same { Ok(point) } else { Err(ForeignCheckpoint) }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What [`Audit::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is in place and unchanged.
    Intact {
        /// How many entries.
        entries: i64,
    },
    /// The chain is broken at this sequence number.
    Broken {
        /// The first entry that does not fit (or the head, if the last entries are gone).
        at: i64,
        /// What is wrong.
        why: String,
    },
}

/// How entries are hashed: under the key, or (trails from before) plainly.
#[derive(Clone, Copy)]
enum Chain<'a> {
    Keyed(&'a [u8; 32]),
    Plain,
}

/// The hash of an entry over the previous hash and the entry's fields, each length-prefixed so
/// that no two different entries hash alike.
fn entry_hash(chain: Chain<'_>, prev: &str, seq: i64, at: i64, fields: [&str; 4]) -> String {
    let (seq, at) = (seq.to_string(), at.to_string());
    let parts = [prev, seq.as_str(), at.as_str(), fields[0], fields[1], fields[2], fields[3]];
    match chain {
        Chain::Keyed(key) => {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
            for part in parts {
                mac.update(&(part.len() as u64).to_be_bytes());
                mac.update(part.as_bytes());
            }
            hex(&mac.finalize().into_bytes())
        }
        Chain::Plain => {
            let mut h = Sha256::new();
            for part in parts {
                h.update((part.len() as u64).to_be_bytes());
                h.update(part.as_bytes());
            }
            hex(&h.finalize())
        }
    }
}

/// An entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its place in the chain.
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// Who (`staff:7`, `token:3`, `citizen`, `login:1042`).
    pub actor: String,
    /// What (`view_case`, `sign_in_failed`…).
    pub action: String,
    /// On what (a registry number, a login).
    pub subject: String,
    /// More (where from).
    pub detail: String,
}

/// Which entries to show; every part optional, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exactly this actor.
    pub actor: Option<String>,
    /// Exactly this action.
    pub action: Option<String>,
    /// Exactly this subject.
    pub subject: Option<String>,
    /// At or after.
    pub from: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
    /// Page size.
    pub limit: u32,
    /// Entries to skip.
    pub offset: u32,
}

impl Audit {
    /// Entries matching the filter, newest first.
    pub async fn list(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        on_db!(read & self.db, |pool| {
            let mut q =
                sqlx::QueryBuilder::new("SELECT seq, at, actor, action, subject, detail FROM audit_log WHERE 1 = 1");
            if let Some(v) = &f.actor {
                q.push(" AND actor = ").push_bind(v.clone());
            }
            if let Some(v) = &f.action {
                q.push(" AND action = ").push_bind(v.clone());
            }
            if let Some(v) = &f.subject {
                q.push(" AND subject = ").push_bind(v.clone());
            }
            if let Some(v) = f.from {
                q.push(" AND at >= ").push_bind(millis(v));
            }
            if let Some(v) = f.until {
                q.push(" AND at < ").push_bind(millis(v));
            }
            q.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(f.limit));
            q.push(" OFFSET ").push_bind(i64::from(f.offset));
            let rows = q.build().fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditEntry {
                        seq: r.try_get("seq")?,
                        at: crate::rows::timestamp(r.try_get("at")?)?,
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        subject: r.try_get("subject")?,
                        detail: r.try_get("detail")?,
                    })
                })
                .collect()
        })
    }

    /// Over a store, to read the trail (not to write or check it).
    pub fn new(db: Db) -> Self {
        Self { db, key: None, writer: None }
    }

    /// Over a store, with the chain's key; starts the writer task (so: inside a Tokio
    /// runtime), which ends when the last clone is dropped.
    pub fn with_key(db: Db, key: [u8; 32]) -> Self {
        let (queue, pending) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(write_batches(db.clone(), key, pending));
        Self { db, key: Some(key), writer: Some(queue) }
    }

    fn key(&self) -> Result<&[u8; 32]> {
        self.key.as_ref().ok_or_else(|| StoreError::Corrupt("the audit trail is used without its key".into()))
    }

    /// Records that `actor` did `action` to `subject` (a registry number, a party id), and
    /// returns once the entry is committed. Appends are serialised on the chain's one head
    /// row, so entries that arrive together are appended by one writer in one transaction
    /// (group commit, as the registrar does for cases): one head update and one commit for
    /// the batch, each caller answered after it.
    pub async fn record(&self, at: Timestamp, actor: &str, action: &str, subject: &str, detail: &str) -> Result<()> {
        let writer = self
            .writer
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("the audit trail is used without its key".into()))?;
        let (reply, answer) = oneshot::channel();
        let texts = [actor, action, subject, detail].map(str::to_string);
        writer.send(Pending { at, texts, reply }).await.map_err(|_| StoreError::ShuttingDown)?;
        answer.await.map_err(|_| StoreError::ShuttingDown)?
    }

    /// How many entries concern `subject`.
    pub async fn count_for(&self, subject: &str) -> Result<i64> {
        on_db!(read & self.db, |pool| Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE subject = $1")
            .bind(subject)
            .fetch_one(pool)
            .await?))
    }

    /// Walks the whole chain and says whether it is intact, or where it breaks; with a
    /// checkpoint, also whether the entry it names is still there with the hash it had.
    pub async fn verify(&self, checkpoint: Option<&Checkpoint>) -> Result<Verdict> {
        let key = self.key()?;
        let verdict = self.walk(key).await?;
        let (Verdict::Intact { entries }, Some(point)) = (&verdict, checkpoint) else { return Ok(verdict) };
        if *entries < point.seq {
            let why = format!("the trail ends at entry {entries}, before the checkpoint's {}", point.seq);
            return Ok(Verdict::Broken { at: *entries + 1, why });
        }
        let hash: Option<String> =
            on_db!(read & self.db, |pool| sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(point.seq)
                .fetch_optional(pool)
                .await?);
        if hash.as_deref() != Some(point.hash.as_str()) {
            let why = "the checkpoint's entry is not the one it signed: entries up to it were changed or removed";
            return Ok(Verdict::Broken { at: point.seq, why: why.into() });
        }
        Ok(verdict)
    }

    /// A checkpoint of the trail as it stands: its last entry and hash.
    pub async fn checkpoint(&self, now: Timestamp) -> Result<Checkpoint> {
        self.key()?;
        let (seq, hash): (i64, String) =
            on_db!(read & self.db, |pool| sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?);
        Ok(Checkpoint { seq, hash, at: now })
    }

    /// Re-hashes a plain chain (from before the chain was keyed) under the key, once, after
    /// checking it is intact; returns how many entries were re-hashed (0 when keyed already).
    /// A broken plain chain is left as it is, for `verify` to report.
    pub async fn key_chain(&self) -> Result<i64> {
        let key = self.key()?;
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin_with(crate::cases::begin_writing(&self.db)).await?;
            let (keyed, head): (i64, i64) =
                sqlx::query_as("SELECT keyed, seq FROM audit_head WHERE id = 1").fetch_one(&mut *tx).await?;
            if keyed == 1 {
                return Ok(0);
            }
            let rows: Vec<(i64, i64, String, String, String, String, String)> =
                sqlx::query_as("SELECT seq, at, actor, action, subject, detail, hash FROM audit_log ORDER BY seq")
                    .fetch_all(&mut *tx)
                    .await?;
            let (mut plain, mut keyed_prev) = (String::new(), String::new());
            for (i, (seq, at, actor, action, subject, detail, hash)) in rows.iter().enumerate() {
                let fields = [actor.as_str(), action.as_str(), subject.as_str(), detail.as_str()];
                if *seq != i as i64 + 1 || entry_hash(Chain::Plain, &plain, *seq, *at, fields) != *hash {
                    return Ok(0);
                }
                plain = hash.clone();
                let new = entry_hash(Chain::Keyed(key), &keyed_prev, *seq, *at, fields);
                sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                    .bind(&keyed_prev)
                    .bind(&new)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                keyed_prev = new;
            }
            if rows.len() as i64 != head {
                return Ok(0);
            }
            sqlx::query("UPDATE audit_head SET hash = $1, keyed = 1 WHERE id = 1")
                .bind(&keyed_prev)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(head)
        })
    }

    async fn walk(&self, key: &[u8; 32]) -> Result<Verdict> {
        on_db!(read & self.db, |pool| {
            let (head_seq, head_hash, keyed): (i64, String, i64) =
                sqlx::query_as("SELECT seq, hash, keyed FROM audit_head WHERE id = 1").fetch_one(pool).await?;
            let chain = if keyed == 1 { Chain::Keyed(key) } else { Chain::Plain };
            let mut prev = String::new();
            let mut expected = 1i64;
            // Pages in sequence order, so that a long trail is checked in bounded memory.
            loop {
                let rows = sqlx::query(
                    "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log
                     WHERE seq >= $1 ORDER BY seq LIMIT 10000",
                )
                .bind(expected)
                .fetch_all(pool)
                .await?;
                if rows.is_empty() {
                    break;
                }
                for row in &rows {
                    let seq: i64 = row.try_get("seq")?;
                    let text = |c: &str| row.try_get::<String, _>(c);
                    if seq != expected {
                        return Ok(Verdict::Broken { at: expected, why: "this entry is missing".into() });
                    }
                    if text("prev_hash")? != prev {
                        return Ok(Verdict::Broken { at: seq, why: "it does not follow the entry before it".into() });
                    }
                    let (actor, action, subject, detail) =
                        (text("actor")?, text("action")?, text("subject")?, text("detail")?);
                    let fields = [actor.as_str(), action.as_str(), subject.as_str(), detail.as_str()];
                    let hash = entry_hash(chain, &prev, seq, row.try_get("at")?, fields);
                    if hash != text("hash")? {
                        return Ok(Verdict::Broken { at: seq, why: "its content was changed".into() });
                    }
                    prev = hash;
                    expected += 1;
                }
            }
            if expected - 1 != head_seq || prev != head_hash {
                return Ok(Verdict::Broken { at: head_seq, why: "the last entries are missing".into() });
            }
            if keyed != 1 && head_seq > 0 {
                return Ok(Verdict::Broken {
                    at: 1,
                    why: "the trail is not keyed: it was broken before it could be".into(),
                });
            }
            Ok(Verdict::Intact { entries: head_seq })
        })
    }
}

/// The writer: takes what is waiting (up to [`MAX_BATCH`]), appends it in one transaction and
/// answers every caller with the outcome.
async fn write_batches(db: Db, key: [u8; 32], mut pending: mpsc::Receiver<Pending>) {
    while let Some(first) = pending.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match pending.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        match append(&db, &key, &batch).await {
            Ok(()) => batch.into_iter().for_each(|p| drop(p.reply.send(Ok(())))),
            Err(e) => {
                let why = e.to_string();
                batch.into_iter().for_each(|p| drop(p.reply.send(Err(StoreError::BatchFailed(why.clone())))));
            }
        }
    }
}

/// Appends a batch of entries to the chain in one transaction.
async fn append(db: &Db, key: &[u8; 32], batch: &[Pending]) -> Result<()> {
    let count = i64::try_from(batch.len()).map_err(|_| StoreError::Corrupt("batch size".into()))?;
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        // Advancing the head first serialises appends: the chain has one order everywhere.
        let (last, mut prev, keyed): (i64, String, i64) =
            sqlx::query_as("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash, keyed")
                .bind(count)
                .fetch_one(&mut *tx)
                .await?;
        let chain = if keyed == 1 { Chain::Keyed(key) } else { Chain::Plain };
        let mut entries = Entries::default();
        for (seq, p) in (last - count + 1..).zip(batch) {
            let [actor, action, subject, detail] = &p.texts;
            let texts = [actor.as_str(), action.as_str(), subject.as_str(), detail.as_str()];
            let hash = entry_hash(chain, &prev, seq, millis(p.at), texts);
            entries.seq.push(seq);
            entries.at.push(millis(p.at));
            entries.actor.push(actor.clone());
            entries.action.push(action.clone());
            entries.subject.push(subject.clone());
            entries.detail.push(detail.clone());
            entries.prev_hash.push(std::mem::replace(&mut prev, hash.clone()));
            entries.hash.push(hash);
        }
        tx.insert_entries(&entries).await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&prev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// A batch of entries, column by column.
#[derive(Default)]
struct Entries {
    seq: Vec<i64>,
    at: Vec<i64>,
    actor: Vec<String>,
    action: Vec<String>,
    subject: Vec<String>,
    detail: Vec<String>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
}

/// Writes a batch in one statement, a round trip per batch rather than per entry, in each
/// backend's dialect as [`crate::bulk`] writes cases: multi-row `VALUES` on SQLite (a batch is
/// at most [`MAX_BATCH`] × 8 parameters), `UNNEST` of arrays on PostgreSQL, whose text never
/// changes and so is planned once per connection.
trait InsertEntries {
    fn insert_entries(&mut self, e: &Entries) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl InsertEntries for sqlx::SqliteConnection {
    async fn insert_entries(&mut self, e: &Entries) -> Result<(), sqlx::Error> {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) ",
        );
        q.push_values(0..e.seq.len(), |mut row, i| {
            row.push_bind(e.seq[i])
                .push_bind(e.at[i])
                .push_bind(e.actor[i].as_str())
                .push_bind(e.action[i].as_str())
                .push_bind(e.subject[i].as_str())
                .push_bind(e.detail[i].as_str())
                .push_bind(e.prev_hash[i].as_str())
                .push_bind(e.hash[i].as_str());
        });
        q.build().execute(&mut *self).await.map(drop)
    }
}

impl InsertEntries for sqlx::PgConnection {
    async fn insert_entries(&mut self, e: &Entries) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[])",
        )
        .bind(&e.seq)
        .bind(&e.at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.subject)
        .bind(&e.detail)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut *self)
        .await
        .map(drop)
    }
}
