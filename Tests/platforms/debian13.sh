#!/usr/bin/env bash
# Debian 13 on this machine's architecture, as a new user has it: a fresh chroot with only make,
# git and CA certificates, in which `make test` must install everything it needs (Swift 6.0.3
# from Debian's `swiftlang`, OpenBLAS 0.3.29, ncurses, tmux, python3, procps) and pass.
# A maintainer's check, not part of `make test`. Needs root, debootstrap and network access to
# the apt mirror. Usage: Tests/platforms/debian13.sh [prepare]   (prepare: only build the chroot)
source "$(dirname "$0")/chroot.sh"

ARCH=$(dpkg --print-architecture)
DIR=${CHROOT_DIR:-/var/tmp/denoise-trixie-$ARCH}
make_chroot "$DIR" "$ARCH"
[ "${1:-}" = prepare ] && exit 0
check "debian13 ($ARCH) make test" "$DIR" "make test"
