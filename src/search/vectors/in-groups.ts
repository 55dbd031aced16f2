/** Groups of at most `size` items from a sync or async iterable, streaming (one group in memory at a time). */
export async function* inGroups<T>(items: AsyncIterable<T> | Iterable<T>, size: number): AsyncGenerator<T[]> {
  let group: T[] = [];
  for await (const item of items) {
    group.push(item);
    if (group.length >= size) {
      yield group;
      group = [];
    }
  }
  if (group.length) yield group;
}
