//! The file-descriptor limit: raised for the generator, and so for the servers it starts
//! (children inherit it).

#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("getrlimit(RLIMIT_NOFILE): {0}")]
    Get(std::io::Error),
    #[error("setrlimit(RLIMIT_NOFILE, {0}): {1}")]
    Set(u64, std::io::Error),
}

fn get() -> Result<(u64, u64), LimitError> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(LimitError::Get(std::io::Error::last_os_error()));
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

fn set(soft: u64, hard: u64) -> Result<(), LimitError> {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: `limit` is a valid rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(LimitError::Set(soft, std::io::Error::last_os_error()));
    }
    Ok(())
}

/// The soft limit in force.
pub fn current_nofile() -> Result<u64, LimitError> {
    Ok(get()?.0)
}

/// The most descriptors a process may have (`fs.nr_open`).
fn kernel_max() -> u64 {
    std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 20)
}

/// Raises the soft limit (and the hard one, when allowed: root) to `wanted`, or as far as
/// possible. Returns the soft limit now in force.
pub fn raise_nofile(wanted: u64) -> Result<u64, LimitError> {
    let (soft, hard) = get()?;
    let wanted = wanted.min(kernel_max());
    if soft >= wanted {
        return Ok(soft);
    }
    if hard >= wanted || set(wanted, wanted).is_ok() {
        set(wanted, hard.max(wanted))?;
        return Ok(wanted);
    }
    // Not allowed to raise the hard limit: go as far as it lets us.
    set(hard, hard)?;
    Ok(hard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_never_lowers() {
        let (before, _) = get().unwrap();
        let now = raise_nofile(before).unwrap();
        assert!(now >= before);
    }
}
