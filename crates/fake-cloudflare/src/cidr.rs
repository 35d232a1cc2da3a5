//! CIDR blocks for the token `condition.request_ip` lists, with real prefix
//! matching for IPv4 and IPv6.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

/// A network with its host bits cleared; the prefix arithmetic is ipnet's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr(IpNet);

impl Cidr {
    /// Only `addr/len` is accepted: the docs say "CIDR strings only; for a
    /// single IP use /32". Host bits below the prefix are masked off [?: the
    /// live API may reject them instead].
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let (addr, len) = s.split_once('/')?;
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let net = IpNet::new(addr.parse().ok()?, len.parse().ok()?).ok()?;
        Some(Cidr(net.trunc()))
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&canonical(ip))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An IPv4 client seen through an IPv6 socket (`::ffff:a.b.c.d`) is an IPv4
/// client for matching purposes.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn v4_matching() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.255.1.2")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(!c.contains(ip("::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(
            Cidr::parse("127.0.0.1/32")
                .unwrap()
                .contains(ip("127.0.0.1"))
        );
        assert!(
            !Cidr::parse("127.0.0.1/32")
                .unwrap()
                .contains(ip("127.0.0.2"))
        );
        assert!(c.contains(ip("::ffff:10.1.1.1")));
    }

    #[test]
    fn v6_matching() {
        let c = Cidr::parse("2400:cb00::/32").unwrap();
        assert!(c.contains(ip("2400:cb00:1::5")));
        assert!(!c.contains(ip("2400:cb01::5")));
        assert!(!c.contains(ip("10.0.0.1")));
        assert!(Cidr::parse("::1/128").unwrap().contains(ip("::1")));
    }

    #[test]
    fn parse_rules() {
        for bad in [
            "10.0.0.1",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "x/8",
            "10.0.0.0/+8",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
        assert_eq!(Cidr::parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            Cidr::parse("2400:cb00::1/32").unwrap().to_string(),
            "2400:cb00::/32"
        );
    }
}
