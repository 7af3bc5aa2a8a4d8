//! The browser tests in `tests/e2e` (headless Debian Chromium driven by playwright-core,
//! checked with axe-core) run as part of `cargo test`, against this build of the binary.
//! Without Node.js or Chromium they are skipped with a note, unless `HARTA_REQUIRE_BROWSER=1`
//! (as `.ci/run` sets), which makes their absence a failure.

use std::path::Path;
use std::process::Command;

fn available(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).output().is_ok_and(|o| o.status.success())
}

#[test]
fn public_pages_in_a_real_browser() {
    let required = std::env::var("HARTA_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !available("npm", "--version") || !Path::new(&chromium).exists() {
        assert!(!required, "HARTA_REQUIRE_BROWSER=1 but npm or {chromium} is missing");
        eprintln!("skipped: the browser tests need npm and {chromium} (see README)");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e");
    if !dir.join("node_modules/playwright-core").exists() {
        let install =
            Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--silent"]).current_dir(&dir).status().unwrap();
        assert!(install.success(), "npm ci in tests/e2e failed");
    }
    let run = Command::new("npm")
        .arg("test")
        .current_dir(&dir)
        .env("HARTA_BIN", env!("CARGO_BIN_EXE_harta"))
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "browser tests failed:\n{out}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(out.contains("ℹ fail 0"), "{out}");
}
