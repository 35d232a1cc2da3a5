//! A new Kubernetes Secret manifest holding one value, encrypted as sops encrypts it.
//!
//! `apiVersion`, `kind`, `metadata` and `type` stay in clear text (kustomize and Flux's
//! kustomize-controller read them before decrypting), so the selection rule is the one the
//! `.sops.yaml` creation rule states when it keeps them clear, else the rule Flux documents,
//! `encrypted_regex: ^(data|stringData)$`. The MAC is computed by the same walk that verifies
//! files, over every value in order (sops hashes the clear ones too unless
//! `mac_only_encrypted`).

use secrecy::{ExposeSecret, SecretString};

use super::cipher::{self, DataKey};
use super::config::Plan;
use super::datakey;
use super::error::SopsErrorKind as K;
use super::format::Format;
use super::gotime::GoTime;
use super::keypath::KeyPath;
use super::selection::{DEFAULT_UNENCRYPTED_SUFFIX, Rule, Selection};
use super::value::Value;
use super::walk;
use super::yaml::emit::{self, YNode};

/// The rule Flux's documentation gives for Secret manifests.
pub(crate) const FLUX_RULE: &str = "^(data|stringData)$";

/// Whether `sel` keeps the manifest's identity clear and encrypts the value at `keys`.
fn fits(sel: &Selection, keys: &[String]) -> bool {
    let clear = [
        &["apiVersion"][..],
        &["kind"],
        &["metadata", "name"],
        &["metadata", "namespace"],
        &["type"],
    ];
    clear
        .iter()
        .all(|p| !sel.should_encrypt(p, &[vec![]], false))
        && sel.should_encrypt(keys, &[vec![]], false)
}

/// The text of a new Secret `namespace/name` holding `value` (already encoded as it is to be
/// stored) at `kp` (`["stringData"][K]` or `["data"][K]`).
pub(crate) fn new_secret(
    namespace: &str,
    name: &str,
    kp: &KeyPath,
    value: &SecretString,
    mut plan: Plan,
    now: GoTime,
) -> Result<(String, DataKey), K> {
    let keys: Vec<String> = kp.keys().into_iter().map(str::to_owned).collect();
    if keys.len() != 2 || kp.steps().len() != 2 || !(keys[0] == "data" || keys[0] == "stringData") {
        return Err(K::CannotEdit {
            path: kp.clone(),
            why: "a new Secret holds its value at one key under `data` or `stringData` \
                  (--key api-token)",
        });
    }
    if !fits(&plan.selection, &keys) {
        let default = matches!(&plan.selection.rule,
            Rule::UnencryptedSuffix(s) if s == DEFAULT_UNENCRYPTED_SUFFIX);
        if !default {
            return Err(K::CannotEdit {
                path: kp.clone(),
                why: "the .sops.yaml creation rule's selection would encrypt apiVersion, kind or \
                      metadata (kustomize and Flux need them in clear text) or leave the value \
                      clear; give that rule `encrypted_regex: ^(data|stringData)$`",
            });
        }
        plan.selection.rule = Rule::encrypted_regex(FLUX_RULE.into()).expect("a valid regex");
    }
    let key = DataKey::generate();
    let enc = cipher::encrypt(
        &Value::Str(value.expose_secret().to_owned()),
        &key,
        &walk::aad(&keys),
    );
    let groups = datakey::wrap(&key, &plan.groups, plan.threshold).map_err(K::Wrap)?;
    let lastmodified = now.format_rfc3339();
    let s = |v: &str| YNode::Str(v.to_owned());
    let body = vec![
        ("apiVersion".to_owned(), s("v1")),
        ("kind".to_owned(), s("Secret")),
        (
            "metadata".to_owned(),
            YNode::Map(vec![
                ("name".to_owned(), s(name)),
                ("namespace".to_owned(), s(namespace)),
            ]),
        ),
        ("type".to_owned(), s("Opaque")),
        (
            keys[0].clone(),
            YNode::Map(vec![(keys[1].clone(), YNode::Str(enc))]),
        ),
    ];
    let render = |mac: &str| {
        let meta = super::create::metadata_tree(&plan, &groups, &lastmodified, mac);
        let mut entries = body.clone();
        entries.push(("sops".to_owned(), meta));
        emit::document(&entries, plan.yaml_indent)
    };
    // The MAC as the reader computes it: from the text itself, so the two cannot disagree.
    let mut docs = Format::Yaml
        .parse(&render(""))
        .map_err(|(line, col, message)| K::Syntax { line, col, message })?;
    let mac_hex = walk::decrypt_and_mac(
        &mut docs,
        &key,
        &plan.selection,
        Format::Yaml.metadata_test(),
    )
    .map_err(K::Value)?;
    let mac = cipher::encrypt(&Value::Str(mac_hex), &key, &lastmodified);
    Ok((render(&mac), key))
}

