//! CPU and memory of processes, read from `/proc`: the server(s) under test, the generator
//! itself and the whole machine, sampled in the background while a scenario measures.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("unexpected format of {0}")]
    Format(String),
}

fn read(path: &str) -> Result<String, ProcError> {
    std::fs::read_to_string(path).map_err(|source| ProcError::Read {
        path: path.to_owned(),
        source,
    })
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// User plus system CPU time of a process so far, in seconds.
pub fn cpu_seconds(pid: &str) -> Result<f64, ProcError> {
    let path = format!("/proc/{pid}/stat");
    let stat = read(&path)?;
    // The command name is in parentheses and may hold spaces: fields count from after it.
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or_else(|| ProcError::Format(path.clone()))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state(0) ppid(1) ... utime(11) stime(12).
    let field = |i: usize| -> Result<f64, ProcError> {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| ProcError::Format(path.clone()))
    };
    Ok((field(11)? + field(12)?) / clock_ticks())
}

/// Resident set size of a process, in KiB.
pub fn rss_kib(pid: &str) -> Result<u64, ProcError> {
    let path = format!("/proc/{pid}/status");
    let status = read(&path)?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or(ProcError::Format(path))
}

/// Busy and total jiffies of the whole machine (`/proc/stat`, first line).
fn machine_jiffies() -> Result<(f64, f64), ProcError> {
    let stat = read("/proc/stat")?;
    let line = stat
        .lines()
        .next()
        .ok_or_else(|| ProcError::Format("/proc/stat".into()))?;
    let values: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    if values.len() < 4 {
        return Err(ProcError::Format("/proc/stat".into()));
    }
    let total: f64 = values.iter().sum();
    // idle and iowait
    let idle = values[3] + values.get(4).copied().unwrap_or(0.0);
    Ok((total - idle, total))
}

/// The 1-minute load average.
pub fn load_average() -> Option<f64> {
    read("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// What a sampling window measured. CPU shares are percent of one core (a process using
/// both cores of a 2-core machine shows 200 %).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub server_cpu_pct: f64,
    pub server_rss_peak_mib: f64,
    pub server_rss_end_mib: f64,
    pub generator_cpu_pct: f64,
    /// The whole machine's busy share, percent of all cores.
    pub machine_busy_pct: f64,
    pub seconds: f64,
}

struct Start {
    at: Instant,
    server_cpu: f64,
    own_cpu: f64,
    machine: (f64, f64),
}

/// Samples the given server processes every 200 ms until [`Sampler::finish`].
pub struct Sampler {
    pids: Vec<String>,
    start: Start,
    peak_kib: Arc<Mutex<u64>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn total_rss(pids: &[String]) -> u64 {
    pids.iter().filter_map(|p| rss_kib(p).ok()).sum()
}

fn total_cpu(pids: &[String]) -> f64 {
    pids.iter().filter_map(|p| cpu_seconds(p).ok()).sum()
}

impl Sampler {
    pub fn start(server_pids: &[u32]) -> Self {
        let pids: Vec<String> = server_pids.iter().map(u32::to_string).collect();
        let peak_kib = Arc::new(Mutex::new(total_rss(&pids)));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let pids = pids.clone();
            let peak = peak_kib.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("procfs-sampler".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let rss = total_rss(&pids);
                        if let Ok(mut p) = peak.lock() {
                            *p = (*p).max(rss);
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    }
                })
                .ok()
        };
        let start = Start {
            at: Instant::now(),
            server_cpu: total_cpu(&pids),
            own_cpu: cpu_seconds("self").unwrap_or(0.0),
            machine: machine_jiffies().unwrap_or((0.0, 0.0)),
        };
        Self {
            pids,
            start,
            peak_kib,
            stop,
            thread,
        }
    }

    pub fn finish(mut self) -> Usage {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let seconds = self.start.at.elapsed().as_secs_f64().max(1e-3);
        let end_rss = total_rss(&self.pids);
        let peak = self
            .peak_kib
            .lock()
            .map(|p| (*p).max(end_rss))
            .unwrap_or(end_rss);
        let (busy0, total0) = self.start.machine;
        let (busy1, total1) = machine_jiffies().unwrap_or((busy0, total0));
        let machine_busy_pct = if total1 > total0 {
            100.0 * (busy1 - busy0) / (total1 - total0)
        } else {
            0.0
        };
        Usage {
            server_cpu_pct: 100.0 * (total_cpu(&self.pids) - self.start.server_cpu) / seconds,
            server_rss_peak_mib: peak as f64 / 1024.0,
            server_rss_end_mib: end_rss as f64 / 1024.0,
            generator_cpu_pct: 100.0 * (cpu_seconds("self").unwrap_or(0.0) - self.start.own_cpu)
                / seconds,
            machine_busy_pct,
            seconds,
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        assert!(rss_kib("self").unwrap() > 0);
        assert!(cpu_seconds("self").unwrap() >= 0.0);
        assert!(machine_jiffies().unwrap().1 > 0.0);
    }
}
