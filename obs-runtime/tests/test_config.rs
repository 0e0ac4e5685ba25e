//! Configuration from the environment: every variable, its default, and
//! every way it can be invalid. Parsed from lists of pairs, so no test
//! touches the process environment.

use obs_runtime::{
    Compression, Config, ConfigError, ConfigWarning, ExportSettings, LogFormat, OtlpTarget,
    Protocol, Sampler, TlsFiles,
};
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

/// The warning for one unknown value of an enum variable: the value is
/// ignored (the configuration is the default one) and the warning names the
/// variable and the value, as the OpenTelemetry specification asks.
fn ignored(var: &str, value: &str) -> ConfigWarning {
    let config = Config::from_vars([(var, value)])
        .unwrap_or_else(|err| panic!("{var}={value:?} should be ignored, not refused: {err}"));
    assert_eq!(
        config.warnings.len(),
        1,
        "{var}={value:?}: {:?}",
        config.warnings
    );
    let warning = config.warnings[0].clone();
    assert_eq!(warning.variable, var);
    assert_eq!(warning.value, value);
    assert!(
        warning
            .to_string()
            .starts_with(&format!("ignoring {var}={value:?}: expected ")),
        "{warning}"
    );
    let defaults = Config::new();
    assert_eq!(config.metrics, defaults.metrics);
    assert_eq!(config.tracing, defaults.tracing);
    assert_eq!(config.log_format, defaults.log_format);
    assert_eq!(config.sampler, defaults.sampler);
    assert_eq!(config.otlp_protocol, defaults.otlp_protocol);
    assert_eq!(config.otlp_traces, defaults.otlp_traces);
    assert_eq!(config.otlp_metrics, defaults.otlp_metrics);
    assert_eq!(config.otlp_compression, defaults.otlp_compression);
    assert_eq!(config.export, defaults.export);
    assert_eq!(config.otlp_logs, defaults.otlp_logs);
    warning
}

fn target(endpoint: &str, protocol: Protocol) -> Option<OtlpTarget> {
    Some(OtlpTarget::new(endpoint, protocol))
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
    for unknown in ["maybe", "enabled", "2"] {
        let warning = ignored("OBS_METRICS", unknown);
        assert!(
            warning.to_string().contains("expected `on` or `off`"),
            "{warning}"
        );
        ignored("OBS_TRACING", unknown);
    }
}

