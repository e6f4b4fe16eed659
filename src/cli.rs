//! The `convos` command: parses the command line, sets up logging and runs a subcommand.
//! Configuration mistakes print one line and exit with status 2.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::config::{Cli, Command, LogFormat};

/// Entry point of the binary.
pub fn main() -> ExitCode {
    crate::daemon::private_umask();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Version => {
            println!("convos {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::User(args) => crate::account::command::user(args),
        Command::Recover(args) => crate::account::command::recover(args),
        Command::Backup(args) => crate::account::command::backup(args),
        Command::Import(args) => crate::import::run(args),
        Command::MigrateStore(args) => crate::account::command::migrate_store(args),
        Command::Cluster(args) => crate::account::command::cluster(args),
        Command::Daemon(opts) => {
            init_logging(opts.log_level.as_deref(), opts.log_format);
            // Blocking work is SQLite reads and file IO: a few threads suffice, and each
            // extra thread costs a stack and, with glibc, a malloc arena of its own.
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .max_blocking_threads(16)
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("convos: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            // Binding registers sockets with the runtime's reactor.
            let prepared = match rt.block_on(crate::daemon::prepare(&opts)) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("convos: {e}");
                    return ExitCode::from(2);
                }
            };
            let result = rt.block_on(async {
                let shutdown = crate::daemon::shutdown_on_signals();
                prepared.run(shutdown).await
            });
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("convos: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Tracing to stderr: `CONVOS_LOG_LEVEL`, else `RUST_LOG`, else `info`.
fn init_logging(level: Option<&str>, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = level
        .map(EnvFilter::new)
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Auto => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}
