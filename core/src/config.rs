//! The config file of named profiles: where it lives, the 0600 rule, and atomic, locked writes.
//!
//! ```yaml
//! default: prod
//! profiles:
//!   prod:
//!     server: https://plexsphere.example.com
//!     token: psk_prod_...
//! ```
//!
//! - Location, first match wins: an explicit path → `PLEXCTL_CONFIG` →
//!   `$XDG_CONFIG_HOME/plexctl/config.yaml` → `~/.config/plexctl/config.yaml`.
//! - A file whose mode grants anything to group or others is refused before it is read
//!   ([`Error::InsecureConfig`], exit code 3). New files are created 0600 in a 0700 directory.
//! - A symlink is followed (even a dangling one): the mode check applies to its target, and writes
//!   replace the target, so the link (a dotfiles manager's, say) survives. The lock file sits next to
//!   the target, so two links to one file share one lock.
//! - Every write is a read-modify-write under an exclusive advisory lock on a sidecar
//!   `<file>.lock`, and lands atomically: a temporary file in the same directory, fsync, rename,
//!   fsync of the directory. Concurrent processes never lose each other's profiles; a crash leaves
//!   the old file or the new one, never a truncated one. A temporary file a crashed writer left
//!   behind (it may hold tokens) is removed by the next writer, under the lock.
//! - Keys this library does not know, at the top level or in a profile, survive a rewrite.
//!
//! YAML goes through `serde_norway`, a maintained fork of the archived `serde_yaml` with the same
//! data model and API (so `#[serde(flatten)]` keeps unknown keys), released regularly and on a
//! maintained YAML parser (`unsafe-libyaml-norway`); `serde_yaml_ng` was the other candidate, but
//! it has fewer releases and users. Atomic replacement uses `tempfile`'s same-directory temporary
//! file (created 0600) and `persist` (a rename), with explicit fsyncs of the file and directory.
//! The lock is std's `File::lock` (`flock(2)` on Unix, stable since Rust 1.89), which does what
//! `fs4`/`fd-lock` do without another dependency; it is released when the lock file is closed,
//! including when the process dies.
//!
//! The YAML parser's own buffers are out of this library's reach and are not wiped; the file's
//! bytes and the serialized text are.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
// The advisory lock is std's `File::lock` (flock on Unix, stable since Rust 1.89).
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// Environment variable naming the config file.
pub const ENV_CONFIG: &str = "PLEXCTL_CONFIG";

/// One stored session: a server and the token that authenticates to it.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Profile {
    /// The server's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The session's bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    /// Keys this library does not know, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_norway::Value>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("server", &self.server)
            .field("token", &self.token)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The whole file.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ConfigFile {
    /// The profile used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The stored sessions by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Keys this library does not know, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_norway::Value>,
}

impl fmt::Debug for ConfigFile {
    // Unknown keys are shown by name only: their values may be secrets this library cannot see.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigFile")
            .field("default", &self.default)
            .field("profiles", &self.profiles)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Finds the config file's path (it need not exist).
///
/// `use_environment` decides whether `PLEXCTL_CONFIG`, `XDG_CONFIG_HOME` and `HOME` are read.
///
/// # Errors
/// [`Error::Config`] when no explicit path is given and none can be derived from the environment.
pub fn locate(explicit: Option<&Path>, use_environment: bool) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_owned());
    }
    let var = |name: &str| {
        use_environment
            .then(|| std::env::var_os(name))
            .flatten()
            .filter(|v| !v.is_empty())
    };
    if let Some(p) = var(ENV_CONFIG) {
        return Ok(PathBuf::from(p));
    }
    if let Some(xdg) = var("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(xdg).join("plexctl").join("config.yaml"));
    }
    if let Some(home) = var("HOME") {
        return Ok(PathBuf::from(home)
            .join(".config")
            .join("plexctl")
            .join("config.yaml"));
    }
    Err(Error::Config {
        path: PathBuf::from("config.yaml"),
        message: format!("no config path: pass one, or set {ENV_CONFIG}, XDG_CONFIG_HOME or HOME"),
        source: None,
    })
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::Config {
        path: path.to_owned(),
        message: format!("{what}: {e}"),
        source: Some(e),
    }
}

