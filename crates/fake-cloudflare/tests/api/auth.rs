//! Authentication failures, permission enforcement, token status and expiry.

use fake_cloudflare::{Config, FakeCloudflare, Resource, TokenSpec};
use serde_json::json;

use crate::common::*;

const UNKNOWN: &str = "cfut_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA00000000";

#[tokio::test]
async fn missing_and_malformed_authorization() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    for path in ["/user/tokens/verify", "/user/tokens", "/zones"] {
        api.get(path, Auth::None)
            .await
            .assert_error(400, 1001, "Missing \"Authorization\" header");
    }
    let (_, global_key) = fake.global_api_key();
    let global_as_bearer = format!("Bearer {global_key}");
    let bootstrap_basic = format!("Basic {}", fake.bootstrap_token());
    for header in [
        "Bearer abc-def",
        "Bearer",
        global_as_bearer.as_str(),
        bootstrap_basic.as_str(),
    ] {
        for path in ["/user/tokens/verify", "/user/tokens"] {
            let r = api.get(path, Auth::Header(header)).await;
            r.assert_error(400, 6003, "Invalid request headers");
            assert_eq!(
                r.json()["errors"][0]["error_chain"],
                json!([{"code": 6111, "message": "Invalid format for Authorization header"}]),
                "{header}"
            );
        }
    }
}

#[tokio::test]
async fn unknown_secret_is_1000_on_verify_and_9109_elsewhere() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    api.get("/user/tokens/verify", Auth::Bearer(UNKNOWN))
        .await
        .assert_error(401, 1000, "Invalid API Token");
    // A pre-2026 shaped secret is well-formed too.
    api.get(
        "/user/tokens/verify",
        Auth::Bearer("8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T"),
    )
    .await
    .assert_error(401, 1000, "Invalid API Token");
    for path in [
        "/user/tokens",
        "/zones",
        "/accounts",
        "/user/tokens/permission_groups",
    ] {
        api.get(path, Auth::Bearer(UNKNOWN))
            .await
            .assert_error(403, 9109, "Invalid access token");
    }
}

#[tokio::test]
async fn permissions_are_enforced() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let user = fake.user_id();
    let zone_only =
        fake.mint(TokenSpec::user("zone-only").permission("Zone Read", Resource::AllZones));
    let reader = fake.mint(
        TokenSpec::user("reader").permission("API Tokens Read", Resource::User(user.clone())),
    );
    let denied = fake.mint(
        TokenSpec::user("denied")
            .permission("API Tokens Write", Resource::User(user.clone()))
            .deny("API Tokens Write", Resource::User(user.clone())),
    );
    let body = token_body("x", ZONE_READ, all_zones());
    let boot_id = fake.bootstrap_token_id();
    for secret in [&zone_only.secret, &reader.secret, &denied.secret] {
        api.post("/user/tokens", Auth::Bearer(secret), body.clone())
            .await
            .assert_error(403, 9109, "Unauthorized to access requested resource");
        api.put(
            &format!("/user/tokens/{boot_id}/value"),
            Auth::Bearer(secret),
            json!({}),
        )
        .await
        .assert_error(403, 9109, "Unauthorized to access requested resource");
        api.delete(&format!("/user/tokens/{boot_id}"), Auth::Bearer(secret))
            .await
            .assert_error(403, 9109, "Unauthorized to access requested resource");
    }
    for path in ["/user/tokens", "/user/tokens/permission_groups"] {
        api.get(path, Auth::Bearer(&zone_only.secret))
            .await
            .assert_error(403, 9109, "Unauthorized to access requested resource");
        assert_eq!(
            api.get(path, Auth::Bearer(&reader.secret)).await.status,
            200
        );
    }
    assert_eq!(
        api.get(
            &format!("/user/tokens/{boot_id}"),
            Auth::Bearer(&reader.secret)
        )
        .await
        .status,
        200
    );
    // Nothing was changed by the refused calls.
    assert!(fake.is_active_secret(&fake.bootstrap_token()));
    assert_eq!(fake.tokens().len(), 4);
    // Verify needs no permission at all.
    let v = api
        .get("/user/tokens/verify", Auth::Bearer(&zone_only.secret))
        .await;
    assert_eq!(v.result()["status"], "active");
}

