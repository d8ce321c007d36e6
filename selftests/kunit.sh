#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load mmrace_kunit.ko (built only against a kernel with CONFIG_KUNIT, the
# debug guest's), which runs the KUnit suites of the model code at load,
# print their KTAP results from debugfs and check them: every case of the
# three suites ran and passed. Exit 4 (skip) on a kernel without KUnit.
# scripts/guest-run exports MMRACE_KO, the path of the mmrace.ko loaded.
set -u
want_suites=3
want_cases=8
ko=$(dirname "${MMRACE_KO:-/nonexistent/x}")/mmrace_kunit.ko
dbg=/sys/kernel/debug/kunit

if [ ! -d "$dbg" ]; then
	echo "# SKIP: this kernel has no KUnit (or no KUNIT_DEBUGFS)"
	exit 4
fi
if [ ! -f "$ko" ]; then
	echo "# SKIP: no $ko (it is built only against a KUnit kernel)"
	exit 4
fi
if ! insmod "$ko"; then
	echo "# insmod $ko failed"
	exit 1
fi
suites=0 pass=0 fail=0
for d in "$dbg"/mmrace_*; do
	[ -f "$d/results" ] || continue
	suites=$((suites + 1))
	sed 's/^/# /' "$d/results"
	pass=$((pass + $(grep -cE '^[[:space:]]*ok [0-9]+ p[0-9]_kunit_' "$d/results")))
	fail=$((fail + $(grep -cE '^[[:space:]]*not ok [0-9]+ ' "$d/results")))
done
rmmod mmrace_kunit || fail=$((fail + 1))
echo "# kunit: $suites suites, $pass cases passed, $fail failed (want $want_suites suites, $want_cases cases)"
[ "$fail" = 0 ] && [ "$suites" = $want_suites ] && [ "$pass" = $want_cases ]
