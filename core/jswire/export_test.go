package jswire

// DBErrors returns the database errors that have a code, for the tests.
func DBErrors() []error {
	errs := make([]error, len(dbErrorCodes))
	for i, c := range dbErrorCodes {
		errs[i] = c.err
	}
	return errs
}
