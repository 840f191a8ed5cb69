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

# archive_uri main|security: the URI of the Debian archive (or of its
# security archive) that the machine's own apt configuration names, in
# one-line sources.list form or deb822 .sources, so that a machine with a
# local mirror keeps using it; Debian's own hosts when it names none. The
# other suites the scripts need (backports, trixie, sid) are taken from the
# same archive.
archive_uri() {
	local want=$1 uri
	uri=$({
		# deb [options] URI SUITE COMPONENT...
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+\([^[:space:]]\+\).*/\2 \3/p'
		# Stanzas with Types: deb, URIs: and Suites: (each URI with the first suite).
		awk 'function flush() { if (deb) for (i = 1; i <= n; i++) print u[i], suite
				deb = 0; n = 0; suite = "" }
			FNR == 1 || /^[[:space:]]*$/ { flush() }
			/^[[:space:]]*$/ { next }
			tolower($1) == "types:" { deb = / deb( |$)/ }
			tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[++n] = $i }
			tolower($1) == "suites:" { suite = $2 }
			END { flush() }' /etc/apt/sources.list.d/*.sources 2>/dev/null
	} | awk -v want="$want" '$2 ~ /^(bookworm|trixie|sid|stable|testing|unstable)(-updates|-backports|-security)?$/ {
			if ((want == "security") == ($2 ~ /-security$/)) { print $1; exit } }')
	case "$want" in
	security) echo "${uri:-http://deb.debian.org/debian-security}" ;;
	*) echo "${uri:-http://deb.debian.org/debian}" ;;
	esac
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
