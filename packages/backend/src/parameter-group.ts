import type * as tf from '@tensorflow/tfjs-core';

/**
 * A set of trainable variables and how they are laid out over the ranks of a data-parallel /
 * model-parallel run, declared by the module that owns them (as PyTorch's parameter groups, plus
 * what DDP and PartialFC know implicitly). An optimizer reads it to decide what to reduce:
 *
 * - `replicated` (a data-parallel backbone): every rank holds the same values; a rank's gradient is
 *   its share of the global batch's gradient, so gradients are summed across ranks before the update.
 * - `sharded` (PartialFC's class centres): each rank holds a different part; its gradient is already
 *   complete, but whole-parameter quantities (LARS's norms) are sums over the ranks' parts.
 *
 * @example
 * const groups = [backbone.parameterGroup(), head.parameterGroup()];
 * // [{ name: 'backbone', placement: 'replicated', ... }, { name: 'partial_fc', placement: 'sharded', ... }]
 */
export interface ParameterGroup {
  /** For messages and logs, e.g. `backbone`, `partial_fc`. */
  readonly name: string;
  readonly variables: readonly tf.Variable[];
  readonly placement: 'replicated' | 'sharded';
  /**
   * Row-sparse updates (PartialFC sampling): the rows of `variable` (first axis) that took part in
   * the last forward pass, or undefined when every row did.
   */
  readonly updateRows?: (variable: tf.Variable) => Int32Array | undefined;
}
