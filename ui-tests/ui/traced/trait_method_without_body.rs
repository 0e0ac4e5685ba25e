use obs_runtime::traced;

trait Stage {
    #[traced(level = "debug", name = "stage.run")]
    fn run(&self, input: u32) -> u32;
}

fn main() {}
