#!/usr/bin/env node
// The only file that touches `process`: everything below gets argv, env and io handed in.
import { loadEnv } from "./env.js";
import { processIo } from "./io.js";
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), loadEnv(process.cwd(), process.env), processIo(process));
