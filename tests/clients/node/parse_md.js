#!/usr/bin/env node
// Reference side of the message-parser differential test
// (crates/message-parser/tests/differential.rs): reads JSON lines
// {"input": string, "options": object} from stdin and writes, for each, one line with
// the JSON of @rocket.chat/message-parser's parse(input, options), or
// {"error": name} when the parser throws (it does for the empty string; the message
// itself lists expected character classes and is not valid UTF-16).
// One process serves a whole batch; output order follows input order.
'use strict';

const readline = require('readline');
const { parse } = require('@rocket.chat/message-parser');

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
const flush = () => {
  if (out.length) {
    process.stdout.write(out.join(''));
    out.length = 0;
  }
};

rl.on('line', (line) => {
  if (line === '') return;
  const { input, options } = JSON.parse(line);
  let result;
  try {
    result = JSON.stringify(parse(input, options || {}));
  } catch (e) {
    result = JSON.stringify({ error: String((e && e.name) || 'Error') });
  }
  out.push(result + '\n');
  if (out.length >= 256) flush();
});
rl.on('close', flush);
