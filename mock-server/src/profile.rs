//! Server profiles: which Exchange the mock pretends to be.
//!
//! A profile fixes the `ServerVersionInfo` header of every non-fault response and the
//! `RequestServerVersion` values the server accepts. Build numbers are ones seen from real
//! servers (see `../shared/protocol/protocol.md` §2.6).

use serde::Deserialize;

/// Which Exchange release the mock answers as.
///
/// See <https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/serverversioninfo>.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum ServerProfile {
    /// Exchange Server 2013 (15.0).
    Exchange2013,
    /// Exchange Server 2016 (15.1).
    Exchange2016,
    /// Exchange Server 2019 and Subscription Edition (15.2).
    Exchange2019,
    /// Exchange Online (15.20), the default.
    #[default]
    ExchangeOnline,
}

/// The attributes of `ServerVersionInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerVersionInfo {
    pub(crate) major: u16,
    pub(crate) minor: u16,
    pub(crate) major_build: u16,
    pub(crate) minor_build: u16,
    pub(crate) version: &'static str,
}

/// Every `ExchangeVersionType` value in the Exchange Online schema, oldest first.
const ALL_VERSIONS: &[&str] = &[
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2009",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2012",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2016",
    "V2015_10_05",
    "V2016_01_06",
    "V2016_04_13",
    "V2016_07_13",
    "V2016_10_10",
    "V2017_01_07",
    "V2017_04_14",
    "V2017_07_11",
    "V2017_10_09",
    "V2018_01_08",
];

impl ServerProfile {
    pub(crate) fn server_version_info(self) -> ServerVersionInfo {
        let (major, minor, major_build, minor_build, version) = match self {
            ServerProfile::Exchange2013 => (15, 0, 1497, 2, "V2_23"),
            ServerProfile::Exchange2016 => (15, 1, 2507, 57, "V2017_07_11"),
            ServerProfile::Exchange2019 => (15, 2, 1544, 4, "V2017_07_11"),
            ServerProfile::ExchangeOnline => (15, 20, 8769, 35, "V2018_01_08"),
        };
        ServerVersionInfo { major, minor, major_build, minor_build, version }
    }

    /// Whether a `RequestServerVersion/@Version` value is accepted by this profile.
    ///
    /// Exchange 2013 knows the values up to Exchange2013_SP1; 2016 and 2019 add Exchange2015,
    /// Exchange2016 and the dated values up to their own schema; Exchange Online accepts all.
    pub(crate) fn accepts(self, version: &str) -> bool {
        let Some(pos) = ALL_VERSIONS.iter().position(|v| *v == version) else {
            return false;
        };
        let last = match self {
            ServerProfile::Exchange2013 => "Exchange2013_SP1",
            ServerProfile::Exchange2016 | ServerProfile::Exchange2019 => "V2017_07_11",
            ServerProfile::ExchangeOnline => "V2018_01_08",
        };
        let last_pos = ALL_VERSIONS.iter().position(|v| *v == last).expect("listed");
        pos <= last_pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_online_accepts_every_schema_version() {
        for v in ALL_VERSIONS {
            assert!(ServerProfile::ExchangeOnline.accepts(v), "{v}");
        }
        assert!(!ServerProfile::ExchangeOnline.accepts("Exchange2019"));
    }

    #[test]
    fn exchange_2013_refuses_later_versions() {
        assert!(ServerProfile::Exchange2013.accepts("Exchange2013_SP1"));
        assert!(!ServerProfile::Exchange2013.accepts("Exchange2016"));
    }
}
