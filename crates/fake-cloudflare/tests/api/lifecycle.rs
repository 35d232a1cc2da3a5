//! Create → verify → roll → update → delete, for user and account tokens.

use fake_cloudflare::{FakeCloudflare, Owner, Resource, TokenSpec};
use serde_json::{Value, json};

use crate::common::*;

fn is_ts(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    let b = s.as_bytes();
    s.len() == 20
        && b[10] == b'T'
        && b[19] == b'Z'
        && s.bytes().enumerate().all(|(i, c)| match i {
            4 | 7 => c == b'-',
            13 | 16 => c == b':',
            10 | 19 => true,
            _ => c.is_ascii_digit(),
        })
}

fn is_hex32(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn assert_secret_shape(secret: &str, prefix: &str) {
    assert_eq!(secret.len(), 53, "{secret}");
    assert!(secret.starts_with(prefix), "{secret}");
    assert!(secret[5..45].bytes().all(|b| b.is_ascii_alphanumeric()));
    let crc = crc32fast::hash(&secret.as_bytes()[..45]);
    assert_eq!(&secret[45..], format!("{crc:08x}"));
}

#[tokio::test]
async fn user_token_full_lifecycle() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let zone = fake.zone_id("example.com").unwrap();

    // Create.
    let body = json!({"name": "dns-example", "policies": [{"effect": "allow",
        "resources": {format!("com.cloudflare.api.account.zone.{zone}"): "*"},
        "permission_groups": [{"id": ZONE_READ}, {"id": DNS_WRITE, "name": "ignored"}]}]});
    let resp = api.post("/user/tokens", Auth::Bearer(&boot), body).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.header("ratelimit"), Some("\"default\";r=50;t=30"));
    assert_eq!(
        resp.header("ratelimit-policy"),
        Some("\"burst\";q=100;w=60")
    );
    let envelope = resp.json();
    let keys: Vec<&str> = envelope
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["success", "errors", "messages", "result"]);
    let created = resp.result();
    let id = created["id"].as_str().unwrap().to_string();
    let secret = created["value"].as_str().unwrap().to_string();
    assert!(is_hex32(&created["id"]));
    assert_secret_shape(&secret, "cfut_");
    assert_eq!(created["status"], "active");
    assert!(is_ts(&created["issued_on"]), "{created}");
    assert_eq!(created["issued_on"], created["modified_on"]);
    for absent in ["last_used_on", "condition", "expires_on", "not_before"] {
        assert!(created.get(absent).is_none(), "{absent} in {created}");
    }
    let policy = &created["policies"][0];
    assert!(is_hex32(&policy["id"]));
    assert_eq!(
        policy["permission_groups"],
        json!([{"id": ZONE_READ, "name": "Zone Read"}, {"id": DNS_WRITE, "name": "DNS Write"}])
    );
    assert!(fake.issued_secrets().contains(&secret));
    assert_eq!(fake.token_for_secret(&secret).unwrap().id, id);
    assert_eq!(fake.token(&id).unwrap().owner, Owner::User(fake.user_id()));

    // Verify, which also marks the token as used.
    let v = api.get("/user/tokens/verify", Auth::Bearer(&secret)).await;
    assert_eq!(v.status, 200);
    assert_eq!(
        v.json(),
        json!({"success": true, "errors": [], "result": {"id": id, "status": "active"},
               "messages": [{"code": 10000, "message": "This API Token is valid and active", "type": null}]})
    );
    let got = api
        .get(&format!("/user/tokens/{id}"), Auth::Bearer(&boot))
        .await
        .result();
    assert!(is_ts(&got["last_used_on"]), "{got}");
    assert!(got.get("value").is_none());

    // Roll: same id, new secret, old secret dead at once, modified_on bumped.
    fake.backdate(&id, 3600);
    let rolled = api
        .put(
            &format!("/user/tokens/{id}/value"),
            Auth::Bearer(&boot),
            json!({}),
        )
        .await;
    let new_secret = rolled.result().as_str().expect("bare string").to_string();
    assert_secret_shape(&new_secret, "cfut_");
    assert_ne!(new_secret, secret);
    api.get("/user/tokens/verify", Auth::Bearer(&secret))
        .await
        .assert_error(401, 1000, "Invalid API Token");
    let v = api
        .get("/user/tokens/verify", Auth::Bearer(&new_secret))
        .await
        .result();
    assert_eq!(v, json!({"id": id, "status": "active"}));
    let info = fake.token(&id).unwrap();
    assert!(info.modified_on > info.issued_on, "{info:?}");
    assert!(!fake.is_active_secret(&secret));
    assert!(fake.is_active_secret(&new_secret));

    // An empty roll body is fine too (cloudflare-go v0 sends none).
    let again = api
        .call(
            "PUT",
            &format!("/user/tokens/{id}/value"),
            Auth::Bearer(&boot),
            None,
        )
        .await;
    let newest = again.result().as_str().unwrap().to_string();
    assert!(!fake.is_active_secret(&new_secret));

    // Update: full replace, policy id sent back is kept, no value returned.
    let policy_id = got["policies"][0]["id"].clone();
    let expires = fake.timestamp(86_400);
    let upd = json!({"name": "renamed", "status": "disabled", "expires_on": expires,
        "policies": [{"id": policy_id, "effect": "allow", "resources": all_zones(),
                      "permission_groups": [{"id": ZONE_READ}]}]});
    let u = api
        .put(&format!("/user/tokens/{id}"), Auth::Bearer(&boot), upd)
        .await
        .result();
    assert_eq!(u["name"], "renamed");
    assert_eq!(u["status"], "disabled");
    assert_eq!(u["expires_on"], expires.as_str());
    assert_eq!(u["policies"][0]["id"], policy_id);
    assert_eq!(u["policies"].as_array().unwrap().len(), 1);
    assert!(u.get("value").is_none());
    let v = api.get("/user/tokens/verify", Auth::Bearer(&newest)).await;
    assert_eq!(v.status, 200);
    assert_eq!(
        v.result(),
        json!({"id": id, "status": "disabled", "expires_on": expires})
    );
    assert_eq!(v.json()["messages"], json!([]));

    // Delete.
    let d = api
        .delete(&format!("/user/tokens/{id}"), Auth::Bearer(&boot))
        .await;
    assert_eq!(d.result(), json!({"id": id}));
    api.get("/user/tokens/verify", Auth::Bearer(&newest))
        .await
        .assert_error(401, 1000, "Invalid API Token");
    api.get(&format!("/user/tokens/{id}"), Auth::Bearer(&boot))
        .await
        .assert_error(
            404,
            7003,
            &format!(
                "Could not route to /user/tokens/{id}, perhaps your object identifier is invalid?"
            ),
        );
    assert!(fake.token(&id).is_none());
    assert_eq!(fake.token_for_secret(&newest), None);
}

