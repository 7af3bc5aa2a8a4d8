//! Documents a citizen attaches: which kinds are accepted, told by their content (never by
//! the name alone), and the limits on how many and how large. A ZIP-based office document is
//! inspected through its central directory without being unpacked, so a "zip bomb" is refused
//! by what it declares, not by expanding it.

use std::fmt;

/// At most this many documents with one submission.
pub const MAX_FILES: usize = 10;
/// At most this many bytes in one document (20 MB).
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
/// A ZIP-based document may declare at most this many bytes once unpacked.
const MAX_UNPACKED: u64 = 200 * 1024 * 1024;
/// … and at most this ratio of unpacked to packed size.
const MAX_RATIO: u64 = 100;

crate::names! {
    /// An accepted kind of document.
    MediaType {
        /// PDF.
        Pdf => "application/pdf",
        /// JPEG picture.
        Jpeg => "image/jpeg",
        /// PNG picture.
        Png => "image/png",
        /// Word document (Office Open XML).
        Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        /// OpenDocument text.
        Odt => "application/vnd.oasis.opendocument.text",
    }
}

impl MediaType {
    /// The file name extensions that go with this kind.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Png => &["png"],
            Self::Docx => &["docx"],
            Self::Odt => &["odt"],
        }
    }
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Nothing in it.
    #[error("is empty")]
    Empty,
    /// Over [`MAX_BYTES`].
    #[error("is larger than 20 MB")]
    TooLarge,
    /// Its content is none of the accepted kinds.
    #[error("is not a PDF, JPEG, PNG, DOCX or ODT document")]
    Unsupported,
    /// Its name says one kind and its content another.
    #[error("is named .{extension} but its content is {actual}")]
    Mislabelled {
        /// The extension in the name.
        extension: String,
        /// What the content is.
        actual: &'static str,
    },
    /// A ZIP-based document that would unpack to too much.
    #[error("declares more content than a document can have (a compressed bomb)")]
    Bomb,
    /// More than [`MAX_FILES`].
    #[error("at most 10 documents")]
    TooMany,
    /// A name that cannot be shown or stored safely.
    #[error("has a name that is empty or too long")]
    Name,
    /// The sender's address has uploaded its hour's budget.
    #[error("passes the upload budget of the sender's address for this hour")]
    OverBudget,
}

impl crate::Coded for DocumentError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "file_empty",
            Self::TooLarge => "file_too_large",
            Self::Unsupported => "file_type",
            Self::Mislabelled { .. } => "file_mislabelled",
            Self::Bomb => "file_bomb",
            Self::TooMany => "too_many_files",
            Self::Name => "file_name",
            Self::OverBudget => "upload_budget",
        }
    }
}

