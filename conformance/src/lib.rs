//! ews-conformance placeholder
