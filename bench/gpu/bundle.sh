#!/bin/sh
# Bundles the GPU check (bench/gpu/check.ts and the CUDA runtime it uses) into one JavaScript
# file for a machine with Node and the NVIDIA driver but no compiler: koffi stays outside
# (carry node_modules/koffi and node_modules/@koromix next to the bundle).
set -e
cd "$(dirname "$0")/../.."
npx esbuild bench/gpu/check.ts --bundle --platform=node --format=esm --external:koffi --outfile=.device/check.mjs
