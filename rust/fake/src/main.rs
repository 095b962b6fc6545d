//! `fake-identity-center`: the fake as a process, for tests in other languages (Pester, a Mono
//! driver, a C program). Prints `{"url":"http://127.0.0.1:PORT"}` on one line, then serves until
//! killed (or, with `--exit-on-stdin-eof`, until its standard input closes).

use std::io::Write;
use std::time::Duration;

use fake_identity_center::{generated_accounts, Approval, FakeConfig, FakeServer, RateLimit, RateWindow};

const HELP: &str = "fake-identity-center: a fake AWS IAM Identity Center (SSO-OIDC and SSO portal) on 127.0.0.1

  --port N                 port to bind (default: a free one)
  --accounts N             generated accounts, ids 100000000000+i (default 50)
  --roles A,B              roles of every generated account (default ReadOnly,Admin)
  --config FILE            a JSON configuration (see FakeConfig::from_json_file); flags override it
  --forbid ACCOUNT:ROLE    answer 403 ForbiddenException for that pair (repeatable)
  --approve-after-polls K  approve device logins by themselves on the K-th poll
  --deny                   deny every login (AccessDeniedException on the next poll; /authorize
                           redirects with error=access_denied)
  --never-approve          never approve: device codes expire, /authorize never redirects
  --latency-ms MS          latency of every API request
  --throttle-rate F        fraction of portal requests answered 429
  --throttle-first N       answer 429 to the first N GetRoleCredentials calls of each account and role
  --error-rate F           fraction of portal requests answered 500
  --max-in-flight N        429 for requests beyond N in flight
  --rps N                  429 above N portal requests per second: a token bucket refilled at N/s
                           whose burst (capacity) is N, unless --burst or --rps-window say otherwise
  --burst B                the bucket's capacity, 1 (evenly spaced requests only) up to N
  --rps-window W           bucket (default) or fixed: at most N in each one-second window
  --retry-after            rate-limit 429s carry Retry-After (s) and x-amz-retry-after (ms)
  --token-ttl-secs S       access token lifetime (default 28800)
  --credential-ttl-secs S  role credential lifetime (default 3600)
  --interval-secs S        device-code polling interval (default 1)
  --code-ttl-secs S        how long an authorization code may wait for its exchange (default 300)
  --exit-on-stdin-eof      stop when standard input closes
  --verbose                one line per request on stderr (method, path, status; never a secret)
  --help                   this text

Controls: GET /__fake/counters (each operation's calls, and requests: all of them), POST /__fake/reset-counters, GET /__fake/credentials?account_id=&role_name=,
POST /__fake/expire-tokens, POST /__fake/expire-registrations, POST /__fake/forbid?account_id=&role_name=.
Device code: a plain GET of verificationUriComplete approves the login.
Authorization code with PKCE: RegisterClient takes grantTypes authorization_code (and refresh_token),
redirectUris (http://127.0.0.1/oauth/callback matches any port) and issuerUrl; a GET of
/authorize?response_type=code&client_id=&redirect_uri=&state=&code_challenge=&code_challenge_method=S256
approves at once and redirects (302) to redirect_uri with code and state; CreateToken with grantType
authorization_code takes the code once, with the same redirectUri and the matching codeVerifier.";

/// A change a flag makes to the configuration, applied after `--config` is read.
type Tweak = Box<dyn FnOnce(&mut FakeConfig)>;

struct Options {
    config: FakeConfig,
    port: u16,
    exit_on_stdin_eof: bool,
    verbose: bool,
}

fn parse(args: Vec<String>) -> Result<Options, String> {
    let mut config: Option<FakeConfig> = None;
    let (mut accounts, mut roles) = (None::<usize>, None::<Vec<String>>);
    let mut forbid = Vec::new();
    let mut tweaks: Vec<Tweak> = Vec::new();
    let (mut port, mut exit_on_stdin_eof, mut verbose) = (0u16, false, false);
    let (mut rps, mut burst, mut window) = (None::<u32>, None::<u32>, None::<RateWindow>);
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("{flag}: '{v}' is not a whole number"));
        let fraction = |v: String| {
            v.parse::<f64>()
                .ok()
                .filter(|f| (0.0..=1.0).contains(f))
                .ok_or_else(|| format!("{flag}: '{v}' is not between 0 and 1"))
        };
        match flag.as_str() {
            "--help" | "-h" => return Err(HELP.to_string()),
            "--port" => port = number(value()?)?.try_into().map_err(|_| "--port is too large".to_string())?,
            "--accounts" => accounts = Some(number(value()?)? as usize),
            "--roles" => {
                roles = Some(value()?.split(',').map(str::trim).filter(|r| !r.is_empty()).map(String::from).collect())
            }
            "--config" => {
                config = Some(FakeConfig::from_json_file(value()?.as_ref()).map_err(|e| format!("--config: {e}"))?)
            }
            "--forbid" => {
                let pair = value()?;
                let (account, role) =
                    pair.split_once(':').ok_or_else(|| format!("--forbid '{pair}' is not ACCOUNT:ROLE"))?;
                forbid.push((account.to_string(), role.to_string()));
            }
            "--approve-after-polls" => {
                let k = number(value()?)? as u32;
                tweaks.push(Box::new(move |c| c.approval = Approval::AfterPolls(k)));
            }
            "--deny" => tweaks.push(Box::new(|c| c.approval = Approval::Deny)),
            "--never-approve" => tweaks.push(Box::new(|c| c.approval = Approval::Never)),
            "--latency-ms" => {
                let ms = number(value()?)?;
                tweaks.push(Box::new(move |c| c.latency = Duration::from_millis(ms)));
            }
            "--throttle-rate" => {
                let f = fraction(value()?)?;
                tweaks.push(Box::new(move |c| c.throttle_rate = f));
            }
            "--throttle-first" => {
                let n = number(value()?)? as u32;
                tweaks.push(Box::new(move |c| c.throttle_first_attempts = n));
            }
            "--error-rate" => {
                let f = fraction(value()?)?;
                tweaks.push(Box::new(move |c| c.server_error_rate = f));
            }
            "--max-in-flight" => {
                let n = number(value()?)? as usize;
                tweaks.push(Box::new(move |c| c.max_in_flight = Some(n)));
            }
            "--rps" => rps = Some(positive(number(value()?)?, &flag)?),
            "--burst" => burst = Some(positive(number(value()?)?, &flag)?),
            "--rps-window" => {
                window = Some(match value()?.as_str() {
                    "bucket" => RateWindow::Bucket,
                    "fixed" => RateWindow::Fixed,
                    other => return Err(format!("--rps-window '{other}' is neither bucket nor fixed")),
                })
            }
            "--retry-after" => tweaks.push(Box::new(|c| c.retry_after = true)),
            "--token-ttl-secs" => {
                let s = number(value()?)?;
                tweaks.push(Box::new(move |c| c.access_token_ttl = Duration::from_secs(s)));
            }
            "--credential-ttl-secs" => {
                let s = number(value()?)?;
                tweaks.push(Box::new(move |c| c.credential_ttl = Duration::from_secs(s)));
            }
            "--code-ttl-secs" => {
                let s = number(value()?)?;
                tweaks.push(Box::new(move |c| c.authorization_code_ttl = Duration::from_secs(s)));
            }
            "--interval-secs" => {
                let s = number(value()?)? as i32;
                tweaks.push(Box::new(move |c| c.interval_seconds = s));
            }
            "--exit-on-stdin-eof" => exit_on_stdin_eof = true,
            "--verbose" => verbose = true,
            other => return Err(format!("unknown option {other}; see --help")),
        }
    }
    let mut config = config.unwrap_or_default();
    if config.accounts.is_empty() || accounts.is_some() || roles.is_some() {
        let roles = roles.unwrap_or_else(|| vec!["ReadOnly".into(), "Admin".into()]);
        let role_refs: Vec<&str> = roles.iter().map(String::as_str).collect();
        config.accounts = generated_accounts(accounts.unwrap_or(50), &role_refs);
    }
    config.forbidden.extend(forbid);
    for tweak in tweaks {
        tweak(&mut config);
    }
    if rps.is_some() || burst.is_some() || window.is_some() {
        let base = config.rate_limit.or(rps.map(RateLimit::per_second)).ok_or("--burst and --rps-window need --rps")?;
        let limit = RateLimit {
            rate: rps.unwrap_or(base.rate),
            burst: burst.or(if rps.is_some() { None } else { base.burst }),
            window: window.unwrap_or(base.window),
        };
        if limit.burst.is_some_and(|b| b > limit.rate) {
            return Err(format!("--burst {} is above the rate {}", limit.burst.unwrap_or(0), limit.rate));
        }
        config.rate_limit = Some(limit);
    }
    Ok(Options { config, port, exit_on_stdin_eof, verbose })
}

