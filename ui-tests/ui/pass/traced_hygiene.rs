//! The code `#[traced]` generates names everything by absolute path, so a
//! scope that redefines the prelude, `std` and `core` still compiles, with
//! `err`, `ret`, `metrics` and fields, sync and async.
#![deny(warnings)]

mod hostile {
    #![allow(dead_code, non_camel_case_types, unused_macros)]

    use obs_runtime::traced;

    mod std {}
    mod core {}
    struct Option;
    struct Result;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct Vec;
    struct String;
    struct Box;
    struct usize;
    struct str;
    struct bool;
    struct u64;
    trait Clone {}
    trait Default {}
    trait FnOnce {}
    trait Future {}
    trait Send {}
    trait Sync {}
    trait Sized {}
    trait Into {}
    fn drop() {}
    fn panic() {}
    fn module_path() {}
    fn file() {}
    fn line() {}
    macro_rules! module_path {
        () => {};
    }
    macro_rules! file {
        () => {};
    }
    macro_rules! line {
        () => {};
    }
    macro_rules! include_bytes {
        () => {};
    }
    macro_rules! format_args {
        () => {};
    }

    #[traced(level = "debug", name = "hostile.parse", err, ret, metrics, fields(input, len = input.len()))]
    pub(crate) fn parse(
        input: &'static ::core::primitive::str,
    ) -> ::core::result::Result<u32, &'static ::core::primitive::str> {
        match input {
            "" => ::core::result::Result::Err("empty"),
            _ => ::core::result::Result::Ok(42),
        }
    }

    #[traced(level = "debug", name = "hostile.find", ret(Debug), redact(key))]
    pub(crate) fn find(key: u32) -> ::core::option::Option<u32> {
        ::core::option::Option::Some(key + 1)
    }

    #[traced(level = "debug", name = "hostile.wait", err(Debug), metrics)]
    pub(crate) async fn wait(n: u32) -> ::core::result::Result<u32, u32> {
        if n == 0 {
            ::core::result::Result::Err(n)
        } else {
            ::core::result::Result::Ok(n)
        }
    }

    #[traced(level = "debug", name = "hostile.later", ret, metrics)]
    pub(crate) fn later(n: u32) -> impl ::core::future::Future<Output = u32> {
        async move { n * 2 }
    }

    pub(crate) struct Engine;

    #[traced(level = "trace", metrics)]
    impl Engine {
        pub(crate) fn tick(&self) -> u32 {
            1
        }
    }
}

use obs_runtime::testing::{capture, capture_future};
use std::future::Future;
use std::task::{Context, Poll, Waker};

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fn main() {
    let (results, spans) = capture(|| (hostile::parse("x"), hostile::parse("")));
    assert_eq!(results, (Ok(42), Err("empty")));
    let parses = spans.all("hostile.parse");
    assert_eq!(parses[0].field("ret"), Some("42"));
    assert_eq!(parses[0].field("len"), Some("1"));
    assert!(parses[1].is_error());

    let (found, spans) = capture(|| hostile::find(1));
    assert_eq!(found, Some(2));
    assert_eq!(spans.span("hostile.find").field("ret"), Some("Some(2)"));
    assert_eq!(spans.span("hostile.find").field("key"), Some("[redacted]"));

    let (waited, spans) = block_on(capture_future(async {
        (
            hostile::wait(0).await,
            hostile::later(2).await,
            hostile::Engine.tick(),
        )
    }));
    assert_eq!(waited, (Err(0), 4, 1));
    assert!(spans.span("hostile.wait").is_error());
    assert_eq!(spans.span("hostile.later").field("ret"), Some("4"));
    assert!(spans.find("engine.tick").is_some());
}