#[tokio::test]
async fn unknown_ids_are_404_on_every_token_route() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let id = "0123456789abcdef0123456789abcdef";
    let msg =
        |p: &str| format!("Could not route to {p}, perhaps your object identifier is invalid?");
    let path = format!("/user/tokens/{id}");
    api.delete(&path, Auth::Bearer(&boot))
        .await
        .assert_error(404, 7003, &msg(&path));
    api.put(
        &path,
        Auth::Bearer(&boot),
        token_body("x", ZONE_READ, all_zones()),
    )
    .await
    .assert_error(404, 7003, &msg(&path));
    let roll = format!("{path}/value");
    api.put(&roll, Auth::Bearer(&boot), json!({}))
        .await
        .assert_error(404, 7003, &msg(&roll));
    // A user token is not reachable under the account path either.
    let boot_id = fake.bootstrap_token_id();
    let acct_path = format!("/accounts/{}/tokens/{boot_id}", fake.account_id());
    api.get(&acct_path, Auth::Bearer(&boot))
        .await
        .assert_error(404, 7003, &msg(&acct_path));
}

#[tokio::test]
async fn account_tokens() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let acct = fake.account_id();
    let base = format!("/accounts/{acct}/tokens");
    let body = token_body(
        "acct-admin",
        ACCOUNT_API_TOKENS_WRITE,
        json!({format!("com.cloudflare.api.account.{acct}"): "*"}),
    );
    let created = api.post(&base, Auth::Bearer(&boot), body).await.result();
    let secret = created["value"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();
    assert_secret_shape(&secret, "cfat_");
    assert_eq!(fake.token(&id).unwrap().owner, Owner::Account(acct.clone()));

    // Verify only on the account path.
    api.get("/user/tokens/verify", Auth::Bearer(&secret))
        .await
        .assert_error(401, 1000, "Invalid API Token");
    let v = api
        .get(&format!("{base}/verify"), Auth::Bearer(&secret))
        .await
        .result();
    assert_eq!(v, json!({"id": id, "status": "active"}));
    api.get(&format!("{base}/verify"), Auth::Bearer(&boot))
        .await
        .assert_error(401, 1000, "Invalid API Token");

    // The account token manages its account's tokens, nothing of the user's.
    let child = api
        .post(&base, Auth::Bearer(&secret), token_body("child", ZONE_READ, json!({
            format!("com.cloudflare.api.account.{acct}"): {"com.cloudflare.api.account.zone.*": "*"}})))
        .await
        .result();
    assert!(child["value"].as_str().unwrap().starts_with("cfat_"));
    let listed = api.get(&base, Auth::Bearer(&secret)).await.result();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acct-admin", "child"]);
    api.get("/user/tokens", Auth::Bearer(&secret))
        .await
        .assert_error(403, 9109, "Unauthorized to access requested resource");
    api.get("/accounts", Auth::Bearer(&secret))
        .await
        .assert_error(
            400,
            1001,
            "List accounts endpoint does not support account owned tokens.",
        );
    // It cannot grant what its account does not own.
    api.post(
        &base,
        Auth::Bearer(&secret),
        token_body(
            "u",
            API_TOKENS_WRITE,
            json!({format!("com.cloudflare.api.user.{}", fake.user_id()): "*"}),
        ),
    )
    .await
    .assert_error(403, 9109, "Unauthorized to access requested resource");
    // Roll works the same way.
    let child_id = child["id"].as_str().unwrap();
    let rolled = api
        .put(
            &format!("{base}/{child_id}/value"),
            Auth::Bearer(&secret),
            json!({}),
        )
        .await;
    assert!(rolled.result().as_str().unwrap().starts_with("cfat_"));
    // An account the user does not have.
    api.get(
        "/accounts/ffffffffffffffffffffffffffffffff/tokens",
        Auth::Bearer(&boot),
    )
    .await
    .assert_error(403, 9109, "Unauthorized to access requested resource");
}

