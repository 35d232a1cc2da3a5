//! Seeded generators of YAML, JSON and dotenv documents for the differential test: nested maps
//! and lists, lists of maps, comments in every position, flow collections with comments, block
//! scalars with each chomping, quoting edge cases, unicode, anchors and tags; JSON numbers,
//! escapes and duplicate keys; dotenv's verbatim lines. Each document comes with the key paths
//! worth probing (every value, and every list position up to past the end).

/// xorshift64: reproducible from the seed alone.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }

    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// A generated document.
pub struct Doc {
    pub text: String,
    /// Key paths in sops's index syntax, to read and set.
    pub probes: Vec<String>,
    /// Paths of maps (`""` for the top level), to add a key to.
    pub maps: Vec<String>,
}

const KEYS: [&str; 12] = [
    "k",
    "pub_k",
    "k_unencrypted",
    "k_secret",
    "sec",
    "data",
    "clé",
    "日本",
    "key with space",
    "'q: k'",
    "\"123\"",
    "emoji🔑",
];

const COMMENTS: [&str; 6] = [
    " c",
    " keep this",
    " enc below",
    "ünïcode",
    " trailing  ",
    "#hash",
];

const SCALARS: [&str; 22] = [
    "plain",
    "two words",
    "'it''s'",
    "\"tab\\there\"",
    "\"yes\"",
    "yes",
    "\"0755\"",
    "0755",
    "42",
    "-7",
    "1.5",
    "1e10",
    ".nan",
    "true",
    "null",
    "~",
    "2024-01-02",
    "'# not a comment'",
    "\"ünï ☃\"",
    "!!str 42",
    "!custom tagged",
    "''",
];

/// The key as written (`'q: k'`) and as named in a path (`q: k`).
fn key_name(written: &str) -> String {
    written.trim_matches(|c| c == '\'' || c == '"').to_owned()
}

fn path(parent: &str, key: &str) -> String {
    format!("{parent}[\"{key}\"]")
}

pub fn yaml(seed: u64) -> Doc {
    let mut g = Gen {
        r: Rng::new(seed),
        out: String::new(),
        probes: Vec::new(),
        maps: vec![String::new()],
        anchors: 0,
    };
    g.map(0, 3, "");
    g.comments(0);
    Doc {
        text: g.out,
        probes: g.probes,
        maps: g.maps,
    }
}

struct Gen {
    r: Rng,
    out: String,
    probes: Vec<String>,
    maps: Vec<String>,
    anchors: usize,
}

impl Gen {
    fn pad(&mut self, n: usize) {
        self.out.push_str(&" ".repeat(n));
    }

    /// 0–2 comment lines at `indent` (sometimes off by a column or two); returns how many.
    fn comments(&mut self, indent: usize) -> usize {
        let n = if self.r.one_in(2) {
            0
        } else {
            1 + self.r.below(2)
        };
        for _ in 0..n {
            let at = if self.r.one_in(4) {
                indent.saturating_sub(2)
            } else {
                indent
            };
            self.pad(at);
            let c = self.r.pick(&COMMENTS).to_owned();
            self.out.push_str(&format!("#{c}\n"));
        }
        n
    }

    fn line_comment(&mut self) {
        if self.r.one_in(3) {
            let c = self.r.pick(&COMMENTS).to_owned();
            self.out.push_str(&format!(" #{c}"));
        }
    }

    fn scalar(&mut self) {
        if self.anchors > 0 && self.r.one_in(12) {
            let a = self.r.below(self.anchors);
            self.out.push_str(&format!("*a{a}"));
        } else {
            if self.r.one_in(10) {
                self.out.push_str(&format!("&a{} ", self.anchors));
                self.anchors += 1;
            }
            let s = self.r.pick(&SCALARS).to_owned();
            self.out.push_str(s);
        }
        self.line_comment();
        self.out.push('\n');
    }

