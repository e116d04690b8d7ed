//! The library's error type.

/// What can go wrong when configuring or starting the mock.
///
/// Failures of a *request* are never errors here: they are answered on the wire as Exchange
/// would answer them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The tenant configuration is invalid.
    #[error("invalid tenant configuration: {0}")]
    Config(String),
    /// The state file (`--state`) cannot be used.
    #[error("{0}")]
    State(String),
    /// Reading a file or binding a socket failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
