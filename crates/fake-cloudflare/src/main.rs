//! `fake-cloudflare`: the fake as a process, for the README walk-through and
//! for tests that drive it from outside (Ansible). The first stdout line is
//! the base URL and nothing else, so scripts can read it.

#![forbid(unsafe_code)]

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use fake_cloudflare::{Config, FakeCloudflare};

/// A local fake of the Cloudflare API-token API. Prints the base URL as its first line, logs one
/// line per request on stderr, stops on SIGINT/SIGTERM.
#[derive(Debug, Parser)]
#[command(name = "fake-cloudflare", version)]
struct Args {
    /// Loopback address to listen on (`localhost:PORT` works too); port 0 picks a free port.
    #[arg(long, value_name = "ADDRESS:PORT", default_value = "127.0.0.1:8787", value_parser = parse_listen)]
    listen: SocketAddr,
    /// Write the bootstrap token to this file (mode 0600) instead of printing it.
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// A zone the account holds (repeatable); the default is the fake's built-in zone.
    #[arg(long = "zone", value_name = "NAME")]
    zones: Vec<String>,
    /// Answer `verify` for an inactive token with 401, as some API paths do.
    #[arg(long)]
    verify_inactive_as_401: bool,
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
    // clap prints --help and exits 0, or the usage error and exits 2.
    let args = Args::parse();
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
        Args::try_parse_from(std::iter::once("fake-cloudflare").chain(v.iter().copied()))
            .map_err(|e| e.to_string())
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
