// Package expr compiles the expressions of a live query (core/ir.Expr trees)
// into evaluators with exactly the semantics of TanStack DB 0.15.2's
// expression evaluator: JavaScript's loose typing (String(x), Number(x), the
// < operator across types, truthiness), three-valued logic in which null and
// undefined are UNKNOWN (null), and NaN equal to NaN and greater than every
// other non-null value.
//
// An expression reads a []value.Value: the compiler of a query decides what
// the slots hold (a row per alias, the select result, aggregate values) and
// says so through a Resolver. Compile does the work that does not depend on
// the row (constant patterns, constant lists, constant subexpressions) once;
// the Eval it returns allocates nothing for comparisons and boolean logic.
//
// The functions (IR names):
//
//	eq gt gte lt lte                 comparison; null/undefined operand → null
//	and or not                       three-valued logic (Kleene)
//	in                               membership in an array (inArray)
//	like ilike                       % and _ patterns over UTF-16 code units
//	isNull isUndefined               x === null, x === undefined
//	upper lower                      JS toUpperCase/toLowerCase of strings
//	length                           UTF-16 length of a string, array length, else 0
//	concat                           String() of each argument, nullish as ""
//	coalesce                         first non-nullish argument, else null
//	caseWhen                         c1, v1, c2, v2, …, [default]; JS truthiness
//	add subtract multiply divide     JS arithmetic, nullish operands as 0; x/0 → null
//	array                            an array of the arguments' values
//
// TanStack's date functions (date, datetime, strftime) and its includes
// helpers (toArray, materialize) are not expression functions here: Compile
// rejects them, as it rejects any other name.
//
// Values that came from JSON cannot be compared by reference the way
// JavaScript compares objects, so eq and in treat arrays and objects this
// way: two operands are equal only when both are the same ref (the same
// slot and field path, so the same JavaScript object in TanStack); any
// other two arrays or objects are different objects, never equal, whatever
// their contents. In TanStack two refs that reach one object along
// different paths (a self-join, a field copied by select) are equal too;
// here they are not.
package expr
