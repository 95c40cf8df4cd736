#!/bin/sh
# proto/strip-gogo.sh SRC DST - copies every .proto under SRC to DST with the
# gogo and containerd-plugin options removed, and adds the well-known types
# from libprotobuf-dev, so that plain protoc-c compiles containerd's protos.
set -eu
src=$1
dst=$(mkdir -p "$2" && cd "$2" && pwd)
rm -rf "$dst"
mkdir -p "$dst"
cd "$src"
find . -name '*.proto' | while read -r f; do
	mkdir -p "$dst/$(dirname "$f")"
	sed -e '/^import weak/d' -e '/^[[:space:]]*import "gogoproto\/gogo.proto"/d' \
	    -e '/^import "github.com\/gogo\/protobuf\/gogoproto\/gogo.proto"/d' \
	    -e '/^import "github.com\/containerd\/containerd\/protobuf\/plugin\/fieldpath.proto"/d' \
	    -e '/^[[:space:]]*option (gogoproto\./d' -e '/^[[:space:]]*option (containerd\.plugin\./d' \
	    -e 's/[[:space:]]*\[(gogoproto[^]]*\]//g' \
	    "$f" > "$dst/$f"
done
mkdir -p "$dst/google/protobuf"
for w in any timestamp empty duration field_mask descriptor struct wrappers; do
	cp "/usr/include/google/protobuf/$w.proto" "$dst/google/protobuf/"
done
