#!/usr/bin/env bats
# berthctl's docker conventions (issue #14): -e NAME from berthctl's environment, --user
# resolved in the image's /etc/passwd and /etc/group (and the image's USER), -w creating
# the directory, reference validation on tag, every name / short name / IMAGE ID usable
# by every image command, several names per command each handled, docker's exit codes,
# export writing through symlinks and devices.
#
# Runs against a private berthd; with BERTHCTL_PEER=containerd against a private
# containerd 1.6 instead (berthctl-peer.bash).

load ../helpers
load ../../compat/compat-helpers
load berthctl-peer

bats_require_minimum_version 1.5.0

IMAGE=localhost/berth-cli:latest
UIMG=localhost/berth-cli-user:latest

setup_file() {
	ctl_peer_setup_file || return 1
	mkdir -p "$T/etc"
	cat >"$T/etc/passwd" <<-EOF
		root:x:0:0:root:/root:/bin/sh
		app:x:1000:1000::/home/app:/bin/sh
		other:x:1001:1001:Other:/:/bin/sh
	EOF
	cat >"$T/etc/group" <<-EOF
		root:x:0:
		app:x:1000:
		other:x:1001:
		staff:x:50:app,other
		extra:x:2000:app
	EOF
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$T/img" --layers 1 --name "$IMAGE" >/dev/null
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$T/uimg" --layers 1 --name "$UIMG" \
		--etc "$T/etc" --user app >/dev/null
	bctl images import "$T/img/image.oci.tar" >/dev/null
	bctl images import "$T/uimg/image.oci.tar" >/dev/null
}

teardown_file() {
	ctl_peer_teardown_file
}

setup() {
	ctl_peer_setup
}

teardown() {
	ctl_peer_teardown
}

# ---------------------------------------------------------------- -e

@test "run -e NAME takes NAME's value from berthctl's environment; an unset NAME is dropped" {
	# regression: issue #14 (the bare NAME was put into the environment)
	export CLI_FROM_ENV='hello world'
	unset CLI_UNSET
	run bctl run --rm -e CLI_FROM_ENV -e CLI_UNSET -e CLI_SET=1 "$IMAGE" env
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo "$output"
	grep -qx 'CLI_FROM_ENV=hello world' <<<"$output"
	grep -qx 'CLI_SET=1' <<<"$output"
	run ! grep -q CLI_UNSET <<<"$output"
}

# ---------------------------------------------------------------- --user

@test "run: the image's USER is resolved in its /etc/passwd, with HOME and supplementary groups" {
	# regression: issue #14 (USER app failed: only numbers were accepted)
	run bctl run --rm "$UIMG" sh -c 'id -u; id -g; id -G; echo "$HOME"'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo "$output"
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = "1000 50 2000" ]
	[ "${lines[3]}" = /home/app ]
}

@test "run -u UID takes the user's gid from /etc/passwd; an unknown uid gets gid 0" {
	# regression: issue #14 (-u 1000 got gid 0)
	run bctl run --rm -u 1001 "$UIMG" sh -c 'id -u; id -g; id -G'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = 1001 ] && [ "${lines[1]}" = 1001 ] && [ "${lines[2]}" = "1001 50" ] ||
		{ echo "$output"; false; }
	run bctl run --rm -u 4242 "$UIMG" sh -c 'id -u; id -g'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = 4242 ] && [ "${lines[1]}" = 0 ] || { echo "$output"; false; }
}

@test "run -u name:group takes the group from /etc/group and no supplementary groups" {
	run bctl run --rm -u app:staff "$UIMG" sh -c 'id -u; id -g; id -G'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = 1000 ] && [ "${lines[1]}" = 50 ] && [ "${lines[2]}" = 50 ] ||
		{ echo "$output"; false; }
	run bctl run --rm -u root:4321 "$UIMG" sh -c 'id -u; id -g'
	[ "${lines[0]}" = 0 ] && [ "${lines[1]}" = 4321 ] || { echo "$output"; false; }
}