/// The file a path names once symlinks are followed: the canonical path when it exists; else,
/// for a dangling link, the path the link chain ends at (so the first write creates the target and
/// the link survives); else the path itself.
fn target(path: &Path) -> PathBuf {
    if let Ok(real) = fs::canonicalize(path) {
        return real;
    }
    let mut current = path.to_owned();
    // The kernel's own limit on a link chain (ELOOP); past it, the path is used as given.
    for _ in 0..40 {
        match fs::read_link(&current) {
            Ok(next) => {
                current = match current.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                }
            }
            Err(_) => return current,
        }
    }
    path.to_owned()
}

/// Reads the config file; `Ok(None)` when it does not exist.
///
/// # Errors
/// [`Error::InsecureConfig`] (exit code 3) for a file readable or writable by group or others, and
/// [`Error::UnsafeConfig`] (3) for one that is not a regular file, not owned by the effective
/// user, or in a directory group or others can write — all checked before a byte is read;
/// [`Error::Config`] when it cannot be read, is over [`MAX_CONFIG_BYTES`], or does not parse
/// (the message never quotes the file, which holds tokens).
pub fn read(path: &Path) -> Result<Option<ConfigFile>> {
    read_text(path)?.map(|raw| parse(path, &raw)).transpose()
}

/// The checked bytes of the config file (see [`read`]); `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let real = target(path);
    // Non-blocking, so a FIFO planted at the path is refused instead of hanging the open.
    let file = match rustix::fs::open(
        &real,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => File::from(fd),
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(e) => return Err(io_error(path, "cannot open", e.into())),
    };
    check_file(path, &file)?;
    check_directory(path, &real)?;
    let mut raw = Zeroizing::new(Vec::new());
    // One byte past the cap tells a file that is too large from one that is exactly the cap.
    (&file)
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| io_error(path, "cannot read", e))?;
    if raw.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::Config {
            path: path.to_owned(),
            message: format!(
                "larger than {} KiB: not a config file this library wrote",
                MAX_CONFIG_BYTES / 1024
            ),
            source: None,
        });
    }
    Ok(Some(raw))
}

