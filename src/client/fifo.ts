/**
 * A first-in first-out list with O(1) push and shift: an array read from a moving head, compacted when the
 * consumed part outgrows the rest, so a long-lived queue neither leaks nor copies on every shift.
 */
/** Consumed slots tolerated before compacting: copying is then rare and cheap next to the shifts it follows. */
const COMPACT_AFTER = 1024;

export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T; // let it be collected
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Puts items back in front, in their order: rare (a connection was lost), so a copy is fine. */
  unshiftAll(items: readonly T[]): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** Empties the list and returns what it held, oldest first. */
  clear(): T[] {
    const items = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return items;
  }

  toArray(): T[] {
    return this.items.slice(this.head);
  }
}
