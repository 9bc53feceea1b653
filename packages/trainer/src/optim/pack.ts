// Packs an optimizer's small tensors into flat vectors so its elementwise update runs once per
// group rather than once per tensor.

import type { GraphBuilder } from '../ir/builder.js';
import type { Dim } from '../ir/types.js';

/** One parameter's parallel tensors (e.g. param, grad, m, v), all of shape `dims`. */
export interface PackableItem {
  values: readonly string[];
  dims: readonly Dim[];
  /** Items pack only with items of the same key (dtype, weight decay: whatever the update reads). */
  key: string;
}

export interface PackedItems {
  /**
   * What to update: the items that were not packed, as given, and one flat item per group;
   * `first` is the index of the (first) original item it stands for.
   */
  items: Array<{ values: string[]; key: string; first: number }>;
  /**
   * The update's results for `items` (one list of parallel outputs each, e.g. [param, m, v]) back
   * as one list per original item, in the original order and shapes.
   */
  unpack(outputs: ReadonlyArray<readonly string[]>): string[][];
}

/**
 * Biases and LayerNorm weights are a few hundred elements each, yet an AdamW update is 13 nodes
 * per tensor, and each node costs ONNX Runtime ~10–20 µs of dispatch however small its tensor
 * (kernel profile, BERT-mini: ~45 such tensors, ~600 nodes). Items of at most `maxElements`
 * (static shapes only) that share a key are concatenated per field, flattened, into one item;
 * `unpack` splits and reshapes the results back. Concat and Split copy values exactly, so the
 * update gives the same bits as per tensor. Groups of one item are left alone.
 */
export function packSmallTensors(
  b: GraphBuilder,
  items: readonly PackableItem[],
  maxElements = 4096,
): PackedItems {
  const sizeOf = (dims: readonly Dim[]) =>
    dims.every((d): d is number => typeof d === 'number')
      ? dims.reduce((n, d) => n * d, 1)
      : undefined;
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const size = sizeOf(item.dims);
    if (size === undefined || size > maxElements) return;
    const members = groups.get(item.key) ?? [];
    members.push(i);
    groups.set(item.key, members);
  });
  for (const [key, members] of groups) if (members.length < 2) groups.delete(key);

  const groupOf = new Map<number, number[]>();
  for (const members of groups.values()) for (const i of members) groupOf.set(i, members);
  const flat = (value: string, dims: readonly Dim[]) =>
    dims.length === 1 ? value : b.op('Reshape', [value, b.int64s([-1])]);

  // Each entry: the original indices it stands for (one, or a whole group in order).
  const layout: number[][] = [];
  const out: PackedItems['items'] = [];
  items.forEach((item, i) => {
    const members = groupOf.get(i);
    if (members === undefined) {
      layout.push([i]);
      out.push({ values: [...item.values], key: item.key, first: i });
      return;
    }
    if (members[0] !== i) return; // the group was emitted at its first member
    layout.push(members);
    out.push({
      key: item.key,
      first: i,
      values: item.values.map((_, field) =>
        b.op(
          'Concat',
          members.map((m) => {
            const member = items[m] as PackableItem;
            return flat(member.values[field] as string, member.dims);
          }),
          { axis: 0 },
        ),
      ),
    });
  });

  return {
    items: out,
    unpack(outputs) {
      const result: string[][] = new Array(items.length);
      layout.forEach((members, j) => {
        const fields = outputs[j] as readonly string[];
        if (members.length === 1) {
          // not packed (groups have two members or more)
          result[members[0] as number] = [...fields];
          return;
        }
        const sizes = members.map((m) => sizeOf((items[m] as PackableItem).dims) as number);
        const pieces = fields.map((field) =>
          b.opN('Split', [field, b.int64s(sizes)], members.length, { axis: 0 }),
        );
        members.forEach((m, k) => {
          const { dims } = items[m] as PackableItem;
          result[m] = pieces.map((parts) => {
            const part = parts[k] as string;
            return dims.length === 1 ? part : b.op('Reshape', [part, b.int64s(dims as number[])]);
          });
        });
      });
      return result;
    },
  };
}
