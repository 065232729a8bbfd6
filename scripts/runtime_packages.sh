#!/usr/bin/env bash
# Prints the Debian packages whose shared libraries the given executables load (one per line, sorted): what a
# runtime image must install beside them (the Dockerfile's final stage). Run where they were built.
#   bash scripts/runtime_packages.sh build/ssd-serve build/ssd-detect
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: runtime_packages.sh EXECUTABLE..." >&2; exit 2; }
missing=$(ldd "$@" | grep "not found" || true)
[ -z "$missing" ] || { echo "runtime_packages: libraries not found:" >&2; echo "$missing" >&2; exit 1; }
mapfile -t libs < <(ldd "$@" | awk '/=> \//{print $3}' | sort -u)
# dpkg knows each file under one of its names: /lib and /usr/lib are the same folder on Debian 12, and ldd may print a
# symbolic link's name. Every name of every library in one query; each library must be found under one of them.
names=()
for lib in "${libs[@]}"; do names+=("$lib" "/usr$lib" "${lib#/usr}" "$(readlink -f "$lib")"); done
owners=$(dpkg-query -S "${names[@]}" 2>/dev/null || true)
for lib in "${libs[@]}"; do
  found=no
  for name in "$lib" "/usr$lib" "${lib#/usr}" "$(readlink -f "$lib")"; do
    grep -q ": $name\$" <<< "$owners" && { found=yes; break; }
  done
  [ "$found" = yes ] || { echo "runtime_packages: no package holds $lib" >&2; exit 1; }
done
# "pkg:arch, other:arch: /path" -> one package per line (a path may have several owners).
packages=$(grep -v "^diversion" <<< "$owners" | sed 's/: \/.*//' | tr ',' '\n' | sed 's/^ *//; s/:[a-z0-9]*$//')
# What a library loads at run time, which ldd does not see: PLplot's output drivers (the charts render through its
# cairo driver).
if grep -q "^libplplot" <<< "$packages"; then packages+=$'\n'plplot-driver-cairo; fi
sort -u <<< "$packages"
