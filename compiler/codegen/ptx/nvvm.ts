// libnvvm in process through koffi: NVVM IR text (the LLVM 7 dialect that libnvvm reads; see
// emit.ts) plus libdevice (added lazily: only the functions used are linked) to PTX.
import { readFileSync } from 'node:fs';
import koffi from 'koffi';
import { KilnError } from '../../ir/errors.ts';

/** libnvvm rejected a module: the message quotes its log. */
export class PtxCompileError extends KilnError {
  override name = 'PtxCompileError';
}

interface NvvmApi {
  readonly version: string;
  compile(ir: string, name: string, options: readonly string[]): string;
}

const apis = new Map<string, NvvmApi>();

/** Loads libnvvm at `path` (once) and binds the functions used. */
export function loadNvvm(path: string, libdevice: string): NvvmApi {
  const key = `${path}\0${libdevice}`;
  const hit = apis.get(key);
  if (hit) return hit;
  const lib = koffi.load(path);
  const program = koffi.pointer(koffi.opaque());
  const nvvmVersion = lib.func('int nvvmVersion(_Out_ int *major, _Out_ int *minor)');
  const nvvmIRVersion = lib.func('int nvvmIRVersion(_Out_ int *irMajor, _Out_ int *irMinor, _Out_ int *dbgMajor, _Out_ int *dbgMinor)');
  const create = lib.func('nvvmCreateProgram', 'int', [koffi.out(koffi.pointer(program))]);
  const destroy = lib.func('nvvmDestroyProgram', 'int', [koffi.inout(koffi.pointer(program))]);
  const addModule = lib.func('nvvmAddModuleToProgram', 'int', [program, 'const uint8_t *', 'size_t', 'const char *']);
  const lazyAdd = lib.func('nvvmLazyAddModuleToProgram', 'int', [program, 'const uint8_t *', 'size_t', 'const char *']);
  const compileProgram = lib.func('nvvmCompileProgram', 'int', [program, 'int', 'const char **']);
  const resultSize = lib.func('nvvmGetCompiledResultSize', 'int', [program, koffi.out(koffi.pointer('size_t'))]);
  const result = lib.func('nvvmGetCompiledResult', 'int', [program, koffi.out('uint8_t *')]);
  const logSize = lib.func('nvvmGetProgramLogSize', 'int', [program, koffi.out(koffi.pointer('size_t'))]);
  const log = lib.func('nvvmGetProgramLog', 'int', [program, koffi.out('uint8_t *')]);
  const errorString = lib.func('const char *nvvmGetErrorString(int result)');

  const v = [0], w = [0], x = [0], y = [0];
  nvvmVersion(v, w);
  nvvmIRVersion(x, y, [0], [0]);
  const version = `libnvvm ${v[0]}.${w[0]} (NVVM IR ${x[0]}.${y[0]})`;
  const device = readFileSync(libdevice);

  const api: NvvmApi = {
    version,
    compile(ir, name, options) {
      const out: unknown[] = [null];
      const check = (rc: number, what: string) => {
        if (rc !== 0) throw new PtxCompileError(`libnvvm ${what} failed: ${String(errorString(rc))}`);
      };
      check(create(out), 'nvvmCreateProgram');
      const p = out[0];
      try {
        const text = Buffer.from(ir, 'utf8');
        check(addModule(p, text, text.length, name), 'nvvmAddModuleToProgram');
        check(lazyAdd(p, device, device.length, 'libdevice'), 'nvvmLazyAddModuleToProgram (libdevice)');
        const rc = compileProgram(p, options.length, [...options]) as number;
        if (rc !== 0) {
          const n = [0];
          logSize(p, n);
          const buf = Buffer.alloc(Number(n[0]));
          log(p, buf);
          const text = buf.toString('utf8').replace(/\0+$/, '').trim();
          throw new PtxCompileError(`libnvvm could not compile module ${name} (${String(errorString(rc))}):\n${text}`);
        }
        const n = [0];
        check(resultSize(p, n), 'nvvmGetCompiledResultSize');
        const buf = Buffer.alloc(Number(n[0]));
        check(result(p, buf), 'nvvmGetCompiledResult');
        return buf.toString('utf8').replace(/\0+$/, '');
      } finally {
        destroy([p]);
      }
    },
  };
  apis.set(key, api);
  return api;
}
