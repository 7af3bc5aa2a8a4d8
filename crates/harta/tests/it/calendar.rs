use std::process::Command;

use crate::{harta, stderr, stdout};

#[test]
fn due_dates_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = harta(dir.path(), &["calendar", "due", "2025-12-22", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2026-01-13\n");
    let o = harta(dir.path(), &["calendar", "due", "2026-05-20", "7", "--json"]);
    assert_eq!(stdout(&o).trim(), r#"{"received":"2026-05-20","working_days":7,"due":"2026-06-01"}"#);
    // Without a store, nothing is created.
    assert!(!dir.path().join("harta.db").exists());
}

#[test]
fn a_year_as_json_and_as_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let o = harta(dir.path(), &["calendar", "2026", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(r#"{"year":2026,"working_days":248,"days_off":[{"date":"2026-01-01","reason":"#),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let off: Vec<&str> = json["days_off"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert_eq!(off.len(), 13);
    assert!(off.contains(&"2026-01-02") && off.contains(&"2026-12-28"));
    assert!(json["working_weekend_days"].as_array().unwrap().is_empty());
    let worked = stdout(&harta(dir.path(), &["calendar", "2012", "--json"]));
    assert!(worked.contains(r#""working_weekend_days":[{"date":"2012-01-21""#), "{worked}");

    let table = stdout(&harta(dir.path(), &["calendar", "2026"]));
    assert!(table.contains("2026: 248 работни дни"));
    assert!(table.contains("Декември 2026"));
    assert!(table.contains("* 28.12.2026  почивен ден вместо Рождество Христово (втори ден) (26.12.2026)"), "{table}");
}

#[test]
fn bad_input_is_a_clear_error_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (&["calendar", "1990"][..], "outside the supported range"),
        (&["calendar", "20x6"][..], "is not a year"),
        (&["calendar", "due", "2025-02-30", "3"][..], "not a date that exists"),
        (&["calendar", "due", "yesterday", "3"][..], "not a date that exists"),
        (&["calendar", "due", "2025-12-22", "-3"][..], "between 1 and 10000"),
        (&["calendar", "due", "2025-12-22", "10001"][..], "between 1 and 10000"),
        (&["calendar", "due", "2025-12-22", "ten"][..], "not a whole number"),
        (&["calendar", "due", "2100-12-20", "30"][..], "outside the supported range"),
    ] {
        let o = harta(dir.path(), args);
        assert!(!o.status.success(), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
}

#[test]
fn a_decision_added_at_run_time_recomputes_open_cases_and_can_be_removed() {
    let dir = tempfile::tempdir().unwrap();
    let o = harta(
        dir.path(),
        &[
            "admin",
            "calendar",
            "add",
            "2026-12-07",
            "--kind",
            "day_off",
            "--number",
            "901",
            "--decided-on",
            "2026-11-20",
            "--note",
            "неприсъствен ден",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 open case(s) recomputed"));
    let year = stdout(&harta(dir.path(), &["calendar", "2026", "--json"]));
    assert!(year.contains(r#""working_days":247"#), "{year}");
    assert!(year.contains("РМС № 901/20.11.2026"));
    assert_eq!(stdout(&harta(dir.path(), &["calendar", "due", "2026-11-25", "10"])), "2026-12-10\n");
    let list = stdout(&harta(dir.path(), &["admin", "calendar", "list"]));
    assert!(list.contains("2026-12-07") && list.contains("day_off"), "{list}");
    let dup = harta(dir.path(), &["admin", "calendar", "add", "2026-12-07"]);
    assert!(!dup.status.success());
    assert!(stderr(&dup).contains("already"), "{}", stderr(&dup));
    let holiday = harta(dir.path(), &["admin", "calendar", "add", "2026-12-25"]);
    assert!(stderr(&holiday).contains("would change nothing"), "{}", stderr(&holiday));
    let o = harta(dir.path(), &["admin", "calendar", "remove", "2026-12-07"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&harta(dir.path(), &["calendar", "due", "2026-11-25", "10"])), "2026-12-09\n");
    let gone = harta(dir.path(), &["admin", "calendar", "remove", "2026-12-07"]);
    assert!(!gone.status.success());
    // Both changes are in the audit trail, whose chain is intact.
    let verify = harta(dir.path(), &["admin", "audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert_eq!(stdout(&verify), "audit trail intact: 2 entries\n");
    // A signed checkpoint, kept outside the database, is checked against the trail.
    let point = harta(dir.path(), &["admin", "audit", "checkpoint"]);
    assert!(stdout(&point).starts_with("harta-audit-checkpoint-v1 seq=2 "), "{}", stderr(&point));
    let file = dir.path().join("checkpoint.txt");
    std::fs::write(&file, stdout(&point)).unwrap();
    let checked = harta(dir.path(), &["admin", "audit", "verify", "--checkpoint", file.to_str().unwrap()]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    std::fs::write(&file, stdout(&point).replace("seq=2", "seq=1")).unwrap();
    let forged = harta(dir.path(), &["admin", "audit", "verify", "--checkpoint", file.to_str().unwrap()]);
    assert!(stderr(&forged).contains("not a checkpoint of this trail"), "{}", stderr(&forged));
    // Another secret key over this store is refused before anything is done.
    let other_key = Command::new(env!("CARGO_BIN_EXE_harta"))
        .arg("--data")
        .arg(dir.path())
        .args(["admin", "audit", "verify"])
        .env_remove("HARTA_DATABASE_URL")
        .env("HARTA_SECRET_KEY", "ab".repeat(32))
        .output()
        .unwrap();
    assert!(!other_key.status.success());
    assert!(stderr(&other_key).contains("the secret key does not open this store"), "{}", stderr(&other_key));
}

#[test]
fn a_wrong_charter_value_stops_the_program_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let charter = dir.path().join("charter.toml");
    let text = include_str!("../../../../charters/krasno-selo.toml").replace("working_days = 7", "working_days = 0");
    std::fs::write(&charter, text).unwrap();
    let config = dir.path().join("harta.toml");
    std::fs::write(&config, format!("charter = {:?}\n", charter.display().to_string())).unwrap();
    let o = harta(dir.path(), &["--config", config.to_str().unwrap(), "admin", "calendar", "list"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("charter.toml")
            && err.contains("commitments.complaint.working_days")
            && err.contains("between 1 and"),
        "{err}"
    );
    let bad_config = dir.path().join("bad.toml");
    std::fs::write(&bad_config, "port = 8080\n").unwrap();
    let o = harta(dir.path(), &["--config", bad_config.to_str().unwrap(), "migrate"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad.toml") && stderr(&o).contains("port"), "{}", stderr(&o));
}

#[test]
fn a_charter_file_is_put_in_force_and_shown_and_a_wrong_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = include_str!("../../../../charters/krasno-selo.toml");
    let file = dir.path().join("reviewed.toml");
    std::fs::write(&file, shipped.replace("at_risk_working_days = 2", "at_risk_working_days = 4")).unwrap();
    let o = harta(dir.path(), &["admin", "charter", "load", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = stdout(&harta(dir.path(), &["admin", "charter", "show"]));
    assert!(shown.contains("at_risk_working_days = 4"), "{shown}");

    std::fs::write(&file, shipped.replace("office = \"РКС\"", "office = \"ХХХ\"")).unwrap();
    let o = harta(dir.path(), &["admin", "charter", "load", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("registry: the administration's code, the registry format"), "{}", stderr(&o));
    std::fs::write(&file, "[administration\n").unwrap();
    let o = harta(dir.path(), &["admin", "charter", "load", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stdout(&harta(dir.path(), &["admin", "charter", "show"])).contains("at_risk_working_days = 4"));
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // `harta calendar 2026 | head -0`: the reader goes away.
    let mut child = Command::new(env!("CARGO_BIN_EXE_harta"))
        .arg("--data")
        .arg(dir.path())
        .args(["calendar", "2026"])
        .env_remove("HARTA_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before the first byte is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {err}", out.status);
    assert!(!err.contains("panicked"), "{err}");
}
