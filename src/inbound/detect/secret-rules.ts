import { Buffer } from 'node:buffer';
import { charClassCount, shannonEntropy } from './entropy.js';

/**
 * Secrets with a recognisable format. The patterns are ours; gitleaks' default rule set
 * (github.com/gitleaks/gitleaks, config/gitleaks.toml) was the reference for prefixes and lengths.
 * Each rule runs only when its keyword is in the text (gitleaks' keyword pre-filter), so the cost of
 * a text without any is one substring search per rule.
 */
export interface SecretRule {
  readonly type: string;
  /** Literal that every match contains (case-sensitive). */
  readonly keywords: readonly string[];
  /** Global regex; when it has a capture group, group 1 is the secret and the span. */
  readonly re: RegExp;
  readonly isValid?: (secret: string) => boolean;
}

const isRandom =
  (minEntropy: number, minClasses = 2) =>
  (s: string): boolean =>
    shannonEntropy(s) >= minEntropy && charClassCount(s) >= minClasses && !/(.)\1{5}/.test(s);

export const SECRET_RULES: readonly SecretRule[] = [
  {
    type: 'aws_access_key',
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'],
    re: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
    isValid: (s) => !s.endsWith('EXAMPLE') && shannonEntropy(s) >= 3,
  },
  {
    type: 'aws_secret_key',
    keywords: ['ecret', 'ECRET'],
    re: /(?:secret|SECRET|Secret)_?(?:access|ACCESS|Access)?_?(?:key|KEY|Key)["'`]?\s{0,3}(?:=|:|=>)\s{0,3}["'`]?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/g,
    isValid: isRandom(4, 3),
  },
  {
    type: 'github_token',
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    re: /\bgh[pousr]_[A-Za-z0-9]{36}\b/g,
    isValid: isRandom(3.5),
  },
  {
    type: 'github_token',
    keywords: ['github_pat_'],
    re: /\bgithub_pat_[A-Za-z0-9_]{82}\b/g,
    isValid: isRandom(3.5),
  },
  {
    type: 'gitlab_token',
    keywords: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glft-', 'gloas-', 'glcbt-'],
    re: /\bgl(?:pat|dt|rt|ptt|ft|oas|cbt-[0-9a-zA-Z]{1,5}_?)-?[A-Za-z0-9_-]{20,64}\b/g,
    isValid: isRandom(3.5),
  },
  {
    type: 'slack_token',
    keywords: ['xox'],
    re: /\bxox[abposre]-[A-Za-z0-9-]{10,250}/g,
    isValid: isRandom(3),
  },
  {
    type: 'slack_webhook',
    keywords: ['hooks.slack.com'],
    re: /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9_/+-]{30,}/g,
  },
  {
    type: 'stripe_key',
    keywords: ['_live_', '_prod_'],
    re: /\b(?:sk|rk)_(?:live|prod)_[A-Za-z0-9]{20,247}\b/g,
    isValid: isRandom(3.5),
  },
  {
    type: 'google_api_key',
    keywords: ['AIza'],
    re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
    isValid: isRandom(3.5),
  },
  {
    type: 'anthropic_api_key',
    keywords: ['sk-ant-'],
    re: /\bsk-ant-(?:api|admin|sid|oat)\d{2}-[A-Za-z0-9_-]{32,200}(?![A-Za-z0-9_-])/g,
    isValid: isRandom(3.5),
  },
  {
    type: 'openai_api_key',
    keywords: ['sk-'],
    re: /\bsk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{32,200}(?![A-Za-z0-9_-])/g,
    isValid: (s) => isRandom(4, 3)(s.replace(/^sk-(?:proj-|svcacct-|admin-|None-)?/, '')),
  },
  { type: 'npm_token', keywords: ['npm_'], re: /\bnpm_[A-Za-z0-9]{36}\b/g, isValid: isRandom(3.5) },
  {
    type: 'sendgrid_api_key',
    keywords: ['SG.'],
    re: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g,
    isValid: isRandom(3.5),
  },
  { type: 'twilio_api_key', keywords: ['SK'], re: /\bSK[0-9a-fA-F]{32}\b/g, isValid: isRandom(3.2) },
  {
    type: 'twilio_auth_token',
    keywords: ['twilio', 'TWILIO', 'Twilio'],
    re: /(?:twilio|TWILIO|Twilio)[\w.-]{0,20}(?:token|TOKEN|Token)["'`]?\s{0,3}(?:=|:|=>)\s{0,3}["'`]?([0-9a-f]{32})\b/g,
    isValid: isRandom(3.2),
  },
  {
    type: 'azure_storage_key',
    keywords: ['AccountKey=', 'SharedAccessKey='],
    re: /(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{40,120}={0,2})/g,
    isValid: isRandom(4),
  },
  { type: 'huggingface_token', keywords: ['hf_'], re: /\bhf_[A-Za-z]{34}\b/g, isValid: isRandom(3.5) },
  {
    type: 'shopify_token',
    keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
    re: /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/g,
    isValid: isRandom(3),
  },
  { type: 'pypi_token', keywords: ['pypi-AgEIcHlwaS5vcmc'], re: /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}/g },
  {
    type: 'digitalocean_token',
    keywords: ['dop_v1_', 'doo_v1_', 'dor_v1_'],
    re: /\bdo[opr]_v1_[a-f0-9]{64}\b/g,
    isValid: isRandom(3),
  },
  {
    type: 'age_secret_key',
    keywords: ['AGE-SECRET-KEY-1'],
    re: /AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}/g,
  },
  {
    type: 'jwt',
    keywords: ['eyJ'],
    re: /\beyJ[A-Za-z0-9_-]{10,4096}\.eyJ[A-Za-z0-9_-]{4,8192}\.[A-Za-z0-9_-]{0,1024}/g,
    isValid: isJwt,
  },
  {
    type: 'bearer_token',
    keywords: ['Bearer', 'bearer'],
    re: /\b[Bb]earer[ \t]{1,5}([A-Za-z0-9._~+/-]{20,2048}=*)/g,
    isValid: (s) => !s.startsWith('eyJ') && isRandom(3.5, 3)(s),
  },
];

/** A JWT's header decodes to a JSON object with an `alg` (RFC 7519 §5, RFC 7515 §4.1.1). */
function isJwt(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const decoded: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof decoded === 'object' && decoded !== null && 'alg' in decoded;
  } catch {
    return false;
  }
}
