# SPDX-License-Identifier: GPL-2.0
# Shared settings for the iflib host scripts. Sourced, never executed.

IFLIB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Everything large (kernel source, build trees, apt state) lives outside the clone.
IFLIB_CACHE=${IFLIB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iflib}
KERNEL_SERIES=${KERNEL_SERIES:-7.3}
LLVM_SUFFIX=${LLVM_SUFFIX:--19}
PATH=$HOME/.cargo/bin:$PATH
JOBS=${JOBS:-$(($(nproc) + 1))}

die() {
	echo "iflib: $*" >&2
	exit 1
}

note() {
	echo "iflib: $*" >&2
}

# Run apt with a private source list and state directory, so the system's
# apt configuration is never edited.
private_apt() {
	local dir=$IFLIB_CACHE/apt
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	apt-get -q -o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::Cache::Archives="$dir/archives" \
		-o APT::Sandbox::User=root \
		-o APT::Default-Release=bookworm "$@"
}

# Say which command stopped a script run with set -e.
trap 'echo "iflib: $(basename "$0"): line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR
