// The error of the code generators (CPU and GPU): a kernel they cannot translate. Kept apart from
// ops.ts so that code generators without llvm-bindings (compiler/codegen/ptx) can throw it.
import { KilnError } from '../../ir/errors.ts';

export class CodegenError extends KilnError {
  override name = 'CodegenError';
}
