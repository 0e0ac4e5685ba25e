use obs_runtime::LabelValue;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Backend {
    Llvm,
    #[label(rename = "llvm")]
    LlvmJit,
}

// `HttpServer` and `HTTPServer` both become `http_server`.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[allow(clippy::upper_case_acronyms)]
enum Kind {
    HttpServer,
    HTTPServer,
}

fn main() {}
