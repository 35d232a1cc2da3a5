//! `--check`, which Ansible's check mode maps to, changes nothing: not the file, not a token at
//! Cloudflare — not even the clean-up a real run does on the way.

use fake_cloudflare::{Op, Resource, TokenSpec};

use super::{FILE, NAME, World};
use crate::support::{digest, require};

#[test]
fn a_check_rotation_leaves_an_abandoned_successor_to_the_real_run() {
    if !require("sops") {
        return;
    }
    let w = World::new();
    w.create(&[]).success();
    w.age_token(31);
    let old = w.active_id();
    // What an interrupted run of this store whose journal was lost leaves: a successor under
    // a pending name carrying this store's tag, two hours old, that a real rotation deletes.
    let zone = w.fake.zone_id("example.com").unwrap();
    let tag = crate::token_loss::store_tag(&w.t.path(FILE), super::KEY);
    let abandoned = w.fake.mint(
        TokenSpec::user(&format!("{NAME} [cfsecret:pending:{tag}.0badf00d]"))
            .permission("Zone Read", Resource::Zone(zone)),
    );
    w.fake.backdate(&abandoned.id, 2 * 3600);
    let before = digest(&w.t.path(FILE));
    w.fake.clear_requests();

    let out = w.rotate(&["--check", "--json"]).run().success();
    let json = out.json();
    assert_eq!(json["changed"], true, "{json}");
    assert_eq!(json["action"], "rotated");
    let msg = json["msg"].as_str().unwrap();
    assert!(msg.contains("would delete abandoned successor"), "{msg}");
    assert!(
        w.fake.token(&abandoned.id).is_some(),
        "check mode deleted a token: {msg}"
    );
    assert_eq!(digest(&w.t.path(FILE)), before);
    assert_eq!(w.active_id(), old);
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
    assert!(mutations.is_empty(), "{mutations:?}");

    // The real run cleans it up.
    let out = w.rotate(&["--json"]).run().success();
    let msg = out.json()["msg"].as_str().unwrap().to_owned();
    assert!(msg.contains("deleted abandoned successor"), "{msg}");
    assert!(w.fake.token(&abandoned.id).is_none());
    assert_ne!(w.active_id(), old);
}
