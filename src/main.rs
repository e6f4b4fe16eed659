#![forbid(unsafe_code)]

/// mimalloc instead of glibc malloc: glibc keeps freed memory in per-thread arenas (an idle
/// daemon with 200 users held ~3× its live heap), mimalloc returns it to the system.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    convos::cli::main()
}
