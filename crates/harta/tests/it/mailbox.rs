//! The mailbox read by `harta serve`, killed with SIGKILL while it registers: every message
//! becomes exactly one case, whenever the process dies (after fetching a message, after
//! registering it, before flagging it on the server).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harta_channels::testing::{ImapPeer, SmtpPeer};

use crate::{harta, stdout};

const MESSAGES: usize = 60;

fn letter(i: usize) -> Vec<u8> {
    format!(
        "From: Гражданин {i} <citizen{i}@example.bg>\r\nTo: office@krasnoselo.net\r\nSubject: Улично осветление {i}\r\n\
         Message-ID: <kill-{i}@example.bg>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\nЛампата пред блок {i} не свети.\r\n"
    )
    .into_bytes()
}

/// The number of cases the API lists (0 while the server is not up).
fn total(url: &str, token: &str) -> usize {
    let out = Command::new("curl")
        .args(["-sf", "-H", &format!("Authorization: Bearer {token}"), &format!("{url}/api/v1/cases?per_page=100")])
        .output()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    body["total"].as_u64().unwrap_or(0) as usize
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_reader_at_any_moment_registers_each_message_once() {
    let (Some(imap), Some(smtp)) = (ImapPeer::start(), SmtpPeer::start()) else { return };
    for i in 0..MESSAGES {
        imap.append(&letter(i)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let token = stdout(&harta(dir.path(), &["admin", "token", "create", "--role", "manager"])).trim().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    // A job claimed by a reader that is killed is tried again after its lease: a short one here,
    // so that the acknowledgements of those jobs go within the test's minute.
    let serve = || {
        Command::new(env!("CARGO_BIN_EXE_harta"))
            .env("HARTA_JOB_LEASE", "5")
            .args(["--data", dir.path().to_str().unwrap(), "serve", "--bind", &format!("127.0.0.1:{port}")])
            .env_remove("HARTA_DATABASE_URL")
            .env("HARTA_IMAP_URL", &imap.url)
            .env("HARTA_SMTP_URL", &smtp.url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // Killed twice while it works through the mailbox, then left to finish.
    for stop_at in [5, 25] {
        let mut server = serve();
        let started = Instant::now();
        while total(&url, &token) < stop_at {
            assert!(started.elapsed() < Duration::from_secs(60), "the reader registered nothing");
            std::thread::sleep(Duration::from_millis(20));
        }
        server.kill().unwrap();
        server.wait().unwrap();
    }
    let mut server = serve();
    let started = Instant::now();
    loop {
        let flags = imap.flags().await;
        let done = flags.iter().filter(|f| f.iter().any(|x| x.contains("HartaDone"))).count();
        if done == MESSAGES && total(&url, &token) >= MESSAGES {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{done} of {MESSAGES} taken");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(total(&url, &token), MESSAGES, "each message is one case");
    // And every sender heard back (once more after a crash at most: mail goes at least once).
    let started = Instant::now();
    while smtp.received().len() < MESSAGES {
        assert!(started.elapsed() < Duration::from_secs(60), "{} acknowledgements", smtp.received().len());
        std::thread::sleep(Duration::from_millis(50));
    }
    for i in 0..MESSAGES {
        let to = format!("citizen{i}@example.bg");
        assert!(smtp.received().iter().any(|m| m.to.contains(&to)), "{to} was not acknowledged");
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
