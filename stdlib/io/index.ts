// File I/O (k.io): safetensors files for tensors, lists, parameter trees and modules, written
// atomically and validated on reading.
export {
  SafetensorsError, MAX_HEADER_SIZE, ST_DTYPE, serialize, deserialize, parseHeader, encodeHeader, encodeData, decodeData,
  f16Bits, f16Value, bf16Bits, bf16Value, type Header, type RawTensor, type TensorEntry,
} from './safetensors.ts';
export {
  save, load, loadFile, loadFlat, loadInto, flattenTree, unflattenPaths, toSafetensorsBytes, fromSafetensorsBytes,
  TREE_METADATA_KEY, SINGLE_TENSOR_NAME, type SaveTree, type SaveOptions, type ModuleLike, type SafetensorsFile,
} from './save-load.ts';
export { writeFileAtomic, writeTextAtomic, tempPathFor } from './atomic.ts';
