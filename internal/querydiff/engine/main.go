// Command engine runs our query engine for the differential tests: it reads
// requests as JSON lines on stdin and answers each with one JSON line on
// stdout (the protocol is described in ../harness.mjs). It keeps
// collections with a synced layer and an optimistic overlay built from
// pending transactions as TanStack DB builds it, and live queries over them.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/streamdb/streamdb/core/collate"
	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/query"
	"github.com/streamdb/streamdb/core/value"
)

type request struct {
	Op          string                     `json:"op"`
	ID          string                     `json:"id"`
	IR          json.RawMessage            `json:"ir"`
	Collection  string                     `json:"collection"`
	Collections map[string]json.RawMessage `json:"collections"`
	Writes      []mutation                 `json:"writes"`
	Mutations   []mutation                 `json:"mutations"`
}

type mutation struct {
	Collection string          `json:"collection"`
	Type       string          `json:"type"`
	Key        string          `json:"key"`
	Value      json.RawMessage `json:"value"`
}

// pending is one optimistic entry of a transaction.
type pending struct {
	deleted  bool
	modified value.Value
}

type tx struct {
	id      string
	entries map[string]map[string]*pending // collection → key → entry
	order   []string                       // "collection\x00key" in first-touch order
}

type liveQuery struct {
	id string
	lq *query.LiveQuery
}

type engine struct {
	cols    map[string]*collection.Collection
	txs     []*tx
	queries []*liveQuery
}

func main() {
	e := &engine{}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			reply := e.handle(line)
			out.Write(reply)
			out.WriteByte('\n')
			out.Flush()
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "engine:", err)
			os.Exit(1)
		}
	}
}

func errorReply(err error) []byte {
	m := map[string]string{"error": err.Error()}
	if e, ok := err.(*ir.Error); ok {
		m["clause"] = e.Clause
	}
	b, _ := json.Marshal(m)
	return b
}

var okReply = []byte(`{"ok":true}`)

func (e *engine) handle(line []byte) (reply []byte) {
	defer func() {
		if r := recover(); r != nil {
			reply = errorReply(fmt.Errorf("panic: %v", r))
		}
	}()
	var r request
	if err := json.Unmarshal(line, &r); err != nil {
		return errorReply(fmt.Errorf("bad request: %w", err))
	}
	var err error
	switch r.Op {
	case "init":
		err = e.init(r.Collections)
	case "query":
		if q, perr := ir.Parse(r.IR); perr == nil && q.HasFn() {
			// JS callbacks (fn.where, fn.select, fn.having) need a JS
			// engine: the harness counts the query as skipped here.
			return []byte(`{"skip":"fn callbacks: the native engine cannot run JS"}`)
		}
		err = e.query(r.ID, r.IR)
	case "sync":
		err = e.sync(r.Collection, r.Writes)
	case "tx":
		err = e.tx(r.ID, r.Mutations)
	case "rollback":
		err = e.finish(r.ID, true)
	case "complete":
		err = e.finish(r.ID, false)
	case "drop":
		e.queries = slices.DeleteFunc(e.queries, func(q *liveQuery) bool { return q.id == r.ID })
	case "results":
		return e.results()
	default:
		err = fmt.Errorf("unknown op %q", r.Op)
	}
	if err != nil {
		return errorReply(err)
	}
	return okReply
}

func (e *engine) init(cols map[string]json.RawMessage) error {
	e.cols = map[string]*collection.Collection{}
	e.txs, e.queries = nil, nil
	for name, raw := range cols {
		var spec struct {
			PK   string            `json:"pk"`
			Rows []json.RawMessage `json:"rows"`
		}
		if err := json.Unmarshal(raw, &spec); err != nil {
			return fmt.Errorf("collection %s: %w", name, err)
		}
		c := collection.New(name, name, spec.PK)
		c.Begin()
		for _, row := range spec.Rows {
			v, err := value.Parse(row)
			if err != nil {
				return fmt.Errorf("collection %s: %w", name, err)
			}
			k, ok := v.Get(spec.PK).Str()
			if !ok {
				return fmt.Errorf("collection %s: row without a string %s: %s", name, spec.PK, row)
			}
			c.Put(k, v)
		}
		c.End(false)
		e.cols[name] = c
	}
	return nil
}

func (e *engine) query(id string, raw json.RawMessage) error {
	q, err := ir.Parse(raw)
	if err != nil {
		return err
	}
	lq, err := query.Compile(q, query.Options{
		HasCollection: func(name string) bool { return e.cols[name] != nil },
		Collator: func(locale string, opts value.Value) (query.Collation, error) {
			c, err := collate.New(locale, collateOptions(opts))
			return query.Collation{Compare: c}, err
		},
		Virtual: func(name string) query.Virtual {
			c := e.cols[name]
			return query.Virtual{ID: c.ID(), Meta: c.Meta}
		},
	})
	if err != nil {
		return err
	}
	lq.Load(func(name string, fn func(string, value.Value) bool) { e.cols[name].Range(fn) })
	e.queries = append(e.queries, &liveQuery{id: id, lq: lq})
	return nil
}

