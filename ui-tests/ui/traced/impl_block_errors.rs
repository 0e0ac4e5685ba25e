use obs_runtime::traced;

struct Router;

// The block's options are checked once for all its methods, and a derived
// name is checked at the method it comes from.
#[traced(level = "verbose")]
impl Router {
    fn route(&self) {}

    fn reset(&mut self) {}
}

struct Dispatcher;

#[traced(level = "debug")]
impl Dispatcher {
    #[allow(non_snake_case)]
    fn Tick(&self) {}
}

fn main() {}
