//! A poisoned lock in a developer task means a thread already panicked and
//! reported it; the data behind it is still the best record there is.

use std::sync::{Mutex, MutexGuard, PoisonError};

pub fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