@test "run -u with a name the image lacks fails naming it, and leaves no container" {
	run bctl run --rm -u nosuch "$UIMG" true
	[ "$status" -eq 1 ] || { echo "$output"; false; }
	[[ "$output" == *"user 'nosuch': no such user in the image's /etc/passwd"* ]]
	run bctl run --rm -u app:nogroup "$UIMG" true
	[ "$status" -eq 1 ] || { echo "$output"; false; }
	[[ "$output" == *"group 'nogroup': no such group"* ]]
	run bctl ps -a -q
	[ -z "$output" ] || { echo "left: $output"; false; }
}

@test "exec -u NAME is resolved in the running container's /etc/passwd" {
	bctl run -d --name ex "$UIMG" sleep 60
	run bctl exec -u other ex sh -c 'id -u; id -g; id -G'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = 1001 ] && [ "${lines[1]}" = 1001 ] && [ "${lines[2]}" = "1001 50" ] ||
		{ echo "$output"; false; }
	run bctl exec -u ghost ex true
	[ "$status" -eq 1 ]
	[[ "$output" == *"user 'ghost'"* ]]
}

# ---------------------------------------------------------------- -w

@test "run -w creates a missing working directory 0755 root:root, as docker" {
	# regression: issue #14
	run bctl run --rm -u app -w /new/deep/dir "$UIMG" sh -c 'pwd; stat -c "%a %u %g" .'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = /new/deep/dir ] || { echo "$output"; false; }
	[ "${lines[1]}" = "755 0 0" ] || { echo "$output"; false; }
	# an existing one is left alone
	run bctl run --rm -w /tmp "$IMAGE" sh -c 'stat -c "%a" .'
	[ "$output" = 1777 ] || [ "$output" = 755 ] || { echo "$output"; false; }
}

# ---------------------------------------------------------------- images

@test "images tag refuses a name outside docker's reference grammar" {
	# regression: issue #14 (tag IMG 'BAD NAME' was accepted)
	run bctl images tag "$IMAGE" 'BAD NAME'
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid reference format 'BAD NAME'"* ]] || { echo "$output"; false; }
	run bctl images tag "$IMAGE" 'Upper:1'
	[ "$status" -ne 0 ]
	[[ "$output" == *"repository name must be lowercase"* ]] || { echo "$output"; false; }
	run bctl images tag "$IMAGE" 'ok:bad:tag'
	[ "$status" -ne 0 ]
	run bctl images ls -q
	run ! grep -qi -e 'bad' -e 'upper' <<<"$output"
	run bctl images tag "$IMAGE" localhost:5000/good/name_1:v1.0
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	bctl images rm localhost:5000/good/name_1:v1.0
}

@test "a tag is usable by every image command, by its short name" {
	# regression: issue #14 (images inspect myapp:v1 failed after a tag)
	bctl images tag "$IMAGE" myapp:v1
	run bctl images inspect myapp:v1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *'"Name": "docker.io/library/myapp:v1"'* ]] || { echo "$output"; false; }
	run bctl run --rm myapp:v1 echo via-tag
	[ "$output" = via-tag ] || { echo "$output"; false; }
	bctl images export "$T/tag.tar" myapp:v1
	tar -tf "$T/tag.tar" | grep -qx index.json
	bctl images tag myapp:v1 myapp:v2
	run bctl images rm myapp:v1 myapp:v2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run bctl images inspect myapp:v1
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image: 'myapp:v1'"* ]]
}

