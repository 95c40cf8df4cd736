# tests/integration/berthd.bash - one private berthd for a test, shared by the supervisor
# tests and the compat tests (source it; it defines functions only).
#
#   start_berthd [ARGS...]   berthd ($BERTHD) on $T: --root $T/root, --state $T/state, the
#                            socket $SOCK, shim sockets in $T/s (never /run/berthd/s: keep
#                            $T short) and an empty config file $T/berthd.json unless
#                            one is there (the host's /etc/berth/berthd.json is never read),
#                            ARGS appended; log appended to $T/berthd.log; sets BERTHD_PID.
#                            Waits until berthd answers a gRPC call (berthctl images ls),
#                            else prints the log and fails.
#   stop_berthd              SIGTERM to it and waits. Under tests/asan/run.sh
#                            ($BERTH_SANITIZER_LOGS set) it also copies $T/berthd.log there
#                            if it holds a sanitizer report (UBSan writes to stderr only).

start_berthd() {
	local ctl=${BERTHCTL:-$(dirname "$BERTHD")/berthctl}
	[ -f "$T/berthd.json" ] || echo '{}' >"$T/berthd.json"
	"$BERTHD" --root "$T/root" --state "$T/state" -a "$SOCK" -c "$T/berthd.json" \
		--shim-socket-dir "$T/s" "$@" \
		</dev/null >>"$T/berthd.log" 2>&1 3>&- &
	BERTHD_PID=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && "$ctl" -a "$SOCK" images ls >/dev/null 2>&1 3>&- && return 0
		kill -0 "$BERTHD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "berthd did not start:"
	cat "$T/berthd.log"
	return 1
}

stop_berthd() {
	if [ -n "${BERTHD_PID:-}" ]; then
		kill -TERM "$BERTHD_PID" 2>/dev/null
		wait "$BERTHD_PID" 2>/dev/null
		BERTHD_PID=
	fi
	if [ -n "${BERTH_SANITIZER_LOGS:-}" ] &&
		grep -qE 'runtime error:|ERROR: (Address|Leak|Undefined)Sanitizer' "$T/berthd.log" 2>/dev/null; then
		cp "$T/berthd.log" "$BERTH_SANITIZER_LOGS/berthd-log.$(basename "$T").$RANDOM"
	fi
	return 0
}
