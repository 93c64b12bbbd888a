//! `plexctl`: the reference command-line program over `plexctl-core`.
//!
//! It parses flags into core's typed inputs, calls core, renders the result and exits with core's
//! exit code. Every rule (what a valid identity ref is, which grant flags go together, what a 409
//! means, which exit code an error has) lives in core; this program only decides layout and where
//! output goes. See `README.md` beside this crate for the commands and the flag decisions.

mod output;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use plexctl_core::error::EXIT_USAGE;
use plexctl_core::keys::parse_node_id;
use plexctl_core::tokens::parse_token_id;
use plexctl_core::{
    Client, DeviceLoginRequest, IssueTokenRequest, LoginTarget, Secret, ServiceTokenRequest,
};

use output::{Failure, Output, PlaintextDest};

/// The plexsphere v1 auth API from the command line.
#[derive(Parser)]
#[command(name = "plexctl", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// The persistent flags: accepted before or after any subcommand.
#[derive(Args)]
#[command(next_help_heading = "Persistent flags")]
struct Global {
    /// Server base URL [default: $PLEXSPHERE_URL, then the profile's server].
    #[arg(long, global = true, value_name = "URL")]
    server: Option<String>,
    /// Config-file profile to use instead of the file's default.
    #[arg(long, global = true, value_name = "NAME")]
    profile: Option<String>,
    /// File whose content is the bearer token (before $PLEXSPHERE_TOKEN and the profile).
    #[arg(long, global = true, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    output: Format,
    /// Write standard output to this file instead (created 0600; an existing file needs --yes).
    #[arg(short = 'o', long, global = true, value_name = "PATH")]
    output_file: Option<PathBuf>,
    /// Replace existing files named by -o/--output-file or --plaintext-file.
    #[arg(long, global = true)]
    yes: bool,
    /// Also show secrets this program already holds (auth status: the bearer token in use).
    /// Freshly minted plaintexts are shown once whatever this says.
    #[arg(long, global = true)]
    reveal_secrets: bool,
}

/// How results are printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Aligned fields, as the plexctl documentation prints them.
    Text,
    /// The typed response shape, as pretty JSON.
    Json,
    /// The typed response shape, as YAML.
    Yaml,
}

#[derive(Subcommand)]
enum Command {
    /// psk-shaped API tokens and the OAuth2 service-token mint endpoint.
    #[command(subcommand)]
    IdentityTokens(TokensCommand),
    /// End the active session: revoke its token on the server, then clear its profile.
    Logout,
    /// Per-Node mesh-key rotation.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Log in with a device code (RFC 8628) and store the session in a profile.
    Login(LoginArgs),
    /// The current session.
    #[command(subcommand)]
    Auth(AuthCommand),
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Mint a new psk-shaped API token (POST /v1/auth/tokens); its plaintext is shown once.
    Issue {
        /// Identity binding: user:<uuid> or service:<uuid>.
        #[arg(long, value_name = "user:<UUID>|service:<UUID>")]
        identity_ref: String,
        /// Environment segment encoded into the plaintext: dev, prod or stage.
        #[arg(long, value_name = "dev|prod|stage")]
        env_prefix: String,
        /// Token lifetime (e.g. 1h, 30m) [default: the server's].
        #[arg(long, value_name = "DURATION")]
        ttl: Option<String>,
        #[command(flatten)]
        plaintext: PlaintextArgs,
    },
    /// The plaintext-free summaries of the caller's tokens (GET /v1/auth/tokens).
    List,
    /// Revoke a token in place (DELETE /v1/auth/tokens/{id}).
    Delete {
        /// API token UUID.
        #[arg(long, value_name = "UUID")]
        id: String,
    },
    /// Rotate a token (POST /v1/auth/tokens/{id}/rotate); the new plaintext is shown once.
    Rotate {
        /// API token UUID.
        #[arg(long, value_name = "UUID")]
        id: String,
        #[command(flatten)]
        plaintext: PlaintextArgs,
    },
    /// Mint an OAuth2 service access token (POST /v1/auth/service/token).
    IssueService {
        /// ServiceIdentity client identifier.
        #[arg(long, value_name = "ID")]
        client_id: String,
        /// client_credentials or urn:ietf:params:oauth:grant-type:jwt-bearer.
        #[arg(long, value_name = "GRANT")]
        grant_type: String,
        /// Required for client_credentials; forbidden for the JWT-bearer grant.
        #[arg(long, value_name = "SECRET")]
        client_secret: Option<String>,
        /// Required for the JWT-bearer grant; forbidden for client_credentials.
        #[arg(long, value_name = "JWT")]
        client_assertion: Option<String>,
        /// Space-delimited OAuth2 scope list.
        #[arg(long, value_name = "SCOPE")]
        scope: Option<String>,
        #[command(flatten)]
        plaintext: PlaintextArgs,
    },
}

