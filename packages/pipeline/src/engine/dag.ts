// Step ordering: a topological order of the `needs` graph that keeps file order among steps that
// are ready together, so runs are predictable; cycles are reported with the steps involved.

/** The part of a step the graph needs. */
export interface DagNode {
  id: string;
  needs: string[];
}

export type TopoResult = { order: string[] } | { cycle: string[] };

/**
 * Kahn's algorithm, always taking the earliest ready step in file order. On a cycle it returns
 * one cycle as a path `a → b → … → a` (ids), found by walking unresolved dependencies.
 * Assumes every id in `needs` exists (load.ts checks that first).
 */
export function topologicalOrder(nodes: readonly DagNode[]): TopoResult {
  const index = new Map(nodes.map((node, i) => [node.id, i]));
  const remaining = nodes.map((node) => new Set(node.needs).size);
  const dependents = nodes.map(() => [] as number[]);
  nodes.forEach((node, i) => {
    for (const need of new Set(node.needs)) dependents[index.get(need)!]!.push(i);
  });
  const ready = nodes.flatMap((_, i) => (remaining[i] === 0 ? [i] : []));
  const order: string[] = [];
  while (ready.length > 0) {
    // Small graphs: a sorted array is plenty and keeps file order.
    ready.sort((a, b) => a - b);
    const next = ready.shift()!;
    order.push(nodes[next]!.id);
    for (const dependent of dependents[next]!) {
      remaining[dependent] = remaining[dependent]! - 1;
      if (remaining[dependent] === 0) ready.push(dependent);
    }
  }
  if (order.length === nodes.length) return { order };
  return { cycle: findCycle(nodes, index, remaining) };
}

function findCycle(
  nodes: readonly DagNode[],
  index: Map<string, number>,
  remaining: number[],
): string[] {
  // Every unresolved step has an unresolved dependency, so following those must revisit a step.
  let current = remaining.findIndex((count) => count > 0);
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    const node = nodes[current]!;
    current = node.needs.map((need) => index.get(need)!).find((i) => remaining[i]! > 0)!;
  }
  const cycle = path.slice(seenAt.get(current)).map((i) => nodes[i]!.id);
  return [...cycle, cycle[0]!];
}
