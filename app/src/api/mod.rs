//! Server functions: thin bodies that ask the `Dashboard` and `Operations`
//! ports.

mod audit;
mod environment;
mod overview;
mod promotion;
mod refresh;
mod sandbox_writes;
mod sandboxes;
mod session;

pub use audit::*;
pub use environment::*;
pub use overview::*;
pub use promotion::*;
pub use refresh::*;
pub use sandbox_writes::*;
pub use sandboxes::*;
pub use session::*;
