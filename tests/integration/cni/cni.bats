#!/usr/bin/env bats
# supervisor/cni/ through its test driver (tests/helpers/cnitool) with Debian's CNI
# plugins. Everything happens inside a network namespace this file creates per test
# ($HOSTNS, bound to a file under $T): the bridge, veths, addresses and iptables rules
# live there, host-local's dataDir and every netns file are under $T, and teardown
# removes it all. The host's own network namespace is never touched.

load ../helpers
bats_require_minimum_version 1.5.0

CNITOOL=${CNITOOL:-$BUILD_DIR/tests/helpers/cnitool}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x /usr/lib/cni/bridge ] || skip "containernetworking-plugins not installed"
	T=$(mktemp -d "$BERTH_TEST_TMPBASE/cni.XXXXXX")
	HOSTNS=$T/hostns
	touch "$HOSTNS"
	unshare --net="$HOSTNS" true
	nsenter --net="$HOSTNS" ip link set lo up
	mkdir -p "$T/conf" "$T/bin"
	cat >"$T/conf/10-test.conflist" <<JSON
{"cniVersion":"1.0.0","name":"cnitest","plugins":[
 {"type":"bridge","bridge":"cnitest0","isGateway":true,"ipMasq":false,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"10.88.0.0/16"}]],"dataDir":"$T/ipam",
          "routes":[{"dst":"0.0.0.0/0"}]}},
 {"type":"portmap","capabilities":{"portMappings":true}}]}
JSON
	cat >"$T/lo.conf" <<JSON
{"cniVersion":"1.0.0","name":"lo","type":"loopback"}
JSON
}

teardown() {
	[ -n "${T:-}" ] || return 0
	local f
	# the hung plugin's child, if the test failed before it was killed (and only if that
	# pid is still a sleep: it may have been reused)
	if [ -f "$T/hung.child" ] && grep -qs sleep "/proc/$(cat "$T/hung.child")/comm"; then
		kill -9 "$(cat "$T/hung.child")"
	fi
	[ -f "$T/httpd.pid" ] && kill -9 "$(cat "$T/httpd.pid")" 2>/dev/null
	for f in "$T"/ns*; do
		[ -e "$f" ] && "$CNITOOL" netns-del "$f"
	done
	umount "$HOSTNS" 2>/dev/null
	rm -rf "$T"
}

# cnitool ARGS...: the driver inside the test's namespace, with the test's config dir
cnitool() {
	nsenter --net="$HOSTNS" "$CNITOOL" --conf-dir "$T/conf" "$@"
}

in_ns() { # NETNS CMD...
	local ns=$1
	shift
	nsenter --net="$ns" "$@"
}

add_pod() { # NAME: a netns and an ADD on the bridge network; prints the result
	cnitool netns-add "$T/$1"
	cnitool --cache "$T/$1.result" add "$1" "$T/$1"
}

ip_of() { # NAME: the IPv4 address (no prefix) the ADD gave
	jq -r '.ips[0].address' "$T/$1.result" | cut -d/ -f1
}

ping_from() { # NETNS ADDR: one answered ping within 5 tries (a busy machine may drop one)
	local i
	for i in 1 2 3 4 5; do
		nsenter --net="$1" busybox ping -c 1 -W 2 "$2" >/dev/null && return 0
	done
	echo "no answer from $2 in $1"
	return 1
}

http_get() { # NETNS ADDR PORT: GET / over busybox nc
	printf 'GET / HTTP/1.0\r\n\r\n' | nsenter --net="$1" busybox nc -w 3 "$2" "$3" | grep .
}

veths() {
	nsenter --net="$HOSTNS" ip -o link show type veth | wc -l
}

@test "cni: two namespaces on a bridge network get addresses and reach each other" {
	run add_pod ns1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ $output == *"ip 10.88."*"/16 gateway 10.88.0.1 interface eth0"* ]]
	run add_pod ns2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	ip1=$(ip_of ns1)
	ip2=$(ip_of ns2)
	[ "$ip1" != "$ip2" ]
	in_ns "$T/ns1" ip -4 -o addr show eth0 | grep -q "inet $ip1/16"
	ping_from "$T/ns1" "$ip2"
	ping_from "$T/ns2" "$ip1"
	[ "$(veths)" -eq 2 ]
	cnitool --cache "$T/ns1.result" check ns1 "$T/ns1"
}

