use obs_runtime::traced;
use std::future::Future;

// The output of a future returned as is cannot be read.
#[traced(level = "info", name = "spec.fetch", ret)]
fn fetch(input: u32) -> impl Future<Output = u32> {
    std::future::ready(input)
}

// `err` on a future whose output is not a `Result`.
#[traced(level = "info", name = "spec.fetch_later", err)]
fn fetch_later(input: u32) -> impl Future<Output = u32> {
    async move { input }
}

fn main() {}
