//! Who the client is behind a reverse proxy: `X-Forwarded-For` is believed only when the
//! connection comes from a configured proxy (`--trusted-proxy ADDR[/PREFIX]`), and then only up
//! to the first address that is not a trusted proxy itself, read from the right (each proxy
//! appends the address it saw), so a client cannot pick its own rate-limit key by sending the
//! header. Addresses are used for rate limiting in memory only, never written anywhere.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// A trusted proxy: one address, or a network written ADDR/PREFIX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for ProxyNet {
    type Err = String;

    fn from_str(s: &str) -> Result<ProxyNet, String> {
        let bad = || format!("{s:?} is not an address or ADDR/PREFIX network");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let addr = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(ProxyNet { addr, prefix })
    }
}

impl ProxyNet {
    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then the rightmost
/// `X-Forwarded-For` entry that is not a trusted proxy (the peer's own address when there is
/// none, or when an entry cannot be read).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[ProxyNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for entry in entries.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if is_trusted(ip) => continue,
            Ok(ip) => return ip,
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn networks_parse_and_contain() {
        let net: ProxyNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(
            net.contains("::ffff:10.1.0.9".parse().unwrap()),
            "v4-mapped"
        );
        let one: ProxyNet = "fd00::1".parse().unwrap();
        assert!(one.contains("fd00::1".parse().unwrap()));
        assert!(!one.contains("fd00::2".parse().unwrap()));
        let all: ProxyNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        for bad in ["10.0.0.0/33", "proxy", "10.0.0.0/x", ""] {
            assert!(bad.parse::<ProxyNet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_header_is_believed_only_from_a_trusted_proxy() {
        let trusted: Vec<ProxyNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let cases: [(&str, IpAddr, HeaderMap, IpAddr); 6] = [
            ("no proxy: the peer", client, xff(&["198.51.100.1"]), client),
            ("through the proxy", proxy, xff(&["203.0.113.7"]), client),
            (
                "a spoofed entry left of the real one is ignored",
                proxy,
                xff(&["1.2.3.4, 203.0.113.7"]),
                client,
            ),
            (
                "proxies chained: the rightmost untrusted, across header lines",
                proxy,
                xff(&["203.0.113.7", "10.0.0.9"]),
                client,
            ),
            ("no header: the proxy itself", proxy, xff(&[]), proxy),
            (
                "garbage: the proxy itself",
                proxy,
                xff(&["nonsense"]),
                proxy,
            ),
        ];
        for (name, peer, headers, want) in cases {
            assert_eq!(client_ip(peer, &headers, &trusted), want, "{name}");
        }
        assert_eq!(
            client_ip(proxy, &xff(&["203.0.113.7"]), &[]),
            proxy,
            "no trusted proxy configured: the header means nothing"
        );
    }
}
