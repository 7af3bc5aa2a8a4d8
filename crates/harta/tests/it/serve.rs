use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::{harta, stderr, stdout};

fn curl(args: &[&str]) -> String {
    let o = Command::new("curl").args(["-s", "-w", "\n%{http_code}"]).args(args).output().expect("curl");
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Starts `harta serve` on a free port; returns the process, its base URL and its further output.
fn serve(dir: &std::path::Path) -> (Child, String, Lines<BufReader<ChildStdout>>) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_harta"))
        .args(["--data", dir.to_str().unwrap(), "serve", "--bind", "127.0.0.1:0"])
        .env_remove("HARTA_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.split("at ").nth(1).unwrap().split_whitespace().next().unwrap().trim_end_matches('/').to_string();
    (server, url, lines)
}

#[test]
fn serve_registers_then_shuts_down_gracefully_losing_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url, mut lines) = serve(dir.path());
    let login = lines.next().unwrap().unwrap();
    assert!(login.contains("administrator login \"admin\", password \""), "{login}");

    // An operator's script against the same store, while the server runs; every token it makes
    // is in the audit trail, as the workspace's are.
    let entries = |out: std::process::Output| -> u64 {
        stdout(&out).trim().trim_start_matches("audit trail intact: ").trim_end_matches(" entries").parse().unwrap()
    };
    let before = entries(harta(dir.path(), &["admin", "audit", "verify"]));
    let token = harta(dir.path(), &["admin", "token", "create", "--role", "counter_clerk"]);
    assert_eq!(entries(harta(dir.path(), &["admin", "audit", "verify"])), before + 1);
    assert!(token.status.success(), "{}", stderr(&token));
    let token = stdout(&token).trim().to_string();
    assert!(token.starts_with("harta_"));
    let bad = harta(dir.path(), &["admin", "token", "create", "--role", "case_officer"]);
    assert!(stderr(&bad).contains("needs a unit"), "{}", stderr(&bad));
    assert!(harta(dir.path(), &["admin", "token", "create", "--role", "administrator"]).status.success());

    // The staff directory, for naming who is responsible.
    let add = ["admin", "staff", "add", "--employee-number", "1042", "--name", "Петя Колева", "--role", "case_officer"];
    let no_unit = harta(dir.path(), &add);
    assert!(stderr(&no_unit).contains("unit: this role needs a unit"), "{}", stderr(&no_unit));
    let with_unit = [&add[..], &["--unit", "cao", "--phone", "02/895 11 42"]].concat();
    let officer = harta(dir.path(), &with_unit);
    assert!(officer.status.success(), "{}", stderr(&officer));
    let officer_id = stdout(&officer).trim().to_string();
    let again = harta(dir.path(), &with_unit);
    assert!(stderr(&again).contains("employee_number: 1042 is already in the directory"), "{}", stderr(&again));
    let list = stdout(&harta(dir.path(), &["admin", "staff", "list"]));
    assert!(list.contains("1042") && list.contains("Петя Колева") && list.contains(&officer_id), "{list}");
    // A new password for the officer, printed once; it opens the staff workspace.
    let reset = harta(dir.path(), &["admin", "staff", "reset-password", "1042"]);
    let password = stdout(&reset).trim().to_string();
    assert_eq!(password.chars().count(), 20, "{}", stderr(&reset));
    let unknown = harta(dir.path(), &["admin", "staff", "reset-password", "9999"]);
    assert!(!unknown.status.success() && stderr(&unknown).contains("staff 9999"), "{}", stderr(&unknown));

    let auth = format!("Authorization: Bearer {token}");
    let body = r#"{"kind":"complaint","channel":"phone","subject":"Шум","text":"Шум нощем.","party":{"name":"Иван Петров","phone":"02/895 11 00"}}"#;
    let endpoint = format!("{url}/api/v1/cases");
    let one = curl(&["-H", &auth, "-H", "Content-Type: application/json", "-d", body, &endpoint]);
    assert!(one.ends_with("201"), "{one}");
    assert!(one.contains("ЖБ12-1"), "{one}");
    // A head of unit names the officer.
    let head = stdout(&harta(dir.path(), &["admin", "token", "create", "--role", "head_of_unit", "--unit", "cao"]));
    let head_auth = format!("Authorization: Bearer {}", head.trim());
    let case_url: serde_json::Value = serde_json::from_str(one.rsplit_once('\n').unwrap().0).unwrap();
    let events = format!("{url}{}/events", case_url["url"].as_str().unwrap());
    let assign = format!(r#"{{"type":"assigned","officer":{officer_id}}}"#);
    let assigned = curl(&["-H", &head_auth, "-H", "Content-Type: application/json", "-d", &assign, &events]);
    assert!(assigned.ends_with("201") && assigned.contains(r#""state":"assigned""#), "{assigned}");

    // A backup while harta runs, restored elsewhere: the same cases, the same key, the same trail.
    let copies = tempfile::tempdir().unwrap();
    let backup_dir = copies.path().join("backup");
    let made = harta(dir.path(), &["backup", backup_dir.to_str().unwrap()]);
    assert!(made.status.success(), "{}", stderr(&made));
    let manifest = std::fs::read_to_string(backup_dir.join("MANIFEST.sha256")).unwrap();
    assert!(manifest.contains("  harta.db") && manifest.contains("  secret.key"), "{manifest}");
    let restored = copies.path().join("restored");
    let back = harta(&restored, &["restore", backup_dir.to_str().unwrap()]);
    assert!(back.status.success(), "{}", stderr(&back));
    let verified = harta(&restored, &["admin", "audit", "verify"]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    let listed = stdout(&harta(&restored, &["admin", "staff", "list"]));
    assert!(listed.contains("Петя Колева"), "{listed}");
    let again = harta(&restored, &["restore", backup_dir.to_str().unwrap()]);
    assert!(stderr(&again).contains("already holds a store"), "{}", stderr(&again));
    // A damaged backup restores nothing.
    let mut bytes = std::fs::read(backup_dir.join("secret.key")).unwrap();
    bytes[0] ^= 1;
    std::fs::write(backup_dir.join("secret.key"), bytes).unwrap();
    let elsewhere = copies.path().join("elsewhere");
    let damaged = harta(&elsewhere, &["restore", backup_dir.to_str().unwrap()]);
    assert!(stderr(&damaged).contains("secret.key does not match its checksum"), "{}", stderr(&damaged));
    assert!(!elsewhere.join("harta.db").exists());

    // Registrations in flight when SIGTERM arrives: every one acknowledged must be stored.
    let mut clients = Vec::new();
    for _ in 0..40 {
        clients.push(
            Command::new("curl")
                .args(["-s", "-H", &auth, "-H", "Content-Type: application/json", "-d", body, &endpoint])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(30));
    let killed = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let acknowledged: Vec<String> = clients
        .into_iter()
        .filter_map(|c| {
            let out = String::from_utf8_lossy(&c.wait_with_output().unwrap().stdout).to_string();
            let v: serde_json::Value = serde_json::from_str(&out).ok()?;
            v["registry_number"].as_str().map(str::to_string)
        })
        .collect();
    let status = server.wait().unwrap();
    assert!(status.success(), "harta exited with {status}");
    assert!(lines.any(|l| l.unwrap().contains("harta stopped")));

    // Back up again on the same store: every acknowledged case is there.
    let (mut again, url, mut again_lines) = serve(dir.path());
    let login = again_lines.next().unwrap().unwrap();
    assert!(login.contains("Administrator login \"admin\" (its password was shown at the first start)"), "{login}");
    for number in &acknowledged {
        let path = format!("{url}/api/v1/cases/{}", number.replace('-', "%2D"));
        let got = curl(&["-g", "-H", &auth, &path]);
        assert!(got.ends_with("200"), "{number} acknowledged but not stored: {got}");
    }
    let _ = Command::new("kill").args(["-TERM", &again.id().to_string()]).status();
    let _ = again.wait();
    // Everything in the data directory is its owner's alone.
    private_all_the_way(dir.path());
}

/// Every file under `dir` is 0600 and every directory 0700.
fn private_all_the_way(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            private_all_the_way(&entry.path());
        } else {
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", entry.path().display());
        }
    }
}

#[test]
fn a_wrong_trusted_proxy_stops_the_start_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_harta"))
        .args(["--data", dir.path().to_str().unwrap(), "serve", "--bind", "127.0.0.1:0"])
        .env_remove("HARTA_DATABASE_URL")
        .env("HARTA_TRUSTED_PROXIES", "10.0.0.0/8, the-proxy")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("HARTA_TRUSTED_PROXIES: \"the-proxy\" is not an IP address or a CIDR range"), "{err}");
}

