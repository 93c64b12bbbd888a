//! Where output goes: standard output or the `-o/--output-file` file, and a new plaintext's own
//! destination (`--plaintext-file`, `--plaintext-fd`). Files are created 0600; an existing file is
//! replaced only with `--yes`, and then atomically, so a failed command leaves it as it was.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::FromRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use plexctl_core::error::EXIT_RUNTIME;
use plexctl_core::{Error, Secret};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::Format;

/// Why a command failed: core's error, or output this program could not write.
pub enum Failure {
    /// An error from core; its exit code is core's.
    Core(Error),
    /// Standard output, the output file or the plaintext's destination could not be written.
    /// Exit code 1, core's runtime code.
    Output(String),
}

impl Failure {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Core(e) => e.exit_code(),
            Failure::Output(_) => EXIT_RUNTIME,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Core(e) => e.fmt(f),
            Failure::Output(message) => f.write_str(message),
        }
    }
}

/// A file created for this command, private to its owner (0600).
enum PrivateFile {
    /// Created where nothing was (`O_EXCL`): removed again if the command fails before writing.
    Fresh { path: PathBuf, file: File },
    /// Replacing an existing file (`--yes`): written beside it and renamed over it on commit, so a
    /// failed command leaves the old file untouched.
    Replacing {
        target: PathBuf,
        temp: tempfile::NamedTempFile,
    },
}

impl PrivateFile {
    /// Creates `path` 0600, refusing an existing file unless `replace` is set.
    ///
    /// # Errors
    /// A usage error (core's code 2) naming `field`: the file exists and `replace` is not set, or
    /// it cannot be created.
    fn create(path: &Path, replace: bool, field: &'static str) -> Result<PrivateFile, Error> {
        let cannot =
            |e: io::Error| Error::usage(field, format!("cannot create {}: {e}", path.display()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(file) => Ok(PrivateFile::Fresh {
                path: path.to_owned(),
                file,
            }),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && !replace => Err(Error::usage(
                field,
                format!("{} exists; pass --yes to replace it", path.display()),
            )),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                // tempfile creates it 0600 with O_EXCL and removes it when dropped uncommitted.
                let temp = tempfile::Builder::new()
                    .prefix(".plexctl-")
                    .tempfile_in(dir)
                    .map_err(cannot)?;
                Ok(PrivateFile::Replacing {
                    target: path.to_owned(),
                    temp,
                })
            }
            Err(e) => Err(cannot(e)),
        }
    }

    fn path(&self) -> &Path {
        match self {
            PrivateFile::Fresh { path, .. } => path,
            PrivateFile::Replacing { target, .. } => target,
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            PrivateFile::Fresh { file, .. } => file.write_all(bytes),
            PrivateFile::Replacing { temp, .. } => temp.write_all(bytes),
        }
    }

    /// Makes what was written durable, and puts a replacement in place.
    fn commit(self) -> io::Result<()> {
        match self {
            PrivateFile::Fresh { file, .. } => file.sync_all(),
            PrivateFile::Replacing { target, temp } => {
                temp.as_file().sync_all()?;
                temp.persist(&target).map(drop).map_err(|e| e.error)
            }
        }
    }

    /// Removes what this command created; an existing file it was to replace stays as it was.
    fn discard(self) {
        if let PrivateFile::Fresh { path, file } = self {
            drop(file);
            let _ = std::fs::remove_file(path);
        }
    }
}

enum Sink {
    Stdout,
    File(PrivateFile),
}

/// The command's standard output: the terminal, a pipe, or the `-o/--output-file` file.
pub struct Output {
    format: Format,
    sink: Sink,
    wrote: bool,
}

impl Output {
    /// Standard output, or a new 0600 file at `path`.
    ///
    /// # Errors
    /// A usage error (2) when the file exists and `replace` is not set, or cannot be created.
    pub fn open(path: Option<&Path>, replace: bool, format: Format) -> Result<Output, Error> {
        let sink = match path {
            Some(p) => Sink::File(PrivateFile::create(p, replace, "output_file")?),
            None => Sink::Stdout,
        };
        Ok(Output {
            format,
            sink,
            wrote: false,
        })
    }

