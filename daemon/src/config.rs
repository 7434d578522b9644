//! Command-line options, each also read from a `RATCHET_*` environment
//! variable, and their checks.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use reqwest::Url;

use crate::auth::{Auth, AuthError};
use crate::fetch::{FetchError, FetchPolicy, Fetcher};
use crate::fifo::Access;
use crate::render::Format;
use crate::server::ServeConfig;

/// Serves secrets through a FIFO `.env`: every open is a fresh fetch from the
/// secrets API, and every open is audited.
#[derive(Debug, Parser)]
#[command(name = "ratchet", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Format of diagnostic logs on stderr (audit events on stdout are always JSON).
    #[arg(long, env = "RATCHET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make the path a FIFO and serve every open until SIGTERM or SIGINT.
    Serve(ServeArgs),
    /// Exit 0 if the FIFO is in place; for container health checks.
    Health(HealthArgs),
    /// Fetch and print one rendered document to stdout, for debugging.
    /// This prints secrets: use it only where stdout is private.
    Fetch(FetchArgs),
}

/// Diagnostic log formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

/// How the daemon authenticates to the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuthKind {
    /// An API Gateway key in `x-api-key`.
    ApiKey,
    /// SigV4 with credentials from the AWS chain (e.g. the ECS task role).
    Iam,
}

/// Where and how to fetch.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The API's stage URL; `/v1/profiles/<profile>` is appended.
    #[arg(long, env = "RATCHET_API_URL")]
    pub api_url: Url,

    /// The profile to serve.
    #[arg(long, env = "RATCHET_PROFILE", value_parser = parse_profile)]
    pub profile: String,

    /// How to authenticate.
    #[arg(long, env = "RATCHET_AUTH", value_enum)]
    pub auth: AuthKind,

    /// The API key, for `--auth api-key` (prefer the file option).
    #[arg(long, env = "RATCHET_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// A file whose first line is the API key, for `--auth api-key`.
    #[arg(long, env = "RATCHET_API_KEY_FILE")]
    pub api_key_file: Option<PathBuf>,

    /// Region to sign for, for `--auth iam`; defaults to the AWS chain's (AWS_REGION).
    #[arg(long, env = "RATCHET_REGION")]
    pub region: Option<String>,

    /// Time allowed to connect to the API.
    #[arg(long, env = "RATCHET_CONNECT_TIMEOUT", value_parser = humantime::parse_duration, default_value = "2s")]
    pub connect_timeout: Duration,

    /// Time allowed for one request attempt.
    #[arg(long, env = "RATCHET_REQUEST_TIMEOUT", value_parser = humantime::parse_duration, default_value = "5s")]
    pub request_timeout: Duration,

    /// Time allowed for a whole fetch, retries included; a reader waits at most this long.
    #[arg(long, env = "RATCHET_FETCH_DEADLINE", value_parser = humantime::parse_duration, default_value = "10s")]
    pub fetch_deadline: Duration,

    /// Retries after a timeout, connection failure or 5xx (never after a 4xx).
    #[arg(long, env = "RATCHET_RETRIES", default_value_t = 2)]
    pub retries: u32,

    /// Largest API response accepted, in bytes.
    #[arg(long, env = "RATCHET_MAX_RESPONSE_BYTES", default_value_t = 512 * 1024)]
    pub max_response_bytes: usize,

    /// Allow plain http to a host that is not loopback. This sends credentials
    /// and secrets unencrypted: only for a local trial on a private network.
    #[arg(long, env = "RATCHET_INSECURE_PLAINTEXT_HTTP")]
    pub insecure_plaintext_http: bool,
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to fetch from.
    #[command(flatten)]
    pub api: ApiArgs,

    /// Path of the FIFO, in a directory shared with the app.
    #[arg(long, env = "RATCHET_PATH", default_value = "/run/ratchet/.env")]
    pub path: PathBuf,

    /// Payload format.
    #[arg(long, env = "RATCHET_FORMAT", value_enum, default_value_t = Format::Dotenv)]
    pub format: Format,

    /// Owner of the FIFO as `uid:gid`, `uid` or `:gid` (numeric); default: the daemon's.
    #[arg(long, env = "RATCHET_OWNER", value_parser = parse_owner)]
    pub owner: Option<(Option<u32>, Option<u32>)>,

    /// Permission bits of the FIFO, in octal.
    #[arg(long, env = "RATCHET_MODE", value_parser = parse_mode, default_value = "0640")]
    pub mode: u32,

    /// Remove the FIFO and exit after this many opens.
    #[arg(long, env = "RATCHET_MAX_READS")]
    pub max_reads: Option<u64>,

    /// Keep the last good payload in memory and serve it, up to this old,
    /// when the API is down (timeouts, 5xx); never after a 4xx. Off unless set.
    #[arg(long, env = "RATCHET_CACHE_MAX_AGE", value_parser = humantime::parse_duration)]
    pub cache_max_age: Option<Duration>,

    /// Look for readers in /proc to name them in the audit and detect shared pipes.
    #[arg(long, env = "RATCHET_READER_SCAN", value_enum, default_value_t = Toggle::On)]
    pub reader_scan: Toggle,

    /// Time in-flight reads get to finish after SIGTERM before they are cut.
    #[arg(long, env = "RATCHET_SHUTDOWN_GRACE", value_parser = humantime::parse_duration, default_value = "5s")]
    pub shutdown_grace: Duration,

    /// Fetches allowed at once; further opens wait their turn.
    #[arg(long, env = "RATCHET_MAX_FETCHES", default_value_t = 32)]
    pub max_fetches: usize,
}

