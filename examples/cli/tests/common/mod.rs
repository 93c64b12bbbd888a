//! What every CLI test shares: running the built `plexctl` in a clean environment (directly, or
//! through `/bin/sh` for the documentation's shell examples), matching output against the
//! documentation's text with ids, timestamps and plaintexts matched by pattern, golden files, and
//! stored sessions.
#![allow(dead_code)]

pub mod scripted;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plexctl_core::{Client, Secret};

/// The binary under test.
pub const PLEXCTL: &str = env!("CARGO_BIN_EXE_plexctl");

/// What a run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with everything the run printed unless it exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code\n{self:#?}");
        self
    }
}

/// A clean environment: a private HOME (so the config file is `$HOME/.config/plexctl/config.yaml`),
/// `plexctl` first on PATH, and only the variables a test sets.
pub struct Env {
    pub home: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

impl Env {
    pub fn new() -> Env {
        Env {
            home: tempfile::tempdir().expect("a temporary HOME"),
            vars: Vec::new(),
        }
    }

    /// `PLEXSPHERE_URL` and `PLEXSPHERE_TOKEN` for the emulator's admin.
    pub fn admin(emu: &plexctl_emulator::Emulator) -> Env {
        Env::new()
            .var("PLEXSPHERE_URL", &emu.url())
            .var("PLEXSPHERE_TOKEN", emu.admin_token())
    }

    pub fn var(mut self, name: &str, value: &str) -> Env {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn dir(&self) -> &Path {
        self.home.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir().join(".config/plexctl/config.yaml")
    }

    fn command(&self, program: &str) -> Command {
        let bin_dir = Path::new(PLEXCTL).parent().expect("the binary's directory");
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.dir())
            .current_dir(self.dir())
            .stdin(Stdio::null());
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `plexctl` with `args`.
    pub fn plexctl<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Run {
        let mut cmd = self.command(PLEXCTL);
        cmd.args(args);
        run(cmd)
    }

    /// Runs a shell script (the documentation's examples are shell) under `/bin/sh`.
    pub fn sh(&self, script: &str) -> Run {
        let mut cmd = self.command("/bin/sh");
        cmd.arg("-c").arg(script);
        run(cmd)
    }

    /// Stores a session under `profile` exactly as a login would (through core).
    pub fn store_session(&self, profile: &str, server: &str, token: &str, make_default: bool) {
        Client::builder()
            .config_path(self.config_path())
            .use_environment(false)
            .build()
            .expect("a client for the config file")
            .store_session(profile, server, &Secret::from(token), make_default)
            .expect("the session is stored");
    }

    /// The config file's text, or `None` when there is none.
    pub fn config_text(&self) -> Option<String> {
        std::fs::read_to_string(self.config_path()).ok()
    }
}

fn run(mut cmd: Command) -> Run {
    let out = cmd.output().expect("the program runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// A piece of text as the matcher sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// A UUID (lowercase hex, 8-4-4-4-12).
    Uuid(String),
    /// An RFC 3339 timestamp.
    Time(String),
    /// A psk-shaped plaintext; the environment segment is compared, the rest is bound.
    Psk {
        env: String,
        value: String,
    },
}

fn take_while(s: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    s[i..].iter().take_while(|b| f(**b)).count()
}

fn uuid_at(s: &[u8], i: usize) -> Option<usize> {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    let mut j = i;
    for (n, len) in SHAPE.iter().enumerate() {
        if take_while(s, j, |b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) < *len {
            return None;
        }
        j += len;
        if n < 4 {
            if s.get(j) != Some(&b'-') {
                return None;
            }
            j += 1;
        }
    }
    // Not the middle of a longer hex word.
    (!s.get(j).is_some_and(|b| b.is_ascii_alphanumeric())).then_some(j - i)
}

fn time_at(s: &[u8], i: usize) -> Option<usize> {
    let digits = |j: usize, n: usize| take_while(s, j, |b| b.is_ascii_digit()) >= n;
    let lit = |j: usize, c: u8| s.get(j) == Some(&c);
    let ok = digits(i, 4)
        && lit(i + 4, b'-')
        && digits(i + 5, 2)
        && lit(i + 7, b'-')
        && digits(i + 8, 2)
        && lit(i + 10, b'T')
        && digits(i + 11, 2)
        && lit(i + 13, b':')
        && digits(i + 14, 2)
        && lit(i + 16, b':')
        && digits(i + 17, 2);
    if !ok {
        return None;
    }
    let mut j = i + 19;
    if lit(j, b'.') {
        let n = take_while(s, j + 1, |b| b.is_ascii_digit());
        if n == 0 {
            return None;
        }
        j += 1 + n;
    }
    if lit(j, b'Z') {
        return Some(j + 1 - i);
    }
    if (lit(j, b'+') || lit(j, b'-')) && digits(j + 1, 2) && lit(j + 3, b':') && digits(j + 4, 2) {
        return Some(j + 6 - i);
    }
    None
}

/// `psk_<env>_<alphanumerics>`: the documentation's `psk_prod_xxxx…` placeholders and real ones.
fn psk_at(s: &[u8], i: usize) -> Option<(usize, String)> {
    if !s[i..].starts_with(b"psk_") {
        return None;
    }
    let env = take_while(s, i + 4, |b| b.is_ascii_lowercase());
    if env == 0 || s.get(i + 4 + env) != Some(&b'_') {
        return None;
    }
    let body = take_while(s, i + 5 + env, |b| b.is_ascii_alphanumeric());
    if body < 8 {
        return None;
    }
    let env = String::from_utf8(s[i + 4..i + 4 + env].to_vec()).expect("ASCII");
    Some((5 + env.len() + body, env))
}

pub fn pieces(text: &str) -> Vec<Piece> {
    let s = text.as_bytes();
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    let boundary = |i: usize| i == 0 || !s[i - 1].is_ascii_alphanumeric();
    while i < s.len() {
        let special = if !boundary(i) {
            None
        } else if let Some((n, env)) = psk_at(s, i) {
            Some((
                n,
                Piece::Psk {
                    env,
                    value: text[i..i + n].to_owned(),
                },
            ))
        } else if let Some(n) = time_at(s, i) {
            Some((n, Piece::Time(text[i..i + n].to_owned())))
        } else {
            uuid_at(s, i).map(|n| (n, Piece::Uuid(text[i..i + n].to_owned())))
        };
        match special {
            Some((n, piece)) => {
                if !literal.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut literal)));
                }
                out.push(piece);
                i += n;
            }
            None => {
                let c = text[i..].chars().next().expect("a char");
                literal.push(c);
                i += c.len_utf8();
            }
        }
    }
    if !literal.is_empty() {
        out.push(Piece::Text(literal));
    }
    out
}

