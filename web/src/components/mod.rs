//! Pieces the pages share.

pub mod auth_image;
pub mod chart;
pub mod layout;
pub mod pager;
pub mod theme;
