//! Writing a new SOPS file that holds one secret, laid out exactly as sops lays it out.
//!
//! The metadata follows sops's struct order (`shamir_threshold`, `key_groups`, `age`,
//! `lastmodified`, `mac`, the selection rule, `mac_only_encrypted`, `version`); YAML uses
//! yaml.v3's indentation, JSON Go's `json.Indent` with tabs (or `stores.json.indent` spaces), and
//! dotenv sops's flattened, sorted `sops_*` lines. A later `sops set` on the file therefore
//! changes only the lines it has to.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256, Sha512};

use super::cipher::{self, DataKey};
use super::config::Plan;
use super::datakey;
use super::error::SopsErrorKind as K;
use super::format::Format;
use super::gotime::GoTime;
use super::json::quote;
use super::keypath::{KeyPath, Step};
use super::metadata::AgeEntry;
use super::value::Value;
use super::walk;
use super::yaml::emit::{self, YNode};

/// The version written into new files: the sops release whose format this implements.
pub(crate) const SOPS_VERSION: &str = "3.11.0";

/// The text of a new file holding `secret` at `kp`.
pub(crate) fn new_file(
    format: Format,
    kp: &KeyPath,
    secret: &SecretString,
    plan: &Plan,
    now: GoTime,
) -> Result<(String, DataKey), K> {
    let keys: Vec<String> = kp
        .steps()
        .iter()
        .map(|s| match s {
            Step::Key(k) => Ok(k.clone()),
            Step::Index(_) => Err(K::CannotEdit {
                path: kp.clone(),
                why: "a new file can only be created with map keys, not list positions",
            }),
        })
        .collect::<Result<_, _>>()?;
    if format == Format::Dotenv
        && (keys.len() != 1
            || keys[0].contains(['=', '\n'])
            || keys[0].starts_with('#')
            || keys[0].starts_with("sops_"))
    {
        return Err(K::CannotEdit {
            path: kp.clone(),
            why: "a dotenv file holds single KEY=VALUE lines (no nesting, no `=` in keys, no sops_ prefix)",
        });
    }
    if keys[0] == "sops" && format != Format::Dotenv {
        return Err(K::CannotEdit {
            path: kp.clone(),
            why: "`sops` is the metadata key",
        });
    }
    if !plan.selection.should_encrypt(&keys, &[vec![]], false) {
        let (field, value) = plan.selection.rule.field();
        return Err(K::WouldBePlaintext {
            path: kp.clone(),
            rule: format!("{field}: {value}"),
        });
    }
    let key = DataKey::generate();
    let plain = Value::Str(secret.expose_secret().to_owned());
    let enc = cipher::encrypt(&plain, &key, &walk::aad(&keys));
    let mut hash = Sha512::new();
    if plan.selection.mac_only_encrypted {
        hash.update(Sha256::digest(b"sops"));
    }
    hash.update(plain.to_bytes());
    let mac_hex: String = hash.finalize().iter().map(|b| format!("{b:02X}")).collect();
    let lastmodified = now.format_rfc3339();
    let mac = cipher::encrypt(&Value::Str(mac_hex), &key, &lastmodified);
    let groups = datakey::wrap(&key, &plan.groups, plan.threshold).map_err(K::Wrap)?;
    let meta = metadata_tree(plan, &groups, &lastmodified, &mac);
    let text = match format {
        Format::Yaml => {
            let data = keys.iter().skip(1).rev().fold(YNode::Str(enc), |node, k| {
                YNode::Map(vec![(k.clone(), node)])
            });
            emit::document(
                &[(keys[0].clone(), data), ("sops".into(), meta)],
                plan.yaml_indent,
            )
        }
        Format::Json => {
            let unit = plan
                .json_indent
                .map_or_else(|| "\t".to_owned(), |n| " ".repeat(n));
            let data = keys.iter().skip(1).rev().fold(YNode::Str(enc), |node, k| {
                YNode::Map(vec![(k.clone(), node)])
            });
            let mut out = json(
                &YNode::Map(vec![(keys[0].clone(), data), ("sops".into(), meta)]),
                &unit,
                "",
            );
            out.push('\n');
            out
        }
        Format::Dotenv => {
            let mut lines = Vec::new();
            flatten("", &meta, &mut lines);
            lines.sort();
            let mut out = format!("{}={enc}\n", keys[0]);
            for (k, v) in lines {
                out.push_str(&format!("sops_{k}={}\n", super::dotenv::encode_value(&v)));
            }
            out
        }
    };
    Ok((text, key))
}

