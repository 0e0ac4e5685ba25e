//! The scenario binaries, run as a user runs them: in an environment of only
//! the variables a test sets, so no setting of the caller's leaks in.

#![allow(
    dead_code,
    reason = "each test crate runs binaries in only some of these ways"
)]

use std::ffi::OsStr;
use std::process::{Child, Command};

/// `binary` with `args`, its environment only `env`.
pub fn command<K, V>(binary: &str, args: &[&str], env: impl IntoIterator<Item = (K, V)>) -> Command
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    let mut command = Command::new(binary);
    command.args(args).env_clear().envs(env);
    command
}

/// A child process killed when dropped, so a failing test leaves none.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `binary --probe` (one cycle, then the scrape) under
/// `RUST_LOG=filter`, its `/metrics` on a free loopback port, and returns
/// its standard output once it has exited 0.
pub fn probe(binary: &str, filter: &str) -> String {
    let output = command(
        binary,
        &["--probe"],
        [("OBS_METRICS_ADDR", "127.0.0.1:0"), ("RUST_LOG", filter)],
    )
    .output()
    .unwrap_or_else(|err| panic!("cannot run {binary}: {err}"));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{binary} --probe, RUST_LOG={filter}: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
