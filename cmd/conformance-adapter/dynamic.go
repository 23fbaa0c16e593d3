//go:build !js

package main

import (
	"strconv"
	"time"
)

// dynamicValue is a header or query parameter whose value is computed anew
// for every append and read command.
type dynamicValue struct {
	name      string
	valueType string // counter, timestamp or token
	counter   int64
	token     string
}

// next returns the value for the next command.
func (v *dynamicValue) next(now time.Time) string {
	switch v.valueType {
	case "counter":
		v.counter++
		return strconv.FormatInt(v.counter, 10)
	case "timestamp":
		return strconv.FormatInt(now.UnixMilli(), 10)
	default:
		return v.token
	}
}

// dynamicSet holds the dynamic headers or parameters in the order they were
// first set. Setting a name again replaces its value (a token refresh) and
// restarts its counter.
type dynamicSet struct {
	values []*dynamicValue
}

// set adds or replaces name.
func (d *dynamicSet) set(name, valueType, initial string, tokens bool) error {
	switch valueType {
	case "counter", "timestamp":
	case "token":
		if !tokens {
			return invalidArgument("valueType token is not supported here")
		}
	default:
		return invalidArgument("unknown valueType %q", valueType)
	}
	if name == "" {
		return invalidArgument("name is empty")
	}
	v := &dynamicValue{name: name, valueType: valueType, token: initial}
	for i, old := range d.values {
		if old.name == name {
			d.values[i] = v
			return nil
		}
	}
	d.values = append(d.values, v)
	return nil
}

// clear forgets every value.
func (d *dynamicSet) clear() { d.values = nil }

// resolve returns the values for one command, advancing the counters.
func (d *dynamicSet) resolve(now time.Time) map[string]string {
	if len(d.values) == 0 {
		return nil
	}
	out := make(map[string]string, len(d.values))
	for _, v := range d.values {
		out[v.name] = v.next(now)
	}
	return out
}
