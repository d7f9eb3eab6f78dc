#!/bin/sh
# SPDX-License-Identifier: MIT
#
# guest-capture.sh: boot a real Debian kernel in QEMU with a busybox
# initramfs, run a list of shell steps in the guest and print what the
# guest's /proc files said, section by section. This is how the real
# kernel's files under tests/data/guest/ were captured; libhvo's tests
# compare the simulator with them. CI never runs it (it needs QEMU and a
# kernel image); run it by hand:
#
#   apt-get install qemu-system-x86 busybox-static cpio
#   apt-get download linux-image-6.12.118+deb12-amd64
#   dpkg-deb -x linux-image-*.deb img
#   tools/guest-capture.sh img/boot/vmlinuz-6.12.118+deb12-amd64 6G \
#       "" steps.txt > out.txt
#
# Arguments: KERNEL MEM CMDLINE STEPS. STEPS is a file of guest shell
# lines; a line "capture NAME FILE..." prints "=== NAME FILE" and the
# file for each FILE; "dmesg" and other busybox applets work too. The
# guest has one CPU (-smp 1), as libhvo models one, QEMU's default pc
# machine, whose RAM above 3 GiB sits above 4 GiB, and 4-level paging
# (la57=off), as libhvo's x86_64 default.
set -eu

if [ $# -ne 4 ]; then
	echo "usage: $0 KERNEL MEM CMDLINE STEPS" >&2
	exit 2
fi
kernel=$1 mem=$2 cmdline=$3 steps=$4
busybox=$(command -v busybox)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" \
	 "$work/root/dev"
cp "$busybox" "$work/root/bin/busybox"
for app in sh cat mount echo sleep poweroff sync dmesg; do
	ln -s busybox "$work/root/bin/$app"
done
{
	echo '#!/bin/sh'
	echo 'mount -t proc proc /proc'
	echo 'mount -t sysfs sys /sys'
	echo 'echo; echo "=== begin"'
	echo 'capture() { name=$1; shift; for f in "$@"; do'
	echo '  echo "=== $name $f"; cat "$f"; done; }'
	cat "$steps"
	echo 'echo "=== end"'
	echo 'sync; poweroff -f'
} > "$work/root/init"
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null) \
	| gzip > "$work/initrd.gz"

accel=${GUEST_ACCEL:-tcg} cpu=max,la57=off
qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m "$mem" -smp 1 -nographic \
	-no-reboot -kernel "$kernel" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 rdinit=/init quiet $cmdline" \
	| tr -d '\r' | sed -n 's/^.*=== begin$/=== begin/; /^=== begin$/,$p' \
	| sed 1d
