module github.com/streamdb/streamdb

go 1.26

require (
	github.com/hack-pad/safejs v0.1.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)
