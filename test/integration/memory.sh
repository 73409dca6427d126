#!/bin/bash
# Training many models in one session does not grow the backend: its
# resident memory after 40 more trainings is within 32 MB of what it was
# after the first 10 (every fit's memory lives in the statement's context).
. "$(dirname "$0")/common.inc"
plan 1

args=(-c "SELECT pg_backend_pid()")
for i in $(seq 1 10); do args+=(-c "SELECT count(*) FROM ml_train('mem', 'bc_train', 'target', 'forest', '{\"n_estimators\": 20}', seed => $i, deploy => 'never')"); done
args+=(-c "SELECT pg_sleep(0.2)" -c "SELECT pg_backend_pid()")
for i in $(seq 11 50); do args+=(-c "SELECT count(*) FROM ml_train('mem', 'bc_train', 'target', 'forest', '{\"n_estimators\": 20}', seed => $i, deploy => 'never')"); done
args+=(-c "SELECT pg_sleep(2)")
# read the backend's VmRSS at the two marks, from /proc, while the session runs
coproc PSQL { psql -qXAt "${args[@]}"; }
read -r pid <&"${PSQL[0]}"
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
for i in $(seq 1 10); do read -r _ <&"${PSQL[0]}"; done
read -r _ <&"${PSQL[0]}"    # pg_sleep
read -r _ <&"${PSQL[0]}"    # the pid again
after10=$(rss "$pid")
for i in $(seq 11 50); do read -r _ <&"${PSQL[0]}"; done
after50=$(rss "$pid")
wait
echo "# backend VmRSS after 10 trainings: ${after10} kB, after 50: ${after50} kB"
check memory_stable "$(awk -v a="${after10:-0}" -v b="${after50:-0}" 'BEGIN { print (a > 0 && b > 0 && b - a < 32768) ? "yes" : "no" }')" yes
