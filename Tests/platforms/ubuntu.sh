#!/usr/bin/env bash
# Ubuntu on this machine's architecture, as a new user has it: a fresh chroot of Ubuntu 25.10
# ("questing", the first Ubuntu whose `swiftlang` is Swift 6: 6.0.3, with OpenBLAS 0.3.30) with
# only make, git and CA certificates, in which `make test` must install everything it needs and
# pass. Ubuntu 24.04 has no Swift 6 package; there `make` stops with one line pointing to
# swift.org's toolchain. A maintainer's check, not part of `make test`. Needs root, debootstrap and
# network access to Ubuntu's archive. Usage: Tests/platforms/ubuntu.sh [prepare]
# Settings: SUITE (default questing), MIRROR (default Ubuntu's archive, or ports for non-x86).
ARCH=$(dpkg --print-architecture)
case $ARCH in
  amd64 | i386) MIRROR=${MIRROR:-http://archive.ubuntu.com/ubuntu} ;;
  *) MIRROR=${MIRROR:-http://ports.ubuntu.com/ubuntu-ports} ;;
esac
source "$(dirname "$0")/chroot.sh"

SUITE=${SUITE:-questing}
DIR=${CHROOT_DIR:-/var/tmp/denoise-$SUITE-$ARCH}
# Older debootstraps lack scripts for new Ubuntu releases; every Ubuntu script is gutsy's.
[ -e "/usr/share/debootstrap/scripts/$SUITE" ] || export DEBOOTSTRAP_SCRIPT=/usr/share/debootstrap/scripts/gutsy
KEYRING=/usr/share/keyrings/ubuntu-archive-keyring.gpg
if [ -e "$KEYRING" ]; then
  verify=(--keyring="$KEYRING")
else
  echo "platforms: $KEYRING missing (the ubuntu-keyring package): packages are not signature-checked" >&2
  verify=(--no-check-gpg)
fi
# The archive's keys inside the chroot, for apt-get there.
export EXTRA_PACKAGES=ubuntu-keyring
make_chroot "$DIR" "$ARCH" "$SUITE" --components=main,universe "${verify[@]}"
[ "${1:-}" = prepare ] && exit 0
check "ubuntu $SUITE ($ARCH) make test" "$DIR" "make test"
