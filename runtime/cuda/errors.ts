// The CUDA backend's errors: no usable driver or GPU (a normal condition: callers fall back to
// another backend), and a failing driver call (names the function and CUDA's own diagnosis).
import { KilnError } from '../../compiler/ir/errors.ts';

/** No CUDA driver library, no GPU, or the driver refused to start: the message says which. */
export class CudaUnavailableError extends KilnError {
  override name = 'CudaUnavailableError';
  /** `missing`: there is no driver at all (a machine without an NVIDIA GPU), not a failing one. */
  constructor(
    message: string,
    readonly missing = false,
  ) {
    super(message);
  }
}

/** A CUDA driver call failed: `func` is the API function, `code` its CUresult. */
export class CudaError extends KilnError {
  override name = 'CudaError';
  constructor(
    readonly func: string,
    readonly code: number,
    readonly errorName: string,
    readonly errorString: string,
    detail = '',
  ) {
    super(`${func} failed: ${errorName} (${code}): ${errorString}${detail ? `\n${detail}` : ''}`);
  }
}
