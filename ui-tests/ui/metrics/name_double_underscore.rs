use obs_runtime::{Counter, Gauge, Metrics};

#[derive(Metrics)]
struct ScrapeMetrics {
    /// Scrapes served.
    #[metric(name = "__scrapes_total")]
    scrapes_total: Counter,
    /// A field name with the reserved prefix is checked too.
    __up: Gauge,
}

fn main() {}
