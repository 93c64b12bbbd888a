//! `plexctl-canned`: the canned server of `bench/run`. It asks the emulator (at `BENCH_URL`, with
//! the fixture `bench/run` seeded) each benchmarked route once, keeps the answers as ready-made
//! bytes, then serves them on loopback over HTTP/1.1 keep-alive with no auth work and no JSON
//! encoding: what a client costs is then what is measured, not what the server costs.
//!
//! Prints one JSON line (`url`) once it listens, then serves until killed. Routes:
//! `GET /v1/auth/tokens` (the ten-token list, or the 10,000-token one for `BENCH_BIG_TOKEN`'s
//! bearer), `POST /v1/auth/tokens`, `DELETE /v1/auth/tokens/{id}`,
//! `POST /v1/auth/tokens/{id}/rotate`, `GET /v1/nodes/{id}/keys/rotate/preview`,
//! `POST /v1/auth/service/token`, and `GET /_emulator/stats` (connections accepted so far).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (run bench/run)"))
}

/// The recorded answers, each a complete HTTP/1.1 response (status line, headers, body).
struct Canned {
    big_bearer: Vec<u8>,
    list10: Vec<u8>,
    list10k: Vec<u8>,
    issue: Vec<u8>,
    delete: Vec<u8>,
    rotate: Vec<u8>,
    preview: Vec<u8>,
    grant: Vec<u8>,
    not_found: Vec<u8>,
}

/// Headers that describe the emulator's connection or framing, not the answer: left out, and
/// this server writes its own `content-length`.
const HOP: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
];

/// Sends one request to the emulator and keeps its answer as bytes to replay.
fn record(rb: reqwest::blocking::RequestBuilder, expect: u16) -> Vec<u8> {
    let resp = rb.send().expect("the emulator answers");
    let status = resp.status();
    assert_eq!(status.as_u16(), expect, "unexpected status while recording");
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("OK")
    );
    for (name, value) in resp.headers() {
        if !HOP.contains(&name.as_str()) {
            head.push_str(&format!(
                "{}: {}\r\n",
                name,
                value.to_str().expect("ASCII header")
            ));
        }
    }
    let body = resp.bytes().expect("the emulator's body");
    if status.as_u16() != 204 {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&body);
    out
}

fn record_all() -> Canned {
    let url = env("BENCH_URL");
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let bearer = format!("Bearer {}", env("BENCH_TOKEN"));
    let big_bearer = format!("Bearer {}", env("BENCH_BIG_TOKEN"));
    let tokens = format!("{url}/v1/auth/tokens");
    let get = |u: &str, auth: &str| http.get(u).header("authorization", auth);
    // The lists first: issuing adds a token to the bench identity until it is deleted below.
    let list10 = record(get(&tokens, &bearer), 200);
    let list10k = record(get(&tokens, &big_bearer), 200);
    let issue_body =
        serde_json::json!({"identity_ref": env("BENCH_IDENTITY"), "env_prefix": "dev"});
    let issue = record(
        http.post(&tokens)
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .body(issue_body.to_string()),
        201,
    );
    let text = String::from_utf8_lossy(&issue);
    let at = text.find("\"id\":\"").expect("an issued id") + 6;
    let issued_id = text[at..at + 36].to_owned();
    let grant_body = serde_json::json!({
        "grant_type": "client_credentials",
        "client_id": env("BENCH_CLIENT_ID"),
        "client_secret": env("BENCH_CLIENT_SECRET"),
    });
    Canned {
        list10,
        list10k,
        delete: record(
            http.delete(format!("{tokens}/{issued_id}"))
                .header("authorization", &bearer),
            204,
        ),
        issue,
        rotate: record(
            http.post(format!("{tokens}/{}/rotate", env("BENCH_ROTATE_ID")))
                .header("authorization", &bearer),
            200,
        ),
        preview: record(
            get(
                &format!("{url}/v1/nodes/{}/keys/rotate/preview", env("BENCH_NODE")),
                &bearer,
            ),
            200,
        ),
        grant: record(
            http.post(format!("{url}/v1/auth/service/token"))
                .header("content-type", "application/json")
                .body(grant_body.to_string()),
            200,
        ),
        not_found: b"HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\ncontent-length: 48\r\n\r\n{\"title\":\"not a canned route\",\"status\":404,\"x\":0}".to_vec(),
        big_bearer: big_bearer.into_bytes(),
    }
}

/// One parsed request head: what routing needs.
struct Head {
    method: String,
    path: String,
    authorization: Vec<u8>,
    content_length: usize,
    close: bool,
}

fn parse_head(raw: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?;
    let version = first.next()?;
    let path = target.split('?').next()?.to_owned();
    let mut head = Head {
        method,
        path,
        authorization: Vec::new(),
        content_length: 0,
        close: version == "HTTP/1.0",
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            head.content_length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("authorization") {
            head.authorization = value.as_bytes().to_vec();
        } else if name.eq_ignore_ascii_case("connection") {
            head.close = value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Every subject sends a sized body; a chunked one is not spoken here.
            return None;
        }
    }
    Some(head)
}

fn route<'a>(c: &'a Canned, h: &Head, connections: &AtomicU64) -> std::borrow::Cow<'a, [u8]> {
    let p = h.path.as_str();
    let segments: Vec<&str> = p.trim_start_matches('/').split('/').collect();
    let answer: &[u8] = match (h.method.as_str(), segments.as_slice()) {
        ("GET", ["v1", "auth", "tokens"]) if h.authorization == c.big_bearer => &c.list10k,
        ("GET", ["v1", "auth", "tokens"]) => &c.list10,
        ("POST", ["v1", "auth", "tokens"]) => &c.issue,
        ("DELETE", ["v1", "auth", "tokens", _]) => &c.delete,
        ("POST", ["v1", "auth", "tokens", _, "rotate"]) => &c.rotate,
        ("GET", ["v1", "nodes", _, "keys", "rotate", "preview"]) => &c.preview,
        ("POST", ["v1", "auth", "service", "token"]) => &c.grant,
        ("GET", ["_emulator", "stats"]) => {
            let body = format!(
                "{{\"connections\":{}}}",
                connections.load(Ordering::Relaxed)
            );
            return format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
            .into();
        }
        _ => &c.not_found,
    };
    answer.into()
}

/// Serves one connection: requests in order, each answered with one write.
fn serve(mut s: TcpStream, c: &Canned, connections: &AtomicU64) -> std::io::Result<()> {
    s.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        // Read until the head is complete.
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = s.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let Some(head) = parse_head(&buf[..end - 4]) else {
            s.write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )?;
            return Ok(());
        };
        // Read (and drop) the body.
        while buf.len() < end + head.content_length {
            let n = s.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..end + head.content_length);
        s.write_all(&route(c, &head, connections))?;
        if head.close {
            return Ok(());
        }
    }
}

fn main() {
    let canned = Arc::new(record_all());
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    println!("{}", serde_json::json!({"url": format!("http://{addr}")}));
    std::io::stdout().flush().unwrap();
    let connections = Arc::new(AtomicU64::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        connections.fetch_add(1, Ordering::Relaxed);
        let (canned, connections) = (canned.clone(), connections.clone());
        std::thread::spawn(move || {
            let _ = serve(stream, &canned, &connections);
        });
    }
}
