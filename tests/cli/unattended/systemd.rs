//! The systemd units of examples/systemd pass `systemd-analyze verify`, and the service is
//! hardened (`systemd-analyze security --offline`).

use std::path::PathBuf;

use super::repo;
use crate::support::{Test, require};

const BIN: &str = "/usr/local/bin/cfsecret";

fn unit(name: &str) -> String {
    std::fs::read_to_string(repo().join("examples/systemd").join(name)).unwrap()
}

/// The units in a temp dir, the service's `/usr/local/bin/cfsecret` replaced by the binary
/// under test (verify checks that ExecStart is executable) — the only change.
fn units(t: &Test) -> (PathBuf, PathBuf) {
    let service = unit("cfsecret-rotate.service");
    assert_eq!(service.matches(BIN).count(), 1, "one ExecStart with {BIN}");
    let service = service.replace(BIN, env!("CARGO_BIN_EXE_cfsecret"));
    (
        t.write("units/cfsecret-rotate.service", service),
        t.write("units/cfsecret-rotate.timer", unit("cfsecret-rotate.timer")),
    )
}

#[test]
fn the_units_pass_systemd_analyze_verify() {
    if !require("systemd-analyze") {
        return;
    }
    let t = Test::new();
    let (service, timer) = units(&t);
    let out = t
        .command("systemd-analyze", ["verify", "--man=no"])
        .arg(&service)
        .arg(&timer)
        .run();
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", ""),
        "systemd-analyze verify: no error, no warning"
    );
}

#[test]
fn the_service_is_hardened_and_the_timer_is_randomised_and_persistent() {
    let service = unit("cfsecret-rotate.service");
    let settings = [
        "Type=oneshot",
        "ProtectSystem=strict",
        "ReadWritePaths=/srv/secrets",
        "NoNewPrivileges=true",
        "PrivateTmp=true",
        "LoadCredential=age-key:",
        "Environment=SOPS_AGE_KEY_FILE=%d/age-key",
        "EnvironmentFile=-",
    ];
    for s in settings {
        assert!(service.contains(s), "{s}");
    }
    let exec = service
        .split("ExecStart=")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with('#'))
        .collect::<String>();
    for flag in ["rotate", "--max-age 30d", "--wait", "--file /srv/secrets/"] {
        assert!(exec.contains(flag), "{flag} in {exec}");
    }
    let timer = unit("cfsecret-rotate.timer");
    for s in ["RandomizedDelaySec=", "Persistent=true", "OnCalendar="] {
        assert!(timer.contains(s), "{s}");
    }
    if !require("systemd-analyze") {
        return;
    }
    let t = Test::new();
    let (service, _) = units(&t);
    let out = t
        .command(
            "systemd-analyze",
            ["security", "--offline=true", "--no-pager"],
        )
        .arg(&service)
        .run();
    let level = out
        .stdout
        .lines()
        .find_map(|l| l.split("cfsecret-rotate.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no exposure level: {}\n{}", out.stdout, out.stderr));
    assert!(
        level <= 2.0,
        "exposure {level} (OK is below 4.0; this unit should stay ≤ 2.0)"
    );
}
