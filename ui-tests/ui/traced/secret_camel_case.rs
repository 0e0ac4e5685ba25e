use obs_runtime::traced;

// camelCase names are split at their capitals: `accessToken` is `access`, `token`.
#[allow(non_snake_case)]
#[traced(level = "info", name = "oauth.exchange", fields(accessToken, id = %clientSecret))]
fn exchange(accessToken: &str, clientSecret: &str) -> usize {
    accessToken.len() + clientSecret.len()
}

fn main() {}
