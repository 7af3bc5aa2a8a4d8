//! `harta backup DIR` and `harta restore DIR`: what must be kept together to bring a store
//! back — a consistent copy of the SQLite store made while harta runs, the secret key that
//! opens its sealed numbers and chains its audit trail, and the documents — with a manifest of
//! their SHA-256 checksums that `restore` checks before it copies anything back.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::config::Settings;

/// The manifest's name in a backup directory.
const MANIFEST: &str = "MANIFEST.sha256";

/// Every file under `dir`, as paths relative to it, in a stable order.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else { continue };
        for entry in entries {
            let entry = entry?;
            let path = rel.join(entry.file_name());
            if entry.file_type()?.is_dir() { pending.push(path) } else { out.push(path) }
        }
    }
    out.sort();
    Ok(out)
}

fn sha256_of(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hash = Sha256::new();
    // digest 0.11 no longer implements `io::Write`, so the file is fed in blocks.
    let mut block = vec![0u8; 64 * 1024];
    loop {
        match std::io::Read::read(&mut file, &mut block)? {
            0 => break,
            n => hash.update(&block[..n]),
        }
    }
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn copy_tree(from: &Path, to: &Path) -> Result<u64> {
    let mut n = 0;
    for rel in files_under(from)? {
        let target = to.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from.join(&rel), &target).with_context(|| format!("cannot copy {}", rel.display()))?;
        n += 1;
    }
    Ok(n)
}

/// Makes a backup in `dir` (a new or empty directory).
pub async fn backup(settings: &Settings, dir: &Path) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty: a backup goes into a new or empty directory", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let db = settings.open_store().await?;
    let copied = db.copy_into(&dir.join("harta.db")).await.context("cannot copy the store")?;
    db.close().await;
    if !copied {
        eprintln!("the store is PostgreSQL: back it up with pg_dump; this backup holds the key and the documents");
    }
    let key = settings.data.join("secret.key");
    if std::env::var("HARTA_SECRET_KEY").is_ok() {
        eprintln!("the key comes from HARTA_SECRET_KEY: keep it with this backup, which does not hold it");
    } else if key.exists() {
        std::fs::copy(&key, dir.join("secret.key")).context("cannot copy the secret key")?;
    }
    let documents = copy_tree(&settings.data.join("documents"), &dir.join("documents"))?;
    let mut manifest = String::new();
    for rel in files_under(dir)? {
        manifest.push_str(&format!("{}  {}\n", sha256_of(&dir.join(&rel))?, rel.display()));
    }
    std::fs::write(dir.join(MANIFEST), manifest).context("cannot write the manifest")?;
    outln!("backup in {}: {} the key, {documents} documents", dir.display(), if copied { "the store," } else { "" });
    Ok(())
}

/// Restores a backup from `dir` into the data directory, which must hold no store yet.
pub fn restore(settings: &Settings, dir: &Path) -> Result<()> {
    let manifest = std::fs::read_to_string(dir.join(MANIFEST))
        .with_context(|| format!("{} holds no {MANIFEST}: not a harta backup", dir.display()))?;
    let mut listed = Vec::new();
    for line in manifest.lines() {
        let (sum, rel) = line.split_once("  ").with_context(|| format!("{MANIFEST}: a line is not \"sum  path\""))?;
        let rel = PathBuf::from(rel);
        if rel.is_absolute() || rel.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            bail!("{MANIFEST}: {} leads outside the backup", rel.display());
        }
        if sha256_of(&dir.join(&rel))? != sum {
            bail!("{} does not match its checksum: the backup is damaged, nothing was restored", rel.display());
        }
        listed.push(rel);
    }
    let data = &settings.data;
    if data.join("harta.db").exists() || data.join("secret.key").exists() {
        bail!("{} already holds a store: restore into an empty data directory", data.display());
    }
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    for rel in &listed {
        let target = data.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(dir.join(rel), &target).with_context(|| format!("cannot restore {}", rel.display()))?;
    }
    outln!("restored {} files into {}", listed.len(), data.display());
    Ok(())
}
