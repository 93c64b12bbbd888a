//! A scripted HTTP server on loopback for what the emulator does not serve yet (the device-code
//! login and whoami): each request is answered by a closure from its method, path and how many
//! times that path was asked before. One request per connection (`Connection: close`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// An answer: status, JSON (or problem+json for status ≥ 400) body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn json(status: u16, body: serde_json::Value) -> Answer {
        Answer {
            status,
            body: body.to_string(),
        }
    }

    pub fn problem(status: u16, code: &str) -> Answer {
        Answer::json(
            status,
            serde_json::json!({"title": "scripted", "status": status, "code": code}),
        )
    }

    pub fn empty(status: u16) -> Answer {
        Answer {
            status,
            body: String::new(),
        }
    }
}

type Script = dyn Fn(&Seen, usize) -> Answer + Send + Sync;

/// The running server; dropping it stops it.
pub struct Scripted {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Scripted {
    /// Serves `script(request, times this method and path were asked before)`.
    pub fn start(script: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script: Arc<Script> = Arc::new(script);
        let thread = {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut counts: HashMap<(String, String), usize> = HashMap::new();
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let _ = serve(stream, &script, &seen, &mut counts);
                }
            })
        };
        Scripted {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    script: &Arc<Script>,
    seen: &Mutex<Vec<Seen>>,
    counts: &mut HashMap<(String, String), usize>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let (mut length, mut authorization) = (0usize, None);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let request = Seen {
        method: method.clone(),
        path: path.clone(),
        authorization,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let count = counts.entry((method, path)).or_default();
    let answer = script(&request, *count);
    *count += 1;
    seen.lock().expect("lock").push(request);
    let content_type = if answer.status >= 400 {
        "application/problem+json"
    } else {
        "application/json"
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {} Scripted\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        answer.status,
        answer.body.len(),
        answer.body
    )?;
    stream.flush()
}