#[test]
fn catalog_switch_and_output_path() {
    let config = parse(&[]);
    assert!(config.catalog);
    assert_eq!(config.catalog_out, None);
    let config = parse(&[
        ("OBS_CATALOG", "off"),
        ("OBS_CATALOG_OUT", "target/catalog.json"),
    ]);
    assert!(!config.catalog);
    assert_eq!(
        config.catalog_out.as_deref(),
        Some(std::path::Path::new("target/catalog.json"))
    );
    let config = Config::from_vars([("OBS_CATALOG", "sometimes")]).unwrap();
    assert!(config.catalog, "an unknown switch value leaves the default");
    assert_eq!(config.warnings[0].variable, "OBS_CATALOG");
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
    // Enum values are case-insensitive; unknown ones are ignored.
    assert_eq!(
        parse(&[("OBS_LOG_FORMAT", "JSON")]).log_format,
        LogFormat::Json
    );
    ignored("OBS_LOG_FORMAT", "yaml");

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
        // Names are case-insensitive.
        ("ALWAYS_ON", None, Sampler::AlwaysOn),
        (
            "ParentBased_TraceIdRatio",
            Some("0.5"),
            Sampler::ParentBasedTraceIdRatio(0.5),
        ),
    ];
    for (name, arg, expected) in cases {
        let mut vars = vec![("OTEL_TRACES_SAMPLER", name)];
        vars.extend(arg.map(|arg| ("OTEL_TRACES_SAMPLER_ARG", arg)));
        assert_eq!(parse(&vars).sampler, expected, "{name} {arg:?}");
    }
    for unknown in ["sometimes", "jaeger_remote", "AlwaysOn"] {
        let warning = ignored("OTEL_TRACES_SAMPLER", unknown);
        assert!(
            warning.to_string().contains("parentbased_traceidratio"),
            "{warning}"
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
        // With TLS (the `otlp` feature), `https` endpoints are taken;
        // without it, refused with the reason.
        #[cfg(feature = "otlp")]
        {
            let config = parse(&[(var, "https://collector:4318")]);
            assert!(format!("{config:?}").contains("https://collector:4318"));
        }
        #[cfg(not(feature = "otlp"))]
        {
            let err = invalid(var, "https://collector:4318");
            assert!(err.to_string().contains("TLS"), "{err}");
        }
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
        let warning = ignored(var, "http");
        assert!(
            warning
                .to_string()
                .contains("expected `grpc` or `http/protobuf`"),
            "{warning}"
        );
        // `http/json` is known but not sent by obs: a clear error.
        let err = invalid(var, "http/json");
        assert!(err.to_string().contains("not supported"), "{err}");
        let err = invalid(var, "HTTP/JSON");
        assert!(err.to_string().contains("not supported"), "{err}");
        // Case-insensitive.
        let config = parse(&[(var, "GRPC")]);
        assert!(format!("{config:?}").contains("Grpc"), "{var}");
    }
    for var in ["OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER"] {
        ignored(var, "jaeger");
        let console = parse(&[
            (var, "Console"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        ]);
        let signal = if var == "OTEL_TRACES_EXPORTER" {
            &console.otlp_traces
        } else {
            &console.otlp_metrics
        };
        assert!(signal.console && !signal.enabled, "{var}");
        let config = parse(&[(var, "NONE")]);
        assert!(
            !config.otlp_traces.enabled || !config.otlp_metrics.enabled,
            "{var}"
        );
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
fn a_malformed_value_is_an_error_and_an_unknown_one_a_warning() {
    let err = Config::from_vars([
        ("OBS_METRICS_ADDR", "localhost"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid OBS_METRICS_ADDR=\"localhost\": expected an IP address and port, like 127.0.0.1:9464"
    );
    let config = Config::from_vars([
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
    ])
    .unwrap();
    let warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "ignoring OTEL_TRACES_SAMPLER=\"sometimes\": expected one of `always_on`, `always_off`, \
             `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, \
             `parentbased_traceidratio`; the default applies",
            "ignoring OTEL_EXPORTER_OTLP_PROTOCOL=\"carrier-pigeon\": expected `grpc` or \
             `http/protobuf`; the default applies",
        ]
    );
    // The service still exports, with the default protocol.
    assert_eq!(
        config.traces_target().unwrap(),
        target("http://127.0.0.1:4318/v1/traces", Protocol::HttpProtobuf)
    );
}

#[test]
fn headers_for_every_signal_and_per_signal_percent_decoded() {
    let config = parse(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "Authorization=Bearer%20abc%3D%3D, x-tenant = acme ,x-empty=",
        ),
        (
            "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
            "x-tenant=metrics-team,x-extra=1",
        ),
    ]);
    let traces = config.traces_target().unwrap().unwrap();
    assert_eq!(
        traces.headers,
        [
            ("authorization".to_owned(), "Bearer abc==".to_owned()),
            ("x-tenant".to_owned(), "acme".to_owned()),
            ("x-empty".to_owned(), String::new()),
        ]
    );
    // A signal's headers are added to the general ones and win on a name
    // both give.
    let metrics = config.metrics_target().unwrap().unwrap();
    assert_eq!(
        metrics.headers,
        [
            ("authorization".to_owned(), "Bearer abc==".to_owned()),
            ("x-empty".to_owned(), String::new()),
            ("x-tenant".to_owned(), "metrics-team".to_owned()),
            ("x-extra".to_owned(), "1".to_owned()),
        ]
    );
    for var in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    ] {
        for bad in [
            "no-equals-sign",
            "=value",
            "bad name=1",
            "x=%zz",
            "x=%4",
            "x=%ff",
            "x=line%0Abreak",
            "x=nul%00",
        ] {
            let err = invalid(var, bad);
            assert!(err.to_string().contains("headers"), "{err}");
        }
    }
}

