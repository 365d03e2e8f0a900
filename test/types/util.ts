// Helpers for type-level tests (checked by `tsc --noEmit -p .`; nothing here runs).

/** true when X and Y are the same type (readonly, optional and `any` all count). */
export type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

/** Fails to compile unless T is `true`: `type _ = Expect<Equal<A, B>>`. */
export type Expect<T extends true> = T;

/** true when T is `never`. */
export type IsNever<T> = [T] extends [never] ? true : false;
