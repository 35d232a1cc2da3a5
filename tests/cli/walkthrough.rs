//! The README's "try it locally" walk-through is this script; it must keep working.

use std::path::Path;

use crate::support::{Test, require};

#[test]
fn the_readme_walk_through_runs() {
    if !require("sops") || !require("git") {
        return;
    }
    let cfsecret = Path::new(env!("CARGO_BIN_EXE_cfsecret"));
    let fake = cfsecret.with_file_name("fake-cloudflare");
    if !fake.exists() {
        // `cargo test --workspace` (the test command) builds it; a narrower run may not have.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the fake-cloudflare binary was not built"
        );
        eprintln!("skipped: build the fake first (cargo build -p fake-cloudflare)");
        return;
    }
    let t = Test::new();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/try-it-locally.sh");
    let out = t
        .command("bash", [script.as_os_str()])
        .env("CFSECRET", cfsecret)
        .env("FAKE_CLOUDFLARE", &fake)
        .run()
        .success();
    for expected in [
        "stored cloudflare_mgmt_token in secrets/mgmt.yml (new file)",
        "created token ",
        "is active",
        "rotated the token at cloudflare_api_token in secrets/cell-v0.yml",
        "The rotation changed 3 lines of secrets/cell-v0.yml",
    ] {
        assert!(
            out.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            out.stdout
        );
    }
    assert!(
        !out.stdout.contains("cfut_") && !out.stderr.contains("cfut_"),
        "a token secret was printed"
    );
}
