#!/usr/bin/env bash
# Installs the Debian packages of the one-node SLURM test cluster that tests/slurm_cluster.py starts.
# Idempotent and quick when they are already there. Where it cannot install (not root, no apt-get,
# no package index) it says so and exits 0: the cluster tests are then skipped with the reason.
set -uo pipefail

packages=(munge slurmctld slurmd slurm-client)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-slurm: ${packages[*]} already installed"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-slurm: cannot install ${missing[*]} (needs root and apt-get); cluster tests will be skipped"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "install-slurm: installed ${missing[*]}"
else
    echo "install-slurm: apt-get failed for ${missing[*]}; cluster tests will be skipped"
fi
exit 0
