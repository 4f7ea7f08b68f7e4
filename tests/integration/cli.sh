#!/usr/bin/env bash
# The CLI contract scripts rely on: exit statuses 0/1/2 with one-line
# errors and hints, help with examples for every command, root required
# where it must be, and bad databases named, never touched.
. "$(dirname "$0")/lib.sh"
[ "${RTGUARD_INTEGRATION:-1}" != 0 ] || rt_skip "RTGUARD_INTEGRATION=0"
mkdir -p "$RT_TMP/db"
expect_rc() {	# expect_rc RC TEXT CMD...
	local want=$1 text=$2 rc; shift 2
	"$@" >"$RT_TMP/out" 2>&1; rc=$?
	[ "$rc" = "$want" ] || { cat "$RT_TMP/out" >&2; rt_fail "'$*': exit $rc, expected $want"; }
	[ -z "$text" ] || rt_assert_contains "$RT_TMP/out" "$text"
}
expect_rc 2 "Try 'rtguard help'" "$RTGUARD" frobnicate
expect_rc 2 "Try 'rtguard help learn'" "$RTGUARD" learn --bogus
expect_rc 2 "--image REF is required" "$RTGUARD" learn
expect_rc 2 "needs a value" "$RTGUARD" report --since
expect_rc 2 "" "$RTGUARD" report --since 5parsecs
for c in learn enforce report policy containers version help; do
	expect_rc 0 "" "$RTGUARD" help "$c"
	expect_rc 0 "" "$RTGUARD" "$c" --help
done
for c in learn enforce report policy containers; do
	"$RTGUARD" help "$c" | grep -q "rtguard $c" || rt_fail "help $c has no example"
done
expect_rc 0 "rtguard" "$RTGUARD" version
# Not root: a clear message, exit 1 (run as nobody).
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	expect_rc 1 "root" setpriv --reuid=65534 --regid=65534 --clear-groups "$RTGUARD" learn --image x
	expect_rc 1 "root" setpriv --reuid=65534 --regid=65534 --clear-groups "$RTGUARD" enforce
fi
# Bad databases: named, refused, unchanged.
printf 'not a database at all, just text\n' >"$RT_TMP/db/garbage.db"
sum=$(sha256sum <"$RT_TMP/db/garbage.db")
expect_rc 1 "garbage.db" "$RTGUARD" report --db "$RT_TMP/db/garbage.db"
rt_assert_eq "$(sha256sum <"$RT_TMP/db/garbage.db")" "$sum" "garbage database modified"
expect_rc 1 "no database yet" "$RTGUARD" report --db "$RT_TMP/db/missing.db"
[ ! -e "$RT_TMP/db/missing.db" ] || rt_fail "report created a database"
# RTGUARD_DB is honoured, --db wins over it.
RTGUARD_DB=$RT_TMP/db/garbage.db "$RTGUARD" report >"$RT_TMP/out" 2>&1
rt_assert_contains "$RT_TMP/out" "garbage.db"
rt_pass
