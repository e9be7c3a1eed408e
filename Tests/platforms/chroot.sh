# Shared by debian13.sh, arm64.sh and ubuntu.sh (sourced, not run): build a Debian 13 ("trixie")
# chroot with debootstrap from this machine's own apt mirror (or an Ubuntu one from Ubuntu's
# archive), copy the working tree and SwiftPM's caches in, and run a command inside it as root. Chroots reach the apt mirror but may reach no code host,
# so swift-argument-parser is resolved from the copied caches.
#
# Settings (environment): CHROOT_DIR (where the chroot lives; kept between runs, so a second run
# skips debootstrap), MIRROR (default: the first Debian mirror in /etc/apt/sources.list*),
# DEBOOTSTRAP_SCRIPT (debootstrap's script for a suite it does not know yet), EXTRA_PACKAGES
# (comma-separated, beyond make, git and CA certificates).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

die() { echo "platforms: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, mount and chroot need it)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

# The first Debian archive URI in the machine's apt sources (one-line or deb822 format),
# skipping the security archive, which has no full suites.
host_mirror() {
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
    awk '/^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { u = $i; break } }
         /^URIs:/ { u = $2 }
         u ~ /\/debian\/*$/ && !found { print u; found = 1 }
         { u = "" }
         END { if (!found) print "http://deb.debian.org/debian" }'
}
MIRROR=${MIRROR:-$(host_mirror)}

MOUNTS=()
cleanup() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

# make_chroot DIR ARCH [SUITE [EXTRA DEBOOTSTRAP OPTIONS...]]: a minimal system (Debian 13,
# "trixie", unless SUITE says otherwise) with only make, git and CA certificates, as a new user has.
make_chroot() {
  local dir=$1 arch=$2 suite=${3:-trixie}
  shift 2
  if [ $# -gt 0 ]; then shift; fi
  if [ ! -x "$dir/usr/bin/make" ]; then
    echo "platforms: debootstrap $suite ($arch) from $MIRROR into $dir"
    mkdir -p "$dir"
    debootstrap --arch="$arch" --variant=minbase --include="make,git,ca-certificates${EXTRA_PACKAGES:+,$EXTRA_PACKAGES}" "$@" \
      "$suite" "$dir" "$MIRROR" ${DEBOOTSTRAP_SCRIPT:-}
  fi
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  local m
  for m in proc sys dev dev/pts; do
    mkdir -p "$dir/$m"
    mountpoint -q "$dir/$m" && continue
    case $m in
      proc) mount -t proc proc "$dir/proc" ;;
      sys) mount -t sysfs sysfs "$dir/sys" ;;
      *) mount --bind "/$m" "$dir/$m" ;;
    esac
    MOUNTS+=("$dir/$m")
  done
  mkdir -p "$dir/dev/shm"
  mountpoint -q "$dir/dev/shm" || { mount -t tmpfs tmpfs "$dir/dev/shm"; MOUNTS+=("$dir/dev/shm"); }
}

# copy_tree DIR: the working tree (tracked and untracked, not ignored: no .build) into
# /root/denoise, and SwiftPM's caches into /root.
copy_tree() {
  local dir=$1
  rm -rf "$dir/root/denoise"
  mkdir -p "$dir/root/denoise"
  (cd "$REPO" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf - --no-recursion) |
    tar -xf - -C "$dir/root/denoise"
  [ -d "$HOME/.cache/org.swift.swiftpm" ] && mkdir -p "$dir/root/.cache" &&
    cp -a "$HOME/.cache/org.swift.swiftpm" "$dir/root/.cache/"
  [ -d "$HOME/.swiftpm" ] && cp -a "$HOME/.swiftpm" "$dir/root/"
  return 0
}

# in_chroot DIR COMMAND: COMMAND in /root/denoise with a clean environment.
in_chroot() {
  local dir=$1; shift
  chroot "$dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=xterm-256color \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /root/denoise && $*"
}

# check LABEL DIR COMMAND: copies the working tree into the chroot at DIR, runs COMMAND there and
# exits with its status, saying how long the script took (from START, set when sourced).
START=$(date +%s)
check() {
  local label=$1 dir=$2 command=$3 status=0
  copy_tree "$dir"
  in_chroot "$dir" "$command" || status=$?
  echo "platforms: $label exited $status after $(( $(date +%s) - START )) s"
  exit $status
}
