export { detectPii, PII_DEFAULTS, PII_TYPES, type PiiOptions, type PiiType } from './pii.js';
export { redactSpans, restoreTokens, type RedactStyle } from './redact.js';
export { detectSecrets, SECRET_RULES, type SecretOptions, type SecretRule } from './secrets.js';