    fn block_scalar(&mut self, indent: usize) {
        let header = *self.r.pick(&["|", "|-", "|+", ">", ">-"]);
        self.out.push_str(header);
        self.line_comment();
        self.out.push('\n');
        for i in 0..1 + self.r.below(3) {
            self.pad(indent);
            self.out.push_str(&format!("line {i} # kept"));
            self.out.push('\n');
        }
        if self.r.one_in(3) {
            self.out.push('\n');
        }
    }

    fn flow(&mut self) {
        let f = *self.r.pick(&[
            "{}",
            "[]",
            "{a: 1, b: two}",
            "[x, 2, {c: d}]",
            "{n: [1, 2]}",
        ]);
        self.out.push_str(f);
        if self.r.one_in(2) {
            let c = self.r.pick(&COMMENTS).to_owned();
            self.out.push_str(&format!(" #{c}"));
        }
        self.out.push('\n');
    }

    /// The value after `key:` (the colon written), for the node at `p`.
    fn value(&mut self, indent: usize, depth: usize, p: &str) {
        match if depth == 0 {
            self.r.below(3)
        } else {
            self.r.below(7)
        } {
            0 | 1 => {
                self.out.push(' ');
                self.scalar();
                self.probes.push(p.to_owned());
            }
            2 => {
                self.out.push(' ');
                self.block_scalar(indent + 2);
                self.probes.push(p.to_owned());
            }
            3 => {
                self.out.push(' ');
                self.flow();
                self.probes.push(p.to_owned());
                self.probes.push(format!("{p}[0]"));
                self.probes.push(format!("{p}[\"a\"]"));
            }
            4 | 5 => {
                self.line_comment();
                self.out.push('\n');
                self.map(indent + 2, depth - 1, p);
                let foot = self.comments(indent + 2);
                let _ = foot;
            }
            _ => {
                self.line_comment();
                self.out.push('\n');
                let dash = indent + 2 * self.r.below(2);
                self.list(dash, depth - 1, p);
            }
        }
    }

    fn map(&mut self, indent: usize, depth: usize, parent: &str) {
        self.maps.push(parent.to_owned());
        let mut used = Vec::new();
        for i in 0..1 + self.r.below(4) {
            self.comments(indent);
            let base = *self.r.pick(&KEYS);
            let written = if base.ends_with(['\'', '"']) {
                format!("{}{i}{}", &base[..base.len() - 1], &base[base.len() - 1..])
            } else {
                format!("{base}{i}")
            };
            let name = key_name(&written);
            if used.contains(&name) {
                continue;
            }
            used.push(name.clone());
            self.pad(indent);
            self.out.push_str(&written);
            self.out.push(':');
            self.value(indent, depth, &path(parent, &name));
        }
    }

    fn list(&mut self, dash: usize, depth: usize, p: &str) {
        let mut elements = 0;
        let n = 1 + self.r.below(4);
        for _ in 0..n {
            elements += self.comments(dash);
            self.pad(dash);
            self.out.push('-');
            match self.r.below(5) {
                0 | 1 => {
                    self.out.push(' ');
                    self.scalar();
                }
                2 if depth > 0 => {
                    // a list of maps: the first key on the dash line
                    self.out.push(' ');
                    let keys = 1 + self.r.below(2);
                    for k in 0..keys {
                        if k > 0 {
                            self.pad(dash + 2);
                        }
                        self.out.push_str(&format!("m{k}:"));
                        self.out.push(' ');
                        self.scalar();
                        self.probes.push(format!("{p}[{elements}][\"m{k}\"]"));
                    }
                }
                3 if depth > 0 => {
                    // a nested list, its head comment sometimes on the dash line
                    if self.r.one_in(2) {
                        let c = self.r.pick(&COMMENTS).to_owned();
                        self.out.push_str(&format!(" #{c}"));
                    }
                    self.out.push('\n');
                    let inner = format!("{p}[{elements}]");
                    self.list(dash + 2, depth - 1, &inner);
                }
                _ => {
                    self.out.push(' ');
                    self.flow();
                }
            }
            elements += 1;
        }
        let foot = dash + 2 * self.r.below(2);
        elements += self.comments(foot);
        // Every position, comments counted however they are, and past the end.
        for i in 0..elements + 4 {
            self.probes.push(format!("{p}[{i}]"));
        }
    }
}