/// Refuses to rewrite a file whose unknown content a rewrite would change: a tag, an anchor or
/// alias, or a plain scalar read as a number or boolean that would be written differently
/// (`0o17` as `15`, `0x1F` as `31`, `True` as `true`). Such a file is left untouched, with an error
/// naming the line and the fix, instead of being changed silently. Strings keep their value
/// whatever their quoting (YAML 1.2); integers beyond 64 bits and complex keys are refused
/// already by the parser.
fn refuse_lossy_rewrite(path: &Path, raw: &[u8]) -> Result<()> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    use yaml_rust2::scanner::{Marker, TScalarStyle};

    /// Walks the events, knowing for each scalar whether it is a mapping key and where: the top
    /// level and each profile are maps with string keys, so a key there that is not a string
    /// would come back as one.
    #[derive(Default)]
    struct Hazards {
        found: Option<(usize, String)>,
        /// Per open container: `Some(next_is_key)` for a mapping, `None` for a sequence.
        stack: Vec<Option<bool>>,
        /// The top-level key whose value is being read (`profiles` matters).
        section: Option<String>,
    }
    impl Hazards {
        /// Whether the next node is a key in a string-keyed map, and advances the key/value turn.
        fn next_node(&mut self) -> bool {
            let depth = self.stack.len();
            let string_keyed = match depth {
                1 => true,
                3 => self.section.as_deref() == Some("profiles"),
                _ => false,
            };
            match self.stack.last_mut() {
                Some(Some(next_is_key)) => {
                    let is_key = *next_is_key;
                    *next_is_key = !is_key;
                    is_key && string_keyed
                }
                _ => false,
            }
        }
    }
    impl MarkedEventReceiver for Hazards {
        fn on_event(&mut self, ev: Event, mark: Marker) {
            if self.found.is_some() {
                return;
            }
            let depth = self.stack.len();
            let is_string_key = match &ev {
                Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) => {
                    self.next_node()
                }
                _ => false,
            };
            let found = match &ev {
                Event::Alias(_) => Some("an alias (*name)".to_owned()),
                Event::Scalar(_, _, anchor, _)
                | Event::SequenceStart(anchor, _)
                | Event::MappingStart(anchor, _)
                    if *anchor != 0 =>
                {
                    Some("an anchor (&name)".to_owned())
                }
                Event::Scalar(_, _, _, Some(tag))
                | Event::SequenceStart(_, Some(tag))
                | Event::MappingStart(_, Some(tag)) => {
                    Some(format!("a tag ({}{})", tag.handle, tag.suffix))
                }
                Event::SequenceStart(..) | Event::MappingStart(..) if is_string_key => {
                    Some("a key that is not a string".to_owned())
                }
                Event::Scalar(text, TScalarStyle::Plain, _, None) if is_string_key => {
                    let value: Option<serde_norway::Value> = serde_norway::from_str(text).ok();
                    match value {
                        Some(serde_norway::Value::String(_)) | None => None,
                        Some(_) => Some(format!(
                            "the key {text:?}, which would be rewritten as the string \"{text}\""
                        )),
                    }
                }
                Event::Scalar(text, TScalarStyle::Plain, _, None) => rewritten(text)
                    .map(|new| format!("{text:?}, which would be rewritten as {new:?}")),
                _ => None,
            };
            if let Event::Scalar(text, ..) = &ev
                && is_string_key
                && depth == 1
            {
                self.section = Some(text.clone());
            }
            match ev {
                Event::MappingStart(..) => self.stack.push(Some(true)),
                Event::SequenceStart(..) => self.stack.push(None),
                Event::MappingEnd | Event::SequenceEnd => {
                    self.stack.pop();
                }
                _ => {}
            }
            self.found = found.map(|what| (mark.line(), what));
        }
    }
    /// How a plain scalar read as a number, boolean or null would be written back, when that
    /// differs from how it is written now.
    fn rewritten(text: &str) -> Option<String> {
        let value: serde_norway::Value = serde_norway::from_str(text).ok()?;
        // Null is null however it is spelt (`~`, empty); numbers and booleans have spellings
        // people mean (`0o600` is not `384` to a reader).
        if !matches!(
            value,
            serde_norway::Value::Number(_) | serde_norway::Value::Bool(_)
        ) {
            return None;
        }
        let out = serde_norway::to_string(&value).ok()?;
        let out = out.trim_end();
        (out != text).then(|| out.to_owned())
    }

    let Ok(text) = std::str::from_utf8(raw) else {
        return Ok(());
    };
    let mut hazards = Hazards::default();
    // A document this parser cannot read is judged by serde_norway alone.
    let _ = Parser::new_from_str(text).load(&mut hazards, true);
    match hazards.found {
        None => Ok(()),
        Some((line, what)) => Err(Error::Config {
            path: path.to_owned(),
            message: format!(
                "refusing to rewrite it: line {line} holds {what}, which this library cannot write back unchanged; edit that line by hand (write the value plainly) and try again"
            ),
            source: None,
        }),
    }
}

/// The largest config file read (1 MiB): thousands of profiles; anything larger is not ours.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Parses the text of a config file (`path` names it in errors only). Whitespace alone is an
/// empty file.
///
/// # Errors
/// [`Error::Config`] when it is not a valid config file; the message never quotes the text, which
/// holds tokens.
pub fn parse(path: &Path, raw: &[u8]) -> Result<ConfigFile> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(ConfigFile::default());
    }
    serde_norway::from_slice(raw).map_err(|e| Error::Config {
        path: path.to_owned(),
        message: format!(
            "not a valid config file (YAML{}; tags, complex keys and integers beyond 64 bits are not read)",
            e.location()
                .map(|l| format!(", line {} column {}", l.line(), l.column()))
                .unwrap_or_default()
        ),
        source: None,
    })
}