    /// The format the user chose.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Writes `bytes` as they are.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.wrote = true;
        let result = match &mut self.sink {
            Sink::Stdout => {
                let mut stdout = io::stdout().lock();
                stdout.write_all(bytes).and_then(|()| stdout.flush())
            }
            Sink::File(f) => f.write_all(bytes),
        };
        result.map_err(|e| Failure::Output(format!("writing to {}: {e}", self.name())))
    }

    /// Writes a text that holds a secret: the one place a rendered secret leaves this program
    /// (besides [`PlaintextDest`]).
    pub fn write_secret(&mut self, text: &Secret) -> Result<(), Failure> {
        self.write(text.expose_secret().as_bytes())
    }

    /// Writes `value` as JSON or YAML, through a buffer that is wiped afterwards (a value may
    /// hold a one-time plaintext).
    pub fn write_structured<T: Serialize>(&mut self, value: &T) -> Result<(), Failure> {
        let buf = crate::render::structured(self.format, value)?;
        self.write(&buf)
    }

    /// Shows a result: `text` in text mode, `value`'s typed shape in json/yaml mode.
    pub fn show<T: Serialize>(&mut self, text: &str, value: &T) -> Result<(), Failure> {
        match self.format {
            Format::Text => self.write(text.as_bytes()),
            Format::Json | Format::Yaml => self.write_structured(value),
        }
    }

    /// Shows `value` in json/yaml mode only; text mode prints nothing on standard output.
    pub fn show_structured_only<T: Serialize>(&mut self, value: &T) -> Result<(), Failure> {
        match self.format {
            Format::Text => Ok(()),
            Format::Json | Format::Yaml => self.write_structured(value),
        }
    }

    /// Ends the command: keeps the output file if anything was written to it (a failed command
    /// may still have shown a recovered plaintext), otherwise removes it.
    pub fn finish(self, result: Result<(), Failure>) -> Result<(), Failure> {
        match self.sink {
            Sink::Stdout => result,
            Sink::File(file) if self.wrote => {
                let name = file.path().display().to_string();
                let committed = file
                    .commit()
                    .map_err(|e| Failure::Output(format!("writing to {name}: {e}")));
                result.and(committed)
            }
            Sink::File(file) => {
                file.discard();
                result
            }
        }
    }

    fn name(&self) -> String {
        match &self.sink {
            Sink::Stdout => "standard output".to_owned(),
            Sink::File(f) => f.path().display().to_string(),
        }
    }
}

/// Where a freshly minted plaintext goes.
pub struct PlaintextDest(Dest);

enum Dest {
    /// Standard output (or the `-o` file), with the rest of the result.
    Output,
    /// A new 0600 file (`--plaintext-file`); `None` once written or discarded.
    File {
        path: PathBuf,
        file: Option<PrivateFile>,
    },
    /// An open descriptor the caller handed over (`--plaintext-fd`).
    Fd { fd: i32, file: File },
}

impl PlaintextDest {
    /// The destination the flags name. Called before anything is sent and before the client
    /// opens descriptors of its own, so `--plaintext-fd` can only adopt one the caller opened.
    ///
    /// # Errors
    /// A usage error (2): the file exists and `replace` is not set or cannot be created; the
    /// descriptor is 0, 1 or 2, not open, or not open for writing.
    pub fn open(path: Option<&Path>, fd: Option<i32>, replace: bool) -> Result<Self, Error> {
        let dest = match (path, fd) {
            (Some(p), _) => Dest::File {
                path: p.to_owned(),
                file: Some(PrivateFile::create(p, replace, "plaintext_file")?),
            },
            (None, Some(fd)) => Dest::Fd {
                fd,
                file: adopt_fd(fd)?,
            },
            (None, None) => Dest::Output,
        };
        Ok(PlaintextDest(dest))
    }

    /// Whether the plaintext goes out with the rest of the result.
    pub fn is_output(&self) -> bool {
        matches!(self.0, Dest::Output)
    }

    /// Where the plaintext went, for the user.
    pub fn describe(&self) -> String {
        match &self.0 {
            Dest::Output => "standard output".to_owned(),
            Dest::File { path, .. } => path.display().to_string(),
            Dest::Fd { fd, .. } => format!("file descriptor {fd}"),
        }
    }

    /// Writes the plaintext (and a newline) to the file or descriptor, durably.
    ///
    /// # Errors
    /// The I/O error; the plaintext did not arrive.
    pub fn deliver(&mut self, plaintext: &Secret) -> io::Result<()> {
        let mut line = Zeroizing::new(String::with_capacity(plaintext.len() + 1));
        line.push_str(plaintext.expose_secret());
        line.push('\n');
        match &mut self.0 {
            Dest::Output => Err(io::Error::other("no plaintext destination")),
            Dest::File { file: slot, .. } => {
                let mut file = slot
                    .take()
                    .ok_or_else(|| io::Error::other("the plaintext file was already written"))?;
                file.write_all(line.as_bytes())?;
                file.commit()
            }
            Dest::Fd { file, .. } => {
                file.write_all(line.as_bytes())?;
                file.flush()
            }
        }
    }

    /// Removes a plaintext file the command created but did not need (it failed).
    pub fn discard(&mut self) {
        if let Dest::File { file: slot, .. } = &mut self.0
            && let Some(file) = slot.take()
        {
            file.discard();
        }
    }
}

/// Takes ownership of descriptor `fd`, after checking it is one the caller opened for writing.
fn adopt_fd(fd: i32) -> Result<File, Error> {
    let bad = |reason: String| Error::usage("plaintext_fd", reason);
    if fd < 3 {
        return Err(bad(
            "must be 3 or above (0, 1 and 2 are standard input, output and error)".to_owned(),
        ));
    }
    // SAFETY: F_GETFL only reads the descriptor's status flags; for a descriptor that is not open
    // it returns -1 (EBADF) and touches nothing.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(bad(format!("descriptor {fd} is not open")));
    }
    if flags & libc::O_ACCMODE == libc::O_RDONLY {
        return Err(bad(format!("descriptor {fd} is not open for writing")));
    }
    // SAFETY: the descriptor is open (checked above); it was opened by the caller, since this runs
    // before the program opens any of its own, and nothing else in the program uses it, so the
    // File becomes its one owner.
    Ok(unsafe { File::from_raw_fd(fd) })
}
