// Optimisers as pure transformations of parameter trees (like optax): `sgd` with weight decay
// and momentum, the `Optimizer` interface later optimisers and schedules share, and
// `trainStep`, which builds one jitted training step from a module, a loss and an optimiser.
export { sgd, learningRateAt, type SgdOptions, type SgdState } from './sgd.ts';
export type { LearningRate, Optimizer, OptimizerUpdate } from './types.ts';
export { trainStep, type LossFn, type StepResult, type TrainStep, type TrainStepOptions } from './train-step.ts';
