//! The running user actors, by user id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::model::UserId;

/// Running user actors; cheap to clone.
#[derive(Clone, Default)]
pub struct Registry {
    inner: Arc<Mutex<HashMap<UserId, ()>>>,
}

impl Registry {
    /// Whether a user's actor runs.
    pub fn contains(&self, id: UserId) -> bool {
        self.inner
            .lock()
            .map(|m| m.contains_key(&id))
            .unwrap_or(false)
    }
}
