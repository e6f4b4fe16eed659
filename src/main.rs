#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    convos::cli::main()
}
