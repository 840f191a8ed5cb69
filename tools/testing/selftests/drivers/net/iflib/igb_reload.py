#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unloading iflib_igb under traffic both ways and loading it again: em_reload.py's
case on QEMU's igb pair, eight queue sets' worth of vectors, NAPI contexts and page
pools torn down and set up each round (5 rounds; 20 in make test-full; the harness's
kmemleak scan after all tests catches what leaked).
"""

from em_reload import unload_under_traffic
from iflib_env import cmd, run_on_pair


def main():
    try:
        run_on_pair(__file__, "igb", [unload_under_traffic])
    finally:
        cmd("rmmod pktgen", fail=False)


if __name__ == "__main__":
    main()
