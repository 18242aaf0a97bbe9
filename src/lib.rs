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

/// The allocator of every program built on this crate (the binary, its tests, benches and
/// examples, so they measure what ships). The emulator makes and frees a few hundred small
/// allocations a request (events, state windows) on two worker threads: glibc's allocator took
/// about a tenth of the server's time on them and contended for its arena locks. With mimalloc
/// the server's CPU per request fell by a fifth to a quarter (issue 15, `devtools/peers/ratio.sh`).
/// Built without transparent huge pages (`no_thp`): with them the console started at 26 MiB of
/// resident memory instead of 17.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
