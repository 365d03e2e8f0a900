// Kiln's standard library for models (the book's chapters 3–5): `nn` (modules, layers,
// initialisers), `losses`, `optim` (optimisers and the jitted training step) and `metrics`.
export * as nn from './nn/index.ts';
export * as losses from './losses.ts';
export * as optim from './optim/index.ts';
export * as metrics from './metrics.ts';
