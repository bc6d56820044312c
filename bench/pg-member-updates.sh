#!/usr/bin/env bash
# Times what a post does to the memberships of a large room on PostgreSQL: the unread-counter
# update of every other member, committed, N times in a row; then prints how many row updates
# were heap-only and the subscriptions indexes' sizes. See BENCHMARKS.md (scenario 4, N=10,000).
#
#   bench/pg-member-updates.sh postgres://postgres@127.0.0.1:5432/fcb_full <room id> [N]
set -euo pipefail
url=$1 room=$2 n=${3:-10}
for _ in $(seq 1 "$n"); do
    psql "$url" -qAt -v room="$room" -v now="$(date +%s%3N)" -f - <<'SQL' | grep '^Time'
\timing on
UPDATE subscriptions SET unread = unread + 1, alert = true, open = true, updated_at = :now
 WHERE rid = :'room' AND user_id <> '';
SQL
done
psql "$url" -qAt \
    -c "SELECT 'updates ' || n_tup_upd || ', heap-only ' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'subscriptions'" \
    -c "SELECT indexrelname || ' ' || pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_stat_user_indexes WHERE relname = 'subscriptions'"
