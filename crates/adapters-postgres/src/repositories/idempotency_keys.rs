//! The `Idempotency-Key` record of a create, claimed and kept inside the
//! create's own transaction (see migrations/…_idempotency_keys).

use crate::error::PgError;
use crate::schema::idempotency_keys;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::idempotency::{IdempotentCreate, KeptResponse, Once, KEY_LIFETIME_HOURS};
use domain::ids::UserId;
use domain::DomainError;

/// Claims `(user, key)` for this transaction. `None`: go ahead and create.
/// `Some`: the key was used before — the create must not run.
///
/// A concurrent transaction holding the same key makes the `INSERT` wait for
/// it; once it commits, the conflict is seen and its kept response replayed
/// (20 simultaneous retries: one create, 19 replays). If it rolled back, the
/// key is free and this one claims it.
pub(crate) async fn claim<T>(
    tx: &mut AsyncPgConnection,
    user: UserId,
    once: &IdempotentCreate<T>,
) -> Result<Option<Once<T>>, PgError> {
    let claimed = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user.as_uuid()),
            idempotency_keys::key.eq(&once.key),
            idempotency_keys::fingerprint.eq(&once.fingerprint),
        ))
        .on_conflict_do_nothing()
        .execute(tx)
        .await?;
    if claimed == 1 {
        return Ok(None);
    }
    let mine = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user.as_uuid()))
        .filter(idempotency_keys::key.eq(&once.key));
    let (fingerprint, response, created_at): (String, Option<Vec<u8>>, chrono::DateTime<Utc>) =
        mine.select((
            idempotency_keys::fingerprint,
            idempotency_keys::response,
            idempotency_keys::created_at,
        ))
        .for_update()
        .first(tx)
        .await?;
    if created_at < Utc::now() - Duration::hours(KEY_LIFETIME_HOURS) {
        // Expired but not yet pruned: the key starts afresh.
        diesel::update(mine)
            .set((
                idempotency_keys::fingerprint.eq(&once.fingerprint),
                idempotency_keys::response.eq(None::<Vec<u8>>),
                idempotency_keys::created_at.eq(Utc::now()),
            ))
            .execute(tx)
            .await?;
        return Ok(None);
    }
    if fingerprint != once.fingerprint {
        return Ok(Some(Once::Mismatch));
    }
    match response {
        Some(bytes) => Ok(Some(Once::Replay(KeptResponse(bytes)))),
        // Claim and response commit together, so a committed row has one.
        None => Err(PgError::Domain(DomainError::internal(
            "idempotency key committed without its response",
        ))),
    }
}

/// Keeps the response `once.render` makes of `created`, in the claiming
/// transaction.
pub(crate) async fn keep<T>(
    tx: &mut AsyncPgConnection,
    user: UserId,
    once: &IdempotentCreate<T>,
    created: &T,
) -> Result<(), PgError> {
    let KeptResponse(bytes) = (once.render)(created).map_err(PgError::Domain)?;
    diesel::update(
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user.as_uuid()))
            .filter(idempotency_keys::key.eq(&once.key)),
    )
    .set(idempotency_keys::response.eq(bytes))
    .execute(tx)
    .await?;
    Ok(())
}

/// Deletes keys past their lifetime (the worker's housekeeping). Returns how
/// many went.
///
/// # Errors
/// `Unavailable`/`Internal` as for any statement.
pub async fn prune_expired(pool: &crate::PgPool) -> Result<usize, DomainError> {
    let mut connection = pool.get().await?;
    diesel::delete(
        idempotency_keys::table.filter(
            idempotency_keys::created_at.lt(Utc::now() - Duration::hours(KEY_LIFETIME_HOURS)),
        ),
    )
    .execute(&mut connection)
    .await
    .map_err(crate::error::from_diesel)
}
