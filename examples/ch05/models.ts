// Chapter-5 models as a model file for ahead-of-time compilation (`kiln compile`): the MLP of
// sections 5.1 and 5.5 as an nn.Module (20 -> 256 ReLU -> 10) applied to parameters passed in,
// so that the parameters saved by `k.io.save(file, net)` (hidden.weight, ...) bind to its
// `params` as weights; and the centred layer of section 5.4 (custom layers).
//
//   npx kiln compile examples/ch05/models.ts -e mlp -w mlp.params.safetensors -a 'x=[2,20]' -o mlp.kiln
import * as k from 'kiln';
import { nn, type Tensor } from 'kiln';

class MLP extends nn.Module {
  hidden = new nn.Linear(20, 256);
  output = new nn.Linear(256, 10);

  override forward(x: k.Tensor): k.Tensor {
    return this.output.call(k.relu(this.hidden.call(x)));
  }
}

/** The module; its own parameters are replaced by the entry's `params` on every call. */
const net = new MLP();

/** nn.Linear stores its weight as [out, in]. */
export interface MlpParams {
  hidden: { weight: Tensor<[256, 20], 'f32'>; bias: Tensor<[256], 'f32'> };
  output: { weight: Tensor<[10, 256], 'f32'>; bias: Tensor<[10], 'f32'> };
}

/** The MLP's outputs for a batch of 20-feature rows. */
export function mlp(params: MlpParams, x: Tensor<[number, 20], 'f32'>): k.Tensor {
  return net.apply(params as unknown as nn.ParamTree, x);
}

/** Section 5.4's layer without parameters: subtracts the mean. */
export function centered(x: Tensor<[number, 8], 'f32'>): k.Tensor {
  return x.sub(x.mean());
}
