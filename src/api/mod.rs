//! The Permutive wire contract: request/response/error types, the opaque state, the API key and
//! the HTTP client. Everything that talks to an endpoint goes through here.

pub mod client;
pub mod cohorts;
pub mod event_shape;
pub mod key;
pub mod state;
pub mod wire;

pub use client::{CallOutcome, Client, DEFAULT_BASE_URL, Target, TransportKind};
pub use key::ApiKey;
pub use state::{OpaqueState, StateView, cohort_order};
pub use wire::{
    Alias, ErrorBody, ErrorEnvelope, Event, Identity, MAX_EVENTS, PrioritisedAlias,
    SegmentationRequest, SegmentationResponse,
};
