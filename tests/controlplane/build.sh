#!/usr/bin/env bash
# Builds rc-controlplane (see README.md) unless the cached binary is already
# built from these exact sources, then prints the binary's path on stdout.
#
#   bin=$(bash tests/controlplane/build.sh)
#
# The binary lives outside the repository:
#   ${RC_CONTROLPLANE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/registry-console/rc-controlplane}
# A cold build takes several minutes on 2 cores; later ones are cached by Go.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${RC_CONTROLPLANE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/registry-console/rc-controlplane}
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "build.sh: go not found (expected in PATH or /usr/local/go/bin)" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
# Parallel test binaries may all call this: one builds, the rest wait.
exec 9>"$out.lock"
flock 9

cd "$here"
# generated-crds/*.yaml are embedded in the binary (see crds.go).
hash=$( { go version; cat go.mod go.sum build.sh ./*.go generated-crds/*.yaml; } | sha256sum | cut -d' ' -f1)
if [[ -x "$out" && "$(cat "$out.stamp" 2>/dev/null)" == "$hash" ]]; then
  echo "$out"
  exit 0
fi

# Stamp the Kubernetes version as the upstream release build does
# (hack/lib/version.sh); otherwise /version and kubectl report v0.0.0-master.
kver=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)   # v1.36.3
kdate=$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
major=${kver#v}; major=${major%%.*}
minor=${kver#v*.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$kver -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitCommit= -X $pkg.gitTreeState=clean -X $pkg.buildDate=$kdate"
done

echo "build.sh: building $out (Kubernetes $kver)" >&2
start=$SECONDS
go build -trimpath -ldflags="$ldflags" -o "$out.tmp" .
mv -f "$out.tmp" "$out"
echo "$hash" >"$out.stamp"
echo "build.sh: built in $((SECONDS - start))s" >&2
echo "$out"
