#!/bin/bash
# tests/lint/rpc-paths.sh [FILE ...] - refuses a hand-spelled containerd RPC path
# ("/containerd.services.…" or "/containerd.task.…" in a C string) in C files (default:
# every *.c and *.h in git outside build/). A method path and its message types come
# from the protoc-c service descriptor (docs/supervisor.md, "RPC bindings"): servers list
# method names in their rpc_service table, clients call rpc_client_invoke /
# rpc_client_stream_invoke with the descriptor. Comments are ignored.
# Allowed: tests/helpers/, whose tools (rpcfuzz) send raw paths on purpose: unknown
# methods and malformed payloads that a descriptor-bound call refuses to send.
# Prints FILE:LINE: text for each offender, exits 1 if there is one.
set -u
cd "$(dirname "$0")/../.." || exit 2
if [ $# -eq 0 ]; then
	mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v -e '^build/' -e '^tests/helpers/')
else
	files=("$@")
fi
[ ${#files[@]} -gt 0 ] || exit 0
awk '
	FNR == 1 { incomment = 0 }
	{
		line = $0
		# drop comments: a /* ... */ that may span lines, and // to the end
		out = ""
		while (line != "") {
			if (incomment) {
				e = index(line, "*/")
				if (e == 0) { line = ""; break }
				line = substr(line, e + 2)
				incomment = 0
				continue
			}
			b = index(line, "/*")
			if (b == 0) { out = out line; break }
			out = out substr(line, 1, b - 1)
			line = substr(line, b + 2)
			incomment = 1
		}
		sub(/\/\/.*/, "", out)
		if (out ~ /"\/containerd\.(services|task)\./) {
			printf "%s:%d: %s\n", FILENAME, FNR, $0
			bad = 1
		}
	}
	END { exit bad }
' "${files[@]}" && exit 0
echo "lint: take RPC paths from the protoc-c service descriptor (rpc_service method names," \
	"rpc_client_invoke), not a hand-spelled \"/containerd.services.…\" or \"/containerd.task.…\" string" >&2
exit 1
