# tests/compat/registry/helpers.bash - registries for tests/compat/registry.bats, all on
# 127.0.0.x loopback ports with every file in $RT (a private temp dir).
#
#   reg_start NAME [--host IP] [--tls] [--htpasswd USER:PASS] [--token URL]
#                       Debian's docker-registry on IP (default 127.0.0.1) and a free
#                       port; config, storage, log, cert in $RT/NAME. Sets REG (host:port)
#                       and REG_DIR. --tls: a CA ($RT/ca.crt, made once with openssl) signs
#                       a cert for IP. --token URL: docker-registry's token auth with realm
#                       URL, service "berth-test", issuer "berth-issuer", $RT/token.crt.
#   reg_blob_gets       how many blob GETs the registry at $REG_DIR logged
#   fake_start MODE LAYOUT   tests/compat/registry/fake-registry.py; sets FAKE (host:port)
#   token_start USER PASS [--anonymous-pull]   token-server.py; sets TOKEN_URL, TOKEN_LOG
#   reg_stop_all        stops everything started here (by pid)
#   fail_with MSG       fails the test, printing MSG and the last run status/output

REG_TESTDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

free_port() {
	/usr/bin/python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

reg_ca() {
	[ -f "$RT/ca.crt" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=berth test CA" \
		-keyout "$RT/ca.key" -out "$RT/ca.crt" 2>/dev/null
}

# reg_cert DIR IP: key + cert for IP signed by the test CA
reg_cert() {
	local dir=$1 ip=$2
	reg_ca
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$ip" -keyout "$dir/tls.key" \
		-out "$dir/tls.csr" 2>/dev/null
	printf 'subjectAltName=IP:%s\n' "$ip" >"$dir/ext.cnf"
	openssl x509 -req -in "$dir/tls.csr" -CA "$RT/ca.crt" -CAkey "$RT/ca.key" \
		-CAcreateserial -days 2 -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>/dev/null
}

# wait_for CMD...: up to 10 s
wait_for() {
	local _
	for _ in $(seq 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

reg_start() {
	local name=$1 host=127.0.0.1 tls= htp= token= port scheme=http try
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--host) host=$2; shift 2 ;;
		--tls) tls=1; shift ;;
		--htpasswd) htp=$2; shift 2 ;;
		--token) token=$2; shift 2 ;;
		*) echo "reg_start: bad argument $1"; return 1 ;;
		esac
	done
	REG_DIR=$RT/$name
	mkdir -p "$REG_DIR/data"
	[ -n "$tls" ] && { reg_cert "$REG_DIR" "$host"; scheme=https; }
	[ -n "$htp" ] && htpasswd -Bbn "${htp%%:*}" "${htp#*:}" >"$REG_DIR/htpasswd"
	for try in 1 2 3 4 5; do
		port=$(free_port "$host")
		{
			echo "version: 0.1"
			echo "log: {level: info, accesslog: {disabled: false}}"
			echo "storage: {filesystem: {rootdirectory: $REG_DIR/data}, delete: {enabled: true}}"
			echo "http:"
			echo "  addr: $host:$port"
			[ -n "$tls" ] && echo "  tls: {certificate: $REG_DIR/tls.crt, key: $REG_DIR/tls.key}"
			[ -n "$htp" ] && echo "auth: {htpasswd: {realm: berth-test, path: $REG_DIR/htpasswd}}"
			[ -n "$token" ] && echo "auth: {token: {realm: \"$token\", service: berth-test, issuer: berth-issuer, rootcertbundle: $RT/token.crt}}"
		} >"$REG_DIR/config.yml"
		setsid docker-registry serve "$REG_DIR/config.yml" >>"$REG_DIR/log" 2>&1 </dev/null 3>&- &
		echo $! >>"$RT/pids"
		if wait_for curl -s --cacert "$RT/ca.crt" -o /dev/null "$scheme://$host:$port/v2/"; then
			REG=$host:$port
			return 0
		fi
		kill "$(tail -1 "$RT/pids")" 2>/dev/null
		grep -q "address already in use" "$REG_DIR/log" || break
	done
	echo "docker-registry did not start:"
	cat "$REG_DIR/log"
	return 1
}

reg_blob_gets() {
	grep -c '"GET /v2/[^ ]*/blobs/sha256' "$REG_DIR/log" || true
}

fake_start() {
	local mode=$1 layout=$2 dir
	dir=$(mktemp -d "$RT/fake.XXXX")
	/usr/bin/python3 "$REG_TESTDIR/fake-registry.py" --layout "$layout" --mode "$mode" \
		--log "$dir/log" --port-file "$dir/port" </dev/null >"$dir/out" 2>&1 3>&- &
	echo $! >>"$RT/pids"
	wait_for test -s "$dir/port" || { cat "$dir/out"; return 1; }
	FAKE=127.0.0.1:$(cat "$dir/port")
	FAKE_LOG=$dir/log
}

token_start() {
	local dir=$RT/token
	mkdir -p "$dir"
	[ -f "$RT/token.crt" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj "/CN=berth token" -keyout "$RT/token.key" -out "$RT/token.crt" 2>/dev/null
	/usr/bin/python3 "$REG_TESTDIR/token-server.py" --key "$RT/token.key" --cert "$RT/token.crt" \
		--issuer berth-issuer --user "$1" --password "$2" ${3:-} --log "$dir/log" \
		--port-file "$dir/port" </dev/null >"$dir/out" 2>&1 3>&- &
	echo $! >>"$RT/pids"
	wait_for test -s "$dir/port" || { cat "$dir/out"; return 1; }
	TOKEN_URL=http://127.0.0.1:$(cat "$dir/port")/token
	TOKEN_LOG=$dir/log
}

reg_stop_all() {
	local pid
	[ -f "$RT/pids" ] || return 0
	for pid in $(cat "$RT/pids"); do
		kill "$pid" 2>/dev/null
	done
	for pid in $(cat "$RT/pids"); do
		wait "$pid" 2>/dev/null
	done
	rm -f "$RT/pids"
}

# fail_with MSG: print MSG with the last run's status and output, and fail
fail_with() {
	{
		echo "FAILED: $*"
		echo "status: ${status:-?}"
		echo "output: ${output:-}"
	} >&2
	return 1
}
