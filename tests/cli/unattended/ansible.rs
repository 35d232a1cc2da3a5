//! The Ansible example (examples/ansible), run by the real ansible-playbook on the
//! cfsecret.cfsecret collection (installed from the example's requirements.yml, `type: dir`) and
//! the real community.sops lookup against the fake: the first run creates the token and reports
//! changed, the second reports ok, a --check --diff run after the token got old reports changed,
//! shows the token ids and changes nothing, a real run then rotates it, and the templated config
//! holds the token the fake minted. The collection's own tests are ansible/test.sh.

use std::collections::BTreeMap;

use fake_cloudflare::Op;

use super::{FILE, World, assert_no_secret, copy_tree, repo};
use crate::support::{Outcome, digest, require};

/// Where the example lives in the test dir; its files are next to it, as in the example.
const DIR: &str = "ansible";
const CONFIG: &str = "ansible/out/cloudflare.ini";
/// Where the collection is installed for the play.
const COLLECTIONS: &str = "collections";

/// Whether the community.sops collection is installed (with the `ansible` package).
fn require_community_sops(w: &World) -> bool {
    let out =
        w.t.command("ansible-doc", ["-t", "lookup", "community.sops.sops"])
            .env("LC_ALL", "C.UTF-8")
            .run();
    if out.code == 0 {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "community.sops is not installed, and CI=true: {}",
            out.stderr
        );
    }
    eprintln!("skipped: community.sops is not installed (pip install ansible; ./test.sh does)");
    false
}

struct Play {
    out: Outcome,
    /// Task name → `ok`, `changed`, `skipping` or `fatal` (the last word for that task).
    tasks: BTreeMap<String, String>,
    /// From the PLAY RECAP: ok, changed, failed, skipped.
    recap: BTreeMap<String, u32>,
}

/// `ansible-galaxy collection install -r requirements.yml`, run where the README says (the
/// example's directory in the repository: a `type: dir` source is relative to it).
fn install_collection(w: &World) {
    let dest = w.t.path(COLLECTIONS);
    let mut t = w.t.command(
        "ansible-galaxy",
        [
            "collection",
            "install",
            "-r",
            "requirements.yml",
            "-p",
            dest.to_str().unwrap(),
        ],
    );
    t.cmd.current_dir(repo().join("examples/ansible"));
    let out = t.env("LC_ALL", "C.UTF-8").env("ANSIBLE_NOCOLOR", "1").run();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        dest.join("ansible_collections/cfsecret/cfsecret/plugins/modules/token.py")
            .exists(),
        "{}",
        out.stdout
    );
}

