//! Small views shared by the pages.

mod change_line;
mod diff_view;
mod env_lane;
mod error_box;
mod freshness_bar;
mod holds;
mod live_state;
mod loaded;
mod problem_list;
mod release_chart;
mod sandbox_card;
mod service_grid;
mod viewer_bar;
mod with_viewer;

pub use change_line::ChangeLine;
pub use diff_view::DiffView;
pub use env_lane::{EnvLane, SandboxLaneCard};
pub use error_box::ErrorBox;
pub use freshness_bar::FreshnessBar;
pub use holds::{HoldBanner, PauseLine};
pub use live_state::{ClusterLine, LiveBadge, SandboxChain, SandboxState};
pub use loaded::Loaded;
pub use problem_list::ProblemList;
pub use release_chart::ReleaseChart;
pub use sandbox_card::KeyList;
pub use service_grid::{GridShortcuts, ServiceGrid};
pub use viewer_bar::ViewerBar;
pub use with_viewer::WithViewer;
