//! Regression tests for the divergences from sops 3.11 found by the differential campaign
//! (issue 10): each reads and sets a file the real sops wrote, with both tools, on the same key
//! path. Layouts quoted in comments were observed with the real sops 3.11.0.

use crate::sops_pair::{Pair, assert_reads_agree, assert_sets_agree, rule};
use crate::support::require;

fn indices(key: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{key}[{i}]")).collect()
}

/// The issue's minimal case: sops moves the inline comment to a comment line inside the list
/// (`#ENC[…,type:comment]` between `- a` and `- k:`), and counts it: `["list"][2]` is the map.
#[test]
fn list_positions_count_comment_lines_as_sops_does() {
    if !require("sops") {
        return;
    }
    let p = Pair::new(
        "l.yaml",
        "list:\n- a\n- k: v # inline\n  j: w\n- b\n",
        &rule(""),
    );
    assert!(
        p.t.read(&p.file).contains("    #ENC["),
        "the layout under test"
    );
    let keys = indices(r#"["list"]"#, 5);
    let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    keys.extend([r#"["list"][2]["j"]"#, r#"["list"][3]["j"]"#]);
    assert_reads_agree(&p, &keys);
    assert_eq!(p.cf_read(&p.file, r#"["list"][3]"#).as_deref(), Ok("b"));
    assert_sets_agree(&p, r#"["list"][3]"#, "new-b");
    assert_sets_agree(&p, r#"["list"][2]["j"]"#, "new-j");
    // A comment element is not a value: refused, and the file is left alone.
    let before = p.t.read(&p.file);
    let out = p.cf_set(&p.file, r#"["list"][1]"#, "x").code(1);
    assert!(out.stderr.contains("a comment"), "{}", out.stderr);
    assert_eq!(p.t.read(&p.file), before);
}

/// Comments sops encrypts inside a list become `- ENC[…,type:comment]` items; comments a
/// selection rule leaves in clear stay `# …` lines. Both are elements for sops.
#[test]
fn clear_and_encrypted_list_comments_count_alike() {
    if !require("sops") {
        return;
    }
    let plain = "list:\n  -\n    # c map head\n    k: v\n  -\n    # c nested head\n    - n1\n  - x\n  # clear keep\n  - y\n  # clear tail\n";
    for config in [rule(""), rule("    unencrypted_comment_regex: keep\n")] {
        let p = Pair::new("n.yaml", plain, &config);
        let keys = indices(r#"["list"]"#, 8);
        let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        keys.extend([
            r#"["list"][1]["k"]"#,
            r#"["list"][2][0]"#,
            r#"["list"][2][1]"#,
        ]);
        assert_reads_agree(&p, &keys);
        assert_sets_agree(&p, r#"["list"][3]"#, "new-x");
    }
}

/// sops writes the head comment of a nested list on the dash line (`- #ENC[…]`, the nested
/// list's items below it); it is the nested list's first element, not the outer list's.
#[test]
fn a_comment_after_a_dash_belongs_to_the_nested_list() {
    if !require("sops") {
        return;
    }
    let plain = "l1:\n  - - k: v # c1\n      j: w\n    - x\n  - y\nl2:\n  -\n    - # c2\n      k: v\n  - z\nl3:\n  - # c3\n    - a\n    - b\n  - q\n";
    let p = Pair::new("p.yaml", plain, &rule(""));
    assert!(
        p.t.read(&p.file).contains("    - #ENC["),
        "the layout under test"
    );
    let mut keys = Vec::new();
    for l in ["l1", "l2", "l3"] {
        keys.extend(indices(&format!("[\"{l}\"]"), 3));
        keys.extend(indices(&format!("[\"{l}\"][0]"), 4));
    }
    keys.push(r#"["l1"][0][1]["j"]"#.into());
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    assert_reads_agree(&p, &keys);
    assert_sets_agree(&p, r#"["l1"][0][2]"#, "new-x");
    assert_sets_agree(&p, r#"["l3"][0][2]"#, "new-b");
}

/// A file whose `sops:` block is not last (a key-sorting tool, a hand edit): the new top-level
/// key goes before `sops:`, and the MAC follows that order, for sops and for cfsecret.
#[test]
fn a_new_key_before_a_sops_block_that_is_not_last_keeps_the_mac() {
    if !require("sops") {
        return;
    }
    let p = Pair::new("s.yaml", "a: one\nz: last\n", &rule(""));
    let text = p.t.read(&p.file);
    let at = text.find("\nsops:").unwrap() + 1;
    let (data, meta) = text.split_at(at);
    let (a, z) = data.split_at(data.find("z:").unwrap());
    p.t.write(&p.file, format!("{a}{meta}{z}"));
    assert_reads_agree(&p, &[r#"["a"]"#, r#"["z"]"#]);
    p.cf_set(&p.file, "new", "added").success();
    assert_eq!(p.sops_read(&p.file, r#"["new"]"#).as_deref(), Ok("added"));
    assert_eq!(p.cf_read(&p.file, "new").as_deref(), Ok("added"));
    assert_eq!(p.cf_read(&p.file, "z").as_deref(), Ok("last"));
    let text = p.t.read(&p.file);
    assert!(text.find("new:").unwrap() < text.find("sops:").unwrap());
}

/// sops writes `empty: {} # c` as a flow map over several lines with the encrypted comment
/// inside and `}` at column 0, nested too; cfsecret reads and sets every key of such a file.
#[test]
fn flow_maps_holding_comments_read_and_set() {
    if !require("sops") {
        return;
    }
    let plain = "top: {} # c\nouter:\n  inner: {} # d\n  list:\n    - {} # e\n    - x: {} # f\n  after: 1\nlast: v\n";
    let p = Pair::new("f.yaml", plain, &rule(""));
    assert!(p.t.read(&p.file).contains("\n}\n"), "the layout under test");
    assert_reads_agree(
        &p,
        &[
            r#"["last"]"#,
            r#"["outer"]["after"]"#,
            r#"["outer"]["list"][0]"#,
            r#"["outer"]["list"][1]"#,
            r#"["top"]"#,
        ],
    );
    assert_sets_agree(&p, r#"["last"]"#, "new-last");
    assert_sets_agree(&p, r#"["outer"]["inner"]["new"]"#, "v1");
    assert_sets_agree(&p, r#"["top"]["new"]"#, "v2");
    assert_sets_agree(&p, r#"["outer"]["list"][2]["x"]["new"]"#, "v3");
}

/// `printf 5 | set --key port` on `port: 5`: sops stores the string "5" (`type:str`).
#[test]
fn setting_a_number_to_its_own_text_stores_a_string() {
    if !require("sops") {
        return;
    }
    let p = Pair::new("n.yaml", "port: 5\n", &rule(""));
    let (s, o) = assert_sets_agree(&p, "[\"port\"]", "5");
    for f in [s, o] {
        let text = p.t.read(&f);
        let line = text.lines().find(|l| l.starts_with("port:")).unwrap();
        assert!(line.ends_with(",type:str]"), "{f}: {line}");
    }
}

/// A new key under an empty flow map `{}`: `public:` with no trailing space, as sops writes
/// it; under `- {}` in a list the key follows the dash.
#[test]
fn a_new_key_under_an_empty_flow_map_is_laid_out_as_sops_does() {
    if !require("sops") {
        return;
    }
    let p = Pair::new("e.yaml", "public: {}\nl:\n    - {}\n", &rule(""));
    for key in [r#"["public"]["k"]"#, r#"["l"][0]["k"]"#] {
        let (s, o) = assert_sets_agree(&p, key, "v");
        let (s, o) = (p.t.read(&s), p.t.read(&o));
        let data = |t: &str| -> Vec<String> {
            t.lines()
                .take_while(|l| !l.starts_with("sops:"))
                .map(|l| l.split("ENC[").next().unwrap().to_owned())
                .collect()
        };
        assert_eq!(data(&o), data(&s), "{key}: layout differs from sops's");
    }
}

/// A null parent becomes a map (or a list, for a position); a position at or past the end of
/// a list appends, as `sops set` does.
#[test]
fn null_and_list_parents_grow_like_sops() {
    if !require("sops") {
        return;
    }
    let plain = "n1: null\nn2:\nn3: ~\ne: []\nl:\n    - {}\n    - x\nafter: 1\n";
    let p = Pair::new("g.yaml", plain, &rule(""));
    for key in [
        r#"["n1"]["k"]"#,
        r#"["n2"]["k"]["deeper"]"#,
        r#"["n3"][0]"#,
        r#"["e"][0]"#,
        r#"["e"][3]["k"]"#,
        r#"["l"][2]"#,
        r#"["l"][7]"#,
    ] {
        assert_sets_agree(&p, key, "grown");
    }
}

/// `exec` hands over a non-string value as `sops decrypt --extract` prints it (without the
/// final newline of a YAML document).
#[test]
fn exec_prints_non_strings_like_sops_extract() {
    if !require("sops") {
        return;
    }
    let yaml = "b: true\nf: false\nnan: .nan\nbig: 1e10\nfl: 1.5\nneg: -0.0\ninf: .inf\nninf: -.inf\nt: 2024-01-01\none: 1.0\nbig2: 1e21\nsmall: 0.0000001\ng: 123456789.0\nport: 5\n";
    let p = Pair::new("v.yaml", yaml, &rule(""));
    let keys: Vec<String> = yaml
        .lines()
        .map(|l| format!("[\"{}\"]", l.split(':').next().unwrap()))
        .collect();
    for key in &keys {
        let sops = p.sops_read(&p.file, key).unwrap();
        assert_eq!(
            p.cf_read(&p.file, key).unwrap(),
            sops.strip_suffix('\n').unwrap(),
            "{key}"
        );
    }
    let json = r#"{"b": true, "big": 1e10, "i": 5, "f": 1.5, "one": 1.0, "big2": 1e21, "small": 0.0000001, "g": 123456789.0, "z": -0.0}"#;
    let p = Pair::new("v.json", json, &rule(""));
    for key in ["b", "big", "i", "f", "one", "big2", "small", "g", "z"] {
        let key = format!("[\"{key}\"]");
        assert_eq!(
            p.cf_read(&p.file, &key),
            p.sops_read(&p.file, &key),
            "{key}"
        );
    }
}
