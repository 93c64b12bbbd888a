//! The Rust subjects of `bench/run`: the core client, and the raw reqwest floor (the same requests,
//! the bodies read but not decoded). Also the connection count, the RSS growth over many calls,
//! and thread scaling. Prints one JSON object per line; `bench/report.py` makes the tables.
//!
//! Configuration comes from the environment `bench/run` sets (BENCH_URL, BENCH_TOKEN, ...).
//! `BENCH_PHASE=canned` (against the canned server: the operations, connections and RSS) or
//! `argon2` (against the emulator: the operations and thread scaling). `BENCH_PROFILE=list10k`
//! only lists the 10,000 tokens through the core for `BENCH_PROFILE_SECONDS` (for `perf`).

use std::io::Read;
use std::time::{Duration, Instant};

use plexctl_core::{Client, IssueTokenRequest, Secret, ServiceTokenRequest};
use serde_json::json;

#[cfg(feature = "zeroizing-alloc")]
#[global_allocator]
static ALLOC: plexctl_core::alloc::ZeroizingAllocator = plexctl_core::alloc::ZeroizingAllocator;

/// The core subject's name: with the zeroing allocator it is measured as a subject of its own.
const CORE: &str = if cfg!(feature = "zeroizing-alloc") {
    "rust-core+zeroize"
} else {
    "rust-core"
};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (run bench/run)"))
}

fn iterations() -> usize {
    env("BENCH_N").parse().expect("BENCH_N is a number")
}

/// The CPU time this process (every thread) has used so far, in microseconds (getrusage).
fn cpu_us() -> f64 {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes the struct it is given; RUSAGE_SELF is always valid.
    let ru = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr());
        ru.assume_init()
    };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    us(ru.ru_utime) + us(ru.ru_stime)
}

/// Runs `op` `n` times after a short warm-up; prints the median and p99 wall time and the
/// process's CPU time per call, in microseconds.
fn measure(subject: &str, op: &str, n: usize, mut f: impl FnMut()) {
    for _ in 0..n.min(20) {
        f();
    }
    let cpu = cpu_us();
    let mut samples: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let cpu = (cpu_us() - cpu) / n as f64;
    samples.sort_by(f64::total_cmp);
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{}",
        json!({"subject": subject, "op": op, "median_us": pick(0.5), "p99_us": pick(0.99), "cpu_us": cpu, "n": n})
    );
}

fn metric(subject: &str, name: &str, value: f64) {
    println!(
        "{}",
        json!({"subject": subject, "metric": name, "value": value})
    );
}

struct Fixture {
    url: String,
    token: String,
    big_token: String,
    identity: String,
    rotate_id: String,
    node: String,
    client_id: String,
    client_secret: String,
}

impl Fixture {
    fn from_env() -> Self {
        Fixture {
            url: env("BENCH_URL"),
            token: env("BENCH_TOKEN"),
            big_token: env("BENCH_BIG_TOKEN"),
            identity: env("BENCH_IDENTITY"),
            rotate_id: env("BENCH_ROTATE_ID"),
            node: env("BENCH_NODE"),
            client_id: env("BENCH_CLIENT_ID"),
            client_secret: env("BENCH_CLIENT_SECRET"),
        }
    }

    fn core(&self, token: &str) -> Client {
        Client::builder()
            .server(&self.url)
            .token(Secret::from(token))
            .use_environment(false)
            .build()
            .expect("client builds")
    }
}

fn core_subject(fx: &Fixture, n: usize) {
    let c = fx.core(&fx.token);
    let big = fx.core(&fx.big_token);
    let issue = IssueTokenRequest::parse(&fx.identity, "dev", None).unwrap();
    let rotate_id = plexctl_core::tokens::parse_token_id(&fx.rotate_id).unwrap();
    let node = plexctl_core::keys::parse_node_id(&fx.node).unwrap();
    let grant = ServiceTokenRequest::client_credentials(
        &fx.client_id,
        Secret::from(fx.client_secret.as_str()),
    );
    measure(CORE, "list10", n, || {
        assert_eq!(c.list_tokens().unwrap().len(), 10)
    });
    measure(CORE, "issue+delete", n, || {
        let t = c.issue_token(&issue).unwrap();
        c.delete_token(t.id).unwrap();
    });
    measure(CORE, "rotate", n, || {
        c.rotate_token(rotate_id).unwrap();
    });
    measure(CORE, "preview", n, || {
        c.preview_node_key_rotation(node).unwrap();
    });
    measure(CORE, "grant", n, || {
        c.mint_service_token(&grant).unwrap();
    });
    measure(CORE, "list10k", (n / 10).max(20), || {
        assert_eq!(big.list_tokens().unwrap().len(), 10_000)
    });
}

