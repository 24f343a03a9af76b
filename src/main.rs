//! The `zoom-scim` binary: parses the command line and hands over to the library.

use clap::Parser;

/// mimalloc instead of glibc's allocator: the service allocates many small, short-lived
/// JSON values per request, and glibc `malloc`/`free` took about a quarter of its CPU
/// (benches/BENCHMARKS.md, scenario 4).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