func collateOptions(v value.Value) collate.Options {
	var o collate.Options
	o.Sensitivity, _ = v.Get("sensitivity").Str()
	o.Numeric, _ = v.Get("numeric").BoolVal()
	o.CaseFirst, _ = v.Get("caseFirst").Str()
	o.IgnorePunctuation, _ = v.Get("ignorePunctuation").BoolVal()
	return o
}

// publish feeds one collection's committed changes to every live query.
func (e *engine) publish(name string, changes []collection.Change) {
	for _, q := range e.queries {
		q.lq.Apply(name, changes)
	}
}

func (e *engine) sync(name string, writes []mutation) error {
	c := e.cols[name]
	if c == nil {
		return fmt.Errorf("unknown collection %q", name)
	}
	vals := make([]value.Value, len(writes))
	for i, w := range writes {
		if w.Type == "delete" {
			continue
		}
		v, err := value.Parse(w.Value)
		if err != nil {
			return fmt.Errorf("write %d: %w", i, err)
		}
		vals[i] = v
	}
	c.Begin()
	for i, w := range writes {
		switch w.Type {
		case "insert":
			c.Put(w.Key, vals[i])
		case "update":
			c.Upsert(w.Key, vals[i], value.Merge)
		case "delete":
			c.Remove(w.Key)
		default:
			c.End(false)
			return fmt.Errorf("write %d: unknown type %q", i, w.Type)
		}
	}
	e.publish(name, c.End(true))
	return nil
}

// tx records a pending optimistic transaction, merging its mutations of one
// key as TanStack DB does, and shows it.
func (e *engine) tx(id string, muts []mutation) error {
	t := &tx{id: id, entries: map[string]map[string]*pending{}}
	touched := map[string]bool{}
	for i, m := range muts {
		c := e.cols[m.Collection]
		if c == nil {
			return fmt.Errorf("mutation %d: unknown collection %q", i, m.Collection)
		}
		var v value.Value
		if m.Type != "delete" {
			var err error
			if v, err = value.Parse(m.Value); err != nil {
				return fmt.Errorf("mutation %d: %w", i, err)
			}
		}
		byKey := t.entries[m.Collection]
		if byKey == nil {
			byKey = map[string]*pending{}
			t.entries[m.Collection] = byKey
		}
		prev := byKey[m.Key]
		if prev == nil {
			t.order = append(t.order, m.Collection+"\x00"+m.Key)
		}
		switch m.Type {
		case "insert":
			byKey[m.Key] = &pending{modified: v}
		case "update":
			base := value.Undefined()
			if prev != nil && !prev.deleted {
				base = prev.modified
			} else if cur, ok := c.Get(m.Key); ok {
				base = cur
			}
			byKey[m.Key] = &pending{modified: value.Merge(base, v)}
		case "delete":
			byKey[m.Key] = &pending{deleted: true}
		default:
			return fmt.Errorf("mutation %d: unknown type %q", i, m.Type)
		}
		touched[m.Collection] = true
	}
	e.txs = append(e.txs, t)
	e.reoverlay(touched)
	return nil
}

// finish drops a transaction: completed, or rolled back with every other
// pending transaction that touches one of its keys.
func (e *engine) finish(id string, rollback bool) error {
	i := slices.IndexFunc(e.txs, func(t *tx) bool { return t.id == id })
	if i < 0 {
		return fmt.Errorf("unknown transaction %q", id)
	}
	t := e.txs[i]
	drop := map[*tx]bool{t: true}
	if rollback {
		for _, o := range e.txs {
			if o != t && sharesKey(t, o) {
				drop[o] = true
			}
		}
	}
	touched := map[string]bool{}
	for d := range drop {
		for name := range d.entries {
			touched[name] = true
		}
	}
	e.txs = slices.DeleteFunc(e.txs, func(t *tx) bool { return drop[t] })
	e.reoverlay(touched)
	return nil
}

func sharesKey(a, b *tx) bool {
	for name, keys := range a.entries {
		for k := range keys {
			if _, ok := b.entries[name][k]; ok {
				return true
			}
		}
	}
	return false
}

// reoverlay recomputes the overlay of the touched collections from the
// pending transactions in creation order and publishes the changes.
func (e *engine) reoverlay(touched map[string]bool) {
	names := make([]string, 0, len(touched))
	for n := range touched {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		o := map[string]collection.Overlay{}
		for _, t := range e.txs {
			for k, p := range t.entries[name] {
				o[k] = collection.Overlay{Deleted: p.deleted, Value: p.modified}
			}
		}
		c := e.cols[name]
		c.Begin()
		c.SetOverlay(o)
		e.publish(name, c.End(true))
	}
}

func (e *engine) results() []byte {
	buf := []byte(`{"results":{`)
	for i, q := range e.queries {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = value.AppendJSON(buf, value.String(q.id))
		buf = append(buf, ":["...)
		n := 0
		q.lq.Range(func(k, v value.Value) bool {
			if n > 0 {
				buf = append(buf, ',')
			}
			n++
			buf = append(buf, '[')
			buf = value.AppendJSON(buf, value.String(ivm.KeyID(k)))
			buf = append(buf, ',')
			buf = value.AppendJSON(buf, v)
			buf = append(buf, ']')
			return true
		})
		buf = append(buf, ']')
	}
	return append(buf, "}}"...)
}
