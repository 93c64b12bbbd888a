//! [`ZeroizingAllocator`]: a global allocator that wipes every block before it is freed, so a
//! secret that passed through any Rust buffer — the HTTP stack's read and write buffers, the TLS
//! layer's records, a YAML emitter's output — does not survive in freed memory.
//!
//! A program chooses its allocator, so this is opt-in for Rust users:
//!
//! ```
//! #[global_allocator]
//! static ALLOC: plexctl_core::alloc::ZeroizingAllocator = plexctl_core::alloc::ZeroizingAllocator;
//! ```
//!
//! libplexctl (the C ABI) and the Python extension install it themselves, so every Rust
//! allocation inside them is wiped on free. It covers memory Rust allocates; memory C code
//! allocates with `malloc` (the caller's own, Python's objects) is not Rust's. Growing a block is
//! allocate-copy-free, so the old block is wiped too. The cost is one pass of zeroes over each
//! freed block: a few percent of CPU per call on small calls, 4–14% on a 10,000-entry list
//! (bench/NOTES.md).

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, wiping every block before it is freed.
#[derive(Debug, Default, Clone, Copy)]
pub struct ZeroizingAllocator;

// SAFETY: every method forwards to `System` with the same layout; `dealloc` first writes zeroes
// over exactly the block being freed, which the caller owns until this call returns.
unsafe impl GlobalAlloc for ZeroizingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` points to a live block of `layout.size()` bytes that the caller is giving
        // up; `zeroize` writes through volatile stores the compiler cannot drop as dead.
        unsafe {
            zeroize::Zeroize::zeroize(std::slice::from_raw_parts_mut(ptr, layout.size()));
            System.dealloc(ptr, layout);
        }
    }

    // `realloc` is GlobalAlloc's default: allocate, copy, then `dealloc` (which wipes) the old
    // block. The system's in-place realloc could leave the old bytes behind when it moves.
}

#[cfg(test)]
mod tests {
    use super::*;

    // That freed memory holds no secret is proven by the memory-scan tests (tests/memscan),
    // which run whole flows under this allocator; this one checks that growing keeps the data.
    #[test]
    fn blocks_allocate_grow_and_free() {
        let a = ZeroizingAllocator;
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: each block is used within its size and freed once with its layout.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            p.write_bytes(0xAB, 64);
            let q = a.realloc(p, layout, 4096);
            assert!(!q.is_null());
            assert!(std::slice::from_raw_parts(q, 64).iter().all(|b| *b == 0xAB));
            a.dealloc(q, Layout::from_size_align(4096, 8).unwrap());
        }
    }
}