/// Rates and bursts are whole numbers from 1.
fn positive(n: u64, flag: &str) -> Result<u32, String> {
    u32::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| format!("{flag}: {n} is not between 1 and {}", u32::MAX))
}

fn main() {
    let options = match parse(std::env::args().skip(1).collect()) {
        Ok(options) => options,
        Err(message) => {
            // Help asked for goes to stdout and succeeds; a usage error goes to stderr.
            if message == HELP {
                println!("{message}");
                std::process::exit(0);
            }
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        let server = match if options.verbose {
            FakeServer::start_verbose(options.config, options.port).await
        } else {
            FakeServer::start_on(options.config, options.port).await
        } {
            Ok(server) => server,
            Err(e) => {
                eprintln!("cannot start: {e}");
                std::process::exit(1);
            }
        };
        println!("{}", serde_json::json!({ "url": server.url() }));
        let _ = std::io::stdout().flush();
        if options.exit_on_stdin_eof {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink())) => {}
            }
        } else {
            let _ = tokio::signal::ctrl_c().await;
        }
        drop(server);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit_of(args: &[&str]) -> Result<Option<RateLimit>, String> {
        parse(args.iter().map(|a| a.to_string()).collect()).map(|o| o.config.rate_limit)
    }

    #[test]
    fn rate_limit_flags() {
        assert_eq!(limit_of(&[]), Ok(None));
        assert_eq!(limit_of(&["--rps", "20"]), Ok(Some(RateLimit::per_second(20))), "a bucket, burst = rate");
        assert_eq!(
            limit_of(&["--burst", "1", "--rps", "20"]),
            Ok(Some(RateLimit { rate: 20, burst: Some(1), window: RateWindow::Bucket })),
            "in any order"
        );
        assert_eq!(
            limit_of(&["--rps", "10", "--rps-window", "fixed"]),
            Ok(Some(RateLimit { rate: 10, burst: None, window: RateWindow::Fixed }))
        );
        assert!(limit_of(&["--burst", "2"]).unwrap_err().contains("need --rps"));
        assert!(limit_of(&["--rps", "10", "--burst", "11"]).unwrap_err().contains("above the rate"));
        assert!(limit_of(&["--rps", "0"]).unwrap_err().contains("not between 1"));
        assert!(limit_of(&["--rps", "5", "--rps-window", "sliding"]).unwrap_err().contains("neither"));
        let options = parse(vec!["--rps".into(), "5".into(), "--retry-after".into()]).unwrap();
        assert!(options.config.retry_after);
    }
}
