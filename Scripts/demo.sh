#!/usr/bin/env bash
# The main job on a fresh machine: install what vlmnode needs, build it in release mode and install it
# into PREFIX (default ~/.local, no root needed; Scripts/install.sh), draw a small scene with
# FFmpeg, and run open-vocabulary detection on it with the real OWL-ViT model
# (google/owlvit-base-patch32, fetched into ~/.cache/huggingface on first use); the boxes are drawn
# into out/scene-detections.png.
#
#   Scripts/demo.sh                                             # real model (network on first use)
#   MODEL=Tests/Fixtures/models/owlvit-tiny-new Scripts/demo.sh   # offline pipeline check (random tiny model)
#   PREFIX=/opt/vlmnode Scripts/demo.sh                          # install elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/setup.sh
PREFIX=${PREFIX:-$HOME/.local}
Scripts/install.sh --prefix "$PREFIX"

mkdir -p out
ffmpeg -loglevel error -y -f lavfi \
    -i "color=c=white:s=640x480,drawbox=x=80:y=160:w=160:h=160:color=red:t=fill,drawbox=x=400:y=200:w=180:h=120:color=blue:t=fill" \
    -frames:v 1 out/scene.png
echo "scene: out/scene.png (a red square and a blue rectangle on white)"

"$PREFIX/bin/vlmnode" detect ${MODEL:+--model "$MODEL"} out/scene.png \
    "red square" "blue rectangle" "cat" --annotate out/scene-detections.png
echo "annotated: out/scene-detections.png"
