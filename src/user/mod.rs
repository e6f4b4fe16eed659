//! One actor per user: owns that user's IRC connections, conversations and live state,
//! appends what happens to the store and then tells the user's browsers. The only writer
//! of a user's state.

mod registry;

pub use registry::Registry;
