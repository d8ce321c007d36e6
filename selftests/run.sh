#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the mmrace selftest programs (or those named), TAP on stdout; exit 0
# only if every program passed (or skipped).
cd "$(dirname "$0")" || exit 1
progs=("$@")
if [ ${#progs[@]} = 0 ]; then
	# Every built test program: the interface tests, one per pattern,
	# then the interface fuzzer (which runs last: it changes nothing the
	# others need, and its findings come after theirs).
	progs=(interface)
	for f in p[0-9]_*; do
		[ -x "$f" ] && [ "${f%.c}" = "$f" ] && progs+=("$f")
	done
	# Every fixed variant's verdict with its witness and its negative
	# control (after the patterns' own tests).
	[ -x controls ] && progs+=(controls)
	# Allocation failures injected into the callers (debug kernel; skips
	# elsewhere).
	[ -x failinject ] && progs+=(failinject)
	# The KUnit suites of the model code (skip without a KUnit kernel).
	[ -x kunit.sh ] && progs+=(kunit.sh)
	[ -x fuzz ] && progs+=(fuzz)
fi
echo "TAP version 13"
echo "1..${#progs[@]}"
rc=0 n=0
for t in "${progs[@]}"; do
	n=$((n + 1))
	echo "# selftests: mmrace: $t"
	start=$(date +%s)
	# Each test's result line gets the time since the previous one.
	last=${EPOCHREALTIME/./}
	./"$t" 2>&1 | while IFS= read -r l; do
		case $l in
		"ok "* | "not ok "*)
			now=${EPOCHREALTIME/./}
			us=$((now - last))
			last=$now
			printf '# %s # %d.%01ds\n' "$l" $((us / 1000000)) \
				$((us / 100000 % 10)) ;;
		*) printf '# %s\n' "$l" ;;
		esac
	done
	r=${PIPESTATUS[0]}
	took=$(( $(date +%s) - start ))
	case $r in
	0) echo "ok $n selftests: mmrace: $t # ${took}s" ;;
	4) echo "ok $n selftests: mmrace: $t # SKIP" ;;
	*) echo "not ok $n selftests: mmrace: $t # exit=$r ${took}s"; rc=1 ;;
	esac
done
exit $rc
