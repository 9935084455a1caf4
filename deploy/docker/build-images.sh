#!/usr/bin/env bash
# Builds the Bazaar images (deploy/docker/Dockerfile): one per service and
# one of the bazaar CLI, tagged PREFIX/NAME:TAG. The binaries are built
# first (static, -trimpath, version stamped), then each image gets a build
# context of its binary alone. No registry is involved.
#
#   VERSION  stamped into the binaries and the image label (default: git describe)
#   TAG      image tag (default: VERSION)
#   PREFIX   image name prefix (default: bazaar)
#   NAMES    which images (default: every service and bazaar)
#   OUT      scratch directory for binaries and contexts (default: bin/images)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version="${VERSION:-$(git -C "$root" describe --always --dirty 2>/dev/null || echo dev)}"
tag="${TAG:-$version}"
# Without TAG the images are also tagged latest, which compose.yaml runs.
also_latest=""
[ -z "${TAG:-}" ] && also_latest=1
prefix="${PREFIX:-bazaar}"
out="${OUT:-$root/bin/images}"
names="${NAMES:-accounts cart catalog inventory notifications orders payment pricing recommendations shipping storefront bazaar}"

rm -rf "$out"
mkdir -p "$out/bin"
pkgs=()
for n in $names; do pkgs+=("./cmd/$n"); done
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out/bin/" "${pkgs[@]}")

for n in $names; do
	ctx="$out/ctx/$n"
	mkdir -p "$ctx/data"
	cp "$out/bin/$n" "$ctx/app"
	target=service
	[ "$n" = bazaar ] && target=cli
	docker build -q --target "$target" -f "$root/deploy/docker/Dockerfile" \
		--build-arg "NAME=$n" --build-arg "VERSION=$version" \
		-t "$prefix/$n:$tag" "$ctx" >/dev/null
	echo "$prefix/$n:$tag"
	if [ -n "$also_latest" ]; then docker tag "$prefix/$n:$tag" "$prefix/$n:latest"; fi
done
