//! Where documents' content is kept: in the data directory, never under anything served.
//! An upload is written to `uploads/` under a random name while it arrives (hashed on the way,
//! refused as soon as it passes the size limit), checked by its content when complete, and moved
//! to `documents/ab/abcdef…` (its SHA-256) when the case it belongs to is registered. Uploads
//! that never became part of a case are swept after a day.

use std::path::{Path, PathBuf};

use harta_domain::documents::{self, DocumentError, FileName, MediaType};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::secrets::{hex, random_bytes};

/// Bytes at the start of a file that tell its kind.
const HEAD: usize = 64;
/// Bytes at the end of a file that hold a ZIP archive's directory (its largest comment, plus
/// the end record).
const TAIL: u64 = 65_535 + 22;

/// Why an upload could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The document is refused.
    #[error(transparent)]
    Refused(#[from] DocumentError),
    /// The disk failed.
    #[error("cannot store the document: {0}")]
    Io(#[from] std::io::Error),
}

/// The documents' home in the data directory.
#[derive(Debug, Clone)]
pub struct Files {
    uploads: PathBuf,
    documents: PathBuf,
}

/// An upload that arrived complete and was accepted, waiting for its case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDocument {
    /// The upload's random name in `uploads/`.
    pub id: String,
    /// The name as shown.
    pub name: String,
    /// What it is.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: String,
}

/// An upload arriving.
pub struct Upload {
    id: String,
    path: PathBuf,
    file: tokio::fs::File,
    hash: Sha256,
    size: u64,
    head: Vec<u8>,
    too_large: bool,
}

impl Files {
    /// The documents' home under the data directory `data`.
    pub fn new(data: &Path) -> Self {
        Self { uploads: data.join("uploads"), documents: data.join("documents") }
    }

    /// Starts receiving an upload.
    pub async fn begin(&self) -> Result<Upload, FileError> {
        tokio::fs::create_dir_all(&self.uploads).await?;
        let id = hex(&random_bytes::<16>().map_err(|e| std::io::Error::other(e.to_string()))?);
        let path = self.uploads.join(&id);
        let file = tokio::fs::File::create(&path).await?;
        Ok(Upload { id, path, file, hash: Sha256::new(), size: 0, head: Vec::with_capacity(HEAD), too_large: false })
    }

    /// Moves an accepted upload to its place among the documents (content-addressed, so the
    /// same content sent twice is kept once).
    pub async fn keep(&self, pending: &PendingDocument) -> Result<(), FileError> {
        let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
        // Both become parts of paths: only the shapes harta itself gives them.
        if !hex(&pending.id, 32) || !hex(&pending.sha256, 64) {
            return Err(FileError::Io(std::io::Error::other("not an upload name")));
        }
        let dir = self.documents.join(&pending.sha256[..2]);
        tokio::fs::create_dir_all(&dir).await?;
        let target = dir.join(&pending.sha256);
        let source = self.uploads.join(&pending.id);
        if tokio::fs::try_exists(&target).await? {
            let _ = tokio::fs::remove_file(&source).await;
            return Ok(());
        }
        tokio::fs::rename(&source, &target).await?;
        Ok(())
    }

    /// The content of a kept document, by its SHA-256.
    pub async fn read(&self, sha256: &str) -> Result<Vec<u8>, FileError> {
        // It becomes part of a path: only the shape harta itself gives it.
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FileError::Io(std::io::Error::other("not a document digest")));
        }
        Ok(tokio::fs::read(self.documents.join(&sha256[..2]).join(sha256)).await?)
    }

    /// Deletes uploads older than `age` that never became part of a case.
    pub async fn sweep(&self, age: std::time::Duration) -> Result<usize, FileError> {
        let mut removed = 0;
        let Ok(mut dir) = tokio::fs::read_dir(&self.uploads).await else { return Ok(0) };
        while let Some(entry) = dir.next_entry().await? {
            let old = entry.metadata().await?.modified()?.elapsed().is_ok_and(|e| e > age);
            if old {
                tokio::fs::remove_file(entry.path()).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Bytes one address may upload in an hour, refused forms and unsent ones included: ten
/// documents of the largest size a form takes, five times over.
pub const UPLOAD_BYTES_PER_HOUR: u64 = 5 * documents::MAX_FILES as u64 * documents::MAX_BYTES;

impl crate::App {
    /// Counts `bytes` more uploaded from `from` this hour; `false` once the hour's budget is
    /// spent (the bytes then must not be kept). Counted in the store, atomically, so the budget
    /// holds for concurrent uploads and across replicas.
    pub async fn take_upload_budget(&self, from: &str, bytes: u64) -> Result<bool, crate::AppError> {
        let bucket =
            harta_store::limits::Bucket::at(format!("upload {from}"), self.now(), jiff::SignedDuration::from_hours(1));
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        Ok(self.inner.limits.take(&bucket, bytes).await? <= UPLOAD_BYTES_PER_HOUR as i64)
    }
}

impl Upload {
    /// Takes the next piece. Past the size limit the rest is counted, not written.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), FileError> {
        self.size += chunk.len() as u64;
        if self.size > documents::MAX_BYTES {
            self.too_large = true;
            return Ok(());
        }
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hash.update(chunk);
        self.file.write_all(chunk).await?;
        Ok(())
    }

    /// Stops an upload that must not be kept (its sender's budget is spent): deletes it.
    pub async fn abandon(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.path).await;
    }

    /// The upload is complete: checks it by its content and name; a refused upload is deleted.
    pub async fn finish(mut self, name: &str) -> Result<PendingDocument, FileError> {
        let checked = self.check(name).await;
        if checked.is_err() {
            drop(self.file);
            let _ = tokio::fs::remove_file(&self.path).await;
        }
        checked
    }

    async fn check(&mut self, name: &str) -> Result<PendingDocument, FileError> {
        let name = FileName::parse(name)?;
        if self.too_large {
            return Err(DocumentError::TooLarge.into());
        }
        self.file.flush().await?;
        self.file.sync_all().await?;
        let from = self.size.saturating_sub(TAIL);
        let mut tail = Vec::new();
        let mut file = tokio::fs::File::open(&self.path).await?;
        file.seek(std::io::SeekFrom::Start(from)).await?;
        file.read_to_end(&mut tail).await?;
        let media_type: MediaType = documents::identify(&name, &self.head, &tail, self.size)?;
        Ok(PendingDocument {
            id: self.id.clone(),
            name: name.as_str().to_string(),
            media_type: media_type.as_str().to_string(),
            size: self.size,
            sha256: hex(&self.hash.clone().finalize()),
        })
    }
}
