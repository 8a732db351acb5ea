//! Server functions: thin bodies that ask the `Dashboard` port.

mod environment;
mod overview;
mod refresh;
mod sandboxes;

pub use environment::*;
pub use overview::*;
pub use refresh::*;
pub use sandboxes::*;
