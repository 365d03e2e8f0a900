// Neural-network building blocks (the book's chapter 5): the Module base class with parameter
// trees, `apply` for k.grad / k.jit, deferred initialisation and tied parameters; the layers
// (Linear, LazyLinear, Flatten, ReLU, Sigmoid, Tanh, Softmax, Dropout, Sequential);
// initialisers (`nn.init`); a seedable global key source (`nn.manualSeed`); and functional
// softmax, logSoftmax and dropout.
export {
  Module,
  ModuleError,
  type AnyModule,
  type CallOptions,
  type FlatParams,
  type Initializer,
  type ModuleOptions,
  type ParamTree,
} from './module.ts';
export { Dropout, Flatten, Identity, LazyLinear, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh, type LinearOptions } from './layers.ts';
export { dropout, logSoftmax, softmax } from './functional.ts';
export { manualSeed } from './keys.ts';
export * as init from './init.ts';
