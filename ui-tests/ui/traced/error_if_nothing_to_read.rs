use obs_runtime::traced;
use std::future::Future;

// A function returning nothing has no value to judge.
#[traced(level = "info", name = "jobs.run", error_if = |_: &()| true)]
fn run() {}

// The output of a future returned as is cannot be read.
#[traced(level = "info", name = "jobs.fetch", error_if = |status: &u16| *status >= 500)]
fn fetch(status: u16) -> impl Future<Output = u16> {
    std::future::ready(status)
}

fn main() {}
