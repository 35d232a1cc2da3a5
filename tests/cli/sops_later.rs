//! Files written by sops 3.13, read and changed by cfsecret (and still read by sops 3.11).
//!
//! No sops 3.13 binary is installed, so the vector is derived from a file the real sops 3.11
//! writes, changed exactly as getsops/sops 3.13 lays files out (read in its
//! `stores/yaml/store.go` at v3.13.2: `appendInlineCommentToMap` / `addCommentsLine` keep a
//! value's line comment on its line, so an encrypted file holds `key: ENC[…] #ENC[…,type:comment]`;
//! its metadata says `version: 3.13.x`); plus a metadata field this version does not know, as
//! later versions add them (3.12 added `hckms`). Comments are outside the MAC, so the moved
//! comments keep the file valid for both versions.

use crate::sops_pair::{Pair, rule, sops};
use crate::support::require;

/// Moves each `#ENC[…]` comment line that stands just above `key:` to the end of that line.
fn inline_comment_before(text: &str, key: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&format!("{key}:")))
        .unwrap();
    assert!(
        lines[at - 1].trim_start().starts_with("#ENC["),
        "{}",
        lines[at - 1]
    );
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    out[at] = format!("{} {}", lines[at], lines[at - 1].trim_start());
    out.remove(at - 1);
    out.join("\n") + "\n"
}

fn sops_3_13_file() -> Pair {
    let plain = "token: secret-a # inline a\nnested:\n    inner: secret-b # inline b\n    list:\n        - x\n        - y\nafter: z\n";
    let p = Pair::new("later.yaml", plain, &rule(""));
    let mut text = p.t.read(&p.file);
    text = inline_comment_before(&text, "token");
    text = inline_comment_before(&text, "inner");
    text = text.replace(
        "    version: 3.11.0\n",
        "    future_field: kept as is\n    version: 3.13.1\n",
    );
    assert!(text.contains("version: 3.13.1"));
    p.t.write(&p.file, &text);
    p
}

#[test]
fn inline_comments_a_newer_version_and_unknown_metadata_are_read() {
    if !require("sops") {
        return;
    }
    let p = sops_3_13_file();
    let text = p.t.read(&p.file);
    assert!(
        text.lines()
            .any(|l| l.starts_with("token: ENC[") && l.contains(" #ENC["))
    );
    for (key, value) in [
        ("token", "secret-a"),
        (r#"["nested"]["inner"]"#, "secret-b"),
        (r#"["nested"]["list"][1]"#, "y"),
        ("after", "z"),
    ] {
        assert_eq!(p.cf_read(&p.file, key).as_deref(), Ok(value), "{key}");
    }
}

#[test]
fn a_set_keeps_inline_comments_the_version_and_unknown_metadata() {
    if !require("sops") {
        return;
    }
    let p = sops_3_13_file();
    let before = p.t.read(&p.file);
    p.cf_set(&p.file, "token", "new-a").success();
    p.cf_set(&p.file, r#"["nested"]["added"]"#, "new-c")
        .success();
    let after = p.t.read(&p.file);
    for kept in ["version: 3.13.1", "future_field: kept as is"] {
        assert!(after.contains(kept), "{kept} lost:\n{after}");
    }
    // The inline comments stay on their lines, unchanged.
    let comment = |t: &str, key: &str| {
        t.lines()
            .find(|l| l.trim_start().starts_with(key))
            .and_then(|l| l.split_once(" #ENC[").map(|(_, c)| c.to_owned()))
    };
    assert_eq!(comment(&after, "token:"), comment(&before, "token:"));
    assert_eq!(comment(&after, "inner:"), comment(&before, "inner:"));
    assert!(comment(&after, "token:").is_some());
    // sops 3.11 still reads it, the comments included.
    let plain = sops(&p.t, ["decrypt", &p.file]).run().success().stdout;
    assert!(
        plain.contains("# inline a") && plain.contains("# inline b"),
        "{plain}"
    );
    assert_eq!(p.sops_read(&p.file, r#"["token"]"#).as_deref(), Ok("new-a"));
    assert_eq!(
        p.sops_read(&p.file, r#"["nested"]["added"]"#).as_deref(),
        Ok("new-c")
    );
}
