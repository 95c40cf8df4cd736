#!/bin/bash
# tests/lint/supervisor-layers.sh - checks berthd's layering (docs/supervisor.md) on the
# C files in git:
#   1. each third-party library's headers are included in its one folder only:
#      <grpc/...> supervisor/rpc/, <sqlite3.h> supervisor/meta/, <curl/...>
#      supervisor/registry/, <archive.h>/<archive_entry.h> supervisor/image/ and
#      supervisor/diff/;
#   2. no folder of supervisor/ includes a header of a folder in a layer above its own,
#      nor of a folder that is not in the table (a new folder must be placed first).
# Prints FILE:LINE: what for each offence, exits 1 if there is one.
set -u
cd "$(dirname "$0")/../.." || exit 2

# layer of each supervisor/ folder: a folder may include its own and lower layers only
# (ctl/, berthctl, only layers <= 2)
declare -A LAYER=(
	[berthd]=5 [ctl]=5
	[services]=4 [cri]=4 [stream]=4
	[core]=3
	[image]=2 [registry]=2 [cni]=2 [tasks]=2
	[meta]=1 [content]=1 [snapshot]=1 [diff]=1 [rpc]=1
	[proto]=0
)
bad=0

confine() { # PATTERN ALLOWED-DIR... : PATTERN only in those folders
	local pat=$1 f line
	shift
	while IFS=: read -r f line rest; do
		local ok=0 d
		for d in "$@"; do [[ $f == "$d"/* ]] && ok=1; done
		if [ $ok = 0 ]; then
			echo "$f:$line: $rest: only in $*"
			bad=1
		fi
	done < <(git grep -n -E "^[[:space:]]*#[[:space:]]*include[[:space:]]*<$pat" -- '*.c' '*.h')
}

confine 'grpc/' supervisor/rpc
confine 'sqlite3\.h>' supervisor/meta
confine 'curl/' supervisor/registry
confine 'archive(_entry)?\.h>' supervisor/image supervisor/diff

while IFS=: read -r f line rest; do
	from=${f#supervisor/}
	from=${from%%/*}
	to=$(sed -E 's/.*"supervisor\/([^/]+)\/.*/\1/' <<<"$rest")
	[ "$from" = "$to" ] && continue
	if [ -z "${LAYER[$from]:-}" ]; then
		echo "$f:$line: folder supervisor/$from/ has no layer in tests/lint/supervisor-layers.sh"
		bad=1
	elif [ -z "${LAYER[$to]:-}" ]; then
		echo "$f:$line: supervisor/$to/ has no layer in tests/lint/supervisor-layers.sh"
		bad=1
	else
		max=$((LAYER[$from] - 1))
		# berthctl is a client: none of the daemon's adapters or core, only what it shares
		# (image/, registry/ and rpc/'s client)
		[ "$from" = ctl ] && max=2
		if [ "${LAYER[$to]}" -gt "$max" ]; then
			echo "$f:$line: supervisor/$from/ (layer ${LAYER[$from]}) includes supervisor/$to/ (layer ${LAYER[$to]}): only layers <= $max"
			bad=1
		fi
	fi
done < <(git grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"supervisor/' -- 'supervisor/*.c' 'supervisor/*.h')

exit $bad
