//! The gateway's HTTP front: it accepts connections under its HTTP layer,
//! admits each job (tenant, rate limit, idempotency key), publishes it to
//! the router and answers with what comes back.

use super::*;

/// The most tenants (rate-limit buckets) and idempotency keys the gateway
/// remembers; beyond them the oldest are forgotten, so memory stays bounded
/// whatever ids clients send.
const REMEMBERED: usize = 10_000;

/// A map that remembers at most [`REMEMBERED`] keys: a new key beyond
/// them makes it forget the oldest. What the rate limiter and the
/// idempotency cache keep per client-chosen id.
#[derive(Debug)]
struct Remembered<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K, V> Default for Remembered<K, V> {
    fn default() -> Self {
        Remembered {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<K: Clone + Eq + Hash, V> Remembered<K, V> {
    fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    /// Sets `key` to `value`; a new key may make the oldest forgotten.
    fn insert(&mut self, key: K, value: V) {
        if !self.map.contains_key(&key) {
            if self.order.len() == REMEMBERED {
                if let Some(oldest) = self.order.pop_front() {
                    self.map.remove(&oldest);
                }
            }
            self.order.push_back(key.clone());
        }
        self.map.insert(key, value);
    }

    /// The value of `key`, inserted with `new` when the key is new.
    fn get_mut_or_insert<Q>(&mut self, key: &Q, new: impl FnOnce() -> V) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if !self.map.contains_key(key) {
            self.insert(key.to_owned(), new());
        }
        self.map.get_mut(key)
    }
}

/// Per-tenant token buckets: tokens and when they were last counted.
#[derive(Debug)]
struct Limiter {
    limit: RateLimit,
    buckets: Remembered<String, (f64, Instant)>,
}

impl Limiter {
    /// Takes one token from `tenant`'s bucket; `false` when it is empty.
    fn admit(&mut self, tenant: &str) -> bool {
        let now = Instant::now();
        let burst = f64::from(self.limit.burst);
        let Some((tokens, updated)) = self.buckets.get_mut_or_insert(tenant, || (burst, now))
        else {
            return false;
        };
        let refill = now.duration_since(*updated).as_secs_f64() * self.limit.per_second;
        *tokens = (*tokens + refill).min(burst);
        *updated = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A finished answer, kept under its idempotency key.
#[derive(Clone, Debug)]
struct Kept {
    status: Status,
    body: String,
    job: u64,
}

/// Answers by (tenant, idempotency key), oldest forgotten first.
type Idempotency = Remembered<(String, String), Kept>;

/// The `idempotency-key` header, when it is 1 to 128 visible ASCII
/// characters.
fn idempotency_key(headers: &hyper::HeaderMap) -> Option<String> {
    let key = headers.get("idempotency-key")?.to_str().ok()?;
    ((1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| key.to_owned())
}

/// The flow a request names in `x-flow-id`, when it is an id like a
/// tenant's; `default` otherwise.
fn flow_id(headers: &hyper::HeaderMap) -> String {
    headers
        .get("x-flow-id")
        .and_then(|value| value.to_str().ok())
        .filter(|flow| is_tenant_id(flow))
        .unwrap_or("default")
        .to_owned()
}

/// What every connection shares.
pub(super) struct Front {
    metrics: Arc<GatewayMetrics>,
    /// The router's, for its queue's depth.
    router_metrics: Arc<RouterMetrics>,
    router: mpsc::Sender<Message>,
    next_job: AtomicU64,
    limiter: Mutex<Limiter>,
    idempotency: Mutex<Idempotency>,
}

impl Front {
    /// A front that publishes to `router`, each tenant under `rate_limit`.
    pub(super) fn new(
        metrics: Arc<GatewayMetrics>,
        router_metrics: Arc<RouterMetrics>,
        router: mpsc::Sender<Message>,
        rate_limit: RateLimit,
    ) -> Front {
        Front {
            metrics,
            router_metrics,
            router,
            next_job: AtomicU64::new(1),
            limiter: Mutex::new(Limiter {
                limit: rate_limit,
                buckets: Remembered::default(),
            }),
            idempotency: Mutex::default(),
        }
    }
}

pub(super) async fn accept(
    listener: tokio::net::TcpListener,
    layer: HttpLayer,
    front: Arc<Front>,
    dispatch: tracing::Dispatch,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let front = front.clone();
        let service = layer.layer(tower::service_fn(move |request| {
            handle(front.clone(), request)
        }));
        let connection = async move {
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .await
            {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        };
        tokio::spawn(connection.with_subscriber(dispatch.clone()));
    }
}

/// Answers one HTTP request, in the HTTP layer's server span (which
/// continues the caller's trace, and records the route, the status and the
/// duration).
async fn handle(
    front: Arc<Front>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = match Route::of_path(request.uri().path()) {
        Route::Unmatched => text(Status::NotFound, "no such route\n").1,
        Route::Health if request.method() == Method::GET => text(Status::Ok, "ok\n").1,
        Route::Health => text(Status::MethodNotAllowed, "use GET\n").1,
        Route::Jobs if request.method() != Method::POST => {
            text(Status::MethodNotAllowed, "use POST\n").1
        }
        Route::Jobs => run_job(&front, request).await.1,
    };
    // The answer carries this request's trace context (`traceparent`, and
    // `tracestate` when there is one), so a caller can find its trace; with
    // spans off it carries none.
    propagation::inject_current(response.headers_mut());
    Ok(response)
}

/// `POST /jobs/{tenant}`: admits the job (its tenant, rate limit and
/// idempotency key), publishes it and waits for its answer.
#[traced(
    level = "info",
    name = "gateway.ingest",
    fields(
        tenant_id = Empty,
        run_id = Empty,
        flow_id = Empty,
        step_id = "ingest"
    )
)]
async fn run_job(front: &Front, request: Request<Incoming>) -> (Status, Response<Full<Bytes>>) {
    let tenant = request.uri().path()["/jobs/".len()..].to_owned();
    if !is_tenant_id(&tenant) {
        return text(
            Status::BadRequest,
            "a tenant id is 1 to 63 characters: a-z, 0-9 and -\n",
        );
    }
    let span = tracing::Span::current();
    span.record("tenant_id", tenant.as_str());
    let flow = flow_id(request.headers());
    span.record("flow_id", flow.as_str());
    let m = &front.metrics;
    let admitted = front
        .limiter
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .admit(&tenant);
    if !admitted {
        m.gateway_rate_limited_requests_total.inc();
        let (status, mut response) = text(Status::TooManyRequests, "rate limit exceeded\n");
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        return (status, response);
    }
    let key = idempotency_key(request.headers()).map(|key| (tenant.clone(), key));
    if let Some(key) = &key {
        let kept = front
            .idempotency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned();
        match kept {
            Some(kept) => {
                m.gateway_idempotency_cache_hits_total.inc();
                span.record("run_id", kept.job);
                let (status, mut response) = text(kept.status, kept.body);
                let headers = response.headers_mut();
                headers.insert("x-job-id", HeaderValue::from(kept.job));
                headers.insert("idempotent-replay", HeaderValue::from_static("true"));
                return (status, response);
            }
            None => m.gateway_idempotency_cache_misses_total.inc(),
        }
    }
    let payload = match Limited::new(request.into_body(), MAX_PAYLOAD_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => return text(Status::PayloadTooLarge, "payload too large\n"),
    };
    let job = front.next_job.fetch_add(1, Ordering::Relaxed);
    span.record("run_id", job);

    let (reply, answer) = oneshot::channel();
    let message = Message {
        headers: message_headers(job),
        correlation: Correlation {
            tenant_id: tenant,
            run_id: job,
            flow_id: flow,
        },
        job,
        payload,
        reply,
    };
    if publish(front, message).await.is_err() {
        return text(Status::Unavailable, "the router is not running\n");
    }
    let (status, body, enriched) = match answer.await {
        Ok(Reply::Done { enriched, digest }) => {
            let how = if enriched { "enriched" } else { "not enriched" };
            let body = format!("job {job} done ({how}), digest {digest:016x}\n");
            (Status::Ok, body, Some(enriched))
        }
        Ok(Reply::Rejected(extension, err)) => {
            let body = format!("job {job} refused: {}: {err}\n", extension.as_str());
            (Status::Unavailable, body, None)
        }
        Ok(Reply::Failed(err)) => (Status::InternalError, format!("{err}\n"), None),
        Err(_) => (
            Status::Unavailable,
            format!("job {job} lost: the router stopped\n"),
            None,
        ),
    };
    // A final answer is kept under its key; a refusal the caller may retry
    // (503) is not.
    if let Some(key) = key.filter(|_| status != Status::Unavailable) {
        let kept = Kept {
            status,
            body: body.clone(),
            job,
        };
        front
            .idempotency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, kept);
    }
    let (status, mut response) = text(status, body);
    let headers = response.headers_mut();
    headers.insert("x-job-id", HeaderValue::from(job));
    if let Some(enriched) = enriched {
        let value = if enriched { "applied" } else { "skipped" };
        headers.insert("x-enrichment", HeaderValue::from_static(value));
    }
    (status, response)
}

/// Sends the message to the router, its headers carrying this span's
/// context.
#[traced(
    level = "info",
    name = "gateway.publish",
    kind = "producer",
    fields(
        tenant_id = message.correlation.tenant_id.as_str(),
        run_id = message.correlation.run_id,
        flow_id = message.correlation.flow_id.as_str(),
        step_id = "publish",
        messaging.destination.name = "router"
    )
)]
async fn publish(front: &Front, mut message: Message) -> Result<(), RouterStopped> {
    propagation::inject_current(&mut message.headers);
    front.router_metrics.router_pending_messages.inc();
    front.router.send(message).await.map_err(|_| {
        front.router_metrics.router_pending_messages.dec();
        RouterStopped
    })
}

