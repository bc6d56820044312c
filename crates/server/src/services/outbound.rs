//! Fetching a URL a user gave us (an avatar URL), without letting them point the server at
//! itself or its network: only http(s), every address the host resolves to must be public
//! (no loopback, private, link-local, CGNAT, multicast or reserved ranges, IPv4 or IPv6),
//! the connection goes to the address that was checked (no second DNS answer), redirects
//! are not followed, and the body is size-capped and time-limited.
//! `OUTBOUND_ALLOW_PRIVATE_NETWORKS` lifts the address rule for intranet deployments.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;

use crate::error::{Error, Result};

const TIMEOUT: Duration = Duration::from_secs(10);

fn refused(reason: &str) -> Error {
    Error::failure("error-url-not-allowed", reason.to_owned())
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 to anywhere
}

pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6),
    }
}

/// Downloads `url` (at most `max_bytes`), following the rules above.
pub async fn fetch(url: &str, max_bytes: u64, allow_private: bool) -> Result<Bytes> {
    let parsed = url::Url::parse(url).map_err(|_| refused("The URL is not valid"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refused("Only http and https URLs can be fetched"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refused("URLs with credentials are not fetched"));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| refused("The URL has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| refused("The URL has no port"))?;
    let addresses: Vec<SocketAddr> =
        tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((host.as_str(), port)))
            .await
            .map_err(|_| refused("The host did not resolve in time"))?
            .map_err(|_| refused("The host does not resolve"))?
            .collect();
    let Some(first) = addresses.first().copied() else {
        return Err(refused("The host does not resolve"));
    };
    if !allow_private && addresses.iter().any(|a| !is_public(a.ip())) {
        return Err(refused("The URL points to a private or reserved address"));
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .resolve(&host, first)
        .build()
        .map_err(|e| {
            tracing::error!(error = %e, "cannot build the HTTP client");
            Error::Internal
        })?;
    let response = client
        .get(parsed)
        .send()
        .await
        .map_err(|_| refused("The URL could not be fetched"))?;
    if !response.status().is_success() {
        return Err(refused(&format!(
            "The URL answered {}",
            response.status().as_u16()
        )));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| refused("The download was cut off"))?;
        if body.len() as u64 + chunk.len() as u64 > max_bytes {
            return Err(Error::failure(
                "error-file-too-large",
                format!("The file at the URL exceeds {max_bytes} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn private_and_reserved_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "64:ff9b::7f00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
