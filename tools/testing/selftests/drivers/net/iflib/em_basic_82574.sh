#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# em_basic.sh on QEMU's e1000e model (82574L), the peer on the C e1000e.

MODEL=e1000e C_DRIVER=e1000e exec "$(dirname "$0")/em_basic.sh"
