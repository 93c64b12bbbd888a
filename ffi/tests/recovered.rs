//! Through the exported C functions: an issue whose 2xx answer is malformed but holds the new
//! plaintext fails with PLEXCTL_ERROR_KIND_DECODE and hands the plaintext over in the last error,
//! and the next fallible call wipes it.

use std::ffi::{CStr, CString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use plexctl::client::*;
use plexctl::tokens::*;
use plexctl::*;
use plexctl_core::{ErrorKind, ExitCode};

const PLAINTEXT: &str = "psk_prod_0000000000000000000000000000000000000000000001";

/// Answers every request on one connection with a 201 whose `expires_at` is not a date.
fn malformed_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut writer = conn;
            let mut len = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    let answer = format!(
                        r#"{{"id":"0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2","plaintext":"{PLAINTEXT}","env_prefix":"prod","expires_at":"not-a-date"}}"#
                    );
                    let _ = write!(
                        writer,
                        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    len = 0;
                }
            }
        }
    });
    url
}

#[test]
fn a_malformed_issue_answer_hands_the_plaintext_over() {
    let url = CString::new(malformed_server()).unwrap();
    let b = plexctl_client_builder_new();
    assert_eq!(
        plexctl_client_builder_set_server(b, url.as_ptr()),
        ExitCode::Ok
    );
    assert_eq!(
        plexctl_client_builder_set_token(b, b"opaque-bearer".as_ptr(), 13),
        ExitCode::Ok
    );
    assert_eq!(
        plexctl_client_builder_set_use_environment(b, false),
        ExitCode::Ok
    );
    let mut client = std::ptr::null_mut();
    assert_eq!(plexctl_client_builder_build(b, &mut client), ExitCode::Ok);

    let mut token = std::ptr::null_mut();
    let status = plexctl_issue_token(
        client,
        c"user:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2".as_ptr(),
        c"prod".as_ptr(),
        std::ptr::null(),
        &mut token,
    );
    assert_eq!(status, ExitCode::Runtime);
    assert!(token.is_null(), "outputs only on success");
    assert_eq!(plexctl_last_error_kind(), ErrorKind::Decode as u32);
    let recovered = plexctl_last_error_plaintext();
    assert!(!recovered.is_null());
    let bytes = unsafe {
        std::slice::from_raw_parts(
            plexctl_secret_expose(recovered),
            plexctl_secret_len(recovered),
        )
    };
    assert_eq!(bytes, PLAINTEXT.as_bytes());
    let message = unsafe { CStr::from_ptr(plexctl_last_error_message()) }
        .to_str()
        .unwrap();
    assert!(!message.contains(&PLAINTEXT[9..]), "{message}");

    // The next fallible call clears (and wipes) it.
    assert_eq!(
        plexctl_client_builder_set_timeout_ms(std::ptr::null_mut(), 1),
        ExitCode::Usage
    );
    assert!(plexctl_last_error_plaintext().is_null());
    plexctl_client_free(client);
}
