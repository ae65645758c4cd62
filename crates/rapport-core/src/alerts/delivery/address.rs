//! Where a webhook may point: the URL rules checked when a subscription is
//! added (scheme, no credentials, a host, no control characters or spaces)
//! and the address rules checked again at delivery time against every
//! address the host resolves to (no loopback, link-local, private, shared,
//! unspecified, multicast or reserved address, nor one of those inside an
//! IPv6 form), unless it lies in a network an admin allowed. Pure: the
//! application resolves names and connects to exactly the addresses these
//! rules let through.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest webhook URL accepted.
pub const MAX_URL_CHARS: usize = 2_048;

/// Networks an admin allowed webhooks to reach even though their addresses
/// are not public (`[webhooks] allowed_networks`: `10.20.0.0/16`,
/// `127.0.0.1/32` for a receiver on the same machine).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedNetworks {
    networks: Vec<ipnet::IpNet>,
}

impl AllowedNetworks {
    /// No network beyond the public internet.
    pub fn none() -> Self {
        AllowedNetworks::default()
    }

    /// Networks in CIDR notation (`10.20.0.0/16`, `fd00::/8`); a bare
    /// address is that one address. Host bits are ignored
    /// (`10.20.1.5/16` is `10.20.0.0/16`). The error names the entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let mut networks = Vec::new();
        for entry in entries {
            let text = entry.as_ref().trim();
            if text.is_empty() {
                continue;
            }
            let network = match text.parse::<ipnet::IpNet>() {
                Ok(network) => network.trunc(),
                Err(_) => match text.parse::<IpAddr>() {
                    Ok(address) => ipnet::IpNet::from(address),
                    Err(_) => {
                        return Err(format!(
                            "`{text}` is not a network in CIDR notation (such as 10.20.0.0/16 or fd00::/8)"
                        ));
                    }
                },
            };
            networks.push(network);
        }
        Ok(AllowedNetworks { networks })
    }

    /// Whether `address` (an IPv4-mapped IPv6 address as its IPv4 address)
    /// lies in one of the networks.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.networks
            .iter()
            .any(|network| network.contains(&address))
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// The networks as written in CIDR notation.
    pub fn to_strings(&self) -> Vec<String> {
        self.networks.iter().map(ToString::to_string).collect()
    }
}

/// Why an address is not public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Loopback,
    LinkLocal,
    Private,
    Shared,
    Unspecified,
    Multicast,
    Reserved,
}

impl Special {
    fn describe(self) -> &'static str {
        match self {
            Special::Loopback => "a loopback address (this machine)",
            Special::LinkLocal => {
                "a link-local address (where cloud metadata services such as 169.254.169.254 answer)"
            }
            Special::Private => "a private network address",
            Special::Shared => "a shared (carrier-grade NAT) address",
            Special::Unspecified => "the unspecified address",
            Special::Multicast => "a multicast or broadcast address",
            Special::Reserved => "a reserved address",
        }
    }
}

/// An address a webhook may not reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusedAddress {
    pub address: IpAddr,
    pub special: Special,
}

impl fmt::Display for RefusedAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{} is {}, not in the allowed networks ([webhooks] allowed_networks)",
            self.address,
            self.special.describe()
        )
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn special_v4(address: Ipv4Addr) -> Option<Special> {
    let [a, b, c, _] = address.octets();
    match (a, b, c) {
        // 0.0.0.0/8 "this network": Linux connects 0.x.y.z to this machine.
        (0, _, _) => Some(Special::Unspecified),
        (127, _, _) => Some(Special::Loopback),
        (169, 254, _) => Some(Special::LinkLocal),
        (10, _, _) => Some(Special::Private),
        (172, 16..=31, _) => Some(Special::Private),
        (192, 168, _) => Some(Special::Private),
        (100, 64..=127, _) => Some(Special::Shared),
        // IETF protocol assignments and benchmarking networks.
        (192, 0, 0) => Some(Special::Reserved),
        (198, 18..=19, _) => Some(Special::Reserved),
        (224..=239, _, _) => Some(Special::Multicast),
        // 240.0.0.0/4, with the broadcast address 255.255.255.255.
        (240..=255, _, _) => Some(Special::Reserved),
        _ => None,
    }
}

