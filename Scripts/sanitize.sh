#!/usr/bin/env bash
# The test suite under Swift's sanitizers (a script, not CI: each pass rebuilds everything
# instrumented and runs 2-5x slower).
#
#   Scripts/sanitize.sh [address|undefined|all] [swift test args…]
#   e.g. Scripts/sanitize.sh address --filter VLMCoreTests
#
# address: AddressSanitizer (heap/stack overflows, use-after-free) over Swift and C targets.
# undefined: UndefinedBehaviorSanitizer (the C kernels and shims; Swift traps on its own UB).
# Each sanitizer uses its own build folder (.build-asan, .build-ubsan) so .build is untouched.
# One job, as everywhere on a shared machine: SANITIZE_JOBS=N to change.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
which="${1:-address}"; shift || true

run() {
    local sanitizer="$1" folder="$2"; shift 2
    echo "== swift test --sanitize=$sanitizer $*" >&2
    # detect_leaks=0: Foundation and the test runner keep caches alive at exit.
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
        swift test -j "${SANITIZE_JOBS:-1}" --sanitize="$sanitizer" --build-path "$folder" "$@"
}

case "$which" in
    address) run address .build-asan "$@" ;;
    undefined) run undefined .build-ubsan "$@" ;;
    all) run address .build-asan "$@"; run undefined .build-ubsan "$@" ;;
    *) echo "sanitize.sh: unknown sanitizer '$which' (address, undefined, all)" >&2; exit 2 ;;
esac
