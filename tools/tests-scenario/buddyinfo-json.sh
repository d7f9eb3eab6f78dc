#!/bin/sh
# hvo-sim --json's buddyinfo and /proc/buddyinfo of a scenario agree, on a
# machine with memory deferred struct page init has not reached: both
# show a booted kernel's lists (the scenario runs deferred init, the JSON
# report counts what it will free). $1 is hvo-sim, $2 the machine spec.
sim=$1
spec=$2
json=$("$sim" --machine "$spec" --json) || exit 1
# Every zone's free_blocks, the zone names left out, as one line of numbers.
a=$(printf '%s\n' "$json" | tr -d ' \n' |
    sed 's/.*"buddyinfo":\[\(.*\)\],"zones".*/\1/; s/"zone":"[^"]*"//g' |
    tr -c '0-9' ' ')
b=$(printf 'machine %s\ncat /proc/buddyinfo\n' "$spec" | "$sim" run - |
    cut -d' ' -f4- | sed 's/^ *[A-Za-z0-9]* //' | tr -c '0-9' ' ')
# The JSON report must have memory deferred init has not reached.
printf '%s\n' "$json" | tr -d ' \n' | grep -q '"deferred_pages":[1-9]' || exit 1
test -n "$(echo $a)" && test "$(echo $a)" = "$(echo $b)"
