//! `authgen doctor` on a large repository: prints figures, asserts nothing about time.
//!
//!   cargo bench --bench doctor
//!
//! 50,000 files: 46,000 under node_modules (skipped by the walk) and 4,000 of the project's
//! own sources (TypeScript, Python, SQL, Rust, env files) that every check parses as needed.

use std::path::Path;
use std::time::{Duration, Instant};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn build_tree(root: &Path, deps: usize, sources: usize) {
    write(
        &root.join(".gitignore"),
        "node_modules/\n.env\n.env.*\n!.env.example\n",
    );
    write(
        &root.join("web/package.json"),
        r#"{"type":"module","dependencies":{"next":"15.0.0","better-auth":"^1.7.0"}}"#,
    );
    write(
        &root.join("web/.env.example"),
        "BETTER_AUTH_SECRET=\nDATABASE_URL=\n",
    );
    write(
        &root.join("api/requirements.txt"),
        "fastapi==0.115.0\nPyJWT[crypto]\n",
    );
    for i in 0..deps {
        write(
            &root.join(format!("web/node_modules/pkg{}/lib/file{i}.js", i / 50)),
            "module.exports = function () { return process.env.SECRET_KEY }\n",
        );
    }
    for i in 0..sources {
        let dir = i / 100;
        match i % 4 {
            0 => write(
                &root.join(format!("web/src/components/c{dir}/Comp{i}.tsx")),
                "import { useState } from \"react\";\nexport function Comp() {\n  const [n, setN] = useState(0);\n  return <button onClick={() => setN(n + 1)}>{n}</button>;\n}\n",
            ),
            1 => write(
                &root.join(format!("api/app/modules/m{dir}/mod{i}.py")),
                "import os\n\nfrom fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get(\"/items/{item_id}\")\nasync def item(item_id: int) -> dict:\n    return {\"id\": item_id, \"region\": os.environ.get(\"REGION\")}\n",
            ),
            2 => write(
                &root.join(format!("api/migrations/{i:05}_m.sql")),
                "CREATE TABLE t (id BIGSERIAL PRIMARY KEY, ip_address TEXT, at TIMESTAMPTZ NOT NULL DEFAULT now());\n",
            ),
            _ => write(
                &root.join(format!("svc/src/m{dir}/f{i}.rs")),
                "pub fn port() -> u16 {\n    std::env::var(\"PORT\").ok().and_then(|p| p.parse().ok()).unwrap_or(4000)\n}\n",
            ),
        }
    }
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    build_tree(root, 46_000, 4_000);
    let runs = 7;
    let options = authgen::doctor::Options::default();
    let warm = authgen::doctor::run(root, &options).unwrap();
    assert_eq!(warm.findings().count(), 0, "the benchmark tree is clean");
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(authgen::doctor::run(root, &options).unwrap());
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "doctor, 50,000 files (46,000 in node_modules, 4,000 sources), {} checks: runs {runs}  min {:.0} ms  median {:.0} ms  max {:.0} ms",
        warm.checks.len(),
        times[0].as_secs_f64() * 1e3,
        times[runs / 2].as_secs_f64() * 1e3,
        times[runs - 1].as_secs_f64() * 1e3,
    );
}