#[test]
fn a_store_sizing_out_of_range_stops_the_start_with_its_name() {
    for (name, value, why) in [
        ("HARTA_DB_CACHE_MIB", "1", "HARTA_DB_CACHE_MIB: \"1\" is not a number of MiB from 2 to 65536"),
        ("HARTA_DB_CONNECTIONS", "many", "HARTA_DB_CONNECTIONS: \"many\" is not a number of connections from 2 to 256"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_harta"))
            .args(["--data", dir.path().to_str().unwrap(), "serve", "--bind", "127.0.0.1:0"])
            .env_remove("HARTA_DATABASE_URL")
            .env(name, value)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{err}");
    }
}

#[test]
fn a_client_that_trickles_its_headers_is_cut_off() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url, _lines) = serve(dir.path());
    let addr = url.trim_start_matches("http://").to_string();
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = std::time::Instant::now();
    // One header byte every second, never the end of the headers.
    let mut cut = false;
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if slow.write_all(b"X").is_err() {
            cut = true;
            break;
        }
        slow.set_read_timeout(Some(std::time::Duration::from_millis(10))).unwrap();
        let mut buf = [0u8; 64];
        if matches!(slow.read(&mut buf), Ok(0)) || matches!(slow.read(&mut buf), Ok(n) if n > 0) {
            cut = true;
            break;
        }
    }
    assert!(cut, "the connection was still open after 20 seconds");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "{:?}", started.elapsed());
    // Others are served all along.
    assert!(curl(&[&format!("{url}/healthz")]).ends_with("200"));
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();
}
