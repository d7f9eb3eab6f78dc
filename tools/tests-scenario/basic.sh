#!/bin/sh
# A scenario for hvo-sim run that is also a shell script: on a real Linux
# machine (as root, with a 2 MiB default hugepage size) every line but the
# machine and kpageflags lines runs as it is, so the outputs compare.
machine x86_64:mem=4G

cat /proc/sys/vm/hugetlb_optimize_vmemmap
cat /proc/meminfo

# A pool of the default size through the sysctl, read back through sysfs.
echo 64 > /proc/sys/vm/nr_hugepages
cat /proc/sys/vm/nr_hugepages
cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
cat /proc/meminfo

# HVO off for hugepages allocated from now on; those in the pool keep theirs.
echo 0 > /proc/sys/vm/hugetlb_optimize_vmemmap
echo 96 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
cat /proc/sys/vm/hugetlb_optimize_vmemmap
echo 1 > /proc/sys/vm/hugetlb_optimize_vmemmap

# A gigantic page, then the free lists and zones.
echo 1 > /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
cat /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
cat /proc/meminfo
cat /proc/buddyinfo
cat /proc/zoneinfo
kpageflags 262144 2

# Give everything back.
echo 0 > /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
echo 0 > /proc/sys/vm/nr_hugepages
cat /proc/meminfo
cat /proc/buddyinfo
