package value

// ArrayOf returns the Array of the values vals, in order. Undefined and
// non-finite numbers become null in it, as JSON.stringify writes them.
func ArrayOf(vals []Value) Value {
	buf := make([]byte, 0, 2+8*len(vals))
	buf = append(buf, '[')
	for i, v := range vals {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = AppendJSON(buf, v)
	}
	buf = append(buf, ']')
	return textValue(KindArray, string(buf))
}