fn age_list(entries: &[AgeEntry]) -> YNode {
    YNode::Seq(
        entries
            .iter()
            .map(|e| {
                YNode::Map(vec![
                    ("recipient".into(), YNode::Str(e.recipient.clone())),
                    ("enc".into(), YNode::Str(e.enc.clone())),
                ])
            })
            .collect(),
    )
}

pub(crate) fn metadata_tree(
    plan: &Plan,
    groups: &[Vec<AgeEntry>],
    lastmodified: &str,
    mac: &str,
) -> YNode {
    let mut m = Vec::new();
    if groups.len() > 1 {
        m.push(("shamir_threshold".into(), YNode::Int(plan.threshold as i64)));
        m.push((
            "key_groups".into(),
            YNode::Seq(
                groups
                    .iter()
                    // `hc_vault` and `age` are not omitempty inside key groups: an empty
                    // `hc_vault` is written `[]` (YAML) or `null` (JSON), as sops does.
                    .map(|g| {
                        YNode::Map(vec![
                            ("hc_vault".into(), YNode::Seq(vec![])),
                            ("age".into(), age_list(g)),
                        ])
                    })
                    .collect(),
            ),
        ));
    } else {
        m.push(("age".into(), age_list(&groups[0])));
    }
    m.push(("lastmodified".into(), YNode::Str(lastmodified.to_owned())));
    m.push(("mac".into(), YNode::Str(mac.to_owned())));
    let (field, value) = plan.selection.rule.field();
    m.push((field.into(), YNode::Str(value.to_owned())));
    if plan.selection.mac_only_encrypted {
        m.push(("mac_only_encrypted".into(), YNode::Bool(true)));
    }
    m.push(("version".into(), YNode::Str(SOPS_VERSION.into())));
    YNode::Map(m)
}

/// Go's `json.MarshalIndent` layout; an empty list is a nil slice (`null`), as sops's
/// `hc_vault` field in key groups.
fn json(node: &YNode, unit: &str, indent: &str) -> String {
    let inner = format!("{indent}{unit}");
    match node {
        YNode::Map(entries) if entries.is_empty() => "{}".into(),
        YNode::Map(entries) => {
            let body: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{inner}{}: {}", quote(k), json(v, unit, &inner)))
                .collect();
            format!("{{\n{}\n{indent}}}", body.join(",\n"))
        }
        YNode::Seq(items) if items.is_empty() => "null".into(),
        YNode::Seq(items) => {
            let body: Vec<String> = items
                .iter()
                .map(|v| format!("{inner}{}", json(v, unit, &inner)))
                .collect();
            format!("[\n{}\n{indent}]", body.join(",\n"))
        }
        YNode::Str(s) => quote(s),
        YNode::Int(i) => i.to_string(),
        YNode::Bool(b) => b.to_string(),
    }
}

/// sops's dotenv flattening: nested keys joined with `__map_`, list positions with `__list_`,
/// nil values left out.
fn flatten(prefix: &str, node: &YNode, out: &mut Vec<(String, String)>) {
    match node {
        YNode::Map(entries) => {
            for (k, v) in entries {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}__map_{k}")
                };
                flatten(&key, v, out);
            }
        }
        YNode::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}__list_{i}"), v, out);
            }
        }
        YNode::Str(s) => out.push((prefix.to_owned(), s.clone())),
        YNode::Int(i) => out.push((prefix.to_owned(), i.to_string())),
        YNode::Bool(b) => out.push((prefix.to_owned(), b.to_string())),
    }
}
