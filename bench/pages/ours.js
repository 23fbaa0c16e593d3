// StreamDB (this package, through its exports) under the benchmark harness:
// the main entry, the default build of the module.
import './instrument.js'
import * as pkg from '@streamdb/streamdb'
import { installOurs } from './ours-adapter.js'

installOurs(pkg)