fn special_v6(address: Ipv6Addr) -> Option<Special> {
    if let Some(v4) = address.to_ipv4_mapped() {
        return special_v4(v4);
    }
    if address.is_unspecified() {
        return Some(Special::Unspecified);
    }
    if address.is_loopback() {
        return Some(Special::Loopback);
    }
    let segments = address.segments();
    let embedded = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match segments[0] {
        // fe80::/10 link-local, fec0::/10 the deprecated site-local.
        0xfe80..=0xfebf => Some(Special::LinkLocal),
        0xfec0..=0xfeff => Some(Special::Private),
        // fc00::/7 unique local.
        0xfc00..=0xfdff => Some(Special::Private),
        0xff00..=0xffff => Some(Special::Multicast),
        // 6to4 (2002:AABB:CCDD::/48) carries the IPv4 address it reaches.
        0x2002 => special_v4(embedded(segments[1], segments[2])),
        // NAT64 (64:ff9b::/96) translates to the IPv4 address it ends with.
        0x0064 if segments[1] == 0xff9b && segments[2..6] == [0, 0, 0, 0] => {
            special_v4(embedded(segments[6], segments[7]))
        }
        // The deprecated IPv4-compatible form ::a.b.c.d.
        0 if segments[..6] == [0, 0, 0, 0, 0, 0] => special_v4(embedded(segments[6], segments[7])),
        _ => None,
    }
}

/// Whether a webhook may reach `address`: a public address, or one inside
/// a network an admin allowed.
pub fn check_address(address: IpAddr, allowed: &AllowedNetworks) -> Result<(), RefusedAddress> {
    let special = match canonical(address) {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    };
    match special {
        Some(special) if !allowed.contains(address) => Err(RefusedAddress { address, special }),
        _ => Ok(()),
    }
}

/// The addresses a host name means without asking DNS: `localhost` and
/// any name under `.localhost` are this machine (RFC 6761).
fn loopback_name(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    host == "localhost" || host.ends_with(".localhost")
}

/// Checks a webhook URL as written and returns it as parsed (WHATWG: the
/// scheme and host lowercased, a numeric host in its dotted form, so
/// `http://2852039166/` is `http://169.254.169.254/`). The reason says what
/// is wrong in plain words.
pub fn check_url(text: &str, allowed: &AllowedNetworks) -> Result<String, String> {
    if text.len() > MAX_URL_CHARS {
        return Err(format!("must be at most {MAX_URL_CHARS} characters"));
    }
    // The parser would silently drop tabs and line breaks and trim spaces:
    // a URL that carries them was not written by someone meaning well.
    if let Some(bad) = text.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(match bad {
            '\r' | '\n' => "must not contain a line break".to_string(),
            ' ' => "must not contain spaces".to_string(),
            other => format!(
                "must not contain control or space characters (found U+{:04X})",
                u32::from(other)
            ),
        });
    }
    let url = url::Url::parse(text).map_err(|error| match error {
        url::ParseError::EmptyHost => "must name a host (http://host/…)".to_string(),
        url::ParseError::RelativeUrlWithoutBase => {
            "must be an absolute http:// or https:// URL".to_string()
        }
        other => format!("is not a valid URL: {other}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "must be an http:// or https:// URL, not {}:",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "must not carry credentials (user:password@): the receiver checks the signature instead"
                .to_string(),
        );
    }
    let refused = |refusal: RefusedAddress| format!("points where a webhook may not: {refusal}");
    match url.host() {
        None => return Err("must name a host (http://host/…)".to_string()),
        Some(url::Host::Ipv4(v4)) => check_address(IpAddr::V4(v4), allowed).map_err(refused)?,
        Some(url::Host::Ipv6(v6)) => check_address(IpAddr::V6(v6), allowed).map_err(refused)?,
        Some(url::Host::Domain(name)) if loopback_name(name) => {
            // What the name means, checked as its addresses would be.
            let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
            let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
            if !(allowed.contains(v4) || allowed.contains(v6)) {
                return Err(format!(
                    "points where a webhook may not: {name} means this machine, and {}",
                    check_address(v4, allowed)
                        .err()
                        .map_or_else(String::new, |refusal| refusal.to_string())
                ));
            }
        }
        Some(url::Host::Domain(_)) => {}
    }
    Ok(url.to_string())
}