/// Where a freshly minted secret goes instead of standard output.
#[derive(Args)]
#[command(next_help_heading = "Where the new plaintext goes")]
struct PlaintextArgs {
    /// Write the new plaintext to this file (created 0600; an existing file needs --yes) instead
    /// of standard output.
    #[arg(long, value_name = "PATH", conflicts_with = "plaintext_fd")]
    plaintext_file: Option<PathBuf>,
    /// Write the new plaintext to this open file descriptor (3 or above) instead of standard
    /// output.
    #[arg(long, value_name = "N")]
    plaintext_fd: Option<i32>,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Record a mesh-key rotation for a Node, or preview its impact with --dry-run.
    Rotate {
        /// Node UUID whose mesh keys to rotate.
        #[arg(long, value_name = "UUID")]
        node: String,
        /// Fetch the rotation impact preview without recording a new trigger.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Args)]
struct LoginArgs {
    /// The Domain to authenticate against.
    #[arg(long, value_name = "UUID")]
    domain: String,
    /// The IdP binding to use, by id.
    #[arg(long, value_name = "UUID")]
    idp_binding_id: Option<String>,
    /// The IdP binding to use, by alias (e.g. github).
    #[arg(long, value_name = "ALIAS")]
    idp_binding_alias: Option<String>,
    /// Make the profile the config file's default.
    #[arg(long)]
    default: bool,
}

#[derive(Subcommand)]
enum AuthCommand {
    /// The server, where the token comes from, and who it authenticates as.
    Status,
}

/// The profile a login writes when --profile is not given.
const DEFAULT_PROFILE: &str = "default";

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout and succeed; every other parse failure is a usage
            // error, with core's code for one.
            if e.use_stderr() {
                eprintln!("{}", parse_error(&e));
                return exit(EXIT_USAGE);
            }
            let _ = e.print();
            return exit(0);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("plexctl: {failure}");
            exit(failure.exit_code())
        }
    }
}

/// A parse error as text that never repeats what the user typed: a stray argument or a rejected
/// value may be a secret given in the wrong place (`--token-file hunter2 hunter2`). Flag names and
/// the valid values are the program's own and are shown.
fn parse_error(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        _ => None,
    };
    let what = match e.kind() {
        ErrorKind::UnknownArgument => {
            "an unexpected argument (not shown: it may be a secret given in the wrong place)"
                .to_owned()
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let mut m = format!(
                "an invalid value for {} (not shown)",
                context(ContextKind::InvalidArg).unwrap_or_else(|| "an option".into())
            );
            if let Some(valid) = context(ContextKind::ValidValue).filter(|v| !v.is_empty()) {
                m.push_str(&format!("; expected one of: {valid}"));
            }
            m
        }
        ErrorKind::InvalidSubcommand => "an unknown command (not shown)".to_owned(),
        // The rest name only the program's own flags and commands.
        _ => {
            return e.render().to_string().trim_end().to_owned();
        }
    };
    format!("error: {what}\n\nFor more information, try '--help'.")
}

