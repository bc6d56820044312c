//! Whether an auto-linked URL or e-mail address becomes a link: the reference asks the
//! `tldts` library (bundled into it) for the host's public suffix, and `new URL()` whether
//! the text is already an absolute URL. This module reproduces the former step by step,
//! with the bundled public-suffix trie, and the latter with a WHATWG URL parser.

use crate::tables::{PSL_EDGES, PSL_EXCEPTIONS_ROOT, PSL_NODES, PSL_RULES_ROOT};

const DOT: u16 = b'.' as u16;

/// What `tldts.parse` reports that the reference looks at.
#[derive(Default)]
struct SuffixInfo {
    icann: bool,
    private: bool,
    /// Some entry of `validHosts` is the host itself or one of its parent domains.
    valid_host: bool,
}

/// `autoLink`'s test: `isIcann || isIp || isPrivate || validHosts.includes(domain)` with
/// `validHosts = ['localhost', ...customDomains]` (and `detectIp: false`, so never isIp).
pub(crate) fn url_is_linkable(src: &[u16], custom_domains: &[String]) -> bool {
    let mut hosts: Vec<Vec<u16>> = vec!["localhost".encode_utf16().collect()];
    hosts.extend(custom_domains.iter().map(|d| d.encode_utf16().collect()));
    let info = tldts_parse(src, Some(&hosts));
    info.icann || info.private || info.valid_host
}

/// `autoEmail`'s test on `mailto:<address>`.
pub(crate) fn email_is_linkable(address: &[u16]) -> bool {
    let mut href: Vec<u16> = "mailto:".encode_utf16().collect();
    href.extend_from_slice(address);
    let info = tldts_parse(&href, None);
    info.icann || info.private
}

/// `new URL(src)` would not throw.
pub(crate) fn is_absolute_url(src: &str) -> bool {
    url::Url::parse(src).is_ok()
}

/// `tldts.parse(url, { detectIp: false, allowPrivateDomains: true, validHosts })`, keeping
/// only the fields the reference reads.
fn tldts_parse(url: &[u16], valid_hosts: Option<&[Vec<u16>]>) -> SuffixInfo {
    let Some(hostname) = extract_hostname(url, is_valid_hostname(url)) else {
        return SuffixInfo::default();
    };
    if !is_valid_hostname(&hostname) {
        return SuffixInfo::default();
    }
    let mut info = suffix_lookup(&hostname);
    // getDomain returns the first valid host that is a domain suffix of the host name; any
    // other domain it computes is such a suffix too, so `includes` can only see those.
    info.valid_host = valid_hosts
        .unwrap_or(&[])
        .iter()
        .any(|vhost| share_same_domain_suffix(&hostname, vhost));
    info
}

fn share_same_domain_suffix(hostname: &[u16], vhost: &[u16]) -> bool {
    if !hostname.ends_with(vhost) {
        return false;
    }
    hostname.len() == vhost.len() || hostname.get(hostname.len() - vhost.len() - 1) == Some(&DOT)
}

/// tldts `isValidAscii`: lowercase ASCII letters, digits and anything non-ASCII.
fn is_valid_ascii(c: u16) -> bool {
    (0x61..=0x7A).contains(&c) || (0x30..=0x39).contains(&c) || c > 127
}

/// tldts `isValid`: a structural host-name check.
fn is_valid_hostname(hostname: &[u16]) -> bool {
    if hostname.len() > 255 || hostname.is_empty() || !is_valid_ascii(hostname[0]) {
        return false;
    }
    let mut last_dot: isize = -1;
    let mut last_char: u16 = 0;
    for (i, &code) in hostname.iter().enumerate() {
        if code == DOT {
            if i as isize - last_dot > 64
                || last_char == DOT
                || last_char == 0x2D
                || last_char == 0x5F
            {
                return false;
            }
            last_dot = i as isize;
        } else if !(is_valid_ascii(code) || code == 0x2D || code == 0x5F) {
            return false;
        }
        last_char = code;
    }
    hostname.len() as isize - last_dot - 1 <= 63 && last_char != 0x2D
}