@test "cni: the loopback plugin brings lo up in a new namespace" {
	cnitool netns-add "$T/nslo"
	run in_ns "$T/nslo" ip -o link show lo
	[[ $output != *"UP"* ]] || { echo "lo up before ADD: $output"; false; }
	nsenter --net="$HOSTNS" "$CNITOOL" --conf "$T/lo.conf" add lo1 "$T/nslo"
	run in_ns "$T/nslo" ip -o link show lo
	[[ $output == *"LOWER_UP"* ]] || { echo "lo not up: $output"; false; }
	ping_from "$T/nslo" 127.0.0.1
}

@test "cni: a portmap hostPort forwards to the container inside the test namespace" {
	add_pod ns1 >/dev/null
	cnitool netns-add "$T/ns2"
	cnitool --cache "$T/ns2.result" --port 8080:80 add ns2 "$T/ns2"
	mkdir -p "$T/www"
	echo "hello from ns2" >"$T/www/index.html"
	# foreground, fd 3 closed (bats waits for it), killed by teardown
	nsenter --net="$T/ns2" busybox httpd -f -p 80 -h "$T/www" 3>&- &
	echo $! >"$T/httpd.pid"
	# the host side of the test namespace: the bridge's address, port 8080 (busybox
	# wget is not used: the static one crashes resolving names here)
	local i out=
	for i in $(seq 50); do
		out=$(http_get "$HOSTNS" 10.88.0.1 8080) && [[ $out == *"hello from ns2"* ]] && break
		sleep 0.2
	done
	[[ $out == *"hello from ns2"* ]] || { echo "got '$out'"; false; }
	# and from the other container, through the DNAT on the host side too
	out=$(http_get "$T/ns1" 10.88.0.1 8080)
	[[ $out == *"hello from ns2"* ]] || { echo "from ns1: got '$out'"; false; }
	# the container's own port is not the host port
	run ! http_get "$HOSTNS" 10.88.0.1 8081
}

@test "cni: DEL frees the host-local allocation and the veth, and a second DEL succeeds" {
	add_pod ns1 >/dev/null
	ip1=$(ip_of ns1)
	[ -f "$T/ipam/cnitest/$ip1" ]
	[ "$(veths)" -eq 1 ]
	cnitool --cache "$T/ns1.result" del ns1 "$T/ns1"
	[ ! -e "$T/ipam/cnitest/$ip1" ]
	[ "$(veths)" -eq 0 ]
	run ! in_ns "$T/ns1" ip link show eth0
	cnitool --cache "$T/ns1.result" del ns1 "$T/ns1"
	# and once the namespace itself is gone
	# the namespace outlived the process that made it, as a bind mount of nsfs
	[ "$(stat -f -c %T "$T/ns1")" = nsfs ]
	mountpoint -q "$T/ns1"
	cnitool netns-del "$T/ns1"
	[ ! -e "$T/ns1" ]
	run ! grep -q " $T/ns1 " /proc/self/mountinfo
	cnitool --cache "$T/ns1.result" del ns1 "$T/ns1"
	# a namespace removed before its DEL: the DEL still frees the allocation
	add_pod ns2 >/dev/null
	ip2=$(ip_of ns2)
	[ -f "$T/ipam/cnitest/$ip2" ]
	cnitool netns-del "$T/ns2"
	cnitool --cache "$T/ns2.result" del ns2 "$T/ns2"
	[ ! -e "$T/ipam/cnitest/$ip2" ]
	[ "$(veths)" -eq 0 ]
}

