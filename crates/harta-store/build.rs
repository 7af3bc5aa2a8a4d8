//! Embeds the SQL migrations (`migrations/sqlite`, `migrations/postgres`) in the binary as a
//! list of `(version, description, sql)`, so that sqlx's compile-time macros (and their build
//! cost) are not needed: `src/migrations.rs` turns the list into sqlx's `Migrator`. Versions and
//! descriptions are read from the file names exactly as `sqlx::migrate!` reads them
//! (`0007_holding_reply.sql` is version 7, "holding reply"), so a store migrated before keeps
//! its recorded history.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut out = String::new();
    for backend in ["sqlite", "postgres"] {
        let dir = root.join(backend);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        let _ = writeln!(out, "/// The {backend} migrations, oldest first.");
        let _ = writeln!(out, "pub(crate) const {}: &[(i64, &str, &str)] = &[", backend.to_uppercase());
        for file in files {
            let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            let (version, description) =
                name.split_once('_').unwrap_or_else(|| panic!("{name}: VERSION_description.sql"));
            let version: i64 = version.parse().unwrap_or_else(|_| panic!("{name}: the version is not a number"));
            let description = description.replace('_', " ");
            let _ = writeln!(out, "    ({version}, {description:?}, include_str!({:?})),", file.display().to_string());
        }
        let _ = writeln!(out, "];");
    }
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("migrations.rs");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}
