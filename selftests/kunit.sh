#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load mmrace_kunit.ko (built only against a kernel with CONFIG_KUNIT, the
# debug guest's), which runs the KUnit suites of the model code at load,
# join their results from debugfs into one KTAP document, print it and
# judge it with the kernel's own parser (tools/testing/kunit/kunit.py
# parse): every case passed, and all of the suites and cases below ran.
# Exit 4 (skip) on a kernel without KUnit, where no mmrace_kunit.ko was
# built, or where there is no python3 or kunit.py to judge with (the
# results are printed first; make check fails a KUnit kernel that left no
# judged results: scripts/check-kernels); 1 when a case failed or one is
# missing.
#
# The module is looked for in module/ beside this script (the installed
# collection), then beside $MMRACE_KO; the model code it tests is
# mmrace.ko's (exported to KUnit modules), so mmrace.ko from the same place
# is loaded first when it is not, and unloaded after; kunit.py under
# tools/testing/kunit/ beside this script (scripts/ksft-install puts it
# there), then in the kernel tree this collection sits in, or $KUNIT_PY.
# MMRACE_OUT, when set, receives kunit.ktap and kunit.json.
set -u
want_suites=3
# P1: 3 cases x 5 variants, P2: 2, P3: 1 case x 3 variants.
want_cases=20
here=$(cd "$(dirname "$0")" && pwd)
dbg=/sys/kernel/debug/kunit

ko=$here/module/mmrace_kunit.ko
[ -f "$ko" ] || ko=$(dirname "${MMRACE_KO:-/nonexistent/x}")/mmrace_kunit.ko
if [ ! -d "$dbg" ]; then
	echo "# SKIP: this kernel has no KUnit (or no KUNIT_DEBUGFS)"
	exit 4
fi
if [ ! -f "$ko" ]; then
	echo "# SKIP: no mmrace_kunit.ko (it is built only against a KUnit kernel)"
	exit 4
fi
kunit_py=${KUNIT_PY:-}
for p in "$here/tools/testing/kunit/kunit.py" "$here/../../kunit/kunit.py"; do
	[ -n "$kunit_py" ] || [ ! -f "$p" ] || kunit_py=$p
done
judge=1
if [ -z "$kunit_py" ] || ! command -v python3 >/dev/null; then
	judge=0
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
loaded=0
if [ ! -d /sys/module/mmrace ]; then
	if ! insmod "$(dirname "$ko")/mmrace.ko"; then
		echo "# insmod $(dirname "$ko")/mmrace.ko failed"
		exit 1
	fi
	loaded=1
fi
if ! insmod "$ko"; then
	[ $loaded = 0 ] || rmmod mmrace
	echo "# insmod $ko failed"
	exit 1
fi
# Each suite's results file is a KTAP document of one test (the suite);
# one document of them all, numbered in turn.
n=$(ls -d "$dbg"/mmrace_* 2>/dev/null | wc -l)
{
	echo "KTAP version 1"
	echo "1..$n"
	i=0
	for d in "$dbg"/mmrace_*; do
		[ -f "$d/results" ] || continue
		i=$((i + 1))
		awk -v i=$i 'NR <= 2 { next }
			/^(not )?ok 1 / { sub(/ok 1 /, "ok " i " ") }
			{ print }' "$d/results"
	done
} >"$tmp/kunit.ktap"
rmmod_ok=1
rmmod mmrace_kunit || rmmod_ok=0
[ $loaded = 0 ] || rmmod mmrace || rmmod_ok=0
sed 's/^/# /' "$tmp/kunit.ktap"
if [ $judge = 0 ]; then
	echo "# SKIP: no python3 or kunit.py (tools/testing/kunit) to judge these results with (KUNIT_PY)"
	exit 4
fi
python3 "$kunit_py" parse --json="$tmp/kunit.json" "$tmp/kunit.ktap" \
	>"$tmp/parse.out" 2>&1
parsed=$?
sed 's/^/# /' "$tmp/parse.out"
[ -z "${MMRACE_OUT:-}" ] || cp "$tmp/kunit.ktap" "$tmp/kunit.json" "$MMRACE_OUT/" 2>/dev/null
# kunit.py parse exits 1 on a failed case; the JSON says how many ran.
# A parameterized case is a group of its own there, its parameters the
# cases: every leaf counts, at any depth.
counts=$(python3 - "$tmp/kunit.json" <<'EOF'
import json, sys
def leaves(group):
    yield from group.get("test_cases", [])
    for sub in group.get("sub_groups", []):
        yield from leaves(sub)
root = json.load(open(sys.argv[1]))
suites = root.get("sub_groups", [])
cases = [c for s in suites for c in leaves(s)]
print(len(suites), sum(c["status"] == "PASS" for c in cases), len(cases))
EOF
) || counts="0 0 0"
set -- $counts
echo "# kunit: $1 suites, $2 of $3 cases passed (want $want_suites suites, $want_cases cases)"
[ "$parsed" = 0 ] && [ "$rmmod_ok" = 1 ] && [ "$1" = $want_suites ] &&
	[ "$2" = $want_cases ] && [ "$3" = $want_cases ]