/// On or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Toggle {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Options of `health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Path of the FIFO.
    #[arg(long, env = "RATCHET_PATH", default_value = "/run/ratchet/.env")]
    pub path: PathBuf,
}

/// Options of `fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Where to fetch from.
    #[command(flatten)]
    pub api: ApiArgs,

    /// Output format.
    #[arg(long, env = "RATCHET_FORMAT", value_enum, default_value_t = Format::Dotenv)]
    pub format: Format,
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Plain http to a remote host without the explicit flag.
    #[error(
        "RATCHET_API_URL {url} uses plain http to a host that is not loopback; use https (or, for a local trial only, set RATCHET_INSECURE_PLAINTEXT_HTTP=true)"
    )]
    PlainHttp { url: String },
    /// A scheme other than http(s).
    #[error("RATCHET_API_URL must be an https:// URL, not {scheme}://")]
    Scheme { scheme: String },
    /// Authentication is misconfigured.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] FetchError),
}

impl ApiArgs {
    /// Checks the URL and builds the API client with its credentials.
    pub async fn fetcher(&self) -> Result<Fetcher, ConfigError> {
        check_url(&self.api_url, self.insecure_plaintext_http)?;
        let auth = match self.auth {
            AuthKind::ApiKey => {
                Auth::api_key(self.api_key.as_deref(), self.api_key_file.as_deref())?
            }
            AuthKind::Iam => Auth::iam(self.region.clone()).await?,
        };
        let policy = FetchPolicy {
            connect_timeout: self.connect_timeout,
            attempt_timeout: self.request_timeout,
            deadline: self.fetch_deadline,
            retries: self.retries,
            max_body: self.max_response_bytes,
            ..FetchPolicy::default()
        };
        Ok(Fetcher::new(&self.api_url, &self.profile, auth, policy)?)
    }
}

impl ServeArgs {
    /// The library's view of these options.
    pub fn serve_config(&self) -> ServeConfig {
        let (uid, gid) = self.owner.unwrap_or((None, None));
        ServeConfig {
            path: self.path.clone(),
            profile: self.api.profile.clone(),
            format: self.format,
            access: Access {
                mode: self.mode,
                uid,
                gid,
            },
            max_reads: self.max_reads,
            cache_max_age: self.cache_max_age,
            reader_scan: self.reader_scan == Toggle::On,
            grace: self.shutdown_grace,
            max_fetches: self.max_fetches.max(1),
        }
    }
}