#[test]
fn compression_and_tls_files_for_every_signal_and_per_signal() {
    let config = parse(&[
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://collector.example:4317",
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "GZIP"),
        ("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "none"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            "/etc/traces-ca.pem",
        ),
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/etc/client.pem"),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/etc/client.key"),
    ]);
    let traces = config.traces_target().unwrap().unwrap();
    assert_eq!(traces.compression, Compression::Gzip);
    assert_eq!(
        traces.tls,
        TlsFiles::new()
            .ca_certificate("/etc/traces-ca.pem")
            .client_certificate("/etc/client.pem", "/etc/client.key")
    );
    let metrics = config.metrics_target().unwrap().unwrap();
    // A signal's own `none` wins over the general `gzip`.
    assert_eq!(metrics.compression, Compression::None);
    assert_eq!(
        metrics.tls.ca_certificate.as_deref(),
        Some("/etc/ca.pem".as_ref())
    );
    ignored("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli");
    ignored("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "zstd");
}

#[test]
fn metrics_temporality_preference() {
    use obs_runtime::Temporality;
    let var = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
    for (value, expected) in [
        ("cumulative", Temporality::Cumulative),
        ("DELTA", Temporality::Delta),
        ("LowMemory", Temporality::LowMemory),
    ] {
        assert_eq!(parse(&[(var, value)]).export.metrics_temporality, expected);
    }
    assert_eq!(
        Config::new().export.metrics_temporality,
        Temporality::Cumulative
    );
    ignored(var, "sometimes");
}

#[test]
fn sdk_disabled_turns_every_otlp_export_off() {
    let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
    for value in ["true", "TRUE", "True"] {
        let config = parse(&[endpoint, ("OTEL_SDK_DISABLED", value)]);
        assert_eq!(config.traces_target().unwrap(), None, "{value}");
        assert_eq!(config.metrics_target().unwrap(), None, "{value}");
        // obs's own endpoint and logs are not OpenTelemetry's to turn off.
        assert!(config.metrics && config.logs);
    }
    let config = parse(&[endpoint, ("OTEL_SDK_DISABLED", "false")]);
    assert!(config.traces_target().unwrap().is_some());
    // Anything else is ignored with a warning, and the SDK stays on.
    let config = Config::from_vars([endpoint, ("OTEL_SDK_DISABLED", "yes")]).unwrap();
    assert_eq!(config.warnings.len(), 1);
    assert!(config.traces_target().unwrap().is_some());
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
#[cfg(feature = "otlp-plaintext")]
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

/// `OBS_CREATED_SERIES`: off by default, `on` makes the registry `init`
/// serves write `_created` samples in OpenMetrics, and a value that is
/// neither leaves the default with a warning naming the variable.
#[test]
fn created_series_switch() {
    assert!(!parse(&[]).created_series);
    assert!(parse(&[("OBS_CREATED_SERIES", "on")]).created_series);
    let config = Config::from_vars([("OBS_CREATED_SERIES", "sometimes")]).unwrap();
    assert!(
        !config.created_series,
        "an unknown switch value leaves the default"
    );
    assert_eq!(config.warnings[0].variable, "OBS_CREATED_SERIES");

    for (value, expected) in [("on", true), ("off", false)] {
        let registry = std::sync::Arc::new(obs_runtime::Registry::new());
        registry
            .register_metric::<obs_runtime::Counter>(obs_runtime::MetricDef::new(
                "jobs_total",
                "Jobs run.",
            ))
            .unwrap();
        let guard = Config::from_vars([
            ("OBS_CREATED_SERIES", value),
            ("OBS_METRICS", "off"),
            ("OBS_TRACING", "off"),
            ("OBS_PROCESS_METRICS", "off"),
        ])
        .unwrap()
        .registry(registry.clone())
        .logs(false)
        .build()
        .unwrap();
        let scrape = registry.encode(obs_runtime::Format::OPENMETRICS);
        assert_eq!(
            scrape.contains("jobs_created "),
            expected,
            "{value}: {scrape}"
        );
        drop(guard);
    }
}
