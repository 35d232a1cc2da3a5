//! Interop with the real sops 3.11, both ways, over the fixture matrix (fixtures/manifest.json).
//!
//! For every fixture: cfsecret reads what sops wrote; cfsecret's `set` of an existing key changes
//! exactly the lines sops's own `set` changes (the value, `lastmodified`, `mac` per document);
//! sops decrypts the result with every other value as it was; sops's `set` on cfsecret's output
//! changes only those lines again; a new key lands on the line where sops puts it — or is refused
//! where sops would have written it in plaintext.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{StoreArgs, Test, canary, digest, fixtures, line_changes, require};

/// Fixtures where sops's own `set` rewrites more than it must (it re-encrypts NaN, and reuses
/// one IV for equal values at one path); cfsecret's diff is then a strict subset of sops's.
const SOPS_CHANGES_MORE: [&str; 2] = ["float-nan-iv-not-stashed", "duplicate-values-same-aad"];

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("manifest.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["fixtures"].as_array().unwrap().clone()
}

fn setup(fx: &Value) -> (Test, String) {
    let mut t = Test::new();
    let mut age = Vec::new();
    for id in fx["identities"].as_array().unwrap() {
        match id {
            Value::String(f) => age.push(f.as_str()),
            Value::Object(o) => {
                let key = fixtures().join(o["ssh"].as_str().unwrap());
                t.env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", key);
            }
            _ => panic!("identity entry"),
        }
    }
    if !age.is_empty() {
        t.age_keys(&age);
    }
    let file = fx["file"].as_str().unwrap();
    let name = format!(
        "store/{}",
        std::path::Path::new(file)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
    );
    t.fixture(file, &name);
    (t, name)
}

fn line_numbers(list: &Value) -> BTreeSet<usize> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e[0].as_u64().unwrap() as usize)
        .collect()
}

fn ours(changes: &[(usize, String)]) -> BTreeSet<usize> {
    changes.iter().map(|(n, _)| *n).collect()
}

fn sops_changes_more(fx: &Value) -> bool {
    fx["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| SOPS_CHANGES_MORE.contains(&f.as_str().unwrap()))
}

fn compare_with_sops(
    what: &str,
    fx: &Value,
    ours_set: BTreeSet<usize>,
    sops_set: BTreeSet<usize>,
) -> Result<(), String> {
    let ok = if sops_changes_more(fx) {
        ours_set.is_subset(&sops_set)
    } else {
        ours_set == sops_set
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what}: cfsecret changed lines {ours_set:?}, sops's own set changed {sops_set:?}"
        ))
    }
}

fn extract(t: &Test, file: &str, key: &str) -> Result<String, String> {
    let out = t.sops(["decrypt", "--extract", key, file]).run();
    if out.code != 0 {
        return Err(format!(
            "sops decrypt --extract {key} failed: {}",
            out.stderr
        ));
    }
    Ok(out.stdout)
}

fn check_read(fx: &Value) -> Result<(), String> {
    let (t, file) = setup(fx);
    let key = fx["existing_key"].as_str().unwrap();
    let out = t
        .cfsecret([
            "exec",
            "--file",
            &file,
            "--key",
            key,
            "--",
            "sh",
            "-c",
            "printf %s \"$CLOUDFLARE_API_TOKEN\"",
        ])
        .run();
    if out.code != 0 {
        return Err(format!("cfsecret cannot read it: {}", out.stderr));
    }
    if out.stdout != fx["existing_value"].as_str().unwrap() {
        return Err(format!(
            "read {:?}, expected {:?}",
            out.stdout, fx["existing_value"]
        ));
    }
    Ok(())
}

