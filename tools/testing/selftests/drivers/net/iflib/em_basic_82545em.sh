#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# em_basic.sh on QEMU's e1000-82545em model, the peer on the C e1000.

MODEL=e1000-82545em C_DRIVER=e1000 exec "$(dirname "$0")/em_basic.sh"
