//! A metric whose encoding waits at a gate the test controls: shared by the
//! endpoint's integration tests and its unit tests.

use obs_runtime::__private::{MetricEncoder, Sealed};
use obs_runtime::{EncodeMetric, Metric, MetricDescriptor, MetricType};
use std::sync::{Condvar, Mutex};

/// A metric whose encoding counts itself and then waits for the gate.
#[derive(Default)]
pub struct Gated {
    // (gate open, encodings started)
    state: Mutex<(bool, usize)>,
    changed: Condvar,
}

// A test-only metric: obs's metric traits are sealed for users.
impl Sealed for Gated {}

impl EncodeMetric for Gated {
    fn encode(&self, _encoder: &mut MetricEncoder<'_>) {
        let mut state = self.state.lock().unwrap();
        state.1 += 1;
        self.changed.notify_all();
        while !state.0 {
            state = self.changed.wait(state).unwrap();
        }
    }
}

impl Metric for Gated {
    const TYPE: MetricType = MetricType::Gauge;
    fn from_descriptor(_: &MetricDescriptor) -> Self {
        Gated::default()
    }
}

impl Gated {
    pub fn wait_for_encodings(&self, count: usize) {
        let mut state = self.state.lock().unwrap();
        while state.1 < count {
            state = self.changed.wait(state).unwrap();
        }
    }

    pub fn encodings(&self) -> usize {
        self.state.lock().unwrap().1
    }

    pub fn open(&self) {
        self.state.lock().unwrap().0 = true;
        self.changed.notify_all();
    }
}