/// `url` without any `user:password@` (to show a URL stored before they
/// were refused); as it was when it does not parse.
pub fn without_credentials(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        check_url(url, &AllowedNetworks::none()).expect_err(url)
    }

    #[test]
    fn the_issues_urls_are_refused() {
        let metadata = refused("http://169.254.169.254/latest/meta-data/");
        assert!(
            metadata.contains("169.254.169.254 is a link-local address"),
            "{metadata}"
        );
        assert!(refused("http://user:pass@10.0.0.1/").contains("credentials"));
        assert!(refused("http://[fe80::1]/").contains("link-local"));
        // The metadata address in decimal.
        let decimal = refused("http://2852039166/");
        assert!(decimal.contains("169.254.169.254"), "{decimal}");
        assert!(refused("http://").contains("must name a host"));
        assert!(refused("http://example.com/\r\nX-Injected: 1").contains("line break"));
        assert!(refused("http://example.com/a\nb").contains("line break"));
    }

    #[test]
    fn numeric_hosts_in_disguise_are_their_addresses() {
        for (url, address) in [
            ("http://0xA9FEA9FE/", "169.254.169.254"),
            ("http://0251.0376.0251.0376/", "169.254.169.254"),
            ("http://127.1/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://2130706433/", "127.0.0.1"),
            ("http://10.1/", "10.0.0.1"),
            ("http://0/", "0.0.0.0"),
        ] {
            let reason = refused(url);
            assert!(reason.contains(&format!("{address} is")), "{url}: {reason}");
        }
    }

    #[test]
    fn every_special_network_is_refused() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://127.255.255.254/",
            "http://[::1]/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://hooks.localhost/",
            "http://169.254.0.1/",
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[fec0::1]/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://100.64.0.1/",
            "http://100.127.255.255/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[ff02::1]/",
            // IPv4 inside IPv6: mapped, compatible, 6to4, NAT64.
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[::10.0.0.1]/",
            "http://[2002:a9fe:a9fe::1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
        ] {
            let reason = refused(url);
            assert!(
                reason.starts_with("points where a webhook may not: "),
                "{url}: {reason}"
            );
        }
    }

    #[test]
    fn only_http_with_a_host_and_no_spaces() {
        assert!(refused("ftp://example.com/").contains("http:// or https://"));
        assert!(refused("file:///etc/passwd").contains("http:// or https://"));
        assert!(refused("javascript:alert(1)").contains("http:// or https://"));
        assert!(refused("example.com/hook").contains("absolute"));
        assert!(refused("http://example.com/a b").contains("spaces"));
        assert!(refused(" http://example.com/").contains("spaces"));
        assert!(refused("http://example.com/\t").contains("control"));
        assert!(refused("http://example.com/\u{0}").contains("control"));
        assert!(refused("https://:secret@example.com/").contains("credentials"));
        assert!(refused("https://user@example.com/").contains("credentials"));
        assert!(
            refused(&format!(
                "https://example.com/{}",
                "a".repeat(MAX_URL_CHARS)
            ))
            .contains("at most")
        );
    }

    #[test]
    fn public_addresses_and_names_pass_as_parsed() {
        let none = AllowedNetworks::none();
        assert_eq!(
            check_url("https://Hooks.Example.com/rapport?x=1", &none).unwrap(),
            "https://hooks.example.com/rapport?x=1"
        );
        assert_eq!(
            check_url("http://93.184.216.34:8080/hook", &none).unwrap(),
            "http://93.184.216.34:8080/hook"
        );
        assert!(check_url("https://[2606:2800:220:1::1]/", &none).is_ok());
        // 172.32/16 and 100.128/16 lie just outside the private and shared ranges.
        assert!(check_url("http://172.32.0.1/", &none).is_ok());
        assert!(check_url("http://100.128.0.1/", &none).is_ok());
        assert!(check_url("http://1.1.1.1/", &none).is_ok());
    }

    #[test]
    fn an_allowed_network_admits_its_addresses_and_no_others() {
        let allowed = AllowedNetworks::parse(&["10.20.0.0/16", "127.0.0.1", " "]).unwrap();
        assert_eq!(allowed.to_strings(), ["10.20.0.0/16", "127.0.0.1/32"]);
        assert!(check_url("http://10.20.3.4/hook", &allowed).is_ok());
        assert!(check_url("http://10.21.0.1/hook", &allowed).is_err());
        assert!(check_url("http://127.0.0.1:9000/hook", &allowed).is_ok());
        assert!(check_url("http://127.0.0.2/", &allowed).is_err());
        assert!(check_url("http://localhost:9000/", &allowed).is_ok());
        // The mapped form of an allowed address is allowed; the metadata address is not.
        assert!(check_address("::ffff:10.20.0.9".parse().unwrap(), &allowed).is_ok());
        assert!(check_url("http://169.254.169.254/", &allowed).is_err());
        // Host bits are ignored; nonsense is named.
        let truncated = AllowedNetworks::parse(&["10.20.1.5/16"]).unwrap();
        assert_eq!(truncated.to_strings(), ["10.20.0.0/16"]);
        assert!(
            AllowedNetworks::parse(&["10.20.0.0/33"])
                .unwrap_err()
                .contains("10.20.0.0/33")
        );
        assert!(AllowedNetworks::parse(&["intranet"]).is_err());
        assert!(
            check_address(
                "fd00::1".parse().unwrap(),
                &AllowedNetworks::parse(&["fd00::/8"]).unwrap()
            )
            .is_ok()
        );
    }

    #[test]
    fn credentials_are_taken_out_of_a_url_to_show() {
        assert_eq!(
            without_credentials("https://user:pw@hooks.example.com/x"),
            "https://hooks.example.com/x"
        );
        assert_eq!(
            without_credentials("https://hooks.example.com/x"),
            "https://hooks.example.com/x"
        );
        assert_eq!(without_credentials("not a url"), "not a url");
    }
}