const JSON_NUMBERS: [&str; 9] = [
    "0",
    "-7",
    "1.5",
    "1e10",
    "1E-7",
    "12345678901234",
    "1.0",
    "-0.0",
    "123456789.0",
];

const JSON_STRINGS: [&str; 7] = [
    "\"plain\"",
    "\"line\\nbreak\"",
    "\"tab\\t\"",
    "\"\\u00e9t\\u00e9\"",
    "\"q\\\"uote\"",
    "\"back\\\\slash\"",
    "\"\"",
];

pub fn json(seed: u64) -> Doc {
    let mut r = Rng::new(seed);
    let mut probes = Vec::new();
    let mut maps = vec![String::new()];
    let text = json_object(&mut r, 3, "", &mut probes, &mut maps, 1);
    Doc { text, probes, maps }
}

fn json_value(
    r: &mut Rng,
    depth: usize,
    p: &str,
    probes: &mut Vec<String>,
    maps: &mut Vec<String>,
    ind: usize,
) -> String {
    probes.push(p.to_owned());
    match if depth == 0 { r.below(4) } else { r.below(6) } {
        0 => r.pick(&JSON_NUMBERS).to_string(),
        1 | 2 => r.pick(&JSON_STRINGS).to_string(),
        3 => r.pick(&["true", "false", "null"]).to_string(),
        4 => json_object(r, depth - 1, p, probes, maps, ind + 1),
        _ => {
            let n = r.below(4);
            let items: Vec<String> = (0..n)
                .map(|i| json_value(r, depth - 1, &format!("{p}[{i}]"), probes, maps, ind + 1))
                .collect();
            probes.push(format!("{p}[{n}]"));
            format!("[{}]", items.join(", "))
        }
    }
}

fn json_object(
    r: &mut Rng,
    depth: usize,
    p: &str,
    probes: &mut Vec<String>,
    maps: &mut Vec<String>,
    ind: usize,
) -> String {
    maps.push(p.to_owned());
    let n = 1 + r.below(4);
    let mut members = Vec::new();
    for i in 0..n {
        // A duplicate key now and then: sops's reader decides which one counts.
        let key = if i > 0 && r.one_in(8) {
            "k0".to_owned()
        } else {
            format!("{}{i}", r.pick(&["k", "pub_k", "k_secret", "sec", "é"]))
        };
        let v = json_value(r, depth, &path(p, &key), probes, maps, ind);
        members.push(format!("{}\"{key}\": {v}", "  ".repeat(ind)));
    }
    format!("{{\n{}\n{}}}", members.join(",\n"), "  ".repeat(ind - 1))
}

pub fn dotenv(seed: u64) -> Doc {
    let mut r = Rng::new(seed);
    let mut text = String::new();
    let mut probes = Vec::new();
    for i in 0..2 + r.below(6) {
        if r.one_in(3) {
            text.push_str(&format!("#{}\n", r.pick(&COMMENTS)));
        }
        let key = format!(
            "{}{i}",
            r.pick(&["KEY", "PUB_KEY", "KEY_SECRET", "KEY_unencrypted", "SPACED "])
        );
        let value = *r.pick(&[
            "v",
            "a=b",
            " spaced ",
            "",
            "ünï",
            "\"quoted\"",
            "with\\nnewline",
            "42",
        ]);
        text.push_str(&format!("{key}={value}\n"));
        probes.push(path("", &key));
    }
    probes.push("[\"MISSING\"]".into());
    Doc {
        text,
        probes,
        maps: vec![String::new()],
    }
}
