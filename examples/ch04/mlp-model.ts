// The chapter-4 multilayer perceptrons as a model file for ahead-of-time compilation: the
// functions are exported, and their parameter types carry the shapes, so that
//
//   npx kiln compile examples/ch04/mlp-model.ts --entry predict --weights mlp.safetensors \
//     --args predict.x=[1000,1,28,28] -o mlp.kiln
//
// builds an artifact that `kiln run` runs without the compiler. The MLP is section 4.2's
// (784 -> 256 ReLU -> 10, parameters as a plain object); the dropout MLP is section 4.6's
// (784 -> 256 -> 256 -> 10, dropout after each hidden layer while training).
import * as k from 'kiln';
import type { Tensor } from 'kiln';

/** A batch of Fashion-MNIST images; the batch size is chosen at compile time (--args). */
export type Images = Tensor<[number, 1, 28, 28], 'f32'>;
/** Their labels, 0..9. */
export type Labels = Tensor<[number], 'i32'>;
/** A random key (k.random.key). */
export type Key = Tensor<[2], 'i32'>;

export interface MlpParams {
  W1: Tensor<[784, 256], 'f32'>;
  b1: Tensor<[256], 'f32'>;
  W2: Tensor<[256, 10], 'f32'>;
  b2: Tensor<[10], 'f32'>;
}

/** Section 4.2's initialisation: Gaussian weights (std 0.01), zero biases. */
export function init(key: Key): MlpParams {
  const [k1, k2] = k.random.split(key, 2) as [k.Tensor, k.Tensor];
  return {
    W1: k.random.normal(k1, [784, 256], { std: 0.01 }) as MlpParams['W1'],
    b1: k.zeros([256]) as MlpParams['b1'],
    W2: k.random.normal(k2, [256, 10], { std: 0.01 }) as MlpParams['W2'],
    b2: k.zeros([10]) as MlpParams['b2'],
  };
}

/** The class scores (logits) of a batch of images. */
export function predict(params: MlpParams, x: Images): k.Tensor {
  const h = k.relu(x.reshape([-1, 784]).matmul(params.W1).add(params.b1));
  return h.matmul(params.W2).add(params.b2);
}

/** The number of correctly classified images of a batch. */
export function numCorrect(params: MlpParams, x: Images, y: Labels): k.Tensor {
  return k.metrics.numCorrect(predict(params, x), y);
}

/**
 * One step of minibatch SGD on the mean cross-entropy: the new parameters, the loss and the
 * number correct (before the update).
 * @donate params
 */
export function trainStep(params: MlpParams, x: Images, y: Labels, lr = 0.1): { params: MlpParams; loss: k.Tensor; correct: k.Tensor } {
  const objective = (p: MlpParams): [k.Tensor, k.Tensor] => {
    const logits = predict(p, x);
    return [k.losses.crossEntropy(logits, y), logits];
  };
  const [[loss, logits], g] = k.valueAndGrad(objective, { hasAux: true })(params) as [[k.Tensor, k.Tensor], MlpParams];
  const next = {
    W1: params.W1.sub(g.W1.mul(lr)),
    b1: params.b1.sub(g.b1.mul(lr)),
    W2: params.W2.sub(g.W2.mul(lr)),
    b2: params.b2.sub(g.b2.mul(lr)),
  } as MlpParams;
  return { params: next, loss, correct: k.metrics.numCorrect(logits, y) };
}

// ---- Section 4.6: dropout

export interface DropoutParams {
  W1: Tensor<[784, 256], 'f32'>;
  b1: Tensor<[256], 'f32'>;
  W2: Tensor<[256, 256], 'f32'>;
  b2: Tensor<[256], 'f32'>;
  W3: Tensor<[256, 10], 'f32'>;
  b3: Tensor<[10], 'f32'>;
}

/** Keeps each element with probability 1 - p and scales the kept ones by 1/(1 - p). */
function dropoutLayer(x: k.Tensor, p: number, key: k.Tensor): k.Tensor {
  if (p === 0) return x;
  if (p === 1) return k.zerosLike(x);
  return k.where(k.random.uniform(key, x.shape).greater(p), x.div(1 - p), 0);
}

/** The dropout MLP's logits; with `key`, in training mode (dropout 0.2, then 0.5). */
function dropoutNet(params: DropoutParams, x: k.Tensor, key?: k.Tensor, p1 = 0.2, p2 = 0.5): k.Tensor {
  const keys = key ? (k.random.split(key, 2) as [k.Tensor, k.Tensor]) : undefined;
  let h = k.relu(x.reshape([-1, 784]).matmul(params.W1).add(params.b1));
  if (keys) h = dropoutLayer(h, p1, keys[0]);
  h = k.relu(h.matmul(params.W2).add(params.b2));
  if (keys) h = dropoutLayer(h, p2, keys[1]);
  return h.matmul(params.W3).add(params.b3);
}

/** The dropout MLP in evaluation mode (dropout is the identity). */
export function dropoutPredict(params: DropoutParams, x: Images): k.Tensor {
  return dropoutNet(params, x);
}

/**
 * One training step of the dropout MLP: masks drawn from `key`, SGD with rate `lr`.
 * @donate params
 */
export function dropoutTrainStep(params: DropoutParams, x: Images, y: Labels, key: Key, lr = 0.5, p1 = 0.2, p2 = 0.5): { params: DropoutParams; loss: k.Tensor } {
  const objective = (p: DropoutParams) => k.losses.crossEntropy(dropoutNet(p, x, key, p1, p2), y);
  const [loss, g] = k.valueAndGrad(objective)(params) as [k.Tensor, DropoutParams];
  const next = Object.fromEntries(Object.entries(params).map(([n, w]) => [n, (w as k.Tensor).sub((g[n as keyof DropoutParams] as k.Tensor).mul(lr))])) as unknown as DropoutParams;
  return { params: next, loss };
}