fn exit(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn run(cli: Cli) -> Result<(), Failure> {
    let g = cli.global;
    match cli.command {
        Command::IdentityTokens(cmd) => tokens(&g, cmd),
        Command::Logout => logout(&g),
        Command::Key(KeyCommand::Rotate { node, dry_run }) => key_rotate(&g, &node, dry_run),
        Command::Login(args) => login(&g, args),
        Command::Auth(AuthCommand::Status) => status(&g),
    }
}

/// A client from the persistent flags; core resolves the rest (environment, profile).
fn client(g: &Global, with_token_file: bool) -> Result<Client, Failure> {
    let mut b = Client::builder();
    if let Some(server) = &g.server {
        b = b.server(server);
    }
    if let Some(profile) = &g.profile {
        b = b.profile(profile);
    }
    if let (true, Some(path)) = (with_token_file, &g.token_file) {
        b = b.token_file(path);
    }
    Ok(b.build()?)
}

fn open_output(g: &Global) -> Result<Output, Failure> {
    Ok(Output::open(g.output_file.as_deref(), g.yes, g.output)?)
}

/// The client, the output and the plaintext's destination of a command that mints a secret. All
/// are ready before anything is sent (a refusal after the server minted would lose the
/// plaintext), and the destination comes first, before the client opens descriptors of its own.
fn prepare_minting(
    g: &Global,
    p: &PlaintextArgs,
) -> Result<(Client, Output, PlaintextDest), Failure> {
    if let (Some(a), Some(b)) = (&g.output_file, &p.plaintext_file)
        && a == b
    {
        return Err(plexctl_core::Error::usage(
            "plaintext_file",
            "must not be the file -o/--output-file names",
        )
        .into());
    }
    let mut dest = PlaintextDest::open(p.plaintext_file.as_deref(), p.plaintext_fd, g.yes)?;
    match client(g, true).and_then(|c| Ok((c, open_output(g)?))) {
        Ok((client, out)) => Ok((client, out, dest)),
        Err(e) => {
            dest.discard();
            Err(e)
        }
    }
}

fn tokens(g: &Global, cmd: TokensCommand) -> Result<(), Failure> {
    match cmd {
        TokensCommand::Issue {
            identity_ref,
            env_prefix,
            ttl,
            plaintext,
        } => {
            let req = IssueTokenRequest::parse(&identity_ref, &env_prefix, ttl.as_deref())?;
            let (client, mut out, mut dest) = prepare_minting(g, &plaintext)?;
            let shown = render::minted(&mut out, &mut dest, client.issue_token(&req));
            out.finish(shown)
        }
        TokensCommand::List => {
            let client = client(g, true)?;
            let mut out = open_output(g)?;
            let shown = client
                .list_tokens()
                .map_err(Failure::from)
                .and_then(|list| out.show(&render::token_table(&list), &list));
            out.finish(shown)
        }
        TokensCommand::Delete { id } => {
            let id = parse_token_id(&id)?;
            let client = client(g, true)?;
            let mut out = open_output(g)?;
            let shown = client
                .delete_token(id)
                .map_err(Failure::from)
                .and_then(|()| {
                    let done = render::Deleted { id, revoked: true };
                    out.show(&done.text(), &done)
                });
            out.finish(shown)
        }
        TokensCommand::Rotate { id, plaintext } => {
            let id = parse_token_id(&id)?;
            let (client, mut out, mut dest) = prepare_minting(g, &plaintext)?;
            let shown = render::minted(&mut out, &mut dest, client.rotate_token(id));
            out.finish(shown)
        }
        TokensCommand::IssueService {
            client_id,
            grant_type,
            client_secret,
            client_assertion,
            scope,
            plaintext,
        } => {
            // The flag strings move into wiped buffers; the copy in argv is out of reach.
            let req = ServiceTokenRequest::parse(
                &client_id,
                &grant_type,
                client_secret.map(Secret::new),
                client_assertion.map(Secret::new),
                scope.as_deref(),
            )?;
            let (client, mut out, mut dest) = prepare_minting(g, &plaintext)?;
            let shown = render::minted(&mut out, &mut dest, client.mint_service_token(&req));
            out.finish(shown)
        }
    }
}

fn logout(g: &Global) -> Result<(), Failure> {
    // Logout acts on the stored profile only; a token file is never its business.
    let client = client(g, false)?;
    let mut out = open_output(g)?;
    let shown = client.logout().map_err(Failure::from).and_then(|outcome| {
        if outcome.had_session() {
            out.show(&format!("{}\n", outcome.text()), &outcome)
        } else {
            eprintln!("{}", outcome.text());
            out.show_structured_only(&outcome)
        }
    });
    out.finish(shown)
}

fn key_rotate(g: &Global, node: &str, dry_run: bool) -> Result<(), Failure> {
    let node_id = parse_node_id(node)?;
    let client = client(g, true)?;
    let mut out = open_output(g)?;
    let shown = if dry_run {
        client
            .preview_node_key_rotation(node_id)
            .map_err(Failure::from)
            .and_then(|preview| out.show(&render::preview_text(&preview), &preview))
    } else {
        client
            .rotate_node_keys(node_id)
            .map_err(Failure::from)
            .and_then(|trigger| out.show(&render::trigger_text(&trigger), &trigger))
    };
    out.finish(shown)
}

fn login(g: &Global, args: LoginArgs) -> Result<(), Failure> {
    let req = DeviceLoginRequest::parse(
        &args.domain,
        args.idp_binding_id.as_deref(),
        args.idp_binding_alias.as_deref(),
    )?;
    let target = LoginTarget::new(
        g.profile.as_deref().unwrap_or(DEFAULT_PROFILE),
        args.default,
    );
    let client = client(g, false)?;
    let mut out = open_output(g)?;
    // The code and the URL go to stderr, so stdout carries only the outcome. Ctrl-C ends the
    // process, which leaves nothing behind: the session is written only once approved.
    let result = client.login(
        &req,
        &target,
        &mut |auth| eprintln!("{}", auth.text()),
        &|| false,
    );
    let shown = match result {
        Err(e) => {
            // The session exists on the server but could not be saved: show it once rather than
            // lose it.
            match e.recovered_plaintext() {
                Some(token) => out
                    .write_secret(&render::banner_and(token))
                    .and(Err(e.into())),
                None => Err(e.into()),
            }
        }
        Ok(outcome) => out.show(&format!("{}\n", outcome.text()), &outcome),
    };
    out.finish(shown)
}

fn status(g: &Global) -> Result<(), Failure> {
    let client = client(g, true)?;
    let mut out = open_output(g)?;
    let shown = client.status().map_err(Failure::from).and_then(|status| {
        let bearer = client.token().filter(|_| g.reveal_secrets);
        render::status(&mut out, &status, bearer)
    });
    out.finish(shown)
}