@test "cni: chained plugins get the CNI_* environment, prevResult and runtimeConfig" {
	cat >"$T/bin/recorder" <<'SH'
#!/bin/sh
env | grep '^CNI_' | sort >"$REC.env"
cat >"$REC.stdin"
jq -c .prevResult "$REC.stdin"
SH
	chmod +x "$T/bin/recorder"
	jq '.plugins += [{"type":"recorder","capabilities":{"portMappings":true}}]' \
		"$T/conf/10-test.conflist" >"$T/conf/05-rec.conflist"
	cnitool netns-add "$T/ns1"
	REC=$T/rec cnitool --bin-dir /usr/lib/cni --bin-dir "$T/bin" --args "IgnoreUnknown=1;K8S_POD_NAME=p" \
		--ifname net0 --port 9090:90/udp --cache "$T/ns1.result" add ns1 "$T/ns1"
	grep -qx "CNI_COMMAND=ADD" "$T/rec.env"
	grep -qx "CNI_CONTAINERID=ns1" "$T/rec.env"
	grep -qx "CNI_NETNS=$T/ns1" "$T/rec.env"
	grep -qx "CNI_IFNAME=net0" "$T/rec.env"
	grep -qx "CNI_PATH=/usr/lib/cni:$T/bin" "$T/rec.env"
	grep -qx "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=p" "$T/rec.env"
	[ "$(jq -r .name "$T/rec.stdin")" = cnitest ]
	[ "$(jq -r .cniVersion "$T/rec.stdin")" = 1.0.0 ]
	[ "$(jq -r '.prevResult.ips[0].address' "$T/rec.stdin")" = "$(jq -r '.ips[0].address' "$T/ns1.result")" ]
	[ "$(jq -c '.runtimeConfig.portMappings' "$T/rec.stdin")" = '[{"hostPort":9090,"containerPort":90,"protocol":"udp"}]' ]
	REC=$T/rec cnitool --bin-dir /usr/lib/cni --bin-dir "$T/bin" --ifname net0 \
		--cache "$T/ns1.result" del ns1 "$T/ns1"
	grep -qx "CNI_COMMAND=DEL" "$T/rec.env"
	grep -qx "CNI_NETNS=$T/ns1" "$T/rec.env"
	[ "$(jq -r '.prevResult.ips[0].address' "$T/rec.stdin")" = "$(jq -r '.ips[0].address' "$T/ns1.result")" ]
	# a DEL after the namespace is gone passes an empty CNI_NETNS (the spec's "not
	# provided": plugins release what they can) and succeeds
	cnitool netns-del "$T/ns1"
	REC=$T/rec cnitool --bin-dir /usr/lib/cni --bin-dir "$T/bin" --ifname net0 \
		--cache "$T/ns1.result" del ns1 "$T/ns1"
	grep -qx "CNI_NETNS=" "$T/rec.env"
}

@test "cni: a failing plugin's code, msg and details reach the caller" {
	cat >"$T/bin/failer" <<'SH'
#!/bin/sh
cat >/dev/null
echo '{"cniVersion":"1.0.0","code":11,"msg":"try again later","details":"pool busy"}'
exit 1
SH
	chmod +x "$T/bin/failer"
	echo '{"cniVersion":"1.0.0","name":"f","plugins":[{"type":"failer"}]}' >"$T/conf/01-f.conflist"
	cnitool netns-add "$T/ns1"
	run cnitool --bin-dir "$T/bin" add c1 "$T/ns1"
	[ "$status" -eq 1 ]
	[[ $output == *"cni: plugin 'failer' ADD: code 11: try again later: pool busy"* ]] || { echo "$output"; false; }
	run cnitool --bin-dir /nonexistent add c1 "$T/ns1"
	[ "$status" -eq 1 ]
	[[ $output == *"cni: plugin 'failer': not found in the bin dirs"* ]] || { echo "$output"; false; }
}

@test "cni: a hung plugin is killed, with its children, at the timeout" {
	cat >"$T/bin/hang" <<SH
#!/bin/sh
sleep 1000 &
echo \$! >"$T/hung.child"
wait
SH
	chmod +x "$T/bin/hang"
	echo '{"cniVersion":"1.0.0","name":"h","plugins":[{"type":"hang"}]}' >"$T/conf/01-h.conflist"
	cnitool netns-add "$T/ns1"
	run cnitool --bin-dir "$T/bin" --timeout 500 add c1 "$T/ns1"
	[ "$status" -eq 1 ]
	[[ $output == *"cni: plugin 'hang' ADD: no answer within 500 ms: killed"* ]] || { echo "$output"; false; }
	[ -s "$T/hung.child" ]
	local i
	for i in $(seq 50); do
		kill -0 "$(cat "$T/hung.child")" 2>/dev/null || break
		sleep 0.1
	done
	run ! kill -0 "$(cat "$T/hung.child")"
}

@test "cni: a bad config is named with its file and field; the next valid one is used" {
	echo '{"cniVersion":"1.0.0","name":"bad","plugins":[{"type":7}]}' >"$T/conf/01-bad.conflist"
	run cnitool netns-add "$T/ns1"
	run cnitool --cache "$T/ns1.result" add ns1 "$T/ns1"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ $output == *"ip 10.88."* ]]
	run cnitool --conf "$T/conf/01-bad.conflist" add ns1 "$T/ns1"
	[ "$status" -eq 1 ]
	[[ $output == *"$T/conf/01-bad.conflist: plugins[0].type: not a string"* ]] || { echo "$output"; false; }
	rm "$T/conf/10-test.conflist"
	run cnitool add ns1 "$T/ns1"
	[ "$status" -eq 1 ]
	[[ $output == *"cni: no valid network config in '$T/conf': $T/conf/01-bad.conflist: plugins[0].type: not a string"* ]] || { echo "$output"; false; }
}
