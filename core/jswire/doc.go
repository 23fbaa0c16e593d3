// Package jswire is the protocol between the Go module (wasm/, the bridge)
// and the JS shim (js/): the JSON texts that cross, built and parsed here
// in plain Go so that they are tested natively. The bridge only converts
// them to and from JS strings and schedules the calls.
//
// The block below is repeated word for word in js/wire.js, the file of the
// shim that decodes it (TestHeaderMatchesShim checks it).
//
// WIRE FORMAT (Go module <-> JS shim)
//
// Everything crosses as one JSON text per call, never field by field.
//
// The module sends:
//
//	step, onStep(text), once per step that changed something:
//	  {"c": {NAME: [CHANGE, ...], ...}, "q": [[QUERY, [QCHANGE, ...]], ...]}
//	  "c" holds the followed collections (dbFollow) the step changed, "q"
//	  the open live queries it changed, in the order they were opened.
//	  CHANGE  is ["i", ID, ROW] | ["u", ID, ROW, PREVIOUS] | ["d", ID, ROW]
//	  QCHANGE is [TYPE, KEY, VALUE, OLDRANK, RANK], five fields
//	          whatever TYPE ("i", "u" or "d"); VALUE is the row after the
//	          step, null for "d"; OLDRANK is the row's position in the
//	          result before the step and RANK after it, -1 where it has
//	          none (OLDRANK of "i", RANK of "d"). The row before the step
//	          (of "u" and "d") is not sent: the shim holds it, at OLDRANK.
//	first result, queryOpen(handle, ir, runner, n, id, keys):
//	  {"id": QUERY, "single": BOOL, "ordered": BOOL, "rows": [VALUE, ...]},
//	  with keys true also "special": BOOL, "keys": [KEY, ...]; keys and
//	  rows in result order, the i-th key the i-th row's; "special" is true
//	  when a KEY is in its one-element array form
//	result keys, queryKeys(handle, query): the keys of the result as it
//	  is, in result order (the shim asks when it first needs them), as
//	  KEYTEXT, not JSON: NUL, then per key its length in UTF-16 code units
//	  as one character (below U+D800) and the key; or U+FFFF, the length
//	  in decimal, ':' and the key; or, for a key that is not a string or
//	  holds a lone surrogate, U+FFFE, the length in decimal, ':' and the
//	  key as a KEY
//	  above 1 MiB, a first result comes as an array of strings, each a JSON
//	  text of its own: the object with "rows" (and "keys") empty, then the
//	  pieces of its lists in order, each [0, KEY, ...] (keys) or
//	  [1, VALUE, ...] (rows), whose elements go at the end of the object's
//	  list; KEYTEXT above 1 MiB comes as an array of strings, its pieces in
//	  order (each cut between two keys), to be joined
//	collection rows, collRows(handle, name): [[ID, ROW], ...] in key order
//	collection row, collGet(handle, name, id): ROW, or undefined (not text)
//	transaction, txInfo(handle, tx):
//	  {"state": "pending"|"persisting"|"completed"|"failed",
//	   "mutations": [{"type": "insert"|"update"|"delete", "collection": NAME,
//	                  "key": ID, "original": ROW|null, "modified": ROW|null}, ...]}
//	progress, onProgress(text): {"bytes": N, "events": N, "offset": OFFSET, "ready": BOOL,
//	  "phase": "restore"|"catch-up"|"live"}, and with phase "restore"
//	  (once, a snapshot restored) "restored": ROWS, "snapshotBytes": N
//	snapshot written, dbSave(handle): {"bytes": N, "rows": N, "offset": OFFSET,
//	  "skipped": BOOL}
//	batch read, onBatch(text): {"offset": OFFSET, "upToDate": BOOL, "items": [ITEM, ...]}
//	connection, onConnection(text, error): {"state": STATE, "attempt": N,
//	  "delayMs": N}, attempt and delayMs only when STATE is "retrying";
//	  STATE is connecting, live, retrying, stopped, failed or closed; error
//	  is the failure retried or the one that stopped reading (an Error), or
//	  undefined
//
// ID is a collection row's key, always a string. KEY is a live query's
// result key (a row key, a join key, a group key), sent as itself when JSON
// holds it (a string, a finite number, true, false, null) and otherwise as
// a one-element array: ["undefined"], ["NaN"], ["Infinity"], ["-Infinity"],
// or [V] for an array or object V. So 1 and "1", null and undefined stay
// apart.
//
// The shim sends:
//
//	dbOpen(config, onStep, onError, onProgress, onBatch, onConnection, refresh, store), config:
//	  {"url": URL, "headers": {NAME: STRING}, "params": {NAME: STRING},
//	   "live": "long-poll"|"sse"|"off"|"websocket", "websocket": {"url": URL},
//	   "collections": [{"name", "type", "primaryKey", "id"}], "maxTxIds": N,
//	   "taskBudgetMs": N, "idleTimeoutMs": N (0: never),
//	   "retry": {"maxRetries", "initialDelayMs", "maxDelayMs", "multiplier"},
//	   "maxEventBytes": N, "persistEveryMs": N, "virtualProps": BOOL}
//	  virtualProps: every ROW and VALUE sent carries TanStack DB's virtual
//	  fields ($hasPendingWrites, $synced, $origin, $key, $collectionId)
//	refresh(), called before every read request when the shim passes it:
//	  a Promise of {"headers": {NAME: STRING}, "params": {NAME: STRING}},
//	  the header and params functions of streamOptions evaluated anew
//	store, when persist is on: the snapshot store of js/persist.js (load,
//	  begin → writer with write(Uint8Array), commit, abort; remove), whose
//	  methods the module awaits; the bytes are the module's business
//	dbFollow(handle, names): [NAME, ...]
//	queryOpen(handle, ir, runner, n, id): the query IR (core/ir); id is the
//	  live query's id, its rows' $collectionId with virtualProps
//	txMutate(handle, tx, "insert"|"update"|"delete", name, ID, value):
//	  value is the row to insert, or the changed fields of an update; ID
//	  is "" for an insert keyed by the row's primary-key field
//	localOpen(onStep, onError) → handle of the database of local
//	  collections (no stream; read with the calls above)
//	localAdd(handle, name), localSync(handle, name, truncate, writes):
//	  writes is [["i"|"u"|"r", ID, ROW] | ["d", ID], ...], one sync
//	  transaction (insert, update: merged, replace, delete)
//	dbMirror(handle, local, name, as): collection as of the db follows
//	  local collection name of database local
//
// A string argument that must equal a stored string, an ID or a NAME
// (collGet, collHas, collSize, collRows, txMutate) or awaitTxId's txid,
// crosses as a JS string when it is well-formed UTF-16. One that is not
// (it holds a lone surrogate, which the conversion to a Go string would
// turn into U+FFFD) crosses as [JSON], a one-element array holding its
// JSON.stringify text, and the module decodes it as it decodes the
// stream's JSON: "\ud800", "\udc00" and "\ufffd" stay three keys.
//
// Errors: a synchronous call returns an Error instead of its result; an
// asynchronous one rejects with it. A bad argument is a TypeError. The
// name and properties say what failed:
//
//	StreamError       code, status, url, offset (a Durable Streams request)
//	QueryCompileError clause, reason
//	InvalidEventError offset, type, key, operation, txid, reason
//	SnapshotError     code SNAPSHOT, reason (why a persisted snapshot was not
//	                  used or not written: core/snapshot's Reason)
//	StreamDBError     code: USAGE, DUPLICATE_KEY, KEY_NOT_FOUND, NO_KEY,
//	                  NOT_OBJECT, TX_NOT_PENDING, CLOSED, TXID_TIMEOUT,
//	                  UNKNOWN_COLLECTION, DUPLICATE_KEY_SYNC, NOT_LOCAL
//	AbortError        cause (the AbortSignal's reason)
//
// An error thrown by a JS function the module calls (onStep, onError,
// onProgress, onBatch) is reported through onError; one thrown by onError
// is printed to the console.
//
// (end of the wire format)
package jswire
