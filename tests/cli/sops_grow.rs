//! Growing a JSON or dotenv file the way `sops set` 3.11 does (issue 10): a position at or past
//! a list's end appends, a position under a missing key or a null makes a new one-element list,
//! as the YAML store already does (`sops_divergences::null_and_list_parents_grow_like_sops`).
//! Layouts compared here were observed with the real sops 3.11.0 (`sops set` re-indents the
//! whole JSON file with tabs; cfsecret splices, so the structure lines must come out the same).

use crate::sops_pair::{Pair, assert_sets_agree, rule};
use crate::support::require;

/// Every line of a JSON file's data part with the ciphertexts cut off, for comparing layouts.
fn structure(text: &str) -> Vec<String> {
    text.lines()
        .take_while(|l| !l.starts_with("\t\"sops\":"))
        .map(|l| l.split("ENC[").next().unwrap().to_owned())
        .collect()
}

#[test]
fn json_lists_grow_and_appear_where_sops_puts_them() {
    if !require("sops") {
        return;
    }
    let plain = "{\n\t\"a\": \"x\",\n\t\"l\": [\"p\", \"q\"],\n\t\"e\": [],\n\t\"n\": null,\n\t\"m\": {},\n\t\"lm\": [{\"k\": \"v\"}]\n}\n";
    let p = Pair::new("g.json", plain, &rule(""));
    for key in [
        r#"["l"][2]"#,
        r#"["l"][9]"#,
        r#"["e"][0]"#,
        r#"["e"][0][0]"#,
        r#"["new"][0]"#,
        r#"["new"][3]["k"]"#,
        r#"["n"][0]"#,
        r#"["n"][0]["k"]"#,
        r#"["m"]["z"][0]"#,
        r#"["lm"][1]["k"]"#,
        r#"["lm"][0]["j"][0]"#,
    ] {
        // Both succeed, the plaintexts agree and sops verifies cfsecret's MAC.
        let (s, o) = assert_sets_agree(&p, key, "grown");
        assert_eq!(
            structure(&p.t.read(&o)),
            structure(&p.t.read(&s)),
            "{key}: layout differs from sops's"
        );
    }
    // An existing position is replaced in place, as before.
    assert_sets_agree(&p, r#"["l"][0]"#, "first");
}

/// A list written inline by hand (`[1, 2]` on one line, not sops's layout) still grows to what
/// sops decrypts the same, and sops verifies the MAC.
#[test]
fn a_hand_written_inline_json_list_grows_too() {
    if !require("sops") {
        return;
    }
    let p = Pair::new("h.json", "{\"l\": [\"p\", \"q\"], \"z\": 1}", &rule(""));
    let text = p.t.read(&p.file);
    // Put the list back on one line, as a hand edit would.
    let start = text.find("\"l\": [").unwrap() + "\"l\": ".len();
    let end = start + text[start..].find(']').unwrap() + 1;
    let items: Vec<&str> = text[start + 1..end - 1]
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| !l.is_empty())
        .collect();
    p.t.write(
        &p.file,
        format!("{}[{}]{}", &text[..start], items.join(", "), &text[end..]),
    );
    assert_sets_agree(&p, r#"["l"][2]"#, "v");
    assert_sets_agree(&p, r#"["l"][5]["k"]"#, "v");
}

/// dotenv holds KEY=VALUE lines only: sops refuses a nested key path ("cannot use complex value
/// in dotenv file"), and cfsecret refuses it before touching the file, saying why.
#[test]
fn dotenv_refuses_nested_key_paths() {
    if !require("sops") {
        return;
    }
    let p = Pair::new("d.env", "A=1\nB=2\n", &rule(""));
    let before = p.t.read(&p.file);
    for key in [
        r#"["A"]["x"]"#,
        r#"["C"]["x"]"#,
        r#"["C"][0]"#,
        r#"["A"][0]"#,
    ] {
        let out = p.cf_set(&p.file, key, "v").code(1);
        assert!(
            out.stderr.contains("dotenv") && out.stderr.contains("no nesting"),
            "{key}: {}",
            out.stderr
        );
        assert_eq!(p.t.read(&p.file), before, "{key}: the file changed");
    }
    // sops writes nothing either.
    let s = p.copy("by-sops");
    let _ = p.sops_set(&s, r#"["C"]["x"]"#, "v");
    assert_eq!(p.t.read(&s), before);
}