/// https anywhere; http only to loopback unless explicitly allowed.
fn check_url(url: &Url, allow_plaintext: bool) -> Result<(), ConfigError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_plaintext || is_loopback(url) => Ok(()),
        "http" => Err(ConfigError::PlainHttp {
            url: url.to_string(),
        }),
        other => Err(ConfigError::Scheme {
            scheme: other.to_owned(),
        }),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// Profile names as the API accepts them: `[a-z0-9][a-z0-9-]{0,63}`.
fn parse_profile(s: &str) -> Result<String, String> {
    let mut chars = s.chars();
    let valid = s.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(s.to_owned())
    } else {
        Err("a profile is 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit".into())
    }
}

fn parse_owner(s: &str) -> Result<(Option<u32>, Option<u32>), String> {
    let number = |part: &str| -> Result<Option<u32>, String> {
        if part.is_empty() {
            return Ok(None);
        }
        part.parse()
            .map(Some)
            .map_err(|_| format!("{part:?} is not a numeric id; give the owner as uid:gid"))
    };
    match s.split_once(':') {
        Some((uid, gid)) => Ok((number(uid)?, number(gid)?)),
        None => Ok((number(s)?, None)),
    }
}

fn parse_mode(s: &str) -> Result<u32, String> {
    let mode = u32::from_str_radix(s.trim_start_matches("0o"), 8)
        .map_err(|_| format!("{s:?} is not an octal mode such as 0640"))?;
    if mode > 0o777 {
        return Err(format!(
            "{s:?} has bits beyond 0777; give permission bits only"
        ));
    }
    if mode & 0o200 == 0 {
        return Err(format!(
            "{s:?} does not let the owner write, and the daemon writes as the owner"
        ));
    }
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// http is refused to remote hosts unless the loud flag is set; loopback is fine.
    #[test]
    fn plain_http_needs_loopback_or_flag() {
        let remote: Url = "http://api.example/prod".parse().unwrap();
        assert!(matches!(
            check_url(&remote, false),
            Err(ConfigError::PlainHttp { .. })
        ));
        assert!(check_url(&remote, true).is_ok());
        for local in [
            "http://127.0.0.1:9/p",
            "http://[::1]:9/p",
            "http://localhost/p",
        ] {
            assert!(check_url(&local.parse().unwrap(), false).is_ok(), "{local}");
        }
        let ftp: Url = "ftp://x/".parse().unwrap();
        assert!(matches!(
            check_url(&ftp, true),
            Err(ConfigError::Scheme { .. })
        ));
    }

    /// Owners, modes and profiles parse as documented and refuse nonsense.
    #[test]
    fn parse_options() {
        assert_eq!(parse_owner("1000:2000"), Ok((Some(1000), Some(2000))));
        assert_eq!(parse_owner(":2000"), Ok((None, Some(2000))));
        assert_eq!(parse_owner("1000"), Ok((Some(1000), None)));
        assert!(parse_owner("app:app").is_err());
        assert_eq!(parse_mode("0640"), Ok(0o640));
        assert!(parse_mode("0440").is_err());
        assert!(parse_mode("9").is_err());
        assert!(parse_profile("app-1").is_ok());
        assert!(parse_profile("App").is_err());
        assert!(parse_profile("-x").is_err());
    }

    /// Serve options map onto the library's configuration with their defaults.
    #[test]
    fn serve_options_map_to_the_config() {
        let cli = Cli::try_parse_from([
            "ratchet",
            "serve",
            "--api-url",
            "https://a/prod",
            "--profile",
            "app",
            "--auth",
            "iam",
            "--format",
            "json",
            "--max-reads",
            "3",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        let config = args.serve_config();
        assert_eq!(config.format, Format::Json);
        assert_eq!(config.max_reads, Some(3));
        assert_eq!(config.access.mode, 0o640);
        assert!(config.reader_scan);
    }
}