/// tldts `extractHostname`.
fn extract_hostname(url: &[u16], url_is_valid_hostname: bool) -> Option<Vec<u16>> {
    let at = |i: usize| url.get(i).copied().map_or(u32::MAX, u32::from);
    let mut start = 0usize;
    let mut end = url.len();
    let mut has_upper = false;
    if !url_is_valid_hostname {
        if url.starts_with(&"data:".encode_utf16().collect::<Vec<_>>()) {
            return None;
        }
        while start < url.len() && at(start) <= 32 {
            start += 1;
        }
        while end > start + 1 && at(end - 1) <= 32 {
            end -= 1;
        }
        if at(start) == 47 && at(start + 1) == 47 {
            start += 2;
        } else if let Some(protocol) = find_protocol(url, start) {
            let scheme = &url[start..protocol];
            let fast = ["https", "http", "wss", "ws"]
                .iter()
                .any(|s| s.encode_utf16().eq(scheme.iter().copied()));
            if !fast {
                let ok = scheme.iter().all(|&c| {
                    let lower = u32::from(c) | 32;
                    (97..=122).contains(&lower)
                        || (48..=57).contains(&lower)
                        || lower == 46
                        || lower == 45
                        || lower == 43
                });
                if !ok {
                    return None;
                }
            }
            start = protocol + 2;
            while at(start) == 47 {
                start += 1;
            }
        }
        let mut identifier: Option<usize> = None;
        let mut closing_bracket: Option<usize> = None;
        let mut port: Option<usize> = None;
        let mut i = start;
        while i < end {
            match at(i) {
                35 | 47 | 63 => {
                    end = i;
                    break;
                }
                64 => identifier = Some(i),
                93 => closing_bracket = Some(i),
                58 => port = Some(i),
                65..=90 => has_upper = true,
                _ => {}
            }
            i += 1;
        }
        if let Some(id) = identifier
            && id > start
            && id < end
        {
            start = id + 1;
        }
        if at(start) == 91 {
            let close = closing_bracket?;
            let inner = url.get(start + 1..close).unwrap_or(&[]);
            return Some(to_lower(inner));
        } else if let Some(p) = port
            && p > start
            && p < end
        {
            end = p;
        }
    }
    while end > start + 1 && at(end - 1) == 46 {
        end -= 1;
    }
    let hostname = url.get(start..end).unwrap_or(&[]);
    Some(if has_upper {
        to_lower(hostname)
    } else {
        hostname.to_vec()
    })
}

/// `url.indexOf(':/', start)`.
fn find_protocol(url: &[u16], start: usize) -> Option<usize> {
    let tail = url.get(start..)?;
    tail.windows(2)
        .position(|w| w == [58, 47])
        .map(|k| start + k)
}

/// `String.prototype.toLowerCase`.
fn to_lower(units: &[u16]) -> Vec<u16> {
    String::from_utf16_lossy(units)
        .to_lowercase()
        .encode_utf16()
        .collect()
}

/// The rule type of the deepest trie node that matched.
struct TrieMatch {
    icann: bool,
    private: bool,
}

/// A step of tldts' trie walk: the child for `label`, else the `*` child. Labels that name
/// `Object.prototype` members find that member, which is truthy but has no rule and no
/// children, so the walk dies there instead of falling back to `*`.
enum Step {
    Node(u32),
    Dead,
    None,
}

fn child(node: u32, label: &str) -> Step {
    if label == "constructor" || label == "__proto__" {
        return Step::Dead;
    }
    let Some(&(_, first, count)) = PSL_NODES.get(node as usize) else {
        return Step::None;
    };
    let edges = PSL_EDGES
        .get(first as usize..(first + count) as usize)
        .unwrap_or(&[]);
    let find = |l: &str| {
        edges
            .binary_search_by(|(e, _)| e.as_bytes().cmp(l.as_bytes()))
            .ok()
    };
    match find(label).or_else(|| find("*")) {
        Some(k) => Step::Node(edges[k].1),
        None => Step::None,
    }
}

/// tldts `lookupInTrie` with both ICANN and private rules allowed.
fn lookup_in_trie(labels: &[&str], root: u32) -> Option<TrieMatch> {
    let mut result = None;
    let mut node = Some(root);
    let mut index = labels.len();
    while let Some(id) = node {
        let flag = PSL_NODES.get(id as usize).map_or(0, |n| n.0);
        if flag & 3 != 0 {
            result = Some(TrieMatch {
                icann: flag == 1,
                private: flag == 2,
            });
        }
        if index == 0 {
            break;
        }
        index -= 1;
        node = match child(id, labels[index]) {
            Step::Node(next) => Some(next),
            Step::Dead | Step::None => None,
        };
    }
    result
}

/// tldts `suffixLookup` (no fast path: private domains are allowed).
fn suffix_lookup(hostname: &[u16]) -> SuffixInfo {
    let text = String::from_utf16_lossy(hostname);
    let labels: Vec<&str> = text.split('.').collect();
    let found = lookup_in_trie(&labels, PSL_EXCEPTIONS_ROOT)
        .or_else(|| lookup_in_trie(&labels, PSL_RULES_ROOT));
    match found {
        Some(m) => SuffixInfo {
            icann: m.icann,
            private: m.private,
            valid_host: false,
        },
        None => SuffixInfo::default(),
    }
}
