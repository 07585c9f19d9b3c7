import type { Finding } from '../types.js';
import { charClassCount, isWordLike, shannonEntropy } from './entropy.js';

/**
 * Secrets assigned to a name that says so: `DB_PASSWORD=…`, `"api_key": "…"`, `client_secret: …`,
 * `token => '…'`. The name is split into words (snake, kebab, camel case) and must contain a secret word
 * and not end in a word that names metadata (`token_type`, `password_length`, `secretName`). The value must
 * look like a secret, not like code or a placeholder: high Shannon entropy, several character classes,
 * at least 16 characters (8 for passwords), and none of `xxxx`, `<your-key>`, `${VAR}`, `process.env.X`,
 * `changeme`…
 */
const KEYWORD_RE = /pass|pwd|secret|token|key|auth|credential/gi;
const ASSIGNMENT_AHEAD_RE = /^["'`]?[ \t]{0,3}(?::=|=>|=(?!=)|:(?!:))| (?:is|was) /;

/** [A-Za-z0-9_.-] */
function isIdentChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45
  );
}
const PASSWORD_WORDS = new Set(['password', 'passwd', 'pwd', 'passphrase', 'passw']);
const SECRET_WORDS = new Set([
  ...PASSWORD_WORDS,
  'secret',
  'secrets',
  'token',
  'apikey',
  'credential',
  'credentials',
  'privatekey',
  'accesskey',
  'secretkey',
  'authtoken',
  'auth',
]);
const KEY_PAIRS = new Set([
  'api key',
  'access key',
  'private key',
  'secret key',
  'client secret',
  'signing key',
  'encryption key',
  'master key',
  'auth key',
  'session key',
]);
const METADATA_WORDS = new Set(
  'id name type length size count url uri endpoint path file env header prefix field kind expires expiry expiration ttl hint label regex pattern format policy provider placeholder ref arn version store manager max min enabled required set count'.split(
    ' ',
  ),
);
const PLACEHOLDER_WORDS =
  /your|example|sample|placeholder|changeme|change_me|dummy|fake|test|redacted|xxxx|todo|replace|insert|here|secret|password|token|undefined|null|none|true|false|\*\*\*|\.\.\./i;
const PLACEHOLDER_SHAPES =
  /^(?:<[^>]*>|\[[^\]]*\]|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|\$[a-z_][a-z0-9_]*|%[A-Za-z_]\w*%|\{\{[^}]*\}\}|#\{[^}]*\}|\(.*\))$/;
const CODE_EXPRESSION = /^[A-Za-z_$][\w$]*(?:(?:\.|\?\.|::)[A-Za-z_$][\w$]*)*(?:\(.*|\[.*)?$/;

export function findGenericSecrets(text: string): Finding[] {
  const findings: Finding[] = [];
  KEYWORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  let nextFrom = 0;
  while ((m = KEYWORD_RE.exec(text)) !== null) {
    if (m.index < nextFrom) continue;
    const found = assignmentAt(text, m.index);
    if (found === undefined) continue;
    findings.push(found);
    nextFrom = found.span.end;
    KEYWORD_RE.lastIndex = Math.max(KEYWORD_RE.lastIndex, found.span.end);
  }
  return findings;
}

function assignmentAt(text: string, hit: number): Finding | undefined {
  let end = hit;
  while (end < text.length && end - hit < 60 && isIdentChar(text.charCodeAt(end))) end++;
  // Most keyword hits (`keys`, `author`, `tokenize(`) are not followed by an assignment: check that first.
  if (!ASSIGNMENT_AHEAD_RE.test(text.slice(end, end + 16))) return undefined;
  let start = hit;
  while (start > 0 && hit - start < 60 && isIdentChar(text.charCodeAt(start - 1))) start--;
  const name = text.slice(start, end);
  const kind = secretKindOf(name);
  if (kind === undefined) return undefined;
  const value = valueAfter(text, end, kind === 'password');
  if (value === undefined || !looksLikeSecret(value, kind, name)) return undefined;
  return {
    kind: 'secret',
    type: kind === 'password' ? 'password_assignment' : 'generic_secret',
    span: { start: value.start, end: value.start + value.text.length },
    detail: name.slice(0, 60),
  };
}

/** `password`, `secret`, or undefined when the name is not about a secret. */
export function secretKindOf(name: string): 'password' | 'secret' | undefined {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  const last = words[words.length - 1];
  if (last === undefined || METADATA_WORDS.has(last)) return undefined;
  // `DB_PASS=…` but not `--pass-arg=…`: "pass" alone is a password only as the last word.
  if (words.some((w) => PASSWORD_WORDS.has(w)) || last === 'pass') return 'password';
  if (words.some((w) => SECRET_WORDS.has(w))) return 'secret';
  for (let i = 0; i + 1 < words.length; i++)
    if (KEY_PAIRS.has(`${words[i]} ${words[i + 1]}`)) return 'secret';
  return undefined;
}

interface Value {
  readonly text: string;
  readonly start: number;
  /** Bare values may be code (`token: options.token`); quoted and prose ones are data. */
  readonly isBare: boolean;
}

/**
 * The value after `name` and an assignment operator (`=`, `:`, `:=`, `=>`), quoted or bare; for
 * passwords also prose (`the password is hunter2!`), where a sentence's final punctuation is dropped.
 */
function valueAfter(text: string, from: number, isPassword: boolean): Value | undefined {
  const head = text.slice(from, from + 16);
  const op =
    /^["'`]?[ \t]{0,3}(?::=|=>|=(?!=)|:(?!:))[ \t]{0,3}/.exec(head) ??
    (isPassword ? /^ (?:is|was) /.exec(head) : null);
  if (op === null) return undefined;
  const isProse = !/[:=]/.test(op[0]);
  const at = from + op[0].length;
  const quote = text[at];
  if (quote === '"' || quote === "'" || quote === '`') {
    const close = text.indexOf(quote, at + 1);
    if (close < 0 || close - at > 257) return undefined;
    const inner = text.slice(at + 1, close);
    if (inner.includes('\n')) return undefined;
    return { text: inner, start: at + 1, isBare: false };
  }
  const bare = /^[^\s"'`,;)}\]]{1,256}/.exec(text.slice(at, at + 257));
  if (bare === null) return undefined;
  const value = isProse ? bare[0].replace(/[.,;:]$/, '') : bare[0];
  return { text: value, start: at, isBare: !isProse };
}

function looksLikeSecret({ text: value, isBare }: Value, kind: 'password' | 'secret', name: string): boolean {
  const minLength = kind === 'password' ? 8 : 16;
  if (value.length < minLength || /\s/.test(value)) return false;
  if (PLACEHOLDER_SHAPES.test(value) || PLACEHOLDER_WORDS.test(value) || /(.)\1{5}/.test(value)) return false;
  if (/^(?:https?|file):\/\//.test(value) || /^[./~]/.test(value)) return false;
  const classes = charClassCount(value);
  if (isBare && CODE_EXPRESSION.test(value)) {
    // `token: options.token` is code; `DB_PASSWORD=Xk9fQ2pLm` (an env file) is not.
    const isEnvStyle = /^[A-Z0-9_]+$/.test(name) && /^[A-Za-z0-9$]+$/.test(value);
    if (!isEnvStyle || isWordLike(value)) return false;
  }
  if (kind === 'password') return classes >= 2 && shannonEntropy(value) >= 2.5;
  return classes >= 2 && shannonEntropy(value) >= 3.5;
}
