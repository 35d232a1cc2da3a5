//! examples/kubernetes (issue 17, item 5), run as far as a machine without a cluster allows:
//! the manifest is minted with the example's commands and `.sops.yaml`, rotated by `rotate.sh`
//! whose `--then` commits and pushes to a local bare repository, and the pushed Secret is a
//! valid `V1Secret` holding the live token per the fake Cloudflare.

use std::path::{Path, PathBuf};

use crate::k8s::{require_k8s_client, validate_secret};
use crate::support::{Cf, require};

const SECRET: &str = "clusters/prod/cert-manager/cloudflare-api-token.yaml";

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/kubernetes")
        .join(name)
}

#[track_caller]
fn git(cf: &Cf, args: &[&str]) -> String {
    cf.t.command("git", args).run().success().stdout
}

#[test]
fn the_example_mints_rotates_commits_and_pushes_a_valid_secret() {
    if !require("sops") || !require("git") {
        return;
    }
    let mut cf = Cf::new();
    cf.t.unset("SOPS_AGE_RECIPIENTS"); // the example's .sops.yaml decides
    for (k, v) in [
        ("GIT_AUTHOR_NAME", "cfsecret test"),
        ("GIT_AUTHOR_EMAIL", "test@example.com"),
        ("GIT_COMMITTER_NAME", "cfsecret test"),
        ("GIT_COMMITTER_EMAIL", "test@example.com"),
    ] {
        cf.t.env(k, v);
    }
    // The GitOps repository: a bare "remote" and a checkout of it.
    git(&cf, &["init", "-q", "--bare", "remote.git"]);
    git(&cf, &["init", "-q", "gitops"]);
    let dir = "gitops/clusters/prod/cert-manager";
    for (from, to) in [
        (".sops.yaml", "gitops/.sops.yaml".to_owned()),
        ("kustomization.yaml", format!("{dir}/kustomization.yaml")),
        ("cluster-issuer.yaml", format!("{dir}/cluster-issuer.yaml")),
    ] {
        cf.t.write(&to, std::fs::read(example(from)).unwrap());
    }
    let remote = cf.t.path("remote.git");
    git(
        &cf,
        &[
            "-C",
            "gitops",
            "remote",
            "add",
            "origin",
            remote.to_str().unwrap(),
        ],
    );
    cf.t.cwd("gitops");
    // The README's `create`, then the first commit and push.
    let j = cf
        .run([
            "create",
            "--json",
            "--file",
            SECRET,
            "--key",
            "api-token",
            "--k8s-secret",
            "cert-manager/cloudflare-api-token",
            "--name",
            "cert-manager-dns01",
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
            "--expires-in",
            "90d",
        ])
        .success()
        .json();
    let first = j["token_id"].as_str().unwrap().to_owned();
    git(&cf, &["add", "."]);
    git(
        &cf,
        &[
            "commit",
            "-q",
            "-m",
            "cert-manager: Cloudflare DNS-01 token",
        ],
    );
    git(&cf, &["push", "-q", "-u", "origin", "HEAD"]);
    // rotate.sh, as cron runs it (due at once: MAX_AGE=0s).
    let bin = Path::new(env!("CARGO_BIN_EXE_cfsecret")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let gitops = cf.t.path("gitops");
    let out =
        cf.t.command("sh", [example("rotate.sh")])
            .env("PATH", path)
            .env("GITOPS_DIR", &gitops)
            .env("MAX_AGE", "0s")
            .run();
    cf.no_leaks(&out);
    let j = out.success().json();
    assert_eq!(j["action"], "rotated", "{j}");
    assert_eq!(j["then"][0]["ok"], true, "{j}");
    let new = j["token_id"].as_str().unwrap().to_owned();
    assert_ne!(new, first);
    // The bare repository got the rotation commit...
    cf.t.cwd("");
    let log = git(&cf, &["--git-dir", "remote.git", "log", "--format=%s"]);
    assert!(
        log.lines()
            .next()
            .unwrap()
            .contains(&format!("({first} -> {new})")),
        "{log}"
    );
    // ...whose Secret decrypts (sops, MAC verified), is a valid V1Secret, and holds the live
    // token; the old one lives on for --keep-old.
    let pushed = git(
        &cf,
        &["--git-dir", "remote.git", "show", &format!("HEAD:{SECRET}")],
    );
    cf.t.write("pushed.yaml", pushed);
    if let Some(site) = require_k8s_client() {
        let summary = validate_secret(&cf.t, &site, "pushed.yaml");
        assert!(
            summary.contains("cert-manager/cloudflare-api-token type=Opaque"),
            "{summary}"
        );
    }
    let token =
        cf.t.sops([
            "decrypt",
            "--extract",
            r#"["stringData"]["api-token"]"#,
            "pushed.yaml",
        ])
        .run()
        .success()
        .stdout;
    let info = cf.fake.token_for_secret(&token).expect("a live token");
    assert_eq!(
        (info.id.as_str(), info.status.as_str()),
        (new.as_str(), "active")
    );
    assert_eq!(
        cf.fake.token(&first).map(|t| t.status),
        Some("active".to_owned()),
        "the old token lives on for --keep-old"
    );
    // The ClusterIssuer references exactly this Secret and key; Flux decrypts with sops.
    let issuer = std::fs::read_to_string(example("cluster-issuer.yaml")).unwrap();
    assert!(issuer.contains("name: cloudflare-api-token\n") && issuer.contains("key: api-token\n"));
    let flux = std::fs::read_to_string(example("flux-kustomization.yaml")).unwrap();
    assert!(flux.contains("provider: sops") && flux.contains("path: ./clusters/prod/cert-manager"));
    assert_eq!(cf.secrets_on_disk(), Vec::<PathBuf>::new());
}

#[test]
fn tokens_under_data_are_minted_verified_rolled_and_rotated_as_base64() {
    // Item 1 through the token commands: create/roll/rotate encode, verify decodes.
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let store = [
        "--file",
        "secrets/cf.yaml",
        "--key",
        "api-token",
        "--k8s-secret",
        "cert-manager/cloudflare-api-token",
    ];
    let live = |cf: &Cf| {
        let b64 =
            cf.t.sops([
                "decrypt",
                "--extract",
                r#"["data"]["api-token"]"#,
                "secrets/cf.yaml",
            ])
            .run()
            .success()
            .stdout;
        let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64.trim())
            .expect("base64 under data:");
        let secret = String::from_utf8(raw).unwrap();
        cf.fake.token_for_secret(&secret).expect("a live token").id
    };
    let mut create = vec![
        "create",
        "--json",
        "--name",
        "dns",
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
        "--encoding",
        "base64",
    ];
    create.extend(store);
    let id = cf.run(create).success().json()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(live(&cf), id);
    for cmd in ["verify", "roll", "verify", "rotate", "verify"] {
        let mut args = vec![cmd, "--json"];
        args.extend(store);
        let j = cf.run(args).success().json();
        assert_eq!(live(&cf), j["token_id"].as_str().unwrap(), "{cmd}: {j}");
    }
    assert_eq!(cf.secrets_on_disk(), Vec::<PathBuf>::new());
}
