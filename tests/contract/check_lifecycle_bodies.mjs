// Checks the bodies of PATCH /posts/{id}, POST /posts/retry and POST /posts/delete against
// the vendor's official schemas, one JSON document per line:
//   in:  {"schema": "update" | "retry" | "delete", "body": {...}}
//   out: {"ok": true} or {"ok": false, "issues": [...]}
//
// Run from the repository root so that node_modules resolves.

import { createInterface } from "node:readline";

import {
  partnerPostBulkDeleteSchema,
  partnerPostRetrySchema,
  partnerPostUpdateSchema,
} from "@genviral/partner-api-contracts";

const SCHEMAS = {
  update: partnerPostUpdateSchema,
  retry: partnerPostRetrySchema,
  delete: partnerPostBulkDeleteSchema,
};

function answer(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return { ok: false, issues: [{ path: [], message: "not JSON", code: "invalid_json" }] };
  }
  const schema = SCHEMAS[request.schema];
  if (schema === undefined) {
    return { ok: false, issues: [{ path: [], message: "unknown schema", code: "custom" }] };
  }
  const result = schema.safeParse(request.body);
  if (result.success) {
    return { ok: true };
  }
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({ path: i.path, message: i.message, code: i.code })),
  };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
for await (const line of lines) {
  process.stdout.write(`${JSON.stringify(answer(line))}\n`);
}
