//! A small misbehaving HTTP server on loopback, speaking raw bytes over TCP: it answers each
//! request with a script of writes, pauses and closes, so the tests can drip a body, echo a secret,
//! send escape sequences or malformed bodies, exactly as a hostile server would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `POST /v1/auth/tokens HTTP/1.1`.
    pub request_line: String,
    /// Header lines, lowercase names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Seen {
    /// The value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The bearer token the request carried.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }
}

/// One step of an answer.
pub enum Step {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Write these bytes one at a time, pausing between them; stops when the client hangs up.
    Drip(Vec<u8>, Duration),
    /// Pause.
    Sleep(Duration),
}

/// A complete HTTP/1.1 answer with a body and `Connection: close`.
pub fn answer(status: u16, content_type: &str, extra_headers: &[(&str, &str)], body: &str) -> Step {
    let mut head = format!(
        "HTTP/1.1 {status} Whatever\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    Step::Write(bytes)
}

/// A JSON answer.
pub fn json(status: u16, body: &str) -> Step {
    answer(status, "application/json", &[], body)
}

/// An RFC 9457 problem answer.
pub fn problem(status: u16, body: &str) -> Step {
    answer(status, "application/problem+json", &[], body)
}

type Handler = dyn Fn(&Seen) -> Vec<Step> + Send + Sync;

/// The running server; dropping it stops it.
pub struct Hostile {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    accept: Option<JoinHandle<()>>,
}

impl Hostile {
    /// Starts a server answering every request with `handler`'s script.
    pub fn start(handler: impl Fn(&Seen) -> Vec<Step> + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let accept = {
            let (stop, seen) = (stop.clone(), seen.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (handler, seen, stop) = (handler.clone(), seen.clone(), stop.clone());
                    std::thread::spawn(move || serve(conn, &*handler, &seen, &stop));
                }
            })
        };
        Hostile {
            addr,
            stop,
            seen,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>, stop: &AtomicBool) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut reader = BufReader::new(conn.try_clone().expect("clone the stream"));
    let mut writer = conn;
    // Keep-alive: answer requests on this connection until the client closes it.
    loop {
        let Some(req) = read_request(&mut reader) else {
            return;
        };
        seen.lock().unwrap().push(req.clone());
        for step in handler(&req) {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let ok = match step {
                Step::Write(bytes) => writer.write_all(&bytes).and_then(|()| writer.flush()),
                Step::Drip(bytes, pause) => drip(&mut writer, &bytes, pause, stop),
                Step::Sleep(d) => {
                    std::thread::sleep(d);
                    Ok(())
                }
            };
            if ok.is_err() {
                return;
            }
        }
    }
}

fn drip(
    w: &mut TcpStream,
    bytes: &[u8],
    pause: Duration,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    let started = Instant::now();
    for b in bytes {
        // Bounded: a drip never outlives a minute, whatever the client does.
        if stop.load(Ordering::SeqCst) || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        w.write_all(&[*b])?;
        w.flush()?;
        std::thread::sleep(pause);
    }
    Ok(())
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut request_line = String::new();
    if r.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Seen {
        request_line: request_line.trim_end().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