#[tokio::test]
async fn global_api_key_manages_tokens_but_cannot_verify() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let (email, key) = fake.global_api_key();
    let created = api
        .post(
            "/user/tokens",
            Auth::Global(&email, &key),
            token_body("via-key", ZONE_READ, all_zones()),
        )
        .await
        .result();
    assert!(created["value"].as_str().unwrap().starts_with("cfut_"));
    let acct = format!("/accounts/{}/tokens", fake.account_id());
    assert_eq!(api.get(&acct, Auth::Global(&email, &key)).await.status, 200);
    api.get("/user/tokens/verify", Auth::Global(&email, &key))
        .await
        .assert_error(400, 1001, "Missing \"Authorization\" header");
    api.get(
        "/user/tokens",
        Auth::Global(&email, "0000000000000000000000000000000000000"),
    )
    .await
    .assert_error(403, 9103, "Unknown X-Auth-Key or X-Auth-Email");
}

#[tokio::test]
async fn a_token_can_roll_and_delete_itself() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let me = fake.mint(
        TokenSpec::user("self").permission("API Tokens Write", Resource::User(fake.user_id())),
    );
    let new = api
        .put(
            &format!("/user/tokens/{}/value", me.id),
            Auth::Bearer(&me.secret),
            json!({}),
        )
        .await
        .result();
    let new = new.as_str().unwrap();
    assert!(!fake.is_active_secret(&me.secret));
    api.get("/user/tokens", Auth::Bearer(&me.secret))
        .await
        .assert_error(403, 9109, "Invalid access token");
    api.delete(&format!("/user/tokens/{}", me.id), Auth::Bearer(new))
        .await
        .result();
    assert!(fake.active_tokens_named("self").is_empty());
}

#[tokio::test]
async fn create_validation() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let before = fake.tokens().len();
    let mut with_policy_id = token_body("x", ZONE_READ, all_zones());
    with_policy_id["policies"][0]["id"] = json!("f267e341f3dd4697bd3b9f71dd96247f");
    api.post("/user/tokens", Auth::Bearer(&boot), with_policy_id)
        .await
        .assert_error(
            400,
            1001,
            "Reusing existing policies is not supported by token creation",
        );
    for resources in [
        json!({"com.cloudflare.api.account.zone.ffffffffffffffffffffffffffffffff": "*"}),
        json!({"com.cloudflare.api.account.ffffffffffffffffffffffffffffffff": "*"}),
        json!({"com.cloudflare.api.user.ffffffffffffffffffffffffffffffff": "*"}),
    ] {
        api.post(
            "/user/tokens",
            Auth::Bearer(&boot),
            token_body("x", ZONE_READ, resources),
        )
        .await
        .assert_error(403, 9109, "Unauthorized to access requested resource");
    }
    let bad_bodies = [
        token_body("", ZONE_READ, all_zones()),
        token_body(&"n".repeat(121), ZONE_READ, all_zones()),
        token_body("x", "ffffffffffffffffffffffffffffffff", all_zones()),
        json!({"name": "x", "policies": []}),
        json!({"name": "x"}),
        json!({"name": "x", "policies": [{"effect": "maybe", "resources": all_zones(),
            "permission_groups": [{"id": ZONE_READ}]}]}),
        json!({"name": "x", "policies": [{"effect": "allow", "resources": all_zones(),
            "permission_groups": [{"name": "Zone Read"}]}]}),
    ];
    for body in bad_bodies {
        let r = api
            .post("/user/tokens", Auth::Bearer(&boot), body.clone())
            .await;
        assert_eq!(
            (r.status, r.json()["errors"][0]["code"].as_u64()),
            (400, Some(1001)),
            "{body}: {}",
            r.text
        );
    }
    let r = api
        .call("POST", "/user/tokens", Auth::Bearer(&boot), None)
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = api
        .send(
            "POST",
            "/user/tokens",
            Auth::Bearer(&boot),
            Some("{\"name\": ".into()),
        )
        .await
        .unwrap();
    r.assert_error(400, 6007, "Malformed JSON in request body");
    let ok = api
        .post(
            "/user/tokens",
            Auth::Bearer(&boot),
            token_body(&"n".repeat(120), ZONE_READ, all_zones()),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(fake.tokens().len(), before + 1);
}
