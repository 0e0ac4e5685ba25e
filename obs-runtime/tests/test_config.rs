//! Configuration from the environment: every variable, its default, and
//! every way it can be invalid. Parsed from lists of pairs, so no test
//! touches the process environment.

use obs_runtime::{Config, ConfigError, ExportSettings, LogFormat, OtlpTarget, Protocol, Sampler};
use std::net::SocketAddr;
use std::time::Duration;

fn parse(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(vars.iter().copied())
        .unwrap_or_else(|err| panic!("{vars:?} should parse: {err}"))
}

/// The error for one invalid variable: it names the variable and the value.
fn invalid(var: &str, value: &str) -> ConfigError {
    let err = match Config::from_vars([(var, value)]) {
        Ok(config) => panic!("{var}={value:?} should be rejected, got {config:?}"),
        Err(err) => err,
    };
    assert_eq!(err.variable(), Some(var), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("invalid {var}={value:?}: expected ")),
        "{message}"
    );
    err
}

fn target(endpoint: &str, protocol: Protocol) -> Option<OtlpTarget> {
    Some(OtlpTarget {
        endpoint: endpoint.to_owned(),
        protocol,
    })
}

#[test]
fn defaults_when_nothing_is_set() {
    let config = parse(&[]);
    assert_eq!(config.service_name, None);
    assert!(config.resource_attributes.is_empty());
    assert!(config.metrics);
    assert!(config.tracing);
    assert!(config.logs);
    assert_eq!(config.metrics_addr, "127.0.0.1:9464".parse().unwrap());
    assert_eq!(config.log_format, LogFormat::Pretty);
    assert_eq!(config.log_filter, "info");
    assert_eq!(config.sampler, Sampler::ParentBasedAlwaysOn);
    assert_eq!(config.traces_target().unwrap(), None);
    assert_eq!(config.metrics_target().unwrap(), None);
    assert_eq!(config.export.timeout, Duration::from_secs(10));
    assert_eq!(config.export.metrics_interval, Duration::from_secs(60));
    assert_eq!(config.export.span_queue_size, 2048);
    assert_eq!(config.export.span_batch_size, 512);
    assert_eq!(config.export.span_schedule_delay, Duration::from_secs(5));
    assert!(config
        .effective_service_name()
        .starts_with("unknown_service:"));
    config.validate().unwrap();
}

#[test]
fn empty_values_count_as_unset() {
    let vars: Vec<(&str, &str)> = Config::VARIABLES.iter().map(|&name| (name, "  ")).collect();
    let config = parse(&vars);
    assert!(config.metrics && config.tracing);
    assert_eq!(config.metrics_addr, "127.0.0.1:9464".parse().unwrap());
    assert_eq!(config.traces_target().unwrap(), None);
}

#[test]
fn other_variables_are_ignored() {
    let config = parse(&[("PATH", "/bin"), ("OBS_UNKNOWN", "x")]);
    assert!(config.metrics);
}

#[test]
fn service_name_and_resource_attributes() {
    let config = parse(&[(
        "OTEL_RESOURCE_ATTRIBUTES",
        "service.name=from-attrs, deployment.environment=prod,team=a%2Cb%20c,k=v=w",
    )]);
    assert_eq!(config.effective_service_name(), "from-attrs");
    assert_eq!(
        config.resource_attributes,
        [
            ("service.name".to_owned(), "from-attrs".to_owned()),
            ("deployment.environment".to_owned(), "prod".to_owned()),
            ("team".to_owned(), "a,b c".to_owned()),
            ("k".to_owned(), "v=w".to_owned()),
        ]
    );

    // OTEL_SERVICE_NAME wins over the attribute.
    let config = parse(&[
        ("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"),
        ("OTEL_SERVICE_NAME", "checkout"),
    ]);
    assert_eq!(config.service_name.as_deref(), Some("checkout"));
    assert_eq!(config.effective_service_name(), "checkout");

    // A key set twice keeps the last value.
    let config = parse(&[("OTEL_RESOURCE_ATTRIBUTES", "a=1,a=2")]);
    assert_eq!(
        config.resource_attributes,
        [("a".to_owned(), "2".to_owned())]
    );

    for bad in ["novalue", "=v", "a=%zz", "a=%2", "a=%ff%fe"] {
        invalid("OTEL_RESOURCE_ATTRIBUTES", bad);
    }
}

