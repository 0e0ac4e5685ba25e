use obs_runtime::traced;

#[traced(level = "info", name = "cache.clear", ret)]
fn clear(cache: &mut Vec<u8>) -> () {
    cache.clear()
}

fn main() {}
