#!/bin/sh
# Bundles the GPU check (bench/gpu/check.ts and the CUDA and Vulkan runtimes it uses) into one
# JavaScript file for a machine with Node and the GPU's driver but no compiler: koffi stays
# outside (carry node_modules/koffi and node_modules/@koromix next to the bundle).
# Usage: bench/gpu/bundle.sh [OUTFILE]   (default .device/check.mjs)
set -e
cd "$(dirname "$0")/../.."
out="${1:-.device/check.mjs}"
npx esbuild bench/gpu/check.ts --bundle --platform=node --format=esm --external:koffi --outfile="$out"
# The check must run without the compiler's native and parsing dependencies.
if grep -n -E "llvm-bindings|ts-morph|chevrotain" "$out" >/dev/null; then
  echo "bundle.sh: $out pulls in the compiler (llvm-bindings, ts-morph or chevrotain)" >&2
  exit 1
fi
