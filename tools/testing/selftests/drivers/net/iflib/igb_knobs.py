#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""iflib's disable-msix knob on iflib_igb (QEMU's igb pair, 82576), em_knobs.py's MSI-X
cases on it: listed and off, with a vector per queue set (one per CPU) and the admin
vector; a flag bit without a name refused over the ioctl; set under a ping flood, the
device restarts on one MSI vector with one queue set, no TX timeout, TCP passes raising
that vector; cleared while down, nothing is requested until up brings MSI-X and the queue
sets back, TCP raising their vectors; unloaded on the MSI vector under a flood, the
vectors are freed; with MSI and MSI-X disallowed for the device, one queue set on the
INTx line.
"""

from em_knobs import Pairs, intx_without_msi, msi_under_flood, msix_back_after_up, \
    msix_by_default, unload_on_msi, unnamed_flag_refused
from lib.py import ksft_exit, ksft_run


def main():
    pairs = Pairs("igb")
    try:
        ksft_run([msix_by_default, unnamed_flag_refused, msi_under_flood, msix_back_after_up,
                  unload_on_msi, intx_without_msi], args=(pairs,))
    finally:
        pairs.close()
    ksft_exit()


if __name__ == "__main__":
    main()
