//! The sizes of a benchmark run: `quick` (every scenario, small, a few minutes per store)
//! and `full` (the sizes of the targets).

use crate::seed::SeedConfig;

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: &'static str,
    pub seed: SeedConfig,
    /// Scenario 1: open-loop password logins per second, for `secs`, with other endpoints
    /// called at `side_rate` meanwhile; then a closed loop of `max_concurrency` for
    /// `max_secs` for the ceiling.
    pub login_rate: f64,
    pub login_secs: u64,
    pub login_side_rate: f64,
    pub login_max_concurrency: usize,
    pub login_max_secs: u64,
    /// Scenario 2: clients that resume and subscribe, spread over `window_secs`.
    pub reconnect_clients: u64,
    pub reconnect_window_secs: f64,
    /// Scenario 3: message posts per second, each for `post_secs`.
    pub post_rates: Vec<f64>,
    pub post_secs: u64,
    /// Scenario 4: subscriber counts, at 10 messages a second for `fanout_secs`.
    pub fanout_sizes: Vec<u64>,
    pub fanout_secs: u64,
    /// Scenario 5: idle connections (the target is stated for 100k; smaller runs project).
    pub idle_connections: u64,
    /// Scenario 6: online users, observers of `user-status`, churn per second (fraction).
    pub presence_users: u64,
    pub presence_observers: u64,
    pub presence_secs: u64,
    /// Scenario 7: history requests per second while posts run at `history_post_rate`.
    pub history_rate: f64,
    pub history_post_rate: f64,
    pub history_secs: u64,
    /// Scenario 8: searches per second.
    pub search_rate: f64,
    pub search_secs: u64,
    /// Scenario 9: start-ups measured.
    pub idle_server_runs: u32,
    /// Scenario 10: the posts and fan-out of 3 and 4 across two nodes.
    pub cluster_post_rate: f64,
    pub cluster_fanout: u64,
    pub cluster_secs: u64,
}

pub const PASSWORD: &str = "bench-password";

impl Profile {
    pub fn quick() -> Self {
        Profile {
            name: "quick",
            seed: SeedConfig {
                users: 2_000,
                rooms: 5_000,
                big_room_messages: 1_000_000,
                messages: 1_200_000,
                fanout_sizes: vec![100, 1_000],
                password: PASSWORD.into(),
            },
            login_rate: 30.0,
            login_secs: 10,
            login_side_rate: 30.0,
            login_max_concurrency: 4,
            login_max_secs: 5,
            reconnect_clients: 2_000,
            reconnect_window_secs: 2.0,
            post_rates: vec![500.0, 1_000.0],
            post_secs: 8,
            fanout_sizes: vec![100, 1_000],
            fanout_secs: 8,
            idle_connections: 5_000,
            presence_users: 1_000,
            presence_observers: 50,
            presence_secs: 10,
            history_rate: 200.0,
            history_post_rate: 500.0,
            history_secs: 8,
            search_rate: 10.0,
            search_secs: 8,
            idle_server_runs: 3,
            cluster_post_rate: 500.0,
            cluster_fanout: 100,
            cluster_secs: 8,
        }
    }

    pub fn full() -> Self {
        Profile {
            name: "full",
            seed: SeedConfig {
                users: 10_000,
                rooms: 50_000,
                big_room_messages: 1_000_000,
                messages: 10_000_000,
                fanout_sizes: vec![100, 1_000, 10_000],
                password: PASSWORD.into(),
            },
            login_rate: 30.0,
            login_secs: 30,
            login_side_rate: 50.0,
            login_max_concurrency: 8,
            login_max_secs: 10,
            reconnect_clients: 10_000,
            reconnect_window_secs: 10.0,
            post_rates: vec![500.0, 1_000.0],
            post_secs: 30,
            fanout_sizes: vec![100, 1_000, 10_000],
            fanout_secs: 30,
            idle_connections: 100_000,
            presence_users: 10_000,
            presence_observers: 200,
            presence_secs: 30,
            history_rate: 200.0,
            history_post_rate: 500.0,
            history_secs: 30,
            search_rate: 20.0,
            search_secs: 30,
            idle_server_runs: 5,
            cluster_post_rate: 500.0,
            cluster_fanout: 1_000,
            cluster_secs: 30,
        }
    }
}
