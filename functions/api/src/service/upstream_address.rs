//! Which addresses the platform may call on a user's behalf (AI providers' `base_url`s,
//! storage endpoints). A URL a user saves must not make the platform call into its own
//! network: loopback, private, link-local, shared and metadata addresses are refused unless
//! `POWERNODE_ALLOW_PRIVATE_UPSTREAMS` is on. The check runs when a URL is saved and, natively,
//! again on every resolved address at connect time (the native host's resolver), so a name that
//! later resolves inward is refused too.

use std::net::{IpAddr, Ipv4Addr};

use url::{Host, Url};

/// Host names that always mean "this machine" or a cloud metadata service.
const INWARD_NAMES: &[&str] = &["localhost", "metadata", "metadata.google.internal"];

/// Whether `ip` is an address on the public internet.
pub fn ip_is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_is_public(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_is_public(v4);
            }
            let seg = v6.segments();
            // NAT64 (64:ff9b::/96) reaches the IPv4 address it embeds.
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = seg[6].to_be_bytes();
                let [c, d] = seg[7].to_be_bytes();
                return v4_is_public(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local, fd00:ec2::254 (AWS metadata)
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)) // documentation
        }
    }
}

fn v4_is_public(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254.0.0/16: 169.254.169.254 is every cloud's metadata
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// Checks a `base_url` a user wants the platform to call: http(s), a host, no credentials in
/// it, and (unless `allow_private`) not an inward address. Returns the parsed URL or a message
/// for the user.
pub fn check_base_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|_| "must be an absolute http(s) URL".to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; give the key as api_key".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    let host = url.host().ok_or_else(|| "must name a host".to_string())?;
    if allow_private {
        return Ok(url);
    }
    let inward = match host {
        Host::Ipv4(ip) => !ip_is_public(IpAddr::V4(ip)),
        Host::Ipv6(ip) => !ip_is_public(IpAddr::V6(ip)),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            INWARD_NAMES.contains(&name.as_str())
                || name.ends_with(".localhost")
                || name.ends_with(".internal")
                || name.ends_with(".local")
        }
    };
    if inward {
        return Err(
            "points at a loopback, private, link-local or metadata address; set \
             POWERNODE_ALLOW_PRIVATE_UPSTREAMS=true to allow it"
                .into(),
        );
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inward_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "224.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("an address");
            assert!(!ip_is_public(ip), "{ip} must be refused");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "104.18.6.192"] {
            let ip: IpAddr = ip.parse().expect("an address");
            assert!(ip_is_public(ip), "{ip} is public");
        }
    }

    #[test]
    fn base_urls_are_checked_both_ways() {
        assert!(check_base_url("https://api.openai.com/v1", false).is_ok());
        for bad in [
            "http://127.0.0.1:8080/v1",
            "http://localhost:11434/v1",
            "http://169.254.169.254/latest",
            "http://[::1]/v1",
            "http://metadata.google.internal/",
            "http://api.localhost/",
        ] {
            assert!(check_base_url(bad, false).is_err(), "{bad}");
            assert!(
                check_base_url(bad, true).is_ok(),
                "{bad} allowed when private is on"
            );
        }
        for malformed in [
            "ftp://example.com",
            "not a url",
            "https://user:pw@example.com",
            "https://example.com/v1?key=1",
        ] {
            assert!(check_base_url(malformed, true).is_err(), "{malformed}");
        }
    }
}
