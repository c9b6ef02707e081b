/**
 * A msg property whose value is worked out on first read, then kept as a plain property. For values a
 * flow seldom reads and that cost something to make (the XML of an event that arrived as TAK Protocol):
 * a flow that never reads it never pays. Reading, writing, deleting, cloning and JSON all behave as for a
 * plain property.
 */
export function defineLazyProperty<T extends object>(target: T, name: string, compute: () => unknown): void {
  const settle = (value: unknown): void => {
    Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(target, name, {
    enumerable: true,
    configurable: true,
    get(): unknown {
      const value = compute();
      settle(value);
      return value;
    },
    set(value: unknown): void {
      settle(value);
    },
  });
}
