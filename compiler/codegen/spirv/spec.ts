// The numbers of the SPIR-V specification (unified 1.x) and of the GLSL.std.450 extended
// instruction set that Kiln's SPIR-V generator uses: opcodes, enumerants and the header.

export const MAGIC = 0x07230203;
/** SPIR-V 1.3, the version Vulkan 1.1 consumes. */
export const VERSION_1_3 = 0x00010300;

export const Op = {
  Name: 5,
  MemberName: 6,
  Extension: 10,
  ExtInstImport: 11,
  ExtInst: 12,
  MemoryModel: 14,
  EntryPoint: 15,
  ExecutionMode: 16,
  Capability: 17,
  TypeVoid: 19,
  TypeBool: 20,
  TypeInt: 21,
  TypeFloat: 22,
  TypeVector: 23,
  TypeArray: 28,
  TypeRuntimeArray: 29,
  TypeStruct: 30,
  TypePointer: 32,
  TypeFunction: 33,
  ConstantTrue: 41,
  ConstantFalse: 42,
  Constant: 43,
  ConstantComposite: 44,
  Function: 54,
  FunctionParameter: 55,
  FunctionEnd: 56,
  FunctionCall: 57,
  Variable: 59,
  Load: 61,
  Store: 62,
  AccessChain: 65,
  Decorate: 71,
  MemberDecorate: 72,
  CompositeConstruct: 80,
  CompositeExtract: 81,
  ConvertFToS: 110,
  ConvertSToF: 111,
  FConvert: 115,
  Bitcast: 124,
  SNegate: 126,
  FNegate: 127,
  IAdd: 128,
  FAdd: 129,
  ISub: 130,
  FSub: 131,
  IMul: 132,
  FMul: 133,
  SDiv: 135,
  FDiv: 136,
  SRem: 138,
  SMod: 139,
  IsNan: 156,
  IsInf: 157,
  LogicalEqual: 164,
  LogicalNotEqual: 165,
  LogicalOr: 166,
  LogicalAnd: 167,
  LogicalNot: 168,
  Select: 169,
  IEqual: 170,
  INotEqual: 171,
  UGreaterThan: 172,
  SGreaterThan: 173,
  UGreaterThanEqual: 174,
  SGreaterThanEqual: 175,
  ULessThan: 176,
  SLessThan: 177,
  ULessThanEqual: 178,
  SLessThanEqual: 179,
  FOrdEqual: 180,
  FOrdNotEqual: 182,
  FUnordNotEqual: 183,
  FOrdLessThan: 184,
  FOrdGreaterThan: 186,
  FOrdLessThanEqual: 188,
  FOrdGreaterThanEqual: 190,
  ShiftRightLogical: 194,
  ShiftRightArithmetic: 195,
  ShiftLeftLogical: 196,
  BitwiseOr: 197,
  BitwiseXor: 198,
  BitwiseAnd: 199,
  Not: 200,
  ControlBarrier: 224,
  MemoryBarrier: 225,
  AtomicLoad: 227,
  AtomicStore: 228,
  AtomicIAdd: 234,
  AtomicAnd: 240,
  AtomicOr: 241,
  LoopMerge: 246,
  SelectionMerge: 247,
  Label: 248,
  Branch: 249,
  BranchConditional: 250,
  Return: 253,
} as const;

/** Mnemonics by opcode, for the fallback disassembler. */
export const OP_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Op).map(([k, v]) => [v, `Op${k}`]));

export const Capability = { Shader: 1, Float16: 9, Float64: 10, Int64: 11, Int8: 39, StorageBuffer16BitAccess: 4433, StorageBuffer8BitAccess: 4448, SignedZeroInfNanPreserve: 4466 } as const;
export const AddressingModel = { Logical: 0 } as const;
export const MemoryModel = { GLSL450: 1 } as const;
export const ExecutionModel = { GLCompute: 5 } as const;
export const ExecutionMode = { LocalSize: 17, SignedZeroInfNanPreserve: 4461 } as const;
export const StorageClass = { Input: 1, Uniform: 2, Workgroup: 4, Private: 6, Function: 7, PushConstant: 9, StorageBuffer: 12 } as const;
export type StorageClassId = (typeof StorageClass)[keyof typeof StorageClass];
export const Decoration = {
  Block: 2,
  ArrayStride: 6,
  BuiltIn: 11,
  NonWritable: 24,
  Binding: 33,
  DescriptorSet: 34,
  Offset: 35,
  NoContraction: 42,
} as const;
export const BuiltIn = { NumWorkgroups: 24, WorkgroupId: 26, LocalInvocationId: 27, GlobalInvocationId: 28, LocalInvocationIndex: 29 } as const;
export const Scope = { Device: 1, Workgroup: 2, Invocation: 4 } as const;
export const MemorySemantics = { None: 0, AcquireRelease: 0x8, UniformMemory: 0x40, WorkgroupMemory: 0x100 } as const;

/** GLSL.std.450 extended instructions (only 16- and 32-bit floats for the transcendental ones). */
export const GLSL = {
  RoundEven: 2,
  Trunc: 3,
  FAbs: 4,
  Floor: 8,
  Ceil: 9,
  Sin: 13,
  Cos: 14,
  Pow: 26,
  Exp: 27,
  Log: 28,
  Exp2: 29,
  Log2: 30,
  Sqrt: 31,
  Frexp: 51,
  Ldexp: 53,
} as const;
