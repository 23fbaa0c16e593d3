// Type declarations of js/persist.js: where a persisted StreamDB keeps its
// snapshot (OPFS, IndexedDB, or a file in Node).

/** SnapshotStorage names a backend. */
export type SnapshotStorage = 'opfs' | 'indexeddb' | 'file'

/** SnapshotStoreOptions are openSnapshotStore's options. */
export interface SnapshotStoreOptions {
  /** The snapshot's name: any string (a stream's URL, for instance). */
  key: string
  /**
   * The backend. Default: 'opfs' where navigator.storage.getDirectory
   * exists, else 'indexeddb' where indexedDB exists, else 'file' (Node).
   */
  storage?: SnapshotStorage
  /** The snapshot file's path: required by 'file', ignored by the others. */
  path?: string
}

/** SnapshotWriter writes one new snapshot; its calls run in the order made. */
export interface SnapshotWriter {
  /** write appends chunk to the new snapshot; the chunk is kept, not copied: do not change it afterwards. */
  write(chunk: Uint8Array): Promise<void>
  /**
   * commit replaces the stored snapshot with the new one in one step and
   * lets go of the writer lock; when it fails (or a write failed), the old
   * one stays.
   */
  commit(): Promise<void>
  /** abort drops the new snapshot (the old one stays) and lets go of the lock; does nothing after commit or abort. */
  abort(): Promise<void>
}

/** SnapshotStore stores and loads the snapshot of one key. */
export interface SnapshotStore {
  readonly kind: SnapshotStorage
  readonly key: string
  /** load returns the last committed snapshot, or null when there is none (a zero-byte snapshot reads as null). */
  load(): Promise<Uint8Array | null>
  /**
   * begin starts a new snapshot: a writer, or null when another writer of
   * the key (another tab or worker of the origin, another writer of this
   * page; in Node, another writer of the file in this process) is writing.
   */
  begin(): Promise<SnapshotWriter | null>
  /** remove deletes the snapshot; nothing happens when there is none. */
  remove(): Promise<void>
}

/**
 * openSnapshotStore returns the store of options.key without any I/O.
 * Throws a TypeError for bad options (a key or path that is not a string,
 * an unknown storage or one this environment lacks, 'file' without a
 * path). The store's methods reject with a StreamDBError of code
 * 'SNAPSHOT_STORAGE' (with storage, key, and the backend's error as cause)
 * when the backend fails.
 */
export function openSnapshotStore(options: SnapshotStoreOptions): SnapshotStore