/// `src` (a verified multi-document YAML file) with a new document: the Secret
/// `namespace/name` holding `value` (already encoded) at `kp`, encrypted with the file's data
/// key under the file's rule, carrying a copy of the file's `sops:` block (from `meta_start`),
/// and `lastmodified`/`mac` renewed in every block, as sops would write the file.
#[allow(clippy::too_many_arguments)]
pub(crate) fn append_secret(
    src: &str,
    meta_start: usize,
    metadata: &super::metadata::Metadata,
    key: &DataKey,
    (namespace, name): (&str, &str),
    kp: &KeyPath,
    value: &SecretString,
    now: GoTime,
) -> Result<String, K> {
    let keys: Vec<String> = kp.keys().into_iter().map(str::to_owned).collect();
    let why = "the file's selection rule would encrypt apiVersion, kind or metadata of a new \
               Secret, or leave its value clear; add the document with `sops edit`";
    if keys.len() != 2 || !fits(&metadata.selection, &keys) {
        return Err(K::CannotEdit {
            path: kp.clone(),
            why,
        });
    }
    // The block runs from `sops:` to the end of the first document.
    let rest = &src[meta_start..];
    let end = rest.find("\n---").map_or(rest.len(), |i| i + 1);
    let block = &rest[..end];
    let unit = block
        .lines()
        .nth(1)
        .map_or(4, |l| l.len() - l.trim_start().len())
        .max(1);
    let enc = cipher::encrypt(
        &Value::Str(value.expose_secret().to_owned()),
        key,
        &walk::aad(&keys),
    );
    let s = |v: &str| YNode::Str(v.to_owned());
    let body = emit::document(
        &[
            ("apiVersion".to_owned(), s("v1")),
            ("kind".to_owned(), s("Secret")),
            (
                "metadata".to_owned(),
                YNode::Map(vec![
                    ("name".to_owned(), s(name)),
                    ("namespace".to_owned(), s(namespace)),
                ]),
            ),
            ("type".to_owned(), s("Opaque")),
            (
                keys[0].clone(),
                YNode::Map(vec![(keys[1].clone(), YNode::Str(enc))]),
            ),
        ],
        unit,
    );
    let mut text = src.to_owned();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("---\n");
    text.push_str(&body);
    text.push_str(block);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut docs = Format::Yaml
        .parse(&text)
        .map_err(|(line, col, message)| K::Syntax { line, col, message })?;
    let mac_hex = walk::decrypt_and_mac(
        &mut docs,
        key,
        &metadata.selection,
        Format::Yaml.metadata_test(),
    )
    .map_err(K::Value)?;
    let lastmodified = now.format_rfc3339();
    let mac = cipher::encrypt(&Value::Str(mac_hex), key, &lastmodified);
    let edits = super::splice::metadata_edits(
        Format::Yaml,
        &text,
        &docs,
        &lastmodified,
        &mac,
        !metadata.rule_written,
    );
    super::splice::apply(&text, edits).map_err(|why| K::CannotEdit {
        path: kp.clone(),
        why,
    })
}
