//! The `harta` binary as an operator and a script use it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod browser;
mod calendar;
mod demo;
mod mailbox;
mod serve;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `harta` with a data directory and arguments.
pub fn harta(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harta"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("HARTA_DATABASE_URL")
        .env_remove("HARTA_CONFIG")
        .output()
        .expect("run harta")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}
