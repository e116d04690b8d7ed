//! The seed as a program: Microsoft's CreateAppointments-with-impersonation sample, made safe and
//! concurrent with ews-client.
//!
//! ```text
//! cargo run -p ews-client --example create_appointments -- \
//!     --endpoint http://127.0.0.1:8080/EWS/Exchange.asmx --user svc-calendar@contoso.com --password password \
//!     --mailbox alfred@contoso.com --mailbox sonyaf@contoso.com [--attendee chris@contoso.com] [--start RFC3339]
//! ```
//!
//! It creates the seed's appointment (Tennis lesson, "Focus on backhand this week.", Tennis club,
//! three days from now unless `--start`, one hour) in each mailbox through impersonation, prints
//! one line per mailbox (the address and the new ItemId, or the address and the error), and exits
//! non-zero if any mailbox failed.

use std::process::ExitCode;

use clap::Parser;
use ews_client::chrono::{DateTime, Duration, Utc};
use ews_client::{Appointment, ConnectingSid, Service};

/// Create the seed's appointment in each mailbox through EWS impersonation.
#[derive(Debug, Parser)]
struct Args {
    /// The EWS URL, e.g. http://127.0.0.1:8080/EWS/Exchange.asmx.
    #[arg(long)]
    endpoint: String,
    /// The service account (user name or UPN).
    #[arg(long)]
    user: String,
    /// The service account's password.
    #[arg(long)]
    password: String,
    /// A mailbox to impersonate (SMTP address); repeat for several.
    #[arg(long = "mailbox", required = true)]
    mailboxes: Vec<String>,
    /// A required attendee: makes the appointment a meeting; repeat for several.
    #[arg(long = "attendee")]
    attendees: Vec<String>,
    /// Start time (RFC 3339); default three days from now.
    #[arg(long, value_parser = parse_start)]
    start: Option<DateTime<Utc>>,
    /// How many mailboxes to work on at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
}

fn parse_start(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).map_err(|e| format!("not RFC 3339: {e}"))
}

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    let service = Service::builder(&args.endpoint).basic(&args.user, &args.password).build()?;
    let start = args.start.unwrap_or_else(|| Utc::now() + Duration::days(3));
    let attendees = args.attendees;
    // The factory (the seed's IAppointmentFactory): a fresh appointment for every mailbox.
    let factory = |_: &ConnectingSid| {
        let mut builder = Appointment::builder()
            .subject("Tennis lesson")
            .body_html("Focus on backhand this week.")
            .start(start)
            .duration(Duration::hours(1))
            .location("Tennis club");
        for a in &attendees {
            builder = builder.required_attendee(a.as_str());
        }
        builder.build()
    };
    let mailboxes = args.mailboxes.into_iter().map(ConnectingSid::SmtpAddress);
    let results = service.create_in_each(mailboxes, factory, args.concurrency).await;
    let mut failed = false;
    for r in &results {
        println!("{r}");
        failed |= r.result.is_err();
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
