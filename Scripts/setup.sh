#!/usr/bin/env bash
# Installs everything vlmnode needs on a fresh Debian 12 machine (run as root, or with sudo on PATH).
# Idempotent: safe to run again. Swift itself is expected on PATH already.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT_PACKAGES=(
    pkg-config ffmpeg
    libzmq3-dev
    libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev
    libopenblas-dev
    libzstd-dev liblz4-dev zlib1g-dev
    python3 python3-pip
    gcc  # builds Examples/c (tested by VLMBusTests)
    chromium  # the viewer page test and `bench view` (headless)
    tcpdump  # CLITests capture loopback to check CURVE hides the headers
    iproute2 openssh-server openssh-client  # VLMLaunchTests: two network namespaces, a launch over ssh
)
# Python packages the tests and the Examples/ controllers use (never torch: that is dev-time only).
PIP_PACKAGES=(pyzmq numpy mcap mcap-protobuf-support protobuf jsonschema websockets pytest)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if ! python3 -c 'import zmq, numpy, mcap, mcap_protobuf, google.protobuf, jsonschema, websockets, pytest' 2>/dev/null; then
    python3 -m pip install -q "${PIP_PACKAGES[@]}" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "${PIP_PACKAGES[@]}"
fi
echo "setup: system and Python packages are in place"
