//! Date-times and time zones on the wire: UTC `xs:dateTime` values plus the Windows time-zone
//! ids EWS wants (`StartTimeZone Id="Pacific Standard Time"`), mapped from IANA names with the
//! CLDR `windowsZones` table that the `localzone` crate ships.
//!
//! See <https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/time-zones-and-ews-in-exchange>.

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

/// An instant plus the time zone it was given in, as EWS needs it: the instant is sent in UTC and
/// the zone as a Windows id.
///
/// ```
/// use chrono::TimeZone;
/// use ews_client::ZonedDateTime;
/// let t: ZonedDateTime = chrono_tz::America::Los_Angeles.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap().into();
/// assert_eq!(t.windows_zone(), Some("Pacific Standard Time"));
/// assert_eq!(t.utc().to_rfc3339(), "2026-03-02T17:00:00+00:00");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonedDateTime {
    utc: DateTime<Utc>,
    /// `Ok(Some(id))`: the Windows id; `Ok(None)`: given in UTC; `Err(name)`: an IANA zone with
    /// no Windows id (reported when the appointment is built).
    zone: Result<Option<&'static str>, String>,
}

impl ZonedDateTime {
    /// The instant.
    pub fn utc(&self) -> DateTime<Utc> {
        self.utc
    }

    /// The Windows time-zone id, if the time was given in a zone that has one.
    pub fn windows_zone(&self) -> Option<&'static str> {
        self.zone.as_ref().ok().copied().flatten()
    }

    /// The zone id to send, or the IANA name that has no Windows id.
    pub(crate) fn checked_zone(&self) -> Result<Option<&'static str>, &str> {
        self.zone.as_ref().map(|z| *z).map_err(String::as_str)
    }
}

impl From<DateTime<Tz>> for ZonedDateTime {
    fn from(dt: DateTime<Tz>) -> ZonedDateTime {
        let name = dt.timezone().name();
        let zone = windows_zone_id(name).map(Some).ok_or_else(|| name.to_owned());
        ZonedDateTime { utc: dt.with_timezone(&Utc), zone }
    }
}

impl From<DateTime<Utc>> for ZonedDateTime {
    fn from(dt: DateTime<Utc>) -> ZonedDateTime {
        ZonedDateTime { utc: dt, zone: Ok(None) }
    }
}

impl From<DateTime<FixedOffset>> for ZonedDateTime {
    fn from(dt: DateTime<FixedOffset>) -> ZonedDateTime {
        ZonedDateTime { utc: dt.with_timezone(&Utc), zone: Ok(None) }
    }
}

/// The Windows time-zone id CLDR assigns to an IANA zone name, e.g. `Europe/Berlin` →
/// `W. Europe Standard Time`.
///
/// ```
/// assert_eq!(ews_client::windows_zone_id("Europe/Berlin"), Some("W. Europe Standard Time"));
/// assert_eq!(ews_client::windows_zone_id("UTC"), Some("UTC"));
/// assert_eq!(ews_client::windows_zone_id("Mars/Olympus_Mons"), None);
/// ```
pub fn windows_zone_id(iana: &str) -> Option<&'static str> {
    // CLDR lists Etc/UTC but not its tzdb aliases; chrono-tz names the UTC zone "UTC".
    let iana = match iana {
        "UTC" | "Etc/UCT" | "Etc/Universal" | "Etc/Zulu" | "UCT" | "Universal" | "Zulu" => "Etc/UTC",
        "GMT" | "Etc/GMT+0" | "Etc/GMT-0" | "Etc/GMT0" | "Etc/Greenwich" | "Greenwich" => "Etc/GMT",
        other => other,
    };
    localzone::iana_to_win_zone(iana).map(|(windows, _territory)| windows)
}

/// Formats an instant as EWS expects: UTC with `Z`, fractional seconds only when present.
pub(crate) fn format_date_time(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses an `xs:dateTime`; a value without an offset is taken as UTC.
pub(crate) fn parse_date_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn pacific_time_maps_to_its_windows_id_and_utc() {
        let t: ZonedDateTime =
            chrono_tz::America::Los_Angeles.with_ymd_and_hms(2013, 9, 21, 12, 0, 0).single().expect("valid").into();
        assert_eq!(t.windows_zone(), Some("Pacific Standard Time"));
        assert_eq!(format_date_time(t.utc()), "2013-09-21T19:00:00Z");
    }

    #[test]
    fn date_times_parse_with_offsets_fractions_and_without_zone() {
        let a = parse_date_time("2013-09-19T14:37:10.732-07:00").expect("offset form");
        assert_eq!(format_date_time(a), "2013-09-19T21:37:10.732Z");
        let b = parse_date_time("2006-06-16T00:30:00").expect("zone-less form");
        assert_eq!(format_date_time(b), "2006-06-16T00:30:00Z");
        assert!(parse_date_time("yesterday").is_none());
    }
}
