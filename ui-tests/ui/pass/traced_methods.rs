//! `#[traced]` on methods (`&self`, `&mut self`, `self`), trait impl methods,
//! and on whole `impl` blocks, which name each span `type.method`.
#![deny(warnings)]

use obs_runtime::testing::capture;
use obs_runtime::traced;

#[derive(Debug, Clone, PartialEq)]
struct Queue {
    items: Vec<u32>,
}

impl Queue {
    #[traced(level = "debug", name = "queue.len", fields(len = self.items.len()), ret)]
    fn len(&self) -> usize {
        self.items.len()
    }

    #[traced(level = "debug", name = "queue.push", fields(item))]
    fn push(&mut self, item: u32) -> &mut Self {
        self.items.push(item);
        self
    }

    #[traced(level = "debug", name = "queue.into_sorted", fields(queue = ?self), metrics)]
    fn into_sorted(mut self) -> Vec<u32> {
        self.items.sort_unstable();
        self.items
    }

    // A borrow of `self` returned through `ret` and `metrics`.
    #[traced(level = "debug", name = "queue.first_mut", ret, metrics)]
    fn first_mut(&mut self) -> Option<&mut u32> {
        self.items.first_mut()
    }

    // `Self` in the signature and in the body.
    #[traced(level = "debug", name = "queue.with_capacity", ret(Debug))]
    fn with_capacity(capacity: usize) -> Self {
        Self {
            items: Vec::with_capacity(capacity),
        }
    }

    // A `Result` of `Self` with `?`, through `err` and `metrics`.
    #[traced(level = "debug", name = "queue.parse", err, metrics)]
    fn parse(text: &str) -> Result<Self, std::num::ParseIntError> {
        let mut queue = Self::with_capacity(2);
        for item in text.split(',') {
            queue.push(item.parse()?);
        }
        Ok(queue)
    }
}

trait Stage {
    fn run(&mut self, input: u32) -> u32;
    fn label(&self) -> String {
        "stage".to_owned()
    }

    // A provided method of the trait itself.
    #[traced(level = "trace", name = "stage.describe", ret)]
    fn describe(&self) -> String {
        format!("{} stage", self.label())
    }
}

struct Doubler {
    runs: u32,
}

impl Stage for Doubler {
    #[traced(level = "debug", name = "stage.double", fields(input, runs = self.runs))]
    fn run(&mut self, input: u32) -> u32 {
        self.runs += 1;
        input * 2
    }

    #[traced(level = "trace", name = "stage.label", ret)]
    fn label(&self) -> String {
        format!("double x{}", self.runs)
    }
}

struct HttpRouter {
    routes: Vec<String>,
}

// The block's options apply to every method; a method's own `#[traced]`
// keeps its options and the derived name unless it sets `name`.
#[traced(level = "debug")]
impl HttpRouter {
    fn new() -> Self {
        HttpRouter { routes: Vec::new() }
    }

    fn route(&self, path: &str) -> bool {
        self.routes.iter().any(|r| r == path)
    }

    #[traced(level = "trace", fields(path))]
    fn add(&mut self, path: &str) {
        self.routes.push(path.to_owned());
    }

    #[traced(level = "info", name = "router.reset", ret)]
    fn reset(&mut self) -> usize {
        let cleared = self.routes.len();
        self.routes.clear();
        cleared
    }

    const LIMIT: usize = 8;
}

#[traced(level = "trace")]
impl Stage for HttpRouter {
    fn run(&mut self, input: u32) -> u32 {
        input + u32::try_from(self.routes.len().min(Self::LIMIT)).unwrap_or(0)
    }
}

// An impl block of a generic type, with a where-clause.
struct Pair<T> {
    left: T,
    right: T,
}

#[traced(level = "trace", ret)]
impl<T> Pair<T>
where
    T: PartialOrd + Copy + std::fmt::Debug,
{
    fn max(&self) -> T {
        if self.left > self.right {
            self.left
        } else {
            self.right
        }
    }
}

fn main() {
    let mut queue = Queue::with_capacity(4);
    let (_, spans) = capture(|| {
        queue.push(3).push(1);
        queue.len()
    });
    assert_eq!(spans.names(), ["queue.push", "queue.push", "queue.len"]);
    assert_eq!(spans.all("queue.push")[1].field("item"), Some("1"));
    assert_eq!(spans.span("queue.len").field("len"), Some("2"));
    assert_eq!(spans.span("queue.len").field("ret"), Some("2"));

    let (first, spans) = capture(|| {
        queue.first_mut().map(|first| {
            *first += 10;
            *first
        })
    });
    assert_eq!(first, Some(13));
    assert_eq!(spans.span("queue.first_mut").field("ret"), Some("Some(3)"));
    queue.items[0] = 3;

    let (sorted, spans) = capture(|| queue.clone().into_sorted());
    assert_eq!(sorted, [1, 3]);
    assert_eq!(
        spans.span("queue.into_sorted").field("queue"),
        Some("Queue { items: [3, 1] }")
    );

    let (parsed, spans) = capture(|| (Queue::parse("4,5"), Queue::parse("4,x")));
    assert_eq!(parsed.0.map(|q| q.items), Ok(vec![4, 5]));
    assert!(parsed.1.is_err());
    let parses = spans.all("queue.parse");
    assert!(!parses[0].is_error());
    assert!(parses[1].is_error());
    assert_eq!(
        spans.children(parses[0]).len(),
        3,
        "with_capacity and two pushes"
    );

    let mut doubler = Doubler { runs: 0 };
    let (out, spans) = capture(|| {
        let stage: &mut dyn Stage = &mut doubler;
        (stage.run(4), stage.run(5), stage.label())
    });
    assert_eq!(out, (8, 10, "double x2".to_owned()));
    let runs = spans.all("stage.double");
    assert_eq!(runs[1].field("input"), Some("5"));
    assert_eq!(runs[1].field("runs"), Some("1"));
    assert_eq!(
        spans.span("stage.label").field("ret"),
        Some(r#""double x2""#)
    );

    let (routed, spans) = capture(|| {
        let mut router = HttpRouter::new();
        router.add("/a");
        let found = router.route("/a");
        let stage = router.run(1);
        (found, stage, router.reset())
    });
    assert_eq!(routed, (true, 2, 1));
    assert_eq!(
        spans.names(),
        [
            "http_router.new",
            "http_router.add",
            "http_router.route",
            "http_router.run",
            "router.reset"
        ]
    );
    assert_eq!(spans.span("http_router.new").level, "DEBUG");
    assert_eq!(spans.span("http_router.add").level, "TRACE");
    assert_eq!(spans.span("http_router.add").field("path"), Some("/a"));
    assert_eq!(spans.span("http_router.run").level, "TRACE");
    assert_eq!(spans.span("router.reset").level, "INFO");
    assert_eq!(spans.span("router.reset").field("ret"), Some("1"));

    let (description, spans) = capture(|| doubler.describe());
    assert_eq!(description, "double x2 stage");
    let describe = spans.span("stage.describe");
    assert_eq!(describe.field("ret"), Some(r#""double x2 stage""#));
    assert_eq!(spans.span("stage.label").parent, Some(describe.index));

    let (max, spans) = capture(|| {
        Pair {
            left: 2.5,
            right: 1.0,
        }
        .max()
    });
    assert_eq!(max, 2.5);
    assert_eq!(spans.span("pair.max").field("ret"), Some("2.5"));
}