/// The floor: one reqwest blocking client, the same bytes on the wire, bodies read, not decoded.
fn floor_subject(fx: &Fixture, n: usize) {
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let bearer = format!("Bearer {}", fx.token);
    let big_bearer = format!("Bearer {}", fx.big_token);
    let tokens = format!("{}/v1/auth/tokens", fx.url);
    let send = |rb: reqwest::blocking::RequestBuilder| -> Vec<u8> {
        let mut resp = rb.send().unwrap();
        assert!(resp.status().is_success());
        let mut body = Vec::new();
        resp.read_to_end(&mut body).unwrap();
        body
    };
    let get = |url: &str, auth: &str| {
        send(
            http.get(url)
                .header("authorization", auth)
                .header("accept", "application/json"),
        )
    };
    let issue_body = json!({"identity_ref": fx.identity, "env_prefix": "dev"}).to_string();
    let grant_body = json!({"grant_type": "client_credentials", "client_id": fx.client_id, "client_secret": fx.client_secret}).to_string();
    measure("rust-floor", "list10", n, || {
        get(&tokens, &bearer);
    });
    measure("rust-floor", "issue+delete", n, || {
        let body = send(
            http.post(&tokens)
                .header("authorization", &bearer)
                .header("content-type", "application/json")
                .body(issue_body.clone()),
        );
        // The id is the first 36 characters after `"id":"`: located, not decoded.
        let text = std::str::from_utf8(&body).unwrap();
        let at = text.find("\"id\":\"").unwrap() + 6;
        send(
            http.delete(format!("{tokens}/{}", &text[at..at + 36]))
                .header("authorization", &bearer),
        );
    });
    let rotate = format!("{tokens}/{}/rotate", fx.rotate_id);
    measure("rust-floor", "rotate", n, || {
        send(http.post(&rotate).header("authorization", &bearer));
    });
    let preview = format!("{}/v1/nodes/{}/keys/rotate/preview", fx.url, fx.node);
    measure("rust-floor", "preview", n, || {
        get(&preview, &bearer);
    });
    let grant = format!("{}/v1/auth/service/token", fx.url);
    measure("rust-floor", "grant", n, || {
        send(
            http.post(&grant)
                .header("content-type", "application/json")
                .body(grant_body.clone()),
        );
    });
    measure("rust-floor", "list10k", (n / 10).max(20), || {
        get(&tokens, &big_bearer);
    });
}

/// Reads the emulator's counters through one kept-alive connection, so the probe adds no
/// connection between two readings.
fn stats(probe: &reqwest::blocking::Client, fx: &Fixture) -> serde_json::Value {
    let body = probe
        .get(format!("{}/_emulator/stats", fx.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    serde_json::from_str(&body).unwrap()
}

fn rss_kib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0)
}

/// Connections per client and RSS growth: against the canned server.
fn extras(fx: &Fixture) {
    // Connections opened by one client over 1,000 sequential calls.
    let probe = reqwest::blocking::Client::new();
    let before = stats(&probe, fx)["connections"].as_f64().unwrap();
    let c = fx.core(&fx.token);
    for _ in 0..1000 {
        c.list_tokens().unwrap();
    }
    let after = stats(&probe, fx)["connections"].as_f64().unwrap();
    metric("rust-core", "connections_per_1000_calls", after - before);

    // RSS growth over many calls (after a warm-up, so pools and allocator arenas exist).
    let calls: usize = env("BENCH_RSS_CALLS").parse().unwrap();
    for _ in 0..1000 {
        c.list_tokens().unwrap();
    }
    let start = rss_kib();
    for _ in 0..calls {
        c.list_tokens().unwrap();
    }
    metric(
        "rust-core",
        &format!("rss_growth_kib_over_{calls}_calls"),
        rss_kib() - start,
    );
}

/// Thread scaling: against the emulator (the canned phase pins the client to one core).
fn threads(fx: &Fixture) {
    let c = fx.core(&fx.token);
    // Throughput of 1, 2, 4 and 8 threads sharing one client.
    for threads in [1usize, 2, 4, 8] {
        let window = Duration::from_secs(2);
        let total: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let c = c.clone();
                    s.spawn(move || {
                        let end = Instant::now() + window;
                        let mut n = 0;
                        while Instant::now() < end {
                            c.list_tokens().unwrap();
                            n += 1;
                        }
                        n
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        metric(
            "rust-core",
            &format!("list10_per_s_{threads}_threads"),
            total as f64 / window.as_secs_f64(),
        );
    }
}

fn main() {
    let fx = Fixture::from_env();
    if std::env::var("BENCH_PROFILE").as_deref() == Ok("list10k") {
        let big = fx.core(&fx.big_token);
        let secs: f64 = env("BENCH_PROFILE_SECONDS").parse().unwrap();
        let (end, cpu, mut calls) = (Instant::now() + Duration::from_secs_f64(secs), cpu_us(), 0);
        while Instant::now() < end {
            assert_eq!(big.list_tokens().unwrap().len(), 10_000);
            calls += 1;
        }
        eprintln!(
            "list10k: {calls} calls, {:.0} µs CPU per call",
            (cpu_us() - cpu) / calls as f64
        );
        return;
    }
    let n = iterations();
    let canned = env("BENCH_PHASE") == "canned";
    if cfg!(feature = "zeroizing-alloc") {
        // Only the allocator's cost is asked of this build: bench/run compares it with rust-core.
        core_subject(&fx, n);
        core_subject(&fx, n);
        return;
    }
    // Interleave subjects so a noisy neighbour hurts both alike.
    floor_subject(&fx, n);
    core_subject(&fx, n);
    floor_subject(&fx, n);
    core_subject(&fx, n);
    if canned {
        extras(&fx);
    } else {
        threads(&fx);
    }
}
