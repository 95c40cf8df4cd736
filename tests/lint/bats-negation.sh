#!/bin/bash
# tests/lint/bats-negation.sh [FILE ...] - refuses a bare `! cmd` in bats tests and their
# helpers (default: every tests/**/*.bats and *.bash in git). bash never stops on a
# negated command under `set -e`, so such a line cannot fail a test: write `run ! cmd`
# or `! cmd || false` (or `|| fail_with ...`). Comment lines are ignored; a line is
# joined with the next when it ends in a backslash. Prints FILE:LINE: text for each
# offender, exits 1 if there is one.
set -u
cd "$(dirname "$0")/../.." || exit 2
if [ $# -eq 0 ]; then
	mapfile -t files < <(git ls-files 'tests/*.bats' 'tests/*.bash')
else
	files=("$@")
fi
[ ${#files[@]} -gt 0 ] || exit 0
awk '
	FNR == 1 { held = ""; start = 0 }
	{
		line = $0
		if (held != "") { line = held " " line } else { start = FNR }
		if (line ~ /\\$/) { held = substr(line, 1, length(line) - 1); next }
		held = ""
		if (line ~ /^[ \t]*#/) next
		# a command that is a negation: at the start, or after ; && { then do else
		if (match(line, /(^|;|&&|\{|[ \t]then|[ \t]do|[ \t]else)[ \t]*![ \t]/)) {
			rest = substr(line, RSTART + RLENGTH)
			if (rest !~ /\|\|/) {
				printf "%s:%d: %s\n", FILENAME, start, line
				bad = 1
			}
		}
	}
	END { exit bad }
' "${files[@]}" && exit 0
echo "lint: a bare '! cmd' never fails a bats test: use 'run ! cmd' or '! cmd || false'" >&2
exit 1
