/**
 * Type-level bookkeeping of the builder: what names a step may read, and what
 * type each one has. Nothing here exists at run time.
 */

export type AnyRecord = Record<string, unknown>;
export type StepOutputs = Record<string, AnyRecord>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Names a step can read: workflow input keys and outputs of earlier steps. */
export type InputName<WI, Out> = (keyof WI | keyof Out) & string;

/** `[step, output]` pairs naming an output of an earlier step. */
export type SourceTuple<Steps> = {
  [S in keyof Steps & string]: readonly [S, keyof Steps[S] & string];
}[keyof Steps & string];

/** `inputs` as a list of names, or as a mapping `{ local: name | [step, output] }`. */
export type InputSpec<WI, Out, Steps> =
  | readonly InputName<WI, Out>[]
  | { readonly [local: string]: InputName<WI, Out> | SourceTuple<Steps> };

/** The type of a named value; a step's output wins over a workflow input of the same name. */
export type ValueOf<WI, Out, K> = K extends keyof Out ? Out[K] : K extends keyof WI ? WI[K] : never;

/** The object a step's `run` receives for a given `inputs` spec. */
export type ResolveInputs<Spec, WI, Out, Steps> = Spec extends readonly (infer K)[]
  ? Simplify<{ [P in K & string]: ValueOf<WI, Out, P> }>
  : Simplify<{
      -readonly [P in keyof Spec]: Spec[P] extends readonly [infer S extends keyof Steps, infer O]
        ? O extends keyof Steps[S]
          ? Steps[S][O]
          : never
        : ValueOf<WI, Out, Spec[P]>;
    }>;

/** A step's return value must carry every declared output. */
export type OutputShape<O extends readonly string[]> = O extends readonly [] ? unknown : { [K in O[number]]: unknown };

/** The outputs a step adds, typed from what its `run` returns. */
export type PickOutputs<R, O extends readonly string[]> = Simplify<{
  [K in O[number]]: K extends keyof R ? R[K] : unknown;
}>;

/** A readable compile error for a reused step name. */
export type StepName<N extends string, Steps> = string extends keyof Steps
  ? N // an erased (dynamic) workflow: names are checked when it is planned
  : N extends keyof Steps
    ? `Step "${N}" is already defined`
    : N;
