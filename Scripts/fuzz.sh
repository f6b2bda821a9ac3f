#!/usr/bin/env bash
# libFuzzer harnesses for every parser of outside input (Fuzz/, a separate SwiftPM package).
#
#   Scripts/fuzz.sh list                 the targets
#   Scripts/fuzz.sh build                build every harness (-sanitize=fuzzer,address)
#   Scripts/fuzz.sh TARGET SECONDS [libFuzzer flags…]
#                                        build, then fuzz TARGET for SECONDS from its seed corpus
#
# Seeds: Fuzz/Corpus/TARGET (committed, small). New inputs libFuzzer finds go to
# Fuzz/.work/TARGET/corpus and crashes/timeouts/OOMs to Fuzz/.work/TARGET/ (not committed):
# turn each crash into a regression test, then add the input to Fuzz/Corpus/TARGET.
# One build job (the machine is shared); FUZZ_JOBS=N to change. Linux (Swift's -sanitize=fuzzer).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/Fuzz"
TARGETS=(envelope launch mcap safetensors torchzip pickle config tokenizer-files tokenizer-input)

product() {
    case "$1" in
        envelope) echo FuzzEnvelope ;; launch) echo FuzzLaunch ;; mcap) echo FuzzMCAP ;;
        safetensors) echo FuzzSafetensors ;; torchzip) echo FuzzTorchZip ;; pickle) echo FuzzPickle ;;
        config) echo FuzzConfig ;; tokenizer-files) echo FuzzTokenizerFiles ;;
        tokenizer-input) echo FuzzTokenizerInput ;;
        *) echo "fuzz.sh: unknown target '$1' (Scripts/fuzz.sh list)" >&2; exit 2 ;;
    esac
}

build() {
    swift build --package-path "$FUZZ" -c release -j "${FUZZ_JOBS:-1}" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library "$@"
}

case "${1:-}" in
    list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
    build) build; exit 0 ;;
    ""|-h|--help) sed -n '2,13p' "$0"; exit 2 ;;
esac

target="$1"; seconds="${2:?usage: Scripts/fuzz.sh TARGET SECONDS}"; shift 2
name="$(product "$target")"
build --product "$name" >&2
binary="$(build --show-bin-path)/$name"
work="$FUZZ/.work/$target"
mkdir -p "$work/corpus"
# -rss_limit_mb: any input that makes a harness take 2 GB is an amplification finding.
# -detect_leaks=0: Foundation's file reading keeps buffers LeakSanitizer reports at exit (noise).
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" exec "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
    -artifact_prefix="$work/" "$@" "$work/corpus" "$FUZZ/Corpus/$target"
