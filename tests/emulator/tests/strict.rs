//! The emulator rejects what a strict server rejects, and its control API drives the same state.

use plexctl_emulator::{Config, Emulator};
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn setup() -> (Emulator, Client) {
    (Emulator::start(Config::fast()).unwrap(), Client::new())
}

fn problem(resp: reqwest::blocking::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = resp.json().unwrap();
    assert_eq!(body["status"], status);
    for field in ["type", "title", "detail", "instance"] {
        assert!(body[field].is_string(), "{field} missing: {body}");
    }
    body
}

#[test]
fn bodies_are_checked_strictly() {
    let (emu, http) = setup();
    let url = format!("{}/v1/auth/tokens", emu.url());
    let auth = format!("Bearer {}", emu.admin_token());
    let id = emu.admin_identity();
    let post = |body: String, ct: &str| {
        http.post(&url)
            .header("authorization", &auth)
            .header("content-type", ct)
            .body(body)
            .send()
            .unwrap()
    };
    let good = json!({"identity_ref": id, "env_prefix": "dev"}).to_string();
    assert_eq!(post(good.clone(), "application/json").status(), 201);
    problem(post(good, "text/plain"), 400);
    problem(
        post(
            json!({"identity_ref": id, "env_prefix": "dev", "extra": 1}).to_string(),
            "application/json",
        ),
        400,
    );
    problem(
        post(json!({"identity_ref": id}).to_string(), "application/json"),
        400,
    );
    problem(
        post(
            json!({"identity_ref": id, "env_prefix": "qa"}).to_string(),
            "application/json",
        ),
        400,
    );
    problem(
        post(
            json!({"identity_ref": "group:x", "env_prefix": "dev"}).to_string(),
            "application/json",
        ),
        400,
    );
    problem(
        post(
            json!({"identity_ref": id, "env_prefix": "dev", "ttl_seconds": "1h"}).to_string(),
            "application/json",
        ),
        400,
    );
    let r = http
        .delete(format!("{url}/not-a-uuid"))
        .header("authorization", &auth)
        .send()
        .unwrap();
    problem(r, 400);
    let body = problem(http.get(&url).send().unwrap(), 401);
    assert_eq!(body["code"], "unauthenticated");
    problem(
        http.get(format!("{}/v1/unknown", emu.url()))
            .send()
            .unwrap(),
        404,
    );
}

#[test]
fn control_api_round_trip() {
    let (emu, http) = setup();
    let ctl = |path: &str| format!("{}/_emulator/{path}", emu.url());
    let seeded: Value = http
        .post(ctl("tokens"))
        .json(&json!({"identity_ref": emu.admin_identity(), "env_prefix": "stage"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let plaintext = seeded["plaintext"].as_str().unwrap();
    assert!(plaintext.starts_with("psk_stage_"));
    let node: Value = http
        .post(ctl("nodes"))
        .json(&json!({"edges": 2}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(node["edges"].as_array().unwrap().len(), 2);
    let r = http
        .put(ctl("fault"))
        .json(&json!({"kind": "status", "status": 503, "count": 1}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    let list = format!("{}/v1/auth/tokens", emu.url());
    let bearer = format!("Bearer {plaintext}");
    assert_eq!(
        http.get(&list)
            .header("authorization", &bearer)
            .send()
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        http.get(&list)
            .header("authorization", &bearer)
            .send()
            .unwrap()
            .status(),
        200
    );
    let stats: Value = http.get(ctl("stats")).send().unwrap().json().unwrap();
    assert_eq!(stats["requests"], 2, "control calls are not counted");
    assert_eq!(emu.requests(), 2);
}

#[test]
fn binary_prints_one_json_line_and_exits_with_stdin() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_plexsphere-emulator"))
        .args(["--fast", "--exit-on-stdin-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    let url = v["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"));
    let r = reqwest::blocking::Client::new()
        .get(format!("{url}/v1/auth/tokens"))
        .header(
            "authorization",
            format!("Bearer {}", v["admin_token"].as_str().unwrap()),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let refused = Command::new(env!("CARGO_BIN_EXE_plexsphere-emulator"))
        .args(["--host", "0.0.0.0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
}
