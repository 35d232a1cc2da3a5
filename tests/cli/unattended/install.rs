//! Completions and man pages: generated from the clap definitions, valid for their tools, and
//! installed by install.sh where bash, zsh, fish and man look (CFSECRET_BIN skips the build).

use std::path::Path;

use super::repo;
use crate::support::{Test, require};

#[test]
fn bash_completion_is_valid_bash_and_completes_commands_and_flags() {
    if !require("bash") {
        return;
    }
    let t = Test::new();
    let script = t.cfsecret(["completions", "bash"]).run().success().stdout;
    let p = t.write("cfsecret.bash", &script);
    t.command("bash", ["-n"]).arg(&p).run().success();
    // Load it and ask it what `cfsecret ro<TAB>` and `cfsecret rotate --max<TAB>` give.
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let script = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; \
             _cfsecret cfsecret '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            p.display(),
            words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = t.command("bash", ["-c", &script]).run().success().stdout;
        let mut got: Vec<String> = out.lines().map(str::to_owned).collect();
        got.sort();
        got
    };
    assert_eq!(complete("cfsecret ro"), ["roll", "rotate"]);
    assert_eq!(complete("cfsecret rotate --max"), ["--max-age"]);
}

#[test]
fn zsh_and_fish_completions_are_generated() {
    let t = Test::new();
    let zsh = t.cfsecret(["completions", "zsh"]).run().success().stdout;
    assert!(zsh.starts_with("#compdef cfsecret"), "{}", &zsh[..40]);
    assert!(zsh.contains("--max-age"));
    let fish = t.cfsecret(["completions", "fish"]).run().success().stdout;
    assert!(fish.contains("complete -c cfsecret"));
    assert!(fish.contains("-l max-age"));
    for (tool, file, text) in [("zsh", "_cfsecret", &zsh), ("fish", "c.fish", &fish)] {
        if which(tool) {
            let p = t.write(file, text);
            t.command(tool, ["-n"]).arg(&p).run().success();
        }
    }
}

fn which(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

/// Renders a man page to text with man-db (`man -l`), or checks its roff when man is missing.
fn render(t: &Test, page: &Path) -> String {
    let roff = std::fs::read_to_string(page).unwrap();
    assert!(
        roff.starts_with(".ie \\n(.g .ds Aq"),
        "roff: {}",
        &roff[..60]
    );
    assert!(roff.contains("\n.TH "), "a title header");
    if !require("man") {
        return roff;
    }
    let out = t
        .command("man", ["-l", "-P", "cat"])
        .arg(page)
        .env("MANWIDTH", "100")
        .env("LC_ALL", "C.UTF-8")
        .run()
        .success();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    out.stdout
}

#[test]
fn man_prints_the_main_page_and_writes_one_per_command() {
    let t = Test::new();
    let main = t.cfsecret(["man"]).run().success().stdout;
    let p = t.write("cfsecret.1", &main);
    let text = render(&t, &p);
    assert!(text.contains("cfsecret-rotate"), "{text}");
    assert!(text.contains("Exit codes"), "{text}");

    let out = t.cfsecret(["man", "--dir", "pages"]).run().success();
    let mut pages: Vec<String> = std::fs::read_dir(t.path("pages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for want in [
        "cfsecret.1",
        "cfsecret-create.1",
        "cfsecret-rotate.1",
        "cfsecret-verify.1",
    ] {
        assert!(pages.iter().any(|p| p == want), "{want} in {pages:?}");
    }
    assert!(
        out.stdout
            .contains(&format!("wrote {} man pages", pages.len())),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_to_string(t.path("pages/cfsecret.1")).unwrap(),
        main
    );
    let rotate = render(&t, &t.path("pages/cfsecret-rotate.1"));
    assert!(rotate.contains("--max-age"), "{rotate}");
    assert!(
        rotate.contains("--wait"),
        "global flags are on every page: {rotate}"
    );
}

#[test]
fn install_sh_installs_completions_and_man_pages_idempotently() {
    if !require("bash") {
        return;
    }
    let t = Test::new();
    let prefix = t.path("prefix");
    let install = |t: &Test| {
        t.command(
            "bash",
            [
                repo().join("install.sh").as_os_str(),
                "--prefix".as_ref(),
                prefix.as_os_str(),
            ],
        )
        .env("CFSECRET_BIN", env!("CARGO_BIN_EXE_cfsecret"))
        .run()
        .success()
    };
    let first = install(&t);
    assert!(first.stdout.contains("not building"), "{}", first.stdout);
    let files = [
        "bin/cfsecret",
        "share/bash-completion/completions/cfsecret",
        "share/zsh/site-functions/_cfsecret",
        "share/fish/vendor_completions.d/cfsecret.fish",
        "share/man/man1/cfsecret.1",
        "share/man/man1/cfsecret-rotate.1",
        "share/man/man1/cfsecret-create.1",
    ];
    for f in files {
        let p = prefix.join(f);
        assert!(p.is_file(), "{f} installed:\n{}", first.stdout);
        assert!(
            first
                .stdout
                .contains(&format!("installed:  {}", p.display())),
            "says it installed {f}: {}",
            first.stdout
        );
    }
    t.command("bash", ["-n"])
        .arg(prefix.join("share/bash-completion/completions/cfsecret"))
        .run()
        .success();
    let mtimes = |files: &[&str]| -> Vec<std::time::SystemTime> {
        files
            .iter()
            .map(|f| {
                std::fs::metadata(prefix.join(f))
                    .unwrap()
                    .modified()
                    .unwrap()
            })
            .collect()
    };
    let before = mtimes(&files);
    std::thread::sleep(std::time::Duration::from_millis(20));

    // Again: nothing changes, and it says so.
    let second = install(&t);
    assert!(
        second.stdout.contains("nothing changed"),
        "{}",
        second.stdout
    );
    assert!(!second.stdout.contains("installed: "), "{}", second.stdout);
    assert_eq!(mtimes(&files), before, "no file rewritten");

    // man finds the pages through PATH, as it would after `export PATH=PREFIX/bin:$PATH`.
    if require("man") {
        let path = format!(
            "{}:{}",
            prefix.join("bin").display(),
            std::env::var("PATH").unwrap()
        );
        let out = t
            .command("man", ["-w", "cfsecret-rotate"])
            .env("PATH", path)
            .run()
            .success();
        assert_eq!(
            out.stdout.trim(),
            prefix
                .join("share/man/man1/cfsecret-rotate.1")
                .display()
                .to_string()
        );
    }
}
