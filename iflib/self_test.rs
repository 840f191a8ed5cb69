// SPDX-License-Identifier: GPL-2.0

//! Helpers for a driver's `ethtool -t` and `ethtool -e`: register pattern tests and NVM
//! words read as bytes. iflib calls the driver's tests with the device stopped.

use kernel::prelude::*;

/// Writes four patterns to each of `registers` (offset, writable bits) through `write`,
/// reads each back through `read` and puts the register's value back. Every register is
/// tried; `EIO` if any read back other than what was written (logged), else the first
/// access error.
pub fn test_registers(
    registers: &[(usize, u32)],
    read: impl Fn(usize) -> Result<u32>,
    write: impl Fn(usize, u32) -> Result,
) -> Result {
    let mut result = Ok(());
    for &(register, mask) in registers {
        let kept = read(register)?;
        for pattern in [0x5a5a_5a5a, 0xa5a5_a5a5, 0, u32::MAX] {
            write(register, pattern & mask)?;
            let got = read(register)? & mask;
            if got != pattern & mask {
                pr_err!("register test: {register:#06x} read {got:#010x} after {pattern:#010x}\n");
                result = Err(EIO);
            }
        }
        write(register, kept)?;
    }
    result
}

/// Fills `out` with the bytes from `offset` of an NVM read in little-endian 16-bit words
/// (`word(index)`), as `ethtool -e` shows it.
pub fn nvm_bytes(offset: u32, out: &mut [u8], word: impl Fn(u32) -> Result<u16>) -> Result {
    // Each word read once, even when both its bytes are asked for.
    let mut last: Option<(u32, [u8; 2])> = None;
    for (at, byte) in (offset..).zip(out.iter_mut()) {
        let bytes = match last {
            Some((index, bytes)) if index == at / 2 => bytes,
            _ => word(at / 2)?.to_le_bytes(),
        };
        last = Some((at / 2, bytes));
        *byte = bytes[(at % 2) as usize];
    }
    Ok(())
}

/// The 16-bit sum of NVM words `0..words` (Intel's parts store a checksum word that makes
/// it 0xBABA).
pub fn nvm_word_sum(words: u32, word: impl Fn(u32) -> Result<u16>) -> Result<u16> {
    let mut sum = 0u16;
    for index in 0..words {
        sum = sum.wrapping_add(word(index)?);
    }
    Ok(sum)
}
