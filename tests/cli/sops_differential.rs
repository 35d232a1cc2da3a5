//! The differential test against the real sops 3.11 (issue 10): generated documents encrypted
//! by sops under every selection rule and key-group setup, then read and changed by cfsecret and
//! by sops on the same key paths.
//!
//! For each document: every probed path reads the same (or both refuse; a comment element or a
//! map is refused by cfsecret where sops prints it); for a few paths and a new key, both tools'
//! `set` give the same plaintext, sops verifies cfsecret's MAC, and cfsecret changes no line
//! sops's own `set` leaves alone (besides `lastmodified`/`mac`). cfsecret may refuse a `set`
//! sops performs only for its documented reasons (the value would be stored in clear; a flow
//! collection, an alias or a block scalar in a list; a comment element).
//!
//! A sample runs by default. `CFSECRET_DIFF_FULL=1` runs 300 documents per format;
//! `CFSECRET_DIFF_COUNT=n` runs n; `CFSECRET_DIFF_SEED=s` starts at seed s (a failure names its
//! seed, format and config, so `CFSECRET_DIFF_SEED=s CFSECRET_DIFF_COUNT=1` replays it).

use std::collections::BTreeSet;

use crate::sops_gen::{self, Doc, Rng};
use crate::sops_pair::{A, B, Pair, Read, reads_agree, rule};
use crate::support::{Test, line_changes, require};

/// The key setups and selection rules documents are encrypted under.
fn configs() -> Vec<(&'static str, String)> {
    let (a, b) = (Test::recipient(A), Test::recipient(B));
    vec![
        ("one recipient", rule("")),
        (
            "two recipients",
            format!("creation_rules:\n  - age: {a},{b}\n"),
        ),
        (
            "two key groups, threshold 2",
            format!(
                "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age:\n          - {a}\n      - age:\n          - {b}\n"
            ),
        ),
        (
            "unencrypted_suffix",
            rule("    unencrypted_suffix: _unencrypted\n"),
        ),
        ("encrypted_suffix", rule("    encrypted_suffix: _secret\n")),
        ("unencrypted_regex", rule("    unencrypted_regex: ^pub\n")),
        (
            "encrypted_regex",
            rule("    encrypted_regex: ^(sec|data|k|KEY|m)\n"),
        ),
        (
            "mac_only_encrypted",
            rule("    encrypted_regex: ^(sec|k|KEY)\n    mac_only_encrypted: true\n"),
        ),
        (
            "unencrypted_comment_regex",
            rule("    unencrypted_comment_regex: keep\n"),
        ),
        (
            "encrypted_comment_regex",
            rule("    encrypted_comment_regex: enc\n"),
        ),
    ]
}

fn count() -> u64 {
    if let Some(n) = std::env::var("CFSECRET_DIFF_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if std::env::var("CFSECRET_DIFF_FULL").as_deref() == Ok("1") {
        300
    } else {
        0
    }
}

