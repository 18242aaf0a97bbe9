//! segscope: a terminal console and local emulator for Permutive's stateless segmentation API.

pub mod api;
pub mod bundled;
pub mod console;
pub mod emulator;
pub mod engine;
pub mod exit;
pub mod json;
pub mod launch;
pub mod session;
pub mod workspace;
