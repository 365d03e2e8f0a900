// The chapter-3 models as a model file for ahead-of-time compilation (`kiln compile`): linear
// regression (section 3.2/3.4) and softmax regression (3.6), their predictions and SGD steps,
// with the shapes in the parameter types. The scripts beside this file train them; this file
// is what a compiled artifact is built from:
//
//   npx kiln compile examples/ch03/models.ts -e softmaxPredict -w softmax.safetensors \
//     -a 'x=[256,1,28,28]' -o softmax.kiln
import * as k from 'kiln';
import type { Tensor } from 'kiln';

// ---- Linear regression: y = x w + b on two features.

/** w is [2, 1] and b a scalar in a vector of one; the dtype is Tensor's default (f32 here). */
export interface LinregParams {
  w: Tensor<[2, 1]>;
  b: Tensor<[1]>;
}
/** A batch of examples; the batch size is chosen at compile time (--args). */
export type Features = Tensor<[number, 2], 'f32'>;

/** The linear model x w + b, one prediction per row. */
export function linreg(params: LinregParams, x: Features): k.Tensor {
  return x.matmul(params.w).add(params.b);
}

/** The mean squared loss (halved, as the book's squared_loss) of a batch. */
export function linregLoss(params: LinregParams, x: Features, y: Tensor<[number, 1], 'f32'>): k.Tensor {
  return linreg(params, x).sub(y).pow(2).mul(0.5).mean();
}

/**
 * One step of minibatch SGD on the batch loss.
 * @donate params
 */
export function linregTrainStep(params: LinregParams, x: Features, y: Tensor<[number, 1], 'f32'>, lr = 0.03): LinregParams {
  const g = k.grad((p: LinregParams) => linregLoss(p, x, y))(params) as LinregParams;
  return { w: params.w.sub(g.w.mul(lr)), b: params.b.sub(g.b.mul(lr)) } as LinregParams;
}

// ---- Softmax regression on Fashion-MNIST.

export type Images = Tensor<[number, 1, 28, 28], 'f32'>;
export type Labels = Tensor<[number], 'i32'>;

export interface SoftmaxParams {
  W: Tensor<[784, 10], 'f32'>;
  b: Tensor<[10], 'f32'>;
}

/** Row-wise softmax, written plainly as section 3.6 does. */
function softmax(scores: k.Tensor): k.Tensor {
  const e = k.exp(scores);
  return e.div(e.sum({ axis: 1, keepdims: true }));
}

/** The class probabilities of a batch of images. */
export function softmaxPredict(params: SoftmaxParams, x: Images): k.Tensor {
  return softmax(x.reshape([-1, 784]).matmul(params.W).add(params.b));
}

/**
 * One SGD step on the cross-entropy: new parameters, the mean loss and the number correct.
 * @donate params
 */
export function softmaxTrainStep(params: SoftmaxParams, x: Images, y: Labels, lr = 0.1): { params: SoftmaxParams; loss: k.Tensor; correct: k.Tensor } {
  const objective = (p: SoftmaxParams): [k.Tensor, k.Tensor] => {
    const yHat = softmaxPredict(p, x);
    return [k.takeAlongAxis(yHat, y.reshape([-1, 1]), 1).log().neg().mean(), yHat];
  };
  const [[loss, yHat], g] = k.valueAndGrad(objective, { hasAux: true })(params) as [[k.Tensor, k.Tensor], SoftmaxParams];
  const next = { W: params.W.sub(g.W.mul(lr)), b: params.b.sub(g.b.mul(lr)) } as SoftmaxParams;
  return { params: next, loss, correct: yHat.argmax({ axis: 1 }).equal(y).astype('i32').sum() };
}