fn first_seed() -> u64 {
    std::env::var("CFSECRET_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// Refusals cfsecret makes by design where sops writes.
const DELIBERATE: [&str; 4] = [
    "refusing to write",
    "cannot change",
    "a comment",
    "is a map",
];

#[derive(Default)]
struct Tally {
    docs: usize,
    skipped: usize,
    reads: usize,
    sets: usize,
    refused: usize,
    sops_broke_comment: usize,
    failures: Vec<String>,
}

fn run(format: &str, gen_doc: fn(u64) -> Doc, default_count: u64) -> Tally {
    let n = match count() {
        0 => default_count,
        n => n,
    };
    run_seeds(format, gen_doc, first_seed()..first_seed() + n)
}

fn run_seeds(format: &str, gen_doc: fn(u64) -> Doc, seeds: impl IntoIterator<Item = u64>) -> Tally {
    let configs = configs();
    let mut tally = Tally::default();
    for seed in seeds {
        let doc = gen_doc(seed);
        let mut r = Rng::new(seed ^ 0x5eed);
        let (name, config) = &configs[r.below(configs.len())];
        let what = format!("seed {seed}, {format}, {name}");
        let Some(p) = Pair::try_new(&format!("doc.{format}"), &doc.text, config) else {
            tally.skipped += 1;
            continue;
        };
        tally.docs += 1;
        check_doc(&p, &doc, &mut r, &what, &mut tally);
    }
    tally
}

fn check_doc(p: &Pair, doc: &Doc, r: &mut Rng, what: &str, tally: &mut Tally) {
    let fail = |tally: &mut Tally, msg: String| {
        tally.failures.push(format!(
            "{what}: {msg}\n--- plaintext:\n{}--- encrypted:\n{}",
            doc.text,
            p.t.read(&p.file)
        ))
    };
    // Reads: a sample of the probes (all of them in a full run).
    let full = count() > 0;
    let mut readable = Vec::new();
    let probes: Vec<&String> = if full || doc.probes.len() <= 10 {
        doc.probes.iter().collect()
    } else {
        (0..10).map(|_| r.pick(&doc.probes)).collect()
    };
    for key in probes {
        let (s, o) = (p.sops_read(&p.file, key), p.cf_read(&p.file, key));
        tally.reads += 1;
        if !reads_agree(&s, &o) {
            fail(
                tally,
                format!("{key}: sops read {s:?}, cfsecret read {o:?}"),
            );
        }
        if matches!((&s, &o), (Ok(v), Ok(_)) if !v.starts_with("value: ")) {
            readable.push(key.clone());
        }
    }
    // Sets: two existing values and one new key.
    let mut keys: Vec<String> = (0..2)
        .filter(|_| !readable.is_empty())
        .map(|_| r.pick(&readable).clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let parent = r.pick(&doc.maps).clone();
    keys.push(format!("{parent}[\"new_key\"]"));
    for (i, key) in keys.iter().enumerate() {
        tally.sets += 1;
        if let Err(msg) = check_set(p, key, &format!("set-{i}-ü"), tally) {
            fail(tally, format!("{key}: {msg}"));
        }
    }
}

fn check_set(p: &Pair, key: &str, value: &str, tally: &mut Tally) -> Result<(), String> {
    let before = p.t.read(&p.file);
    let (s, o) = (p.copy("by-sops"), p.copy("by-cfsecret"));
    let by_sops = p.sops_set(&s, key, value);
    let by_cf = p.cf_set(&o, key, value);
    match (by_sops.code, by_cf.code) {
        (0, 0) => {}
        (_, 0) => {
            return Err(format!(
                "sops refused ({}) where cfsecret wrote",
                by_sops.stderr
            ));
        }
        (0, _) if DELIBERATE.iter().any(|d| by_cf.stderr.contains(d)) => {
            tally.refused += 1;
            if p.t.read(&o) != before {
                return Err("cfsecret refused but changed the file".into());
            }
            return Ok(());
        }
        (0, _) => {
            return Err(format!(
                "cfsecret refused where sops wrote: {}",
                by_cf.stderr
            ));
        }
        _ => return Ok(()),
    }
    let theirs = crate::sops_pair::sops(&p.t, ["decrypt", &s]).run();
    let ours = crate::sops_pair::sops(&p.t, ["decrypt", &o]).run();
    if ours.code != 0 {
        return Err(format!(
            "sops cannot decrypt cfsecret's result: {}",
            ours.stderr
        ));
    }
    // sops's own set can move an encrypted comment to another level, where its AAD no longer
    // fits and sops prints it still encrypted (fixtures/SET-BEHAVIOUR.md §3.2); cfsecret leaves
    // comments where they are. Then the data, comments aside, must agree.
    let uncomment = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let same = if theirs.stdout.contains("#ENC[") {
        tally.sops_broke_comment += 1;
        uncomment(&ours.stdout) == uncomment(&theirs.stdout)
    } else {
        ours.stdout == theirs.stdout
    };
    if !same {
        return Err(format!(
            "plaintext differs after set:\n--- sops:\n{}--- cfsecret:\n{}",
            theirs.stdout, ours.stdout
        ));
    }
    let read: Read = p.cf_read(&o, key);
    if read.as_deref() != Ok(value) {
        return Err(format!("cfsecret reads back {read:?}"));
    }
    // cfsecret changes no line sops's own set leaves alone (metadata lines aside).
    let meta: BTreeSet<usize> = before
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start().trim_start_matches('"');
            t.starts_with("lastmodified") || t.starts_with("mac") || t.starts_with("sops_")
        })
        .map(|(i, _)| i + 1)
        .collect();
    let sops_removed: BTreeSet<usize> = line_changes(&before, &p.t.read(&s))
        .0
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let extra: Vec<(usize, String)> = line_changes(&before, &p.t.read(&o))
        .0
        .into_iter()
        .filter(|(n, _)| !sops_removed.contains(n) && !meta.contains(n))
        .collect();
    if !extra.is_empty() {
        return Err(format!(
            "cfsecret changed lines sops's set keeps: {extra:?}"
        ));
    }
    Ok(())
}

#[track_caller]
fn report(format: &str, t: Tally) {
    eprintln!(
        "differential {format}: {} documents ({} not accepted by sops), {} reads, {} sets ({} refused by design, {} where sops's own set broke a comment)",
        t.docs, t.skipped, t.reads, t.sets, t.refused, t.sops_broke_comment
    );
    assert!(t.docs > t.skipped, "most generated documents are valid");
    assert!(
        t.failures.is_empty(),
        "{} divergences from sops:\n\n{}",
        t.failures.len(),
        t.failures.join("\n\n")
    );
}

#[test]
fn yaml_reads_and_sets_agree_with_sops() {
    if require("sops") {
        report("yaml", run("yaml", sops_gen::yaml, 6));
    }
}

#[test]
fn json_reads_and_sets_agree_with_sops() {
    if require("sops") {
        report("json", run("json", sops_gen::json, 2));
    }
}

#[test]
fn dotenv_reads_and_sets_agree_with_sops() {
    if require("sops") {
        report("env", run("env", sops_gen::dotenv, 2));
    }
}

/// The seeds whose documents showed a divergence once (comments after a bare dash, seed 3; a
/// comment block trailing a nested map, 113; an empty `[]` last in a list, 116; sops's own set
/// breaking a comment, 110): they stay in the default run.
#[test]
fn yaml_documents_that_once_diverged_agree() {
    if require("sops") {
        report(
            "yaml",
            run_seeds("yaml", sops_gen::yaml, [3, 110, 113, 116]),
        );
    }
}
