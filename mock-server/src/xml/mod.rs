//! XML in (roxmltree) and out (quick-xml), kept apart from EWS semantics.

pub(crate) mod read;
pub(crate) mod write;