#[test]
fn switches() {
    for (value, on) in [
        ("on", true),
        ("off", false),
        ("ON", true),
        ("Off", false),
        ("true", true),
        ("false", false),
        ("1", true),
        ("0", false),
        ("yes", true),
        ("no", false),
    ] {
        assert_eq!(parse(&[("OBS_METRICS", value)]).metrics, on, "{value}");
        assert_eq!(parse(&[("OBS_TRACING", value)]).tracing, on, "{value}");
    }
    for bad in ["maybe", "enabled", "2"] {
        let err = invalid("OBS_METRICS", bad);
        assert!(err.to_string().ends_with("expected `on` or `off`"), "{err}");
        invalid("OBS_TRACING", bad);
    }
}

#[test]
fn metrics_addr() {
    let config = parse(&[("OBS_METRICS_ADDR", "0.0.0.0:9000")]);
    assert_eq!(
        config.metrics_addr,
        "0.0.0.0:9000".parse::<SocketAddr>().unwrap()
    );
    let config = parse(&[("OBS_METRICS_ADDR", "[::1]:9464")]);
    assert_eq!(
        config.metrics_addr,
        "[::1]:9464".parse::<SocketAddr>().unwrap()
    );
    for bad in [
        "localhost",
        "localhost:9464",
        "127.0.0.1",
        "127.0.0.1:99999",
        ":9464",
    ] {
        let err = invalid("OBS_METRICS_ADDR", bad);
        assert!(err.to_string().contains("like 127.0.0.1:9464"), "{err}");
    }
}

#[test]
fn log_format_and_filter() {
    assert_eq!(
        parse(&[("OBS_LOG_FORMAT", "json")]).log_format,
        LogFormat::Json
    );
    assert_eq!(
        parse(&[("OBS_LOG_FORMAT", "pretty")]).log_format,
        LogFormat::Pretty
    );
    invalid("OBS_LOG_FORMAT", "yaml");
    invalid("OBS_LOG_FORMAT", "JSON");

    let config = parse(&[("RUST_LOG", "my_crate=debug,warn")]);
    assert_eq!(config.log_filter, "my_crate=debug,warn");
    // `, ß[` once panicked inside tracing-subscriber's directive parser.
    for bad in ["my_crate=loud", "[{", ", ß[", "crate=ünïcode"] {
        let err = invalid("RUST_LOG", bad);
        assert!(err.to_string().contains("filter directives"), "{err}");
    }
}

#[test]
fn samplers() {
    let cases = [
        ("always_on", None, Sampler::AlwaysOn),
        ("always_off", None, Sampler::AlwaysOff),
        ("traceidratio", Some("0.25"), Sampler::TraceIdRatio(0.25)),
        ("traceidratio", None, Sampler::TraceIdRatio(1.0)),
        ("parentbased_always_on", None, Sampler::ParentBasedAlwaysOn),
        (
            "parentbased_always_off",
            None,
            Sampler::ParentBasedAlwaysOff,
        ),
        (
            "parentbased_traceidratio",
            Some("0"),
            Sampler::ParentBasedTraceIdRatio(0.0),
        ),
        // The argument of a sampler without a ratio is ignored.
        ("always_on", Some("0.5"), Sampler::AlwaysOn),
    ];
    for (name, arg, expected) in cases {
        let mut vars = vec![("OTEL_TRACES_SAMPLER", name)];
        vars.extend(arg.map(|arg| ("OTEL_TRACES_SAMPLER_ARG", arg)));
        assert_eq!(parse(&vars).sampler, expected, "{name} {arg:?}");
    }
    for bad in ["sometimes", "jaeger_remote", "AlwaysOn"] {
        let err = invalid("OTEL_TRACES_SAMPLER", bad);
        assert!(
            err.to_string().contains("parentbased_traceidratio"),
            "{err}"
        );
    }
    for bad in ["1.5", "-0.1", "half", "NaN"] {
        let err = Config::from_vars([
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", bad),
        ])
        .unwrap_err();
        assert_eq!(err.variable(), Some("OTEL_TRACES_SAMPLER_ARG"), "{err}");
        assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
    }
}