/// A document's name as it will be shown: the last path component, without control characters,
/// at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// Cleans a name as a browser sent it.
    pub fn parse(raw: &str) -> Result<Self, DocumentError> {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let clean: String = last.chars().filter(|c| !c.is_control()).collect();
        let clean = clean.trim();
        if clean.is_empty() || clean.chars().count() > 200 || clean == "." || clean == ".." {
            return Err(DocumentError::Name);
        }
        Ok(Self(clean.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn extension(&self) -> Option<String> {
        self.0.rsplit_once('.').map(|(_, e)| e.to_lowercase())
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tells a document's kind from its first bytes and, for ZIP-based kinds, its central directory
/// (`tail`: the last 64 KiB + 22 bytes of the file, or all of it if shorter), and checks that
/// the name's extension agrees. `size` is the whole file's size.
pub fn identify(name: &FileName, head: &[u8], tail: &[u8], size: u64) -> Result<MediaType, DocumentError> {
    if size == 0 {
        return Err(DocumentError::Empty);
    }
    if size > MAX_BYTES {
        return Err(DocumentError::TooLarge);
    }
    let kind = if head.starts_with(b"%PDF-") {
        pdf_shape(head, tail)?
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        MediaType::Jpeg
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        MediaType::Png
    } else if head.starts_with(b"PK\x03\x04") {
        zip_kind(head, tail, size)?
    } else {
        return Err(DocumentError::Unsupported);
    };
    match name.extension() {
        Some(e) if kind.extensions().contains(&e.as_str()) => Ok(kind),
        Some(e) => Err(DocumentError::Mislabelled { extension: e, actual: kind.extensions()[0] }),
        None => Err(DocumentError::Mislabelled { extension: String::new(), actual: kind.extensions()[0] }),
    }
}

/// A PDF starts with its version (`%PDF-1.7`) and ends with `%%EOF` within its last 1024
/// bytes (where readers look for it): a program that merely begins with `%PDF-` is refused.
fn pdf_shape(head: &[u8], tail: &[u8]) -> Result<MediaType, DocumentError> {
    let version = head.get(5..8).is_some_and(|v| v[0].is_ascii_digit() && v[1] == b'.' && v[2].is_ascii_digit());
    let end = &tail[tail.len().saturating_sub(1024)..];
    if version && end.windows(5).any(|w| w == b"%%EOF") { Ok(MediaType::Pdf) } else { Err(DocumentError::Unsupported) }
}

/// Entries a document never holds: programs and scripts, and Word's macro projects.
fn executable(name: &str) -> bool {
    const EXTENSIONS: &[&str] =
        &[".exe", ".dll", ".com", ".scr", ".msi", ".bat", ".cmd", ".ps1", ".vbs", ".js", ".jar", ".sh", ".lnk"];
    let lower = name.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e)) || lower.ends_with("vbaproject.bin")
}

/// An entry name that would unpack outside its folder, or that no office suite writes.
fn unsafe_entry(name: &str) -> bool {
    name.starts_with('/')
        || name.contains('\\')
        || name.contains(':')
        || name.split('/').any(|part| part == "..")
        || name.chars().any(char::is_control)
}

/// A ZIP container is a DOCX when it holds `word/document.xml`, an ODT when its first entry is
/// the stored `mimetype` naming OpenDocument text; anything else is refused, as is any archive
/// whose entries declare too much unpacked content.
fn zip_kind(head: &[u8], tail: &[u8], size: u64) -> Result<MediaType, DocumentError> {
    let entries = central_directory(tail, size).ok_or(DocumentError::Unsupported)?;
    if entries.iter().any(|e| unsafe_entry(&e.name) || executable(&e.name)) {
        return Err(DocumentError::Unsupported);
    }
    let (mut packed, mut unpacked) = (0u64, 0u64);
    for e in &entries {
        packed = packed.saturating_add(e.packed);
        unpacked = unpacked.saturating_add(e.unpacked);
    }
    if unpacked > MAX_UNPACKED || unpacked > packed.max(1).saturating_mul(MAX_RATIO).max(1024 * 1024) {
        return Err(DocumentError::Bomb);
    }
    // ODF: the first local entry is "mimetype", stored, with the type as its content.
    const ODT: &[u8] = b"mimetypeapplication/vnd.oasis.opendocument.text";
    if head.len() >= 30 + ODT.len() && &head[30..30 + ODT.len()] == ODT {
        return Ok(MediaType::Odt);
    }
    if entries.iter().any(|e| e.name == "word/document.xml") {
        return Ok(MediaType::Docx);
    }
    Err(DocumentError::Unsupported)
}

struct ZipEntry {
    name: String,
    packed: u64,
    unpacked: u64,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// The entries of a ZIP file's central directory, read from the file's tail. A directory that
/// does not add up (its entries run past its declared size, an entry's data lies after the
/// directory) is no directory.
fn central_directory(tail: &[u8], size: u64) -> Option<Vec<ZipEntry>> {
    // The end-of-central-directory record: the last "PK\x05\x06" in the tail.
    let end = (0..tail.len().checked_sub(21)?).rev().find(|&i| tail[i..].starts_with(b"PK\x05\x06"))?;
    let count = usize::from(u16_at(tail, end + 10)?);
    let dir_size = u64::from(u32_at(tail, end + 12)?);
    let dir_offset = u64::from(u32_at(tail, end + 16)?);
    // Where the directory starts within `tail`.
    let tail_start = size.checked_sub(u64::try_from(tail.len()).ok()?)?;
    let mut at = usize::try_from(dir_offset.checked_sub(tail_start)?).ok()?;
    if dir_offset.checked_add(dir_size)? > size {
        return None;
    }
    let mut entries = Vec::with_capacity(count.min(4096));
    let start = at;
    for _ in 0..count {
        if !tail.get(at..)?.starts_with(b"PK\x01\x02") {
            return None;
        }
        if u64::from(u32_at(tail, at + 42)?) >= dir_offset {
            return None;
        }
        let packed = u64::from(u32_at(tail, at + 20)?);
        let unpacked = u64::from(u32_at(tail, at + 24)?);
        let name_len = usize::from(u16_at(tail, at + 28)?);
        let extra = usize::from(u16_at(tail, at + 30)?);
        let comment = usize::from(u16_at(tail, at + 32)?);
        let name = String::from_utf8_lossy(tail.get(at + 46..at + 46 + name_len)?).into_owned();
        entries.push(ZipEntry { name, packed, unpacked });
        at += 46 + name_len + extra + comment;
    }
    if u64::try_from(at - start).ok()? != dir_size {
        return None;
    }
    Some(entries)
}

#[cfg(test)]
mod tests;
