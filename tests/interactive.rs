//! The interactive wizard, driven through a real pseudo-terminal (tmux): answering the
//! prompts must produce the same files as the equivalent flags.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

struct Tmux {
    socket: String,
    session: &'static str,
}

impl Tmux {
    /// A tmux server of its own (`name` keeps parallel tests apart) running `command`.
    fn start(name: &str, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("authgen-test-{}-{name}", std::process::id()),
            session: "wizard",
        };
        let status = Command::new("tmux")
            .args([
                "-L",
                &tmux.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                tmux.session,
                "-x",
                "160",
                "-y",
                "50",
            ])
            .arg(command)
            .env("NO_COLOR", "1")
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux is installed (scripts/test.sh installs it)");
        assert!(status.success());
        tmux
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-S",
                "-200",
                "-t",
                self.session,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the screen shows `text` (a hang guard, not a speed assertion).
    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", self.session, key])
                .status()
                .unwrap();
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn type_text(&self, text: &str) {
        let status = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "send-keys",
                "-l",
                "-t",
                self.session,
                text,
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn generated(repo: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = snapshot(repo)
        .into_iter()
        // Directories are recorded with a trailing `/` and no content.
        .filter(|(path, _)| !path.to_string_lossy().ends_with('/'))
        .map(|(path, (bytes, _))| (path.to_string_lossy().into_owned(), bytes))
        .collect();
    files.sort();
    files
}

#[test]
fn wizard_answers_equal_flags() {
    let (_tmp, asked) = copy_fixture("fastapi-alembic");
    let bin = assert_cmd::cargo::cargo_bin("authgen");
    let command = format!(
        "cd '{}' && '{}' init . ; echo AUTHGEN-EXIT=$? ; sleep 120",
        asked.display(),
        bin.display()
    );
    let tmux = Tmux::start("wizard", &command);

    tmux.wait_for("Where should the auth server go?");
    tmux.keys(&["Enter"]); // default: auth-server
    tmux.wait_for("Sign-in methods");
    tmux.keys(&["Down", "Down", "Space", "Enter"]); // email (preselected) + github
    tmux.wait_for("APIs the auth server answers on");
    tmux.keys(&["Down", "Space", "Enter"]); // token (preselected) + better-auth
    tmux.wait_for("Email verification");
    tmux.keys(&["Up", "Enter"]); // off → required
    tmux.wait_for("JWT signing algorithm");
    tmux.keys(&["Down", "Enter"]); // eddsa → hs256
    tmux.wait_for("Session validation in the API backend");
    tmux.keys(&["Enter"]); // jwt
    tmux.wait_for("Access-token lifetime (minutes)");
    tmux.type_text("30");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Session lifetime (days)");
    tmux.keys(&["Enter"]); // 7
    tmux.wait_for("Browser origins allowed to call the auth server");
    tmux.type_text("http://localhost:3000, https://app.example.com");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Deploy target");
    tmux.keys(&["Down", "Down", "Enter"]); // docker → fly
    tmux.wait_for("AUTHGEN-EXIT=");
    let screen = tmux.screen();
    assert!(screen.contains("AUTHGEN-EXIT=0"), "{screen}");
    assert!(screen.contains("algorithm            hs256"), "{screen}");
    assert!(
        screen.contains("answered"),
        "answers are marked as answered: {screen}"
    );

    let (_tmp2, flagged) = copy_fixture("fastapi-alembic");
    let run = run(
        &[
            "init",
            "--methods",
            "email,github",
            "--faces",
            "token,better-auth",
            "--auth-dir",
            "auth-server",
            "--email-verification",
            "required",
            "--algorithm",
            "hs256",
            "--session-validation",
            "jwt",
            "--access-minutes",
            "30",
            "--session-days",
            "7",
            "--cors-origin",
            "http://localhost:3000",
            "--cors-origin",
            "https://app.example.com",
            "--deploy",
            "fly",
        ],
        &flagged,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let from_prompts = generated(&asked);
    let from_flags = generated(&flagged);
    assert!(from_prompts.len() > 20, "{}", from_prompts.len());
    assert_eq!(from_prompts.len(), from_flags.len());
    for ((path_a, a), (path_b, b)) in from_prompts.iter().zip(&from_flags) {
        assert_eq!(path_a, path_b);
        assert!(a == b, "{path_a} differs between the wizard and the flags");
    }
}

#[test]
fn escape_at_a_prompt_cancels_and_writes_nothing() {
    let (_tmp, repo) = copy_fixture("empty");
    let before = snapshot(&repo);
    let bin = assert_cmd::cargo::cargo_bin("authgen");
    let command = format!(
        "cd '{}' && '{}' init . ; echo AUTHGEN-EXIT=$? ; sleep 120",
        repo.display(),
        bin.display()
    );
    let tmux = Tmux::start("escape", &command);
    tmux.wait_for("Where should the auth server go?");
    tmux.keys(&["Escape"]);
    tmux.wait_for("AUTHGEN-EXIT=");
    let screen = tmux.screen();
    assert!(screen.contains("AUTHGEN-EXIT=2"), "{screen}");
    assert!(
        screen.contains("cancelled at the prompt; nothing was written"),
        "{screen}"
    );
    assert_eq!(snapshot(&repo), before);
}