#[test]
fn endpoint_and_protocol_resolution() {
    // The base endpoint gets the signal's path for HTTP/protobuf, the default.
    let config = parse(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]);
    assert_eq!(
        config.traces_target().unwrap(),
        target("http://collector:4318/v1/traces", Protocol::HttpProtobuf)
    );
    assert_eq!(
        config.metrics_target().unwrap(),
        target("http://collector:4318/v1/metrics", Protocol::HttpProtobuf)
    );

    // gRPC uses it as is.
    let config = parse(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ]);
    assert_eq!(
        config.traces_target().unwrap(),
        target("http://collector:4317", Protocol::Grpc)
    );

    // Per-signal endpoints are used as is and win; per-signal protocols win.
    let config = parse(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://traces:4318/custom",
        ),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"),
    ]);
    assert_eq!(
        config.traces_target().unwrap(),
        target("http://traces:4318/custom", Protocol::HttpProtobuf)
    );
    assert_eq!(
        config.metrics_target().unwrap(),
        target("http://base:4317", Protocol::Grpc)
    );
    let config = parse(&[(
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "http://[::1]:4318/v1/metrics",
    )]);
    assert_eq!(config.traces_target().unwrap(), None);
    assert_eq!(
        config.metrics_target().unwrap(),
        target("http://[::1]:4318/v1/metrics", Protocol::HttpProtobuf)
    );

    // `none` turns a signal's export off.
    let config = parse(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
    ]);
    assert_eq!(config.traces_target().unwrap(), None);
    assert!(config.metrics_target().unwrap().is_some());
    let config = parse(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
        ("OTEL_METRICS_EXPORTER", "none"),
    ]);
    assert!(config.traces_target().unwrap().is_some());
    assert_eq!(config.metrics_target().unwrap(), None);
}

#[test]
fn invalid_endpoints_and_protocols() {
    for var in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ] {
        for bad in [
            "collector:4317",
            "ftp://collector",
            "http://",
            "http://host:port",
            "http://a b:4318",
            "http://::1:4317",
        ] {
            invalid(var, bad);
        }
        let err = invalid(var, "https://collector:4318");
        assert!(err.to_string().contains("TLS"), "{err}");
        // User info is rejected too, and masked in the error.
        let err = Config::from_vars([(var, "http://user@host:4318")]).unwrap_err();
        assert_eq!(err.variable(), Some(var));
        assert!(
            err.to_string().contains("\"http://***@host:4318\""),
            "{err}"
        );
    }
    for var in [
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    ] {
        let err = invalid(var, "http");
        assert!(
            err.to_string()
                .ends_with("expected `grpc` or `http/protobuf`"),
            "{err}"
        );
        let err = invalid(var, "http/json");
        assert!(err.to_string().contains("not supported"), "{err}");
        invalid(var, "GRPC");
    }
    for var in ["OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER"] {
        invalid(var, "jaeger");
        invalid(var, "console");
    }
}

#[test]
fn timeouts_intervals_and_queues() {
    let config = parse(&[
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "15000"),
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16"),
    ]);
    assert_eq!(config.export.timeout, Duration::from_millis(2500));
    assert_eq!(config.export.metrics_interval, Duration::from_secs(15));
    assert_eq!(
        config.export.span_schedule_delay,
        Duration::from_millis(200)
    );
    assert_eq!(config.export.span_queue_size, 64);
    assert_eq!(config.export.span_batch_size, 16);

    for (value, expected) in [
        ("500ms", Duration::from_millis(500)),
        ("10s", Duration::from_secs(10)),
        ("2m", Duration::from_secs(120)),
    ] {
        let config = parse(&[
            ("OTEL_METRIC_EXPORT_INTERVAL", "15000"),
            ("OBS_METRICS_EXPORT_INTERVAL", value),
        ]);
        assert_eq!(config.export.metrics_interval, expected, "{value}");
    }

    for bad in ["10s", "-1", "1.5", "soon"] {
        invalid("OTEL_EXPORTER_OTLP_TIMEOUT", bad);
        invalid("OTEL_METRIC_EXPORT_INTERVAL", bad);
        invalid("OTEL_BSP_SCHEDULE_DELAY", bad);
    }
    for bad in ["0", "-5", "lots", "1e3"] {
        invalid("OTEL_BSP_MAX_QUEUE_SIZE", bad);
        invalid("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", bad);
    }
    for bad in ["10", "0s", "5h", "s", "1.5s", "ms10"] {
        invalid("OBS_METRICS_EXPORT_INTERVAL", bad);
    }
}