/// Matches program output against documentation text. Timestamps match any timestamp; a UUID or
/// plaintext in the documentation is bound to the value at the same place in the output, and the
/// binding holds for the rest of the session (the same documented id must be the same real id,
/// two different documented ids two different real ones).
#[derive(Default)]
pub struct Matcher {
    bound: HashMap<String, String>,
}

impl Matcher {
    pub fn new() -> Matcher {
        Matcher::default()
    }

    /// Binds a documented value to a real one up front (a Node the test registered).
    pub fn bind(&mut self, documented: &str, real: &str) {
        self.bound.insert(documented.to_owned(), real.to_owned());
    }

    /// The real value a documented one is bound to.
    pub fn get(&self, documented: &str) -> Option<&str> {
        self.bound.get(documented).map(String::as_str)
    }

    /// `text` with every bound documented value replaced by its real one: a documented command
    /// addresses what the earlier examples created.
    pub fn substitute(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (documented, real) in &self.bound {
            out = out.replace(documented, real);
        }
        out
    }

    fn bind_checked(&mut self, documented: &str, real: &str) -> Result<(), String> {
        if let Some(previous) = self.bound.get(documented) {
            return if previous == real {
                Ok(())
            } else {
                Err(format!(
                    "{documented} was {previous} earlier, but here it is {real}"
                ))
            };
        }
        if let Some((other, _)) = self.bound.iter().find(|(_, r)| *r == real) {
            return Err(format!(
                "{real} stands for both {other} and {documented}, which the documentation keeps apart"
            ));
        }
        self.bound.insert(documented.to_owned(), real.to_owned());
        Ok(())
    }

    /// Checks `actual` against `documented`.
    ///
    /// # Errors
    /// Where they differ, with both texts.
    pub fn check(&mut self, documented: &str, actual: &str) -> Result<(), String> {
        let want = pieces(documented);
        let got = pieces(actual);
        let fail = |why: String| {
            Err(format!(
                "{why}\n--- documented ---\n{documented}\n--- actual ---\n{actual}"
            ))
        };
        if want.len() != got.len() {
            return fail(format!(
                "{} pieces documented, {} printed: {got:?}",
                want.len(),
                got.len()
            ));
        }
        for (w, g) in want.iter().zip(&got) {
            let result = match (w, g) {
                (Piece::Text(a), Piece::Text(b)) if a == b => Ok(()),
                (Piece::Time(_), Piece::Time(_)) => Ok(()),
                (Piece::Uuid(a), Piece::Uuid(b)) => self.bind_checked(a, b),
                (Piece::Psk { env: e1, value: a }, Piece::Psk { env: e2, value: b })
                    if e1 == e2 =>
                {
                    self.bind_checked(a, b)
                }
                _ => Err(format!("documented {w:?}, printed {g:?}")),
            };
            if let Err(why) = result {
                return fail(why);
            }
        }
        Ok(())
    }
}

/// `text` with every UUID, timestamp, plaintext and the given server URLs replaced by a
/// placeholder: what a golden file holds.
pub fn normalize(text: &str, servers: &[&str]) -> String {
    let mut s = text.to_owned();
    for server in servers {
        s = s.replace(server, "<server>");
    }
    pieces(&s)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t,
            Piece::Uuid(_) => "<uuid>".to_owned(),
            Piece::Time(_) => "<timestamp>".to_owned(),
            Piece::Psk { env, .. } => format!("<psk_{env}>"),
        })
        .collect()
}

/// Compares `actual` with the golden file `tests/golden/<name>`; `PLEXCTL_BLESS=1` rewrites it.
#[track_caller]
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("PLEXCTL_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
        std::fs::write(&path, actual).expect("bless");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with PLEXCTL_BLESS=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        actual,
        want,
        "{} differs (PLEXCTL_BLESS=1 rewrites it)",
        path.display()
    );
}

/// A loopback URL nothing listens on: a port that was just free.
pub fn dead_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// The file's permission bits.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}
