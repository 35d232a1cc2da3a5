//! JSON growth edits: a new member, a new last list element, a map or list in place of a null.
//!
//! sops re-indents the whole file with tabs when it writes JSON; cfsecret splices instead, so a
//! new value is laid out with the file's own indentation unit, which for a file sops wrote gives
//! the same lines `sops set` would (observed with sops 3.11.0; tests/cli/sops_grow.rs).

use super::json::quote;
use super::keypath::Step;
use super::splice::{Edit, line_indent};
use super::tree::{Map, Node, Seq, SeqItem, Span};
use super::yaml::positions::node_end;

/// The indentation unit of a JSON file: the whitespace before the top-level members.
fn unit<'a>(src: &'a str, root: &Map) -> &'a str {
    root.entries()
        .next()
        .map_or("\t", |e| line_indent(src, e.key_span.start))
}

/// The value the `steps` make around the ciphertext `enc`, its inner lines indented one unit
/// deeper than `indent`: an object per key, a one-element array per position (sops appends
/// whatever the position).
fn value(steps: &[Step], enc: &str, indent: &str, unit: &str) -> String {
    let Some((first, rest)) = steps.split_first() else {
        return quote(enc);
    };
    let inner = format!("{indent}{unit}");
    let (open, member, close) = match first {
        Step::Key(k) => ('{', format!("{}: ", quote(k)), '}'),
        Step::Index(_) => ('[', String::new(), ']'),
    };
    format!(
        "{open}\n{inner}{member}{}\n{indent}{close}",
        value(rest, enc, &inner, unit)
    )
}

/// A new member `"key": value` for a map whose members are indented by `indent`.
fn member(key: &str, rest: &[Step], enc: &str, indent: &str, unit: &str) -> String {
    format!("{}: {}", quote(key), value(rest, enc, indent, unit))
}

/// Grows `map` by `remaining` (starting with the key it lacks). A new top-level member goes
/// just before `sops`, wherever that is.
pub(super) fn into_map(
    src: &str,
    root: &Map,
    map: &Map,
    at_root: bool,
    remaining: &[Step],
    enc: &str,
) -> Result<Edit, &'static str> {
    let Some((Step::Key(key), rest)) = remaining.split_first() else {
        return Err("new keys can only go into a map");
    };
    let unit = unit(src, root);
    let Some(first) = map.entries().next() else {
        let outer = line_indent(src, map.span.start);
        return Ok(Edit {
            span: map.span,
            text: value(remaining, enc, outer, unit),
        });
    };
    let indent = line_indent(src, first.key_span.start);
    let text = member(key, rest, enc, indent, unit);
    let sops = at_root
        .then(|| root.entries().find(|e| e.key == "sops"))
        .flatten();
    Ok(match sops {
        Some(sops) => Edit {
            span: Span::new(sops.key_span.start, sops.key_span.start),
            text: format!("{text},\n{indent}"),
        },
        None => Edit {
            span: Span::new(map.append_at, map.append_at),
            text: format!(",\n{indent}{text}"),
        },
    })
}

/// Appends to `seq` the value `remaining[1..]` makes (the first step is the position, at or
/// past the end: sops appends). An empty `[]` opens onto lines as sops writes it.
pub(super) fn into_list(
    src: &str,
    root: &Map,
    seq: &Seq,
    remaining: &[Step],
    enc: &str,
) -> Result<Edit, &'static str> {
    let unit = unit(src, root);
    let last = seq.items.iter().rev().find_map(|i| match i {
        SeqItem::Node(n) => Some(n),
        SeqItem::Comment(_) => None,
    });
    let Some(last) = last else {
        let outer = line_indent(src, seq.span.start);
        return Ok(Edit {
            span: seq.span,
            text: value(remaining, enc, outer, unit),
        });
    };
    let (start, end) = (start_of(last), node_end(last));
    let indent = line_indent(src, start);
    // An element on a line of its own gets a line of its own; inside `[a, b]` on one line the
    // new one follows on that line.
    let own_line = src[..start].ends_with(indent) && {
        let before = &src[..start - indent.len()];
        before.is_empty() || before.ends_with('\n')
    };
    let text = value(&remaining[1..], enc, indent, unit);
    Ok(Edit {
        span: Span::new(end, end),
        text: if own_line {
            format!(",\n{indent}{text}")
        } else {
            format!(", {text}")
        },
    })
}

/// Replaces a null with the map or list `remaining` makes.
pub(super) fn over_null(
    src: &str,
    root: &Map,
    null: Span,
    remaining: &[Step],
    enc: &str,
) -> Result<Edit, &'static str> {
    let outer = line_indent(src, null.start);
    Ok(Edit {
        span: null,
        text: value(remaining, enc, outer, unit(src, root)),
    })
}

fn start_of(node: &Node) -> usize {
    match node {
        Node::Map(m) => m.span.start,
        Node::Seq(s) => s.span.start,
        Node::Scalar(s) => s.span.start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_follows_go_indent() {
        let steps = [Step::Key("a".into()), Step::Index(3), Step::Key("b".into())];
        assert_eq!(
            member("a", &steps[1..], "E", "\t", "\t"),
            "\"a\": [\n\t\t{\n\t\t\t\"b\": \"E\"\n\t\t}\n\t]"
        );
    }
}