/// The router's channel is closed.
#[derive(Debug)]
struct RouterStopped;

fn text(status: Status, body: impl Into<String>) -> (Status, Response<Full<Bytes>>) {
    let mut response = Response::new(Full::new(Bytes::from(body.into())));
    *response.status_mut() = status.code();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    (status, response)
}

/// 1 to 63 characters, lowercase letters, digits and `-`, not starting
/// with `-`: the tenant ids the gateway knows how to route.
pub fn is_tenant_id(tenant: &str) -> bool {
    (1..=63).contains(&tenant.len())
        && !tenant.starts_with('-')
        && tenant
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::{Remembered, REMEMBERED};

    /// However many ids clients send, the map holds at most `REMEMBERED`,
    /// forgetting the oldest; setting a key it holds forgets nothing.
    #[test]
    fn remembered_keeps_at_most_its_bound_oldest_forgotten_first() {
        let mut map = Remembered::default();
        for n in 0..=REMEMBERED {
            map.insert(n.to_string(), n);
        }
        assert_eq!(map.map.len(), REMEMBERED);
        assert_eq!(map.get("0"), None);
        assert_eq!(map.get("1"), Some(&1));
        map.insert("1".to_owned(), 7);
        assert_eq!(
            (map.map.len(), map.get("1"), map.get("2")),
            (REMEMBERED, Some(&7), Some(&2))
        );
        *map.get_mut_or_insert("new", || 0).unwrap() += 5;
        assert_eq!((map.get("new"), map.get("1")), (Some(&5), None));
    }
}
