//! Scenarios shared by the example binaries and their tests.

pub mod actors;
pub mod ai_jobs;
pub mod cli;
pub mod gateway;
pub mod pipeline;
pub mod sim;
pub mod workflow;
