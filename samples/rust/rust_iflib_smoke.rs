// SPDX-License-Identifier: GPL-2.0

//! Smoke test of the iflib build and VM chain.
//!
//! Proves that a Rust module built from the iflib overlay loads in the test
//! VM, takes a parameter, refuses a bad one and runs a KUnit suite. It sums
//! the integers `1..=count` and prints the result; a `count` whose sum does
//! not fit in a `u32` is refused with `EINVAL`.

use kernel::prelude::*;

module! {
    type: IflibSmoke,
    name: "rust_iflib_smoke",
    authors: ["iflib developers"],
    description: "iflib build and VM smoke test",
    license: "GPL",
    params: {
        count: u32 {
            default: 10,
            description: "Sum the integers 1..=count (refused if the sum overflows u32)",
        },
    },
}

/// Returns `1 + 2 + ... + count`, or `None` if it does not fit in a `u32`.
fn sum_to(count: u32) -> Option<u32> {
    (1..=count).try_fold(0u32, |sum, n| sum.checked_add(n))
}

struct IflibSmoke;

impl kernel::Module for IflibSmoke {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let count = module_parameters::count.value();
        let Some(sum) = sum_to(count) else {
            pr_err!("count={count}: the sum overflows u32\n");
            return Err(EINVAL);
        };
        pr_info!("loaded: count={count} sum={sum}\n");
        Ok(IflibSmoke)
    }
}

impl Drop for IflibSmoke {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}

#[kunit_tests(rust_iflib_smoke)]
mod tests {
    use super::sum_to;

    #[test]
    fn sums_small_counts() {
        assert_eq!(sum_to(0), Some(0));
        assert_eq!(sum_to(1), Some(1));
        assert_eq!(sum_to(100), Some(5050));
    }

    #[test]
    fn refuses_overflow() {
        // 92681 * 92682 / 2 = 4294930221 fits; one more does not.
        assert_eq!(sum_to(92681), Some(4_294_930_221));
        assert_eq!(sum_to(92682), None);
    }
}
