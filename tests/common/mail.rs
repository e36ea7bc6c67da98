//! The mail sinks of tests/data/mail_sinks.py (SMTP through aiosmtpd, and a stand-in for
//! Resend's API), and reading the links out of what the generated server sent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::e2e::{Process, free_port, python};
use super::read;

/// A mail sink: every message it receives, as JSON, in `dir`.
pub struct Sink {
    _process: Process,
    dir: tempfile::TempDir,
    pub port: u16,
}

/// Start the `smtp` or `resend` sink on a free port.
pub fn start_sink(kind: &str) -> Sink {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mail_sinks.py");
    let process = Process(
        Command::new(python())
            .arg(script)
            .args([kind, &port.to_string()])
            .arg(dir.path())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the {kind} sink did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Sink {
        _process: process,
        dir,
        port,
    }
}

impl Sink {
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn all(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&read(p)).unwrap())
            .collect()
    }

    /// SMTP messages whose envelope goes to `to`.
    pub fn mail_to(&self, to: &str) -> Vec<Value> {
        self.all()
            .into_iter()
            .filter(|m| m["envelope_to"].as_array().unwrap().contains(&json!(to)))
            .collect()
    }

    /// The `n`-th (from 1) message to `to`, waited for: the server sends after answering.
    pub fn nth_mail_to(&self, to: &str, n: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(message) = self.mail_to(to).into_iter().nth(n - 1) {
                return message;
            }
            assert!(
                Instant::now() < deadline,
                "no email #{n} to {to}; received: {:#?}",
                self.all()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The link in an email: in the text body, and the same in the HTML one.
pub fn link_in(message: &Value) -> String {
    let text = message["text"].as_str().expect("a text part");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no link in {text}"))
        .to_owned();
    let html = message["html"].as_str().expect("an HTML part");
    assert!(
        html.contains(&format!("href=\"{link}\"")),
        "the HTML part links to {link}: {html}"
    );
    link
}

pub fn token_of(link: &str) -> String {
    link.split_once("token=").unwrap().1.to_owned()
}