@test "an IMAGE ID (short hex prefix, or sha256:...) is accepted wherever an image is" {
	local id
	id=$(bctl images ls | awk -v r="${IMAGE%:*}" '$1 == r { print $3 }')
	[ -n "$id" ] && [ ${#id} -eq 12 ] || { bctl images ls; false; }
	run bctl images inspect "$id"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"\"Id\": \"sha256:$id"* ]] || { echo "$output"; false; }
	run bctl run --rm "$id" echo via-id
	[ "$output" = via-id ] || { echo "$output"; false; }
	run bctl run --rm "sha256:${id:0:6}" echo via-digest-prefix
	[ "$output" = via-digest-prefix ] || { echo "$output"; false; }
	bctl images export "$T/id.tar" "$id"
	tar -tf "$T/id.tar" | grep -qx index.json
	bctl images tag "$id" idtag:1
	# two names share the ID: removing by ID would be a guess
	run bctl images rm "$id"
	[ "$status" -eq 1 ]
	[[ "$output" == *"referenced by 2 names"* ]] || { echo "$output"; false; }
	bctl images rm idtag:1
}

# ---------------------------------------------------------------- several names

@test "rm -f nosuch A B: an error for the missing one, the others removed, exit 1" {
	# regression: issue #14 (rm stopped at the first name)
	bctl run -d --name a1 "$IMAGE" sleep 60
	bctl run -d --name b1 "$IMAGE" sleep 60
	run bctl rm -f nosuch a1 b1
	[ "$status" -eq 1 ] || { echo "$output"; false; }
	[[ "$output" == *"no such container: 'nosuch'"* ]]
	grep -qx a1 <<<"$output"
	grep -qx b1 <<<"$output"
	run bctl ps -a
	run ! grep -qw -e a1 -e b1 <<<"$output"
}

@test "stop, kill and images rm handle every name and exit 1 if one failed" {
	bctl run -d --name s1 "$IMAGE" sleep 60
	run bctl kill -s TERM nosuch s1
	[ "$status" -eq 1 ]
	grep -qx s1 <<<"$output"
	bctl run -d --name s2 "$IMAGE" sleep 60
	run bctl stop -t 1 s2 nosuch
	[ "$status" -eq 1 ]
	grep -qx s2 <<<"$output"
	bctl images tag "$IMAGE" multi:1
	run bctl images rm nosuch:1 multi:1
	[ "$status" -eq 1 ]
	run bctl images inspect multi:1
	[ "$status" -eq 1 ]
}

# ---------------------------------------------------------------- exit codes

@test "usage errors exit 2 and an unknown command 127, as docker" {
	# regression: issue #14 (an unknown command exited 2)
	run -127 bctl nosuchcommand
	[ "$status" -eq 127 ] || { echo "$status: $output"; false; }
	[[ "$output" == *"unknown command 'nosuchcommand'"* ]]
	run bctl run
	[ "$status" -eq 2 ] || { echo "$status: $output"; false; }
	run bctl run --no-such-flag "$IMAGE"
	[ "$status" -eq 2 ] || { echo "$status: $output"; false; }
	run bctl rm
	[ "$status" -eq 2 ]
	run bctl images
	[ "$status" -eq 2 ]
	# a failure that is not a usage error stays 1
	run bctl rm nosuch
	[ "$status" -eq 1 ]
}

# ---------------------------------------------------------------- export targets

@test "images export writes through a symlink, to a pipe via /dev/stdout and to -" {
	# regression: issue #14 (export /dev/stdout replaced the symlink with a file)
	: >"$T/real.tar"
	ln -sf "$T/real.tar" "$T/link.tar"
	bctl images export "$T/link.tar" "$IMAGE" >/dev/null
	[ -L "$T/link.tar" ] || { ls -l "$T"; false; }
	tar -tf "$T/real.tar" | grep -qx index.json
	ln -sf /dev/stdout "$T/out-link"
	bctl images export "$T/out-link" "$IMAGE" | cat >"$T/piped.tar"
	[ -L "$T/out-link" ]
	tar -tf "$T/piped.tar" | grep -qx index.json
	ls "$T" | grep -q 'tmp-' && { ls "$T"; false; }
	bctl images export - "$IMAGE" | cat >"$T/dash.tar"
	tar -tf "$T/dash.tar" | grep -qx oci-layout
	cmp "$T/piped.tar" "$T/dash.tar"
}
