//! Stg bookings: a project (a name and its service → branch pairs) books a
//! Stg environment for a range of days. Bookings of one environment never
//! share a day; the lane shows today's and the next, and links to the
//! project's promotion (starting) and to its services' default branches
//! (ending), each one commit through the usual preview.

use std::sync::Arc;

use app::{
    error::BerthError,
    model::{AuditAction, Booking, BookingForm, Role},
};

use super::{requests::Checked, spawned, unavailable, Sharing};
use crate::{auth::Identity, clock::unix_now};

/// Bookings not over yet, per environment: the calendar stays readable.
const MAX_OPEN_BOOKINGS: usize = 60;

impl Sharing {
    pub async fn book(
        self: &Arc<Self>,
        who: &Identity,
        form: &BookingForm,
    ) -> Result<Booking, BerthError> {
        let now = unix_now();
        let target = form.environment.trim().chars().take(64).collect::<String>();
        let checked = form
            .check(&self.config, &who.user, now)
            .and_then(|booking| {
                let env = self
                    .config
                    .environments
                    .iter()
                    .find(|e| e.name == booking.environment);
                match env {
                    Some(env) if who.may_write(env) => Ok(booking),
                    _ => Err(BerthError::Forbidden(format!(
                        "{} may not change {}, so cannot book it",
                        who.user, booking.environment
                    ))),
                }
            });
        let booking = match checked {
            Ok(booking) => booking,
            Err(err) => {
                return self.refuse(who, AuditAction::Book, &target, err).await;
            }
        };
        let sharing = Arc::clone(self);
        let who = who.clone();
        spawned(async move {
            let today = sharing.config.day_at(now).to_string();
            let open = sharing
                .store
                .bookings_from(&today)
                .await
                .map_err(unavailable)?;
            if open
                .iter()
                .filter(|b| b.environment == booking.environment)
                .count()
                >= MAX_OPEN_BOOKINGS
            {
                let err = BerthError::Invalid(format!(
                    "{} already has {MAX_OPEN_BOOKINGS} bookings ahead; cancel one first",
                    booking.environment
                ));
                return sharing.refuse(&who, AuditAction::Book, &target, err).await;
            }
            let booking = match sharing
                .store
                .add_booking(&booking)
                .await
                .map_err(unavailable)?
            {
                Ok(booking) => booking,
                Err(taken) => {
                    let err = BerthError::Conflict(format!(
                        "{} is booked by {} for {} from {} to {}; pick other days or the other Stg",
                        taken.environment, taken.by, taken.project, taken.first_day, taken.last_day
                    ));
                    return sharing.refuse(&who, AuditAction::Book, &target, err).await;
                }
            };
            let detail = format!(
                "{} from {} to {}: {}",
                booking.project,
                booking.first_day,
                booking.last_day,
                describe(&booking.pairs)
            );
            sharing.done(&who, AuditAction::Book, &target, detail).await;
            Ok(booking)
        })
        .await
    }

    /// Cancels a booking; the person who made it, qa or an admin.
    pub async fn cancel_booking(
        self: &Arc<Self>,
        who: &Identity,
        id: i64,
    ) -> Result<Booking, BerthError> {
        let target = format!("booking/{id}");
        let sharing = Arc::clone(self);
        let who = who.clone();
        spawned(async move {
            let now = unix_now();
            let today = sharing.config.day_at(now).to_string();
            let open = sharing
                .store
                .bookings_from(&today)
                .await
                .map_err(unavailable)?;
            let refusal = match open.iter().find(|b| b.id == id) {
                None => Some(BerthError::NotFound(format!(
                    "there is no booking {id} ahead; it may be over or cancelled"
                ))),
                Some(b) if b.by != who.user && !matches!(who.role, Role::Qa | Role::Admin) => {
                    Some(BerthError::Forbidden(format!(
                        "the booking is {}'s; only they, qa or an admin may cancel it",
                        b.by
                    )))
                }
                Some(_) => None,
            };
            if let Some(err) = refusal {
                return sharing
                    .refuse(&who, AuditAction::CancelBooking, &target, err)
                    .await;
            }
            let cancelled = sharing
                .store
                .cancel_booking(id, &who.user, now)
                .await
                .map_err(unavailable)?
                .ok_or_else(|| {
                    BerthError::NotFound(format!("the booking {id} was cancelled meanwhile"))
                })?;
            let detail = format!(
                "{}'s booking of {} for {} from {} to {}",
                cancelled.by,
                cancelled.environment,
                cancelled.project,
                cancelled.first_day,
                cancelled.last_day
            );
            sharing
                .done(
                    &who,
                    AuditAction::CancelBooking,
                    &cancelled.environment,
                    detail,
                )
                .await;
            Ok(cancelled)
        })
        .await
    }
}

fn describe(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(s, b)| format!("{s} → {b}"))
        .collect::<Vec<_>>()
        .join(", ")
}
