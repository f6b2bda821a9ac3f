#!/usr/bin/env bash
# The test suite under Swift's sanitizers (a script, not CI: each pass rebuilds everything
# instrumented and runs 2-5x slower).
#
#   Scripts/sanitize.sh [address|undefined|all] [swift test args…]
#   e.g. Scripts/sanitize.sh address --filter VLMCoreTests
#
# address: AddressSanitizer (heap/stack overflows, use-after-free) over Swift and C targets.
# undefined: UndefinedBehaviorSanitizer on the C targets (CVLMKernels, CVLMProcess). Swift on Linux
#   does not support -sanitize=undefined; Swift code traps on overflow and bounds by itself
#   (VLMCore and VLMRecord are built with -O, not -Ounchecked).
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
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" swift test -j "${SANITIZE_JOBS:-1}" --sanitize="$sanitizer" --build-path "$folder" "$@"
}

# C code only: clang's -fsanitize=undefined, its runtime linked in explicitly.
ubsan() {
    local runtime
    runtime="$(dirname "$(dirname "$(command -v swift)")")/lib/clang"
    runtime="$(ls "$runtime"/*/lib/linux/libclang_rt.ubsan_standalone-x86_64.a | head -1)"
    echo "== swift test (C targets with -fsanitize=undefined) $*" >&2
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
        swift test -j "${SANITIZE_JOBS:-1}" --build-path .build-ubsan \
        -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined -Xlinker "$runtime" "$@"
}

case "$which" in
    address) run address .build-asan "$@" ;;
    undefined) ubsan "$@" ;;
    all) run address .build-asan "$@"; ubsan "$@" ;;
    *) echo "sanitize.sh: unknown sanitizer '$which' (address, undefined, all)" >&2; exit 2 ;;
esac