#[test]
fn the_first_invalid_variable_is_reported_not_a_default() {
    let err = Config::from_vars([
        ("OBS_METRICS_ADDR", "127.0.0.1:9464"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid OTEL_EXPORTER_OTLP_PROTOCOL=\"carrier-pigeon\": expected `grpc` or `http/protobuf`"
    );
}

#[test]
fn settings_made_in_code_are_checked_too() {
    let config = Config::new()
        .service_name("svc")
        .resource_attribute("team", "a")
        .resource_attribute("team", "b")
        .metrics(false)
        .tracing(false)
        .log_format(LogFormat::Json)
        .otlp_endpoint("http://127.0.0.1:4317")
        .otlp_protocol(Protocol::Grpc)
        .otlp_traces(false);
    assert_eq!(
        config.resource_attributes,
        [("team".to_owned(), "b".to_owned())]
    );
    assert_eq!(config.effective_service_name(), "svc");
    assert_eq!(config.traces_target().unwrap(), None);
    assert_eq!(
        config.metrics_target().unwrap(),
        target("http://127.0.0.1:4317", Protocol::Grpc)
    );
    config.validate().unwrap();

    let err = Config::new()
        .otlp_endpoint("localhost:4317")
        .validate()
        .unwrap_err();
    assert_eq!(err.variable(), Some("otlp_endpoint"));
    let err = Config::new()
        .otlp_traces_endpoint("nope")
        .validate()
        .unwrap_err();
    assert_eq!(err.variable(), Some("otlp_traces.endpoint"));
    let err = Config::new().log_filter("x=loud").validate().unwrap_err();
    assert_eq!(err.variable(), Some("log_filter"));
    let err = Config::new()
        .sampler(Sampler::TraceIdRatio(2.0))
        .validate()
        .unwrap_err();
    assert_eq!(err.variable(), Some("sampler"));
    let err = Config::new()
        .export(ExportSettings::default().metrics_interval(Duration::ZERO))
        .validate()
        .unwrap_err();
    assert_eq!(err.variable(), Some("metrics_interval"));
}

#[test]
fn every_variable_is_documented() {
    let doc = include_str!("../../docs/CONFIGURATION.md");
    for name in Config::VARIABLES {
        assert!(
            doc.contains(&format!("`{name}`")),
            "{name} is missing from docs/CONFIGURATION.md"
        );
    }
}

#[test]
fn zero_timeouts_and_huge_durations_are_rejected_naming_the_variable() {
    for bad in ["0", "86400001", "18446744073709551615"] {
        invalid("OTEL_EXPORTER_OTLP_TIMEOUT", bad);
        invalid("OTEL_METRIC_EXPORT_INTERVAL", bad);
    }
    invalid("OTEL_BSP_SCHEDULE_DELAY", "86400001");
    for bad in [
        "86401s",
        "1441m",
        "307445734561825861m",
        "18446744073709551615s",
    ] {
        invalid("OBS_METRICS_EXPORT_INTERVAL", bad);
    }
    // The limits themselves are accepted; a schedule delay of 0 exports at once.
    let config = parse(&[
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "86400000"),
        ("OBS_METRICS_EXPORT_INTERVAL", "1440m"),
        ("OTEL_BSP_SCHEDULE_DELAY", "0"),
    ]);
    assert_eq!(config.export.timeout, Duration::from_secs(86_400));
    assert_eq!(config.export.metrics_interval, Duration::from_secs(86_400));
    assert_eq!(config.export.span_schedule_delay, Duration::ZERO);

    let out_of_range = [
        (ExportSettings::default().timeout(Duration::ZERO), "timeout"),
        (
            ExportSettings::default().metrics_interval(Duration::MAX),
            "metrics_interval",
        ),
        (
            ExportSettings::default().span_schedule_delay(Duration::MAX),
            "span_schedule_delay",
        ),
        (
            ExportSettings::default().span_queue_size(0),
            "span_queue_size",
        ),
        (
            ExportSettings::default().span_batch_size(0),
            "span_batch_size",
        ),
    ];
    for (settings, field) in out_of_range {
        let err = Config::new().export(settings).validate().unwrap_err();
        assert_eq!(err.variable(), Some(field), "{err}");
    }
}

/// The exporter's builder checks its settings with the same rule as
/// `Config`, before starting anything.
#[cfg(feature = "otlp")]
#[test]
fn the_exporter_builder_rejects_durations_before_starting() {
    use obs_runtime::export::otlp::OtlpExporter;
    for (settings, field) in [
        (ExportSettings::default().timeout(Duration::ZERO), "timeout"),
        (
            ExportSettings::default().metrics_interval(Duration::MAX),
            "metrics_interval",
        ),
        (
            ExportSettings::default().span_schedule_delay(Duration::MAX),
            "span_schedule_delay",
        ),
        (
            ExportSettings::default().span_queue_size(0),
            "span_queue_size",
        ),
    ] {
        let builder = OtlpExporter::builder().settings(settings);
        let err = builder.start().unwrap_err();
        assert_eq!(err.variable(), Some(field), "{err}");
    }
}

#[test]
fn errors_never_show_credentials() {
    for (var, value) in [
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://alice:s3cret@collector:4317",
        ),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "https://alice:s3cret@collector/v1",
        ),
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "http://s3cret@[::1:4318",
        ),
    ] {
        let err = Config::from_vars([(var, value)]).unwrap_err();
        assert_eq!(err.variable(), Some(var), "{err}");
        let message = err.to_string();
        assert!(!message.contains("s3cret"), "{message}");
        assert!(!message.contains("alice"), "{message}");
        assert!(message.contains("***@"), "{message}");
    }
    let err = Config::new()
        .otlp_endpoint("http://bob:hunter2@collector:port")
        .validate()
        .unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    /// Values near the grammar of the variables: a known word or prefix
    /// followed by characters the parsers treat specially.
    fn value() -> impl Strategy<Value = String> {
        const WORDS: &[&str] = &[
            "",
            "0",
            "1",
            "86400000",
            "18446744073709551615",
            "on",
            "off",
            "otlp",
            "none",
            "grpc",
            "http/protobuf",
            "json",
            "always_on",
            "traceidratio",
            "http://",
            "https://",
            "http://u:p@",
            "http://[::1]",
            "k=v,",
            "é",
        ];
        const CHARS: &[char] = &[
            '0', '5', '9', 'm', 's', 'h', 'x', ':', '/', '@', '.', '[', ']', '=', ',', '%', ' ',
            '-', '\u{0}', 'ß',
        ];
        (
            proptest::sample::select(WORDS),
            proptest::collection::vec(proptest::sample::select(CHARS), 0..10),
        )
            .prop_map(|(word, chars)| word.chars().chain(chars).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100_000))]

        /// Any environment gives a valid config or an error naming one of
        /// the variables; never a panic.
        #[test]
        fn any_environment_parses_or_names_its_variable(
            vars in proptest::collection::vec(
                (0..Config::VARIABLES.len(), value()),
                0..3,
            )
        ) {
            let vars: Vec<(&str, String)> =
                vars.into_iter().map(|(i, v)| (Config::VARIABLES[i], v)).collect();
            match Config::from_vars(vars.clone()) {
                Ok(config) => {
                    if let Err(err) = config.validate() {
                        panic!("{vars:?} parsed but does not validate: {err}");
                    }
                }
                Err(err) => {
                    let variable = err.variable().map(str::to_owned);
                    prop_assert!(
                        variable.as_deref().is_some_and(|v| Config::VARIABLES.contains(&v)
                            || v.ends_with("endpoint")),
                        "{vars:?}: {err}"
                    );
                    prop_assert!(!err.to_string().is_empty());
                }
            }
        }
    }
}
