//! XML in (roxmltree) and out (quick-xml), kept apart from EWS semantics.

pub(crate) mod diagnose;
pub(crate) mod read;
pub(crate) mod write;
