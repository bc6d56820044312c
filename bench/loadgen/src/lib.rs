//! Ferrochat's benchmark tool (issue 8): a data seeder that fills SQLite or PostgreSQL
//! stores fast, and a load generator that drives the real `ferrochat` binary over REST and
//! DDP and reports latencies, throughput and the server's CPU and memory.

pub mod ddp;
pub mod manifest;
pub mod metrics;
pub mod procfs;
pub mod profile;
pub mod report;
pub mod rest;
pub mod rlimit;
pub mod runner;
pub mod scenarios;
pub mod seed;
pub mod server;
pub mod suite;
