use obs_runtime::traced;

#[traced(level = "info")]
struct Parser {
    depth: usize,
}

fn main() {
    // The struct is kept, so code using it compiles: only the misuse is reported.
    let parser = Parser { depth: 0 };
    assert_eq!(parser.depth, 0);
}
