#!/usr/bin/env bash
# Linux on arm64 under emulation: an arm64 Debian 13 chroot run through qemu-user-static, in
# which `make setup` installs the toolchain and libraries, then the package and its tests are
# built and the unit tests run. Emulation is many times slower than real arm64 hardware, so its
# durations say nothing about speed. A maintainer's check, not part of `make test`. Needs root,
# debootstrap, qemu-user-static with binfmt_misc registered, and the apt mirror.
# Usage: Tests/platforms/arm64.sh [prepare]   (prepare: only build the chroot)
source "$(dirname "$0")/chroot.sh"

if [ "$(uname -m)" != aarch64 ]; then
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] ||
    die "no binfmt_misc entry for qemu-aarch64 (apt-get install qemu-user-static binfmt-support)"
fi
DIR=${CHROOT_DIR:-/var/tmp/denoise-trixie-arm64}
make_chroot "$DIR" arm64
[ "${1:-}" = prepare ] && exit 0
check "arm64 build and unit tests" "$DIR" "uname -m && make setup && swift build --build-tests && swift test --skip-build"