#[tokio::test]
async fn inactive_tokens_verify_200_with_status_but_cannot_act() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let user = fake.user_id();
    for status in ["disabled", "revoked (exposed)"] {
        let t = fake.mint(
            TokenSpec::user(status)
                .permission("API Tokens Write", Resource::User(user.clone()))
                .status(status),
        );
        let v = api
            .get("/user/tokens/verify", Auth::Bearer(&t.secret))
            .await;
        assert_eq!(v.status, 200);
        assert_eq!(v.result(), json!({"id": t.id, "status": status}));
        assert_eq!(v.json()["messages"], json!([]));
        api.get("/user/tokens", Auth::Bearer(&t.secret))
            .await
            .assert_error(403, 9109, "Invalid access token");
        assert!(!fake.is_active_secret(&t.secret));
        assert_eq!(fake.token_for_secret(&t.secret).unwrap().status, status);
    }
}

#[tokio::test]
async fn inactive_tokens_can_verify_as_401() {
    let fake = FakeCloudflare::start_with(Config {
        verify_inactive_as_401: true,
        ..Config::default()
    });
    let api = Api::new(&fake);
    let t = fake.mint(
        TokenSpec::user("d")
            .permission("Zone Read", Resource::AllZones)
            .status("disabled"),
    );
    api.get("/user/tokens/verify", Auth::Bearer(&t.secret))
        .await
        .assert_error(401, 1000, "Invalid API Token");
    let active = fake.mint(TokenSpec::user("a").permission("Zone Read", Resource::AllZones));
    assert_eq!(
        api.get("/user/tokens/verify", Auth::Bearer(&active.secret))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn expiry_and_not_before_follow_the_fake_clock() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let expires = fake.timestamp(60);
    let t = fake.mint(
        TokenSpec::user("short")
            .permission("Zone Read", Resource::AllZones)
            .expires_on(&expires),
    );
    let v = api
        .get("/user/tokens/verify", Auth::Bearer(&t.secret))
        .await
        .result();
    assert_eq!(
        v,
        json!({"id": t.id, "status": "active", "expires_on": expires})
    );
    assert_eq!(api.get("/zones", Auth::Bearer(&t.secret)).await.status, 200);

    fake.advance_clock(61);
    let v = api
        .get("/user/tokens/verify", Auth::Bearer(&t.secret))
        .await;
    assert_eq!(v.status, 200);
    assert_eq!(
        v.result(),
        json!({"id": t.id, "status": "expired", "expires_on": expires})
    );
    api.get("/zones", Auth::Bearer(&t.secret))
        .await
        .assert_error(403, 9109, "Invalid access token");
    assert!(!fake.is_active_secret(&t.secret));
    assert_eq!(fake.token(&t.id).unwrap().status, "expired");
    let listed = api
        .get(
            &format!("/user/tokens/{}", t.id),
            Auth::Bearer(&fake.bootstrap_token()),
        )
        .await;
    assert_eq!(listed.result()["status"], "expired");

    let later = fake.timestamp(3600);
    let nb = fake.mint(
        TokenSpec::user("later")
            .permission("Zone Read", Resource::AllZones)
            .not_before(&later),
    );
    api.get("/user/tokens/verify", Auth::Bearer(&nb.secret))
        .await
        .assert_error(401, 1000, "Invalid API Token");
    assert!(!fake.is_active_secret(&nb.secret));
    fake.advance_clock(3600);
    let v = api
        .get("/user/tokens/verify", Auth::Bearer(&nb.secret))
        .await
        .result();
    assert_eq!(
        v,
        json!({"id": nb.id, "status": "active", "not_before": later})
    );
    assert!(fake.is_active_secret(&nb.secret));
}

#[tokio::test]
async fn last_used_on_appears_on_first_use() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let t = fake.mint(TokenSpec::user("lazy").permission("Zone Read", Resource::AllZones));
    assert_eq!(fake.token(&t.id).unwrap().last_used_on, None);
    api.get("/zones", Auth::Bearer(&t.secret)).await.result();
    let info = fake.token(&t.id).unwrap();
    let used = info.last_used_on.expect("set by the call");
    // Same fixed-width format, so string order is time order.
    assert!(
        used >= info.issued_on && used <= fake.timestamp(0),
        "{used}"
    );
}

#[tokio::test]
async fn unknown_routes() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    for (method, path) in [
        ("GET", "/nope"),
        ("PATCH", "/user/tokens"),
        ("POST", "/zones"),
        ("GET", "/user/tokens/a/b"),
    ] {
        api.call(method, path, Auth::Bearer(&boot), None)
            .await
            .assert_error(404, 7003, "No route for the URI");
    }
}
