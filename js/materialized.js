// MaterializedState: the state of a stream of change events kept in plain
// JS Maps, as @durable-streams/state's is, for code that materializes
// events itself (without collections or queries).

/**
 * MaterializedState holds, for each event type, a Map from key to value.
 * apply takes one change event: insert, update and upsert set the key's
 * value (replacing it whole), delete removes it; any other operation only
 * makes the type's Map. Nothing is validated, and control events are not
 * handled (an app calls clear() on a reset).
 */
export class MaterializedState {
  #types = new Map()

  /** apply applies one change event. */
  apply(event) {
    const type = event.type
    let rows = this.#types.get(type)
    if (!rows) {
      rows = new Map()
      this.#types.set(type, rows)
    }
    switch (event.headers?.operation) {
      case 'insert':
      case 'update':
      case 'upsert':
        rows.set(event.key, event.value)
        break
      case 'delete':
        rows.delete(event.key)
        break
    }
  }

  /** applyBatch applies events in order. */
  applyBatch(events) {
    for (const e of events) this.apply(e)
  }

  /** get returns the value of key in type, or undefined. */
  get(type, key) {
    return this.#types.get(type)?.get(key)
  }

  /** getType returns the Map of a type (the live one; a new empty Map for a type never seen). */
  getType(type) {
    return this.#types.get(type) ?? new Map()
  }

  /** clear drops everything. */
  clear() {
    this.#types.clear()
  }

  /** The number of types seen. */
  get typeCount() {
    return this.#types.size
  }

  /** The types seen, in the order first seen. */
  get types() {
    return [...this.#types.keys()]
  }
}