/// The open file must be a regular file, owned by the effective user, private to it: checked on
/// the open descriptor, before a byte is read.
fn check_file(path: &Path, file: &File) -> Result<()> {
    let meta = file
        .metadata()
        .map_err(|e| io_error(path, "cannot stat", e))?;
    let unsafe_config = |reason: String| Error::UnsafeConfig {
        path: path.to_owned(),
        reason,
    };
    if !meta.file_type().is_file() {
        return Err(unsafe_config(
            "it is not a regular file (a FIFO, device or directory is never read)".into(),
        ));
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(unsafe_config(format!(
            "it is owned by uid {}, not by this user (uid {me}); whoever owns it controls the credentials",
            meta.uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::InsecureConfig {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// The file's directory must not be writable by group or others: they could replace the file.
fn check_directory(path: &Path, real: &Path) -> Result<()> {
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mode = match fs::metadata(dir) {
        Ok(meta) => meta.permissions().mode() & 0o7777,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(path, "cannot stat its directory", e)),
    };
    if mode & 0o022 != 0 {
        return Err(Error::UnsafeConfig {
            path: path.to_owned(),
            reason: format!(
                "its directory {} has mode {:o}: others can replace the file (run chmod go-w {})",
                dir.display(),
                mode & 0o777,
                dir.display()
            ),
        });
    }
    Ok(())
}

/// Reads, changes and atomically rewrites the config file under its lock, creating it (0600, in
/// a 0700 directory) when missing. `change` sees the current content; when it returns an error,
/// nothing is written.
///
/// # Errors
/// The errors of [`read`]; [`Error::Config`] when the lock, the temporary file, the rename or an
/// fsync fails (the old file is then intact); whatever `change` returns.
pub fn update<R>(path: &Path, change: impl FnOnce(&mut ConfigFile) -> Result<R>) -> Result<R> {
    let real = target(path);
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| io_error(path, "cannot create its directory", e))?;
    let mut lock_name = real.file_name().unwrap_or_default().to_owned();
    lock_name.push(".lock");
    check_directory(path, &real)?;
    // Never through a symlink: a link planted at the lock's name must not make us create or
    // truncate a file elsewhere.
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(OFlags::NOFOLLOW.bits() as i32)
        .open(dir.join(lock_name))
        .map_err(|e| io_error(path, "cannot open its lock file", e))?;
    lock.lock().map_err(|e| io_error(path, "cannot lock", e))?;

    let tmp_prefix = {
        let mut p = std::ffi::OsString::from(".");
        p.push(real.file_name().unwrap_or_default());
        p.push(".tmp.");
        p
    };
    remove_stale_temporaries(&dir, &tmp_prefix);

    let mut config = match read_text(path)? {
        Some(raw) => {
            refuse_lossy_rewrite(path, &raw)?;
            parse(path, &raw)?
        }
        None => ConfigFile::default(),
    };
    let result = change(&mut config)?;
    let text = Zeroizing::new(serde_norway::to_string(&config).map_err(|e| Error::Config {
        path: path.to_owned(),
        message: format!("cannot serialize: {e}"),
        source: None,
    })?);
    // tempfile creates the file 0600 in the target's directory, so the rename stays on one
    // filesystem and is atomic.
    let mut tmp = tempfile::Builder::new()
        .prefix(&tmp_prefix)
        .tempfile_in(&dir)
        .map_err(|e| io_error(path, "cannot create a temporary file", e))?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| io_error(path, "cannot write the temporary file", e))?;
    crash_point();
    tmp.persist(&real)
        .map_err(|e| io_error(path, "cannot replace the file", e.error))?;
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(path, "cannot sync its directory", e))?;
    drop(lock);
    Ok(result)
}

/// Removes the temporary files of writers that died before their rename. Only called under the
/// lock, when no live writer has one; best effort, since a leftover is harmless to correctness.
fn remove_stale_temporaries(dir: &Path, prefix: &std::ffi::OsStr) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .as_encoded_bytes()
            .starts_with(prefix.as_encoded_bytes())
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// With the non-default `test-hooks` feature only (the crate's own tests turn it on through a
/// dev-dependency on itself): `PLEXCTL_TEST_CRASH_BEFORE_RENAME` set makes a writer abort between
/// the temporary file's fsync and the rename, so the crash-safety test can kill a process at exactly
/// that point. Normal builds, debug or release, have no such hook and never read that variable.
fn crash_point() {
    #[cfg(feature = "test-hooks")]
    if std::env::var_os("PLEXCTL_TEST_CRASH_BEFORE_RENAME").is_some() {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_prefers_the_explicit_path() {
        let p = locate(Some(Path::new("/x/c.yaml")), true).unwrap();
        assert_eq!(p, Path::new("/x/c.yaml"));
        assert!(locate(None, false).is_err());
    }

    #[test]
    fn profile_debug_is_redacted() {
        let p = Profile {
            server: Some("https://h".into()),
            token: Some(Secret::from("psk_prod_abcdefghijklmnop")),
            extra: BTreeMap::new(),
        };
        assert!(!format!("{p:?}").contains("abcdefghijklmnop"));
    }
}
