#!/usr/bin/env bash
# Prints the Debian packages whose shared libraries the given executables load (one per line, sorted): what a
# runtime image must install beside them (the Dockerfile's final stage). Run where they were built.
#   bash scripts/runtime_packages.sh build/ssd-serve build/ssd-detect
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: runtime_packages.sh EXECUTABLE..." >&2; exit 2; }
missing=$(ldd "$@" | grep "not found" || true)
[ -z "$missing" ] || { echo "runtime_packages: libraries not found:" >&2; echo "$missing" >&2; exit 1; }
for lib in $(ldd "$@" | awk '/=> \//{print $3}' | sort -u); do
  # dpkg knows each file under one of its names: /lib and /usr/lib are the same folder on Debian 12, and ldd may
  # print a symbolic link's name.
  for candidate in "$lib" "/usr$lib" "${lib#/usr}" "$(readlink -f "$lib")"; do
    if owner=$(dpkg-query -S "$candidate" 2>/dev/null); then
      echo "${owner%%:*}"
      continue 2
    fi
  done
  echo "runtime_packages: no package holds $lib" >&2
  exit 1
done | sort -u
