//! Discovery on a large repository: prints figures, asserts nothing about time.
//!
//!   cargo bench --bench discover
//!
//! Two trees of 50,000+ files: one where almost everything sits under node_modules (the
//! usual shape: discovery prunes it), one where 50,000 source files sit in the project's own
//! directories (discovery has to list them all).

use std::path::Path;
use std::time::{Duration, Instant};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A FastAPI backend, a Next.js frontend, and `deps` files under `frontend/node_modules`
/// plus `sources` files across `frontend/src` and `backend/app`.
fn build_tree(root: &Path, deps: usize, sources: usize) {
    write(
        &root.join("backend/requirements.txt"),
        "fastapi==0.115.0\nalembic\n",
    );
    write(&root.join("backend/app/__init__.py"), "");
    write(
        &root.join("backend/app/main.py"),
        "from fastapi import FastAPI\napp = FastAPI()\n",
    );
    write(
        &root.join("backend/alembic.ini"),
        "[alembic]\nscript_location = alembic\n",
    );
    write(&root.join("backend/alembic/env.py"), "");
    write(
        &root.join("frontend/package.json"),
        r#"{"dependencies":{"next":"15.0.0"},"scripts":{"dev":"next dev"}}"#,
    );
    for i in 0..deps {
        let pkg = i / 50;
        write(
            &root.join(format!("frontend/node_modules/pkg{pkg}/lib/file{i}.js")),
            "module.exports = function () { return 1 }\n",
        );
    }
    for i in 0..sources {
        if i % 2 == 0 {
            write(
                &root.join(format!("frontend/src/components/c{}/Comp{i}.tsx", i / 100)),
                "export const X = 1;\n",
            );
        } else {
            write(
                &root.join(format!("backend/app/modules/m{}/mod{i}.py", i / 100)),
                "def f():\n    return 1\n",
            );
        }
    }
}

fn measure(label: &str, root: &Path, runs: u32) {
    // One warm-up run so the page cache is warm, as on a developer machine.
    let project = authgen::discover::discover(root).unwrap();
    assert_eq!(
        project.backends.len(),
        1,
        "the benchmark tree has one backend"
    );
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let project = authgen::discover::discover(root).unwrap();
            std::hint::black_box(project);
            start.elapsed()
        })
        .collect();
    times.sort();
    let mean = times.iter().sum::<Duration>() / runs;
    println!(
        "{label:<58} runs {runs:>2}  min {:>8.2} ms  median {:>8.2} ms  mean {:>8.2} ms",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
    );
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let deps = tmp.path().join("deps");
    build_tree(&deps, 50_000, 2_000);
    measure(
        "50,000 files in node_modules + 2,000 source files",
        &deps,
        20,
    );

    let sources = tmp.path().join("sources");
    build_tree(&sources, 0, 50_000);
    measure("50,000 source files outside node_modules", &sources, 10);
}