fn check_set_existing(fx: &Value) -> Result<(), String> {
    let (t, file) = setup(fx);
    let key = fx["existing_key"].as_str().unwrap();
    let secret = canary("interop");
    let before = t.read(&file);
    let plain_before = t.sops(["decrypt", &file]).run().success().stdout;
    let out = t
        .cfsecret(["set"])
        .file(&file)
        .key(key)
        .stdin(format!("{secret}\n"))
        .run();
    if out.code != 0 {
        return Err(format!("set failed: {}", out.stderr));
    }
    let out = out.hides(&secret);
    let _ = out;
    let after = t.read(&file);
    let (removed, added) = line_changes(&before, &after);
    let expected = &fx["sops_set"]["existing"];
    compare_with_sops(
        "existing key, removed",
        fx,
        ours(&removed),
        line_numbers(&expected["removed"]),
    )?;
    compare_with_sops(
        "existing key, added",
        fx,
        ours(&added),
        line_numbers(&expected["added"]),
    )?;
    if extract(&t, &file, key)? != secret {
        return Err("sops does not see the new value".into());
    }
    let plain_after = t.sops(["decrypt", &file]).run().success().stdout;
    let (r, a) = line_changes(&plain_before, &plain_after);
    if r.len() != 1 || a.len() != 1 || !a[0].1.contains(&secret) {
        return Err(format!(
            "decrypted content changed beyond the value: -{r:?} +{a:?}"
        ));
    }
    let leaks = t.files_containing(&secret);
    if !leaks.is_empty() {
        return Err(format!("plaintext secret found in {leaks:?}"));
    }
    // sops's own set on cfsecret's output changes only the value, lastmodified and mac.
    if !sops_changes_more(fx) {
        let config = fixtures().join(fx["config"].as_str().unwrap());
        let mut args = vec!["--config".to_owned(), config.display().to_string()];
        args.extend([
            "set".into(),
            file.clone(),
            key.into(),
            "\"after-sops\"".into(),
        ]);
        let out = t.sops(args).run();
        if out.code != 0 {
            return Err(format!(
                "sops set on cfsecret's output failed: {}",
                out.stderr
            ));
        }
        // Within the same second sops leaves `lastmodified` alone, so it may change fewer lines,
        // never others.
        let (r, a) = line_changes(&after, &t.read(&file));
        if !ours(&r).is_subset(&ours(&added)) || !ours(&a).is_subset(&ours(&added)) || r.is_empty()
        {
            return Err(format!(
                "sops set on cfsecret's output changed other lines: -{:?} +{:?} (cfsecret changed {:?})",
                ours(&r),
                ours(&a),
                ours(&added)
            ));
        }
    }
    Ok(())
}

fn check_set_new(fx: &Value) -> Result<(), String> {
    let (t, file) = setup(fx);
    let key = fx["new_key"].as_str().unwrap();
    let secret = canary("interop-new");
    let before = t.read(&file);
    let before_digest = digest(&t.path(&file));
    let out = t
        .cfsecret(["set", "--json"])
        .file(&file)
        .key(key)
        .stdin(secret.clone())
        .run()
        .hides(&secret);
    if !fx["new_key_encrypted"].as_bool().unwrap() {
        // sops would store this key in clear text; cfsecret must refuse and leave the file alone.
        if out.code != 1 || out.json()["error"] != "would_store_plaintext" {
            return Err(format!(
                "expected a refusal to store plaintext, got {}: {}",
                out.code, out.stdout
            ));
        }
        if digest(&t.path(&file)) != before_digest {
            return Err("the file changed despite the refusal".into());
        }
        return Ok(());
    }
    if out.code != 0 {
        return Err(format!(
            "set of a new key failed: {} {}",
            out.stdout, out.stderr
        ));
    }
    let after = t.read(&file);
    let (removed, added) = line_changes(&before, &after);
    let expected = &fx["sops_set"]["new"];
    compare_with_sops(
        "new key, removed",
        fx,
        ours(&removed),
        line_numbers(&expected["removed"]),
    )?;
    compare_with_sops(
        "new key, added",
        fx,
        ours(&added),
        line_numbers(&expected["added"]),
    )?;
    if extract(&t, &file, key)? != secret {
        return Err("sops does not see the new key".into());
    }
    Ok(())
}

#[test]
fn every_fixture_round_trips_with_sops() {
    if !require("sops") {
        return;
    }
    let mut failures = Vec::new();
    let fixtures = manifest();
    assert!(
        fixtures.len() >= 12,
        "the matrix needs at least 12 fixtures"
    );
    for fx in &fixtures {
        let name = fx["file"].as_str().unwrap();
        for (what, check) in [
            ("read", check_read as fn(&Value) -> Result<(), String>),
            ("set existing key", check_set_existing),
            ("set new key", check_set_new),
        ] {
            if let Err(e) = check(fx) {
                failures.push(format!("{name}: {what}: {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
