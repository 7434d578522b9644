// The demo app: reads its .env every few seconds, as an app would at each
// start or reload, and prints what it got with every value masked. Each
// read is one open of the FIFO, so each line here has a matching audit
// event in the daemon's log and a matching line in the function's.
//
//   node app.mjs [PATH]        PATH defaults to /run/ratchet/.env
//
// DEMO_INTERVAL_SECONDS (default 5) sets the pause; DEMO_ROUNDS (default 0,
// meaning forever) stops after that many reads. Needs Node 20.12 or later
// (util.parseEnv), nothing else.

import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";

const path = process.argv[2] ?? "/run/ratchet/.env";
const pause = Number(process.env.DEMO_INTERVAL_SECONDS ?? "5") * 1000;
const rounds = Number(process.env.DEMO_ROUNDS ?? "0");

// A mask shows the length only: even the first characters of a secret are
// part of the secret.
function mask(value) {
  const length = [...value].length;
  return length === 0 ? "(empty)" : `****** (${length} chars)`;
}

function readOnce(round) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    console.log(`demo: read ${round}: cannot read ${path}: ${error.code ?? error.message}`);
    return;
  }
  const variables = parseEnv(text);
  const names = Object.keys(variables).sort();
  if (names.length === 0) {
    console.log(`demo: read ${round}: ${path} was empty; the daemon's audit says why`);
    return;
  }
  const shown = names.map((name) => `${name}=${mask(variables[name])}`).join(" ");
  console.log(`demo: read ${round}: ${names.length} variables: ${shown}`);
}

for (let round = 1; rounds === 0 || round <= rounds; round += 1) {
  readOnce(round);
  if (rounds === 0 || round < rounds) {
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
