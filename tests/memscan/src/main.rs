//! The child process of tests/scan.rs: runs a flow (issue + rotate ×5, client_credentials ×5,
//! store → rotate → logout a session) against the emulator the parent started, under the zeroing
//! allocator, keeping only masked copies of every secret; drops everything; then scans its own
//! readable memory for the secrets and prints one line per secret: `<label> <count>`.
//!
//! Inputs: `PLEXCTL_TEST_URL`, `PLEXCTL_TEST_TOKEN` (the admin token: a fixture, not scanned),
//! `PLEXCTL_TEST_IDENTITY`, `PLEXCTL_TEST_CONFIG`, and the service identity's client secret on
//! standard input (read unbuffered into a wiped buffer).

use std::fs::File;
use std::os::unix::fs::FileExt;

use plexctl_core::alloc::ZeroizingAllocator;
use plexctl_core::{Client, IssueTokenRequest, Secret, ServiceTokenRequest};
use zeroize::Zeroizing;

#[global_allocator]
static ALLOC: ZeroizingAllocator = ZeroizingAllocator;

const MASK: u8 = 0xA5;

/// A secret's distinctive part, masked: for a psk its 22 secret characters, else all of it.
fn masked(secret: &Secret) -> Vec<u8> {
    let text = secret.expose_secret().as_bytes();
    let part = if secret.expose_secret().starts_with("psk_") && text.len() > 22 {
        &text[text.len() - 22..]
    } else {
        text
    };
    part.iter().map(|b| b ^ MASK).collect()
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by tests/memscan/tests/scan.rs"))
}

fn read_stdin_secret() -> Secret {
    let mut buf = Zeroizing::new(vec![0u8; 256]);
    let n = rustix::io::read(rustix::stdio::stdin(), &mut buf[..]).expect("read stdin");
    Secret::from_utf8(buf[..n].trim_ascii()).expect("UTF-8")
}

fn flow(needles: &mut Vec<(String, Vec<u8>)>) {
    let url = env("PLEXCTL_TEST_URL");
    let client_secret = read_stdin_secret();
    needles.push(("client_secret".into(), masked(&client_secret)));
    let admin = Client::builder()
        .server(url.clone())
        .token(Secret::from(env("PLEXCTL_TEST_TOKEN")))
        .use_environment(false)
        .build()
        .unwrap();
    let req = IssueTokenRequest::parse(&env("PLEXCTL_TEST_IDENTITY"), "prod", Some("1h")).unwrap();
    for i in 0..5 {
        let issued = admin.issue_token(&req).unwrap();
        needles.push((format!("issued_{i}"), masked(&issued.plaintext)));
        let rotated = admin.rotate_token(issued.id).unwrap();
        needles.push((format!("rotated_{i}"), masked(&rotated.plaintext)));
    }
    let anonymous = Client::builder()
        .server(url.clone())
        .use_environment(false)
        .build()
        .unwrap();
    let grant = ServiceTokenRequest::client_credentials("svc-scan", client_secret);
    for i in 0..5 {
        let minted = anonymous.mint_service_token(&grant).unwrap();
        needles.push((format!("access_token_{i}"), masked(&minted.access_token)));
    }
    let session = admin.issue_token(&req).unwrap();
    needles.push(("session".into(), masked(&session.plaintext)));
    let store = Client::builder()
        .config_path(env("PLEXCTL_TEST_CONFIG"))
        .use_environment(false)
        .build()
        .unwrap();
    store
        .store_session("default", &url, &session.plaintext, true)
        .unwrap();
    let rotated = store.rotate_session().unwrap();
    needles.push(("session_rotated".into(), masked(&rotated.plaintext)));
    let out = store.logout().unwrap();
    assert!(out.revoked);
}

/// Counts every occurrence of each needle in this process's readable memory. Each chunk is masked
/// before it is searched, so the scan itself never makes an unmasked copy.
fn scan(needles: &[(String, Vec<u8>)]) -> Vec<usize> {
    const CHUNK: usize = 1 << 20;
    let overlap = needles.iter().map(|(_, n)| n.len()).max().unwrap_or(1);
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mem = File::open("/proc/self/mem").unwrap();
    let mut buf = vec![0u8; CHUNK + overlap];
    let mut counts = vec![0; needles.len()];
    let finders: Vec<_> = needles
        .iter()
        .map(|(_, n)| memchr::memmem::Finder::new(n).into_owned())
        .collect();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !perms.starts_with('r') || line.ends_with("[vvar]") || line.ends_with("[vsyscall]") {
            continue;
        }
        let (start, end) = range.split_once('-').unwrap();
        let (start, end) = (
            u64::from_str_radix(start, 16).unwrap(),
            u64::from_str_radix(end, 16).unwrap(),
        );
        let mut at = start;
        while at < end {
            let want = ((end - at) as usize).min(CHUNK + overlap);
            let Ok(n) = mem.read_at(&mut buf[..want], at) else {
                break;
            };
            if n == 0 {
                break;
            }
            for b in &mut buf[..n] {
                *b ^= MASK;
            }
            for (count, finder) in counts.iter_mut().zip(&finders) {
                // Matches starting in the overlap are counted by the next chunk.
                *count += finder
                    .find_iter(&buf[..n])
                    .filter(|&pos| n < CHUNK || pos < CHUNK)
                    .count();
            }
            at += CHUNK as u64;
        }
    }
    counts
}

fn main() {
    let mut needles = Vec::new();
    flow(&mut needles);
    // The control: a secret still alive during the scan must be found, or the scan proves nothing.
    let control =
        Secret::from(format!("control-{:032x}", std::process::id() as u128 * 7919).as_str());
    needles.push(("control".into(), masked(&control)));
    let counts = scan(&needles);
    drop(control);
    for ((label, _), count) in needles.iter().zip(counts) {
        println!("{label} {count}");
    }
}
