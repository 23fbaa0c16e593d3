//go:build js && wasm

// Command streamdb is the bridge entry point: the program compiled to
// dist/streamdb.wasm and loaded by the JS shim. It will expose the core to
// JavaScript; for now it only stays alive (select{}) so that calls made into
// it later do not hit "Go program has already exited".
package main

func main() {
	select {}
}
