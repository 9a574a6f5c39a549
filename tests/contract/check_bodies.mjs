// Checks request bodies against the vendor's official schema, one JSON document per line.
//
// Protocol (stdin -> stdout, one line in, one line out, in order):
//   {"ok": true}
//   {"ok": false, "issues": [{"path": [...], "message": "...", "code": "..."}]}
// A line that is not JSON answers an "invalid_json" issue, so the caller's line count
// never drifts. The process stays up until stdin closes, so the Python side pays the
// Node start-up once per test session, not once per body.
//
// Run from the repository root so that node_modules resolves:
//   node tests/contract/check_bodies.mjs

import { createInterface } from "node:readline";

import { partnerPostCreateBodySchema } from "@genviral/partner-api-contracts";

/** The answer for one input line. */
function answer(line) {
  let body;
  try {
    body = JSON.parse(line);
  } catch {
    return { ok: false, issues: [{ path: [], message: "not JSON", code: "invalid_json" }] };
  }
  const result = partnerPostCreateBodySchema.safeParse(body);
  if (result.success) {
    return { ok: true };
  }
  // Only the fields the Partner API documents for its 422 issues, so answers stay comparable.
  const issues = result.error.issues.map((issue) => ({
    path: issue.path,
    message: issue.message,
    code: issue.code,
  }));
  return { ok: false, issues };
}

// crlfDelay: a "\r\n" pair is one line ending, never an extra empty line.
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
for await (const line of lines) {
  process.stdout.write(`${JSON.stringify(answer(line))}\n`);
}