fn play(w: &World, extra: &[&str]) -> Play {
    let mut args = vec![
        "playbook.yml".to_owned(),
        "-v".to_owned(),
        "-e".to_owned(),
        format!("cfsecret_bin={}", env!("CARGO_BIN_EXE_cfsecret")),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let mut t = w.t.command("ansible-playbook", args);
    t.cmd.current_dir(w.t.path(DIR));
    let out = t
        .env("LC_ALL", "C.UTF-8")
        .env("ANSIBLE_COLLECTIONS_PATH", w.t.path(COLLECTIONS))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_LOCALHOST_WARNING", "false")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "false")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "false")
        .run();
    let mut tasks = BTreeMap::new();
    let mut current = None;
    let mut recap = BTreeMap::new();
    for line in out.stdout.lines() {
        if let Some(rest) = line.strip_prefix("TASK [") {
            let name = rest.split(']').next().unwrap();
            let name = name.rsplit(" : ").next().unwrap().to_owned();
            current = Some(name);
        } else if let Some(name) = &current
            && let Some(status) = ["ok", "changed", "skipping", "fatal", "failed"]
                .into_iter()
                .find(|s| line.starts_with(&format!("{s}: [")))
        {
            tasks.insert(name.clone(), status.to_owned());
        } else if line.starts_with("localhost ") && line.contains(" : ok=") {
            for kv in line.split_whitespace().filter(|w| w.contains('=')) {
                let (k, v) = kv.split_once('=').unwrap();
                recap.insert(k.to_owned(), v.parse().unwrap());
            }
        }
    }
    assert!(
        !recap.is_empty(),
        "no PLAY RECAP:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    Play { out, tasks, recap }
}

impl Play {
    #[track_caller]
    fn changed(&self) -> u32 {
        assert_eq!(
            self.recap["failed"], 0,
            "the play failed:\n{}\n{}",
            self.out.stdout, self.out.stderr
        );
        self.recap["changed"]
    }

    #[track_caller]
    fn task(&self, prefix: &str) -> &str {
        self.tasks
            .iter()
            .find(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| {
                panic!(
                    "no task {prefix:?} in {:?}\n{}",
                    self.tasks, self.out.stdout
                )
            })
    }
}

/// `dns_cloudflare_api_token = …` of the rendered config.
fn configured_token(w: &World) -> String {
    let text = w.t.read(CONFIG);
    text.lines()
        .find_map(|l| l.strip_prefix("dns_cloudflare_api_token = "))
        .unwrap_or_else(|| panic!("no token line in {text}"))
        .to_owned()
}

#[test]
fn the_playbook_creates_keeps_checks_and_rotates_the_token() {
    if !require("ansible-playbook") || !require("sops") {
        return;
    }
    let w = World::in_dir(DIR);
    if !require_community_sops(&w) {
        return;
    }
    // The example as it is, with its secrets next to it (secrets/mgmt.yml is there already).
    copy_tree(&repo().join("examples/ansible"), &w.t.path(DIR));
    install_collection(&w);
    let file = format!("{DIR}/{FILE}");
    let mut printed = String::new();
    let mut play = |extra: &[&str]| {
        let p = play(&w, extra);
        printed.push_str(&p.out.stdout);
        printed.push_str(&p.out.stderr);
        p
    };

    // Check mode before anything exists: it would create the token, and creates nothing.
    let p = play(&["--check"]);
    assert_eq!(p.changed(), 1, "{}", p.out.stdout);
    assert_eq!(p.task("Keep the token fresh"), "changed");
    assert_eq!(p.task("Verify the stored token"), "skipping");
    assert!(!w.t.path(&file).exists());
    assert!(!w.t.path(CONFIG).exists());
    assert!(w.fake.active_tokens_named(super::NAME).is_empty());

    // First run: created, verified, rendered.
    let p = play(&[]);
    assert!(p.changed() >= 2, "{}", p.out.stdout);
    assert_eq!(p.task("Keep the token fresh"), "changed");
    assert_eq!(p.task("Verify the stored token"), "ok");
    assert_eq!(p.task("Render the config file"), "changed");
    let first = w.active_id();
    let secret = w.secret_of(&first);
    assert_eq!(
        configured_token(&w),
        secret,
        "the config holds the token the fake minted"
    );
    assert_eq!(
        w.sops_extract(&file, super::KEY),
        secret,
        "the file is plain sops"
    );
    let mode = std::fs::metadata(w.t.path(CONFIG)).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );

    // Second run: nothing to do.
    let p = play(&[]);
    assert_eq!(p.changed(), 0, "{}", p.out.stdout);
    assert_eq!(w.active_id(), first);

    // 31 days later, in check mode with --diff: the token task reports changed and shows the
    // old token id going, and nothing changes.
    w.age_token(31);
    let before = (digest(&w.t.path(&file)), digest(&w.t.path(CONFIG)));
    w.fake.clear_requests();
    let p = play(&["--check", "--diff"]);
    assert_eq!(p.changed(), 1, "{}", p.out.stdout);
    assert_eq!(p.task("Keep the token fresh"), "changed");
    assert_eq!(p.task("Render the config file"), "ok");
    assert!(
        p.out.stdout.contains(&first) && p.out.stdout.contains("(new token)"),
        "the diff shows the token id being replaced:\n{}",
        p.out.stdout
    );
    assert_eq!(
        (digest(&w.t.path(&file)), digest(&w.t.path(CONFIG))),
        before
    );
    assert_eq!(w.active_id(), first);
    w.fake.wait_idle();
    let mutations: Vec<_> = w
        .fake
        .requests()
        .into_iter()
        .filter(|r| {
            matches!(
                r.op,
                Some(Op::CreateToken | Op::DeleteToken | Op::RollToken | Op::UpdateToken)
            )
        })
        .collect();
    assert!(
        mutations.is_empty(),
        "check mode changed nothing at Cloudflare: {mutations:?}"
    );

    // The real run rotates, and the same play renders the new token (the lookup reads the file
    // when the template is rendered, after the rotation).
    let p = play(&[]);
    assert_eq!(p.task("Keep the token fresh"), "changed");
    assert_eq!(p.task("Render the config file"), "changed");
    let second = w.active_id();
    assert_ne!(second, first);
    assert!(w.fake.token(&first).is_none(), "the old token is revoked");
    assert_eq!(configured_token(&w), w.secret_of(&second));

    // Whatever Ansible printed (-v shows every result), no secret was in it.
    assert_no_secret(&printed, &w.secrets(), "ansible-playbook's output");
}
