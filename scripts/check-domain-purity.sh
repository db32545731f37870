#!/usr/bin/env bash
# Fails if the domain crate's dependency tree (with or without its `mocks`
# feature) contains an async runtime, database, cache or HTTP crate. The domain
# must stay plain Rust so its rules are unit-testable with fakes alone.
set -euo pipefail
cd "$(dirname "$0")/.."

forbidden='^(tokio|tokio-[a-z-]+|diesel|diesel-async|diesel_migrations|deadpool|deadpool-[a-z-]+|redis|actix-[a-z-]+|actix|hyper|http|reqwest|axum|sqlx|postgres|tokio-postgres)$'

status=0
for features in "" "--features mocks"; do
    # shellcheck disable=SC2086
    found=$(cargo tree -p domain -e normal,build $features --prefix none --format '{p}' \
        | awk '{print $1}' | sort -u | grep -E "$forbidden" || true)
    if [ -n "$found" ]; then
        echo "domain purity: crates/domain ${features:-(default features)} depends on:" >&2
        echo "$found" | sed 's/^/  - /' >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "domain purity: ok (no runtime, database, cache or HTTP crate in crates/domain)"
exit $status
