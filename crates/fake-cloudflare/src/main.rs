//! `fake-cloudflare`: the fake as a process, for the README walk-through and
//! for tests that drive it from outside (Ansible). The first stdout line is
//! the base URL and nothing else, so scripts can read it.

#![forbid(unsafe_code)]

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use fake_cloudflare::{Config, FakeCloudflare};

const USAGE: &str = "usage: fake-cloudflare [--listen 127.0.0.1:8787] [--token-file PATH] \
[--zone NAME ...] [--verify-inactive-as-401]

A local fake of the Cloudflare API-token API. Prints the base URL as its first
line, logs one line per request on stderr, stops on SIGINT/SIGTERM.
Only loopback addresses are accepted for --listen; port 0 picks a free port.";

struct Args {
    listen: SocketAddr,
    token_file: Option<PathBuf>,
    zones: Vec<String>,
    verify_inactive_as_401: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8787)),
        token_file: None,
        zones: Vec::new(),
        verify_inactive_as_401: false,
    };
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--listen" => args.listen = parse_listen(&value()?)?,
            "--token-file" => args.token_file = Some(PathBuf::from(value()?)),
            "--zone" => args.zones.push(value()?),
            "--verify-inactive-as-401" => args.verify_inactive_as_401 = true,
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(args)
}

/// `host:port` where host is a loopback IP or `localhost`.
fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = match s.strip_prefix("localhost:") {
        Some(port) => {
            let port = port.parse().map_err(|_| format!("bad port in {s:?}"))?;
            SocketAddr::from((Ipv4Addr::LOCALHOST, port))
        }
        None => s
            .parse()
            .map_err(|_| format!("--listen wants ADDRESS:PORT, got {s:?}"))?,
    };
    if !addr.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {addr}: only loopback addresses are allowed"
        ));
    }
    Ok(addr)
}

/// Mode 0600 from the start; an existing file is truncated and its mode
/// tightened too.
fn write_token_file(path: &Path, token: &str) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(token.as_bytes())?;
    f.sync_all()
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(argv.into_iter()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fake-cloudflare: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut config = Config {
        listen: args.listen,
        verify_inactive_as_401: args.verify_inactive_as_401,
        log_requests: true,
        ..Config::default()
    };
    if !args.zones.is_empty() {
        config = config.with_zone_names(args.zones);
    }
    let signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-cloudflare: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let zones = config.zones.clone();
    let fake = match FakeCloudflare::try_start_with(config) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fake-cloudflare: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = announce(&fake, args.token_file.as_deref(), &zones) {
        eprintln!("fake-cloudflare: {e}");
        return ExitCode::FAILURE;
    }
    match signals.wait() {
        Ok(name) => eprintln!("fake-cloudflare: {name}, stopping"),
        Err(e) => {
            eprintln!("fake-cloudflare: cannot wait for signals: {e}");
            return ExitCode::FAILURE;
        }
    }
    drop(fake);
    ExitCode::SUCCESS
}

fn announce(
    fake: &FakeCloudflare,
    token_file: Option<&Path>,
    zones: &[(String, String)],
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{}", fake.base_url())?;
    out.flush()?;
    writeln!(
        out,
        "# fake-cloudflare: a local fake of the Cloudflare API-token API"
    )?;
    writeln!(out, "export CLOUDFLARE_API_BASE_URL={}", fake.base_url())?;
    match token_file {
        Some(path) => {
            write_token_file(path, &fake.bootstrap_token())
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            writeln!(
                out,
                "# bootstrap token (API Tokens Write) written to {} (mode 0600)",
                path.display()
            )?;
            writeln!(
                out,
                "export CLOUDFLARE_API_TOKEN=\"$(cat {})\"",
                path.display()
            )?;
        }
        None => {
            writeln!(out, "# bootstrap token (API Tokens Write):")?;
            writeln!(
                out,
                "export CLOUDFLARE_API_TOKEN={}",
                fake.bootstrap_token()
            )?;
        }
    }
    writeln!(
        out,
        "# user {}, account {} (\"{}\")",
        fake.user_id(),
        fake.account_id(),
        fake_cloudflare::DEFAULT_ACCOUNT_NAME
    )?;
    for (name, id) in zones {
        writeln!(out, "# zone {name} {id}")?;
    }
    writeln!(
        out,
        "# control plane: {} (see the crate README); stop with Ctrl-C",
        fake.control_url()
    )?;
    out.flush()
}

/// SIGINT/SIGTERM handlers, installed before the base URL is printed so a
/// supervisor that signals right after reading it still gets a clean exit.
struct Signals {
    rt: tokio::runtime::Runtime,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> io::Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        #[cfg(unix)]
        let (term, int) = {
            use tokio::signal::unix::{SignalKind, signal};
            let _ctx = rt.enter();
            (
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
            )
        };
        Ok(Signals {
            rt,
            #[cfg(unix)]
            term,
            #[cfg(unix)]
            int,
        })
    }

    /// Blocks until one arrives and names it.
    #[cfg(unix)]
    fn wait(self) -> io::Result<&'static str> {
        let Signals {
            rt,
            mut term,
            mut int,
        } = self;
        Ok(rt.block_on(async {
            tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            }
        }))
    }

    #[cfg(not(unix))]
    fn wait(self) -> io::Result<&'static str> {
        self.rt.block_on(tokio::signal::ctrl_c()).map(|()| "Ctrl-C")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<Args, String> {
        parse_args(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags() {
        let a = args(&[
            "--listen=127.0.0.1:0",
            "--zone",
            "a.test",
            "--zone=b.test",
            "--verify-inactive-as-401",
        ])
        .unwrap();
        assert_eq!(a.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(a.zones, ["a.test", "b.test"]);
        assert!(a.verify_inactive_as_401);
        assert_eq!(args(&[]).unwrap().listen.port(), 8787);
        assert_eq!(
            args(&["--listen", "localhost:9"]).unwrap().listen,
            "127.0.0.1:9".parse().unwrap()
        );
        assert!(args(&["--listen", "[::1]:0"]).is_ok());
    }

    #[test]
    fn refuses_non_loopback_and_junk() {
        for bad in [
            &["--listen", "0.0.0.0:8787"][..],
            &["--listen", "192.168.1.1:80"],
            &["--listen", "[::]:80"],
            &["--listen"],
            &["--frobnicate"],
        ] {
            assert!(args(bad).is_err(), "{bad:?}");
        }
    }
}
