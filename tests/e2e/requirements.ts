// What agentwall's MCP proxy must do, end to end, as data. Each e2e test that checks one of these says so
// with `covers(id)`; requirements.test.ts fails when a requirement is cited by no test, or a test cites
// one that is not listed here.

export const REQUIREMENTS = {
  'front.stdio-wrap': '`agentwall mcp -- COMMAND ARGS…` fronts one stdio server',
  'front.stdio-config': '`agentwall mcp --config FILE` serves every configured server on stdio',
  'front.http': '`agentwall serve` announces its URL, answers GET /healthz and serves MCP at /mcp',
  'naming.single': 'with one server and `naming.prefix: auto`, names and URIs pass through unchanged',
  'naming.prefixed': 'with several servers (or `prefix: always`), `server<sep>name` and `server+uri`',
  'listing.union': 'listings are the union of what each server lists, in configuration order',
  'listing.pagination': 'cursors span servers; every page is reachable and none mixes two servers',
  'capabilities.union': 'the front advertises the union of the upstream capabilities, listChanged set',
  'call.route': 'a tools/call reaches the server that owns the tool and its result comes back unchanged',
  'call.unknown': 'an unknown tool, prompt, resource or cursor is a client error naming it',
  'resources.read': 'resources/read of a namespaced URI returns the contents under that URI',
  'resources.links': 'resource URIs inside results (links, embedded resources) are namespaced too',
  'resources.subscribe': 'subscriptions go to the owning server; updates come back with the public URI',
  'prompts.get': 'prompts/get reaches the owning server, with arguments',
  'completion.route': 'completion/complete reaches the server owning the prompt or resource template',
  'notify.logging': 'log messages of upstreams are relayed to the client',
  'notify.list-changed': 'after an upstream restarts, the client gets tools/resources/prompts list_changed',
  'progress.relay': 'progress is relayed under the client progress token, in order, before the result',
  'cancel.relay': 'a client cancellation cancels the upstream request; the session keeps working',
  'relay.elicitation': 'an upstream elicitation request is answered by the client that caused it',
  'relay.sampling': 'an upstream sampling request is answered by the client that caused it',
  'relay.roots': 'roots/list is answered by the client; roots/list_changed reaches the upstreams',
  'upstream.crash': 'a call in flight when an upstream crashes fails with an error naming the server',
  'upstream.unavailable': 'calls while an upstream is down fail at once with -32000 "unavailable"',
  'upstream.restart': 'a crashed stdio upstream is restarted with backoff and then serves again',
  'upstream.start-failure': 'a server that cannot start is left out; the others serve',
  'upstream.timeout': 'a call the upstream does not answer in time fails with -32001 and is cancelled',
  'upstream.isolation': "a stdio upstream inherits neither agentwall's environment nor its open files",
  'audit.chain': 'every decision is appended to one hash chain; `audit verify` accepts and counts it',
  'audit.tamper': '`audit verify` names the first modified or missing record and exits 1',
  'http.malformed': 'malformed JSON gets 400/-32700 and the session keeps working',
  'http.invalid': 'invalid JSON-RPC gets 400/-32600 (with its id) and the session keeps working',
  'http.body-limit': 'a body over http.max_body_bytes gets 413',
  'http.host-origin': 'a foreign Host or Origin gets 403 (DNS rebinding)',
  'http.auth': 'with auth configured: no or a wrong bearer token gets 401; a session has one principal',
  'http.sessions': 'sessions are separate; DELETE and the idle timeout end one; its id is then unknown',
  'stdio.malformed': 'on stdio, a line that is not JSON or not JSON-RPC gets a JSON-RPC error',
  'stdio.shutdown': '`agentwall mcp` exits 0 when its stdin ends and/or it is signalled',
  'client.inspector': 'an outside client (MCP Inspector CLI) works against both fronts',
} as const;

export type RequirementId = keyof typeof REQUIREMENTS;

/** Marks the requirements the calling test checks (read from the source by requirements.test.ts). */
export function covers(...ids: RequirementId[]): void {
  void ids;
}
