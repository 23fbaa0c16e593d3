package db

import (
	"fmt"
	"testing"

	"github.com/streamdb/streamdb/core/snapshot"
)

// The schema in a snapshot-discarded message reads as it did with fmt's %v.
func TestCollectionsText(t *testing.T) {
	for _, cs := range [][]snapshot.Collection{nil, {{Name: "users", Type: "user", PrimaryKey: "id"}, {Name: "m", Type: "msg", PrimaryKey: "k"}}} {
		if got, want := collectionsText(cs), fmt.Sprintf("%v", cs); got != want {
			t.Errorf("collectionsText = %q, fmt gives %q", got, want)
		}
	}
}
