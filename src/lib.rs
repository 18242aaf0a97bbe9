//! segscope: a terminal console and local emulator for Permutive's stateless segmentation API.

pub mod engine;
