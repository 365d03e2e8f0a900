// The Vulkan backend's errors: no usable driver (catchable, so callers can fall back), and a
// failed Vulkan call (naming the function and its VkResult).
import { KilnError } from '../../compiler/ir/errors.ts';

/** No Vulkan loader, no driver, or no device with a compute queue. */
export class VulkanUnavailableError extends KilnError {
  override name = 'VulkanUnavailableError';
}

/** A kernel reached the driver's cap on loop iterations per invocation (lavapipe: 65535), so
 * its results would be truncated: the work is too serial for this device. */
export class VulkanLimitError extends KilnError {
  override name = 'VulkanLimitError';
}

/** A Vulkan call returned an error. */
export class VulkanError extends KilnError {
  override name = 'VulkanError';
  constructor(
    readonly fn: string,
    readonly result: number,
    detail = '',
  ) {
    super(`${fn} failed: ${resultName(result)}${detail ? ` (${detail})` : ''}`);
  }
}

const RESULTS: Readonly<Record<number, string>> = {
  0: 'VK_SUCCESS',
  1: 'VK_NOT_READY',
  2: 'VK_TIMEOUT',
  3: 'VK_EVENT_SET',
  4: 'VK_EVENT_RESET',
  5: 'VK_INCOMPLETE',
  [-1]: 'VK_ERROR_OUT_OF_HOST_MEMORY',
  [-2]: 'VK_ERROR_OUT_OF_DEVICE_MEMORY',
  [-3]: 'VK_ERROR_INITIALIZATION_FAILED',
  [-4]: 'VK_ERROR_DEVICE_LOST',
  [-5]: 'VK_ERROR_MEMORY_MAP_FAILED',
  [-6]: 'VK_ERROR_LAYER_NOT_PRESENT',
  [-7]: 'VK_ERROR_EXTENSION_NOT_PRESENT',
  [-8]: 'VK_ERROR_FEATURE_NOT_PRESENT',
  [-9]: 'VK_ERROR_INCOMPATIBLE_DRIVER',
  [-10]: 'VK_ERROR_TOO_MANY_OBJECTS',
  [-11]: 'VK_ERROR_FORMAT_NOT_SUPPORTED',
  [-12]: 'VK_ERROR_FRAGMENTED_POOL',
  [-13]: 'VK_ERROR_UNKNOWN',
  [-1000069000]: 'VK_ERROR_OUT_OF_POOL_MEMORY',
  [-1000072003]: 'VK_ERROR_INVALID_EXTERNAL_HANDLE',
  [-1000161000]: 'VK_ERROR_FRAGMENTATION',
  [-1000012000]: 'VK_ERROR_INVALID_SHADER_NV',
};

export function resultName(r: number): string {
  return RESULTS[r] ?? `VkResult ${r}`;
}

/** Throws a VulkanError unless `r` is VK_SUCCESS. */
export function check(fn: string, r: number, detail?: string): void {
  if (r !== 0) throw new VulkanError(fn, r, detail);
}
