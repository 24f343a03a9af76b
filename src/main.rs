//! The `zoom-scim` binary: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = zoom_scim::cli::Cli::parse();
    match zoom_scim::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("zoom-scim: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
