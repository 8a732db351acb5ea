//! What holds each environment now (locks, freezes, broken glass), as the
//! sharing rules last read it: pages show it on every lane and cell, so
//! nobody reads a green tile of a frozen environment as "go".

use std::sync::{
    atomic::{AtomicU64, Ordering::SeqCst},
    Arc, RwLock,
};

use app::model::{EnvironmentHolds, SharingBoard};

#[derive(Default)]
pub struct HoldBoard {
    board: RwLock<Arc<SharingBoard>>,
    /// Bumped when what pages show changed, so cached pages drop.
    generation: AtomicU64,
}

impl HoldBoard {
    pub fn current(&self) -> Arc<SharingBoard> {
        self.board.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Swaps in a new board; true when a page would show something else
    /// (the time it was read at alone does not count).
    pub fn set(&self, board: SharingBoard) -> bool {
        let mut current = self.board.write().unwrap_or_else(|e| e.into_inner());
        let same = current.environments == board.environments
            && current.freezes == board.freezes
            && current.claimable == board.claimable
            && current.bookings == board.bookings
            && current.today == board.today
            && current.days == board.days;
        *current = Arc::new(board);
        if !same {
            self.generation.fetch_add(1, SeqCst);
        }
        !same
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(SeqCst)
    }

    pub fn of(&self, environment: &str) -> EnvironmentHolds {
        self.current()
            .holds(environment)
            .cloned()
            .unwrap_or_else(|| EnvironmentHolds::free(environment))
    }
}
