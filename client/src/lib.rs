//! ews-client placeholder
