//! Pieces the pages share.

pub mod auth_image;
pub mod chart;
pub mod choice;
pub mod layout;
pub mod pager;
pub mod poll;
pub mod theme;
