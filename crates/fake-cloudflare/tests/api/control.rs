//! The `/__fake/` control plane, as an out-of-process test would use it.

use fake_cloudflare::FakeCloudflare;
use serde_json::{Value, json};

use crate::common::*;

struct Control {
    base: String,
    http: reqwest::Client,
}

impl Control {
    fn new(fake: &FakeCloudflare) -> Self {
        Control {
            base: fake.control_url(),
            http: crate::common::http_client(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("control plane answers");
        let status = resp.status().as_u16();
        (
            status,
            resp.json().await.expect("control plane speaks JSON"),
        )
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.call(method, path, body).await;
        assert_eq!(status, 200, "{method} {path}: {v}");
        v
    }
}

#[tokio::test]
async fn control_plane_mirrors_the_rust_api() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let ctl = Control::new(&fake);
    let boot = fake.bootstrap_token();

    let state = ctl.ok("GET", "/state", None).await;
    assert_eq!(state["user_id"], fake.user_id());
    assert_eq!(state["zones"][0]["name"], "example.com");
    assert_eq!(state["tokens"][0]["name"], "bootstrap");
    assert!(!state.to_string().contains(&boot), "no secrets in state");
    let tokens = ctl.ok("GET", "/tokens", None).await;
    assert!(!tokens.to_string().contains(&boot));
    assert_eq!(tokens.as_array().unwrap().len(), 1);

    // Mint, then use the secret over the API.
    let spec = json!({"name": "minted", "policies": [{"effect": "allow",
        "resources": {"com.cloudflare.api.account.zone.*": "*"},
        "permission_groups": [{"id": ZONE_READ}]}], "expires_on": fake.timestamp(60)});
    let minted = ctl.ok("POST", "/tokens", Some(spec)).await;
    let (id, secret) = (
        minted["id"].as_str().unwrap(),
        minted["secret"].as_str().unwrap(),
    );
    assert_eq!(
        api.get("/user/tokens/verify", Auth::Bearer(secret))
            .await
            .result()["id"],
        id
    );
    let (status, _) = ctl
        .call(
            "POST",
            "/tokens",
            Some(json!({"name": "bad", "policies": []})),
        )
        .await;
    assert_eq!(status, 400);

    let lookup = ctl
        .ok("POST", "/secrets/lookup", Some(json!({"secret": secret})))
        .await;
    assert_eq!(
        (lookup["token"]["id"].as_str(), &lookup["active"]),
        (Some(id), &json!(true))
    );
    let issued = ctl.ok("GET", "/issued-secrets", None).await;
    assert_eq!(issued, json!([boot, secret]));

    // Backdate and clock.
    let before = fake.token(id).unwrap();
    ctl.ok(
        "POST",
        &format!("/tokens/{id}/backdate"),
        Some(json!({"secs": 86400})),
    )
    .await;
    let after = ctl.ok("GET", &format!("/tokens/{id}"), None).await;
    assert!(after["issued_on"].as_str().unwrap() < before.issued_on.as_str());
    ctl.ok("POST", "/clock/advance", Some(json!({"secs": 120})))
        .await;
    assert_eq!(
        api.get("/user/tokens/verify", Auth::Bearer(secret))
            .await
            .result()["status"],
        "expired"
    );
    ctl.ok("POST", "/clock/advance", Some(json!({"secs": -120})))
        .await;

    // Status.
    ctl.ok(
        "POST",
        &format!("/tokens/{id}/status"),
        Some(json!({"status": "revoked (exposed)"})),
    )
    .await;
    assert_eq!(
        api.get("/user/tokens/verify", Auth::Bearer(secret))
            .await
            .result()["status"],
        "revoked (exposed)"
    );

    // Faults.
    ctl.ok(
        "POST",
        "/faults",
        Some(json!({"op": "VerifyToken", "kind": {"RateLimit": {"retry_after_secs": 3}}})),
    )
    .await;
    assert_eq!(
        ctl.ok("GET", "/faults", None)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = api.get("/user/tokens/verify", Auth::Bearer(&boot)).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("3")));
    ctl.ok("POST", "/faults", Some(json!({"kind": "DropResponse"})))
        .await;
    ctl.ok("DELETE", "/faults", None).await;
    assert_eq!(
        api.get("/user/tokens/verify", Auth::Bearer(&boot))
            .await
            .status,
        200
    );

    // Journal: API calls only, with the fault and the outcome.
    let log = ctl.ok("GET", "/requests", None).await;
    let log = log.as_array().unwrap();
    assert!(
        log.iter()
            .all(|r| r["path"].as_str().unwrap().starts_with("/client/v4/"))
    );
    let limited = log
        .iter()
        .find(|r| r["status"] == 429)
        .expect("the 429 is journaled");
    assert_eq!(limited["op"], "VerifyToken");
    assert_eq!(
        limited["fault"],
        json!({"RateLimit": {"retry_after_secs": 3}})
    );
    assert_eq!(
        ctl.ok("POST", "/wait-idle?timeout_secs=5", None).await,
        json!({"idle": true})
    );
    ctl.ok("DELETE", "/requests", None).await;
    assert!(fake.requests().is_empty());

    // Delete, and errors for unknown ids and endpoints.
    ctl.ok("DELETE", &format!("/tokens/{id}"), None).await;
    assert!(fake.token(id).is_none());
    assert_eq!(
        ctl.call("DELETE", &format!("/tokens/{id}"), None).await.0,
        404
    );
    assert_eq!(ctl.call("GET", "/nope", None).await.0, 404);
}

#[tokio::test]
async fn dropped_requests_show_as_dropped_in_the_journal() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let ctl = Control::new(&fake);
    ctl.ok(
        "POST",
        "/faults",
        Some(json!({"op": "ListZones", "kind": "DropResponse"})),
    )
    .await;
    assert!(
        api.try_call("GET", "/zones", Auth::Bearer(&fake.bootstrap_token()), None)
            .await
            .is_err()
    );
    let log = ctl.ok("GET", "/requests", None).await;
    assert_eq!(log[0]["status"], "dropped");
    assert_eq!(log[0]["fault"], "DropResponse");
}
