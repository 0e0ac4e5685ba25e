use obs_runtime::traced;

struct Router;

#[traced(level = "debug", name = "router.call")]
impl Router {
    fn route(&self) {}

    fn reset(&mut self) {}
}

fn main() {}
