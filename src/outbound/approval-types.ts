/**
 * The contract between the tool-call gate and the approval service. The gate asks; the service holds
 * the request durably (LMDB) until a person decides through the admin API, the CLI, or MCP
 * elicitation, or until it expires.
 */
export interface ApprovalRequest {
  readonly server: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly principal: string;
  readonly sessionId: string;
  /** The rules that asked for approval, and their message. */
  readonly rules: readonly string[];
  readonly message: string;
  /** The policy revision in force; an approval is bound to it. */
  readonly revision: string;
  readonly timeoutMs: number;
}

export type ApprovalDecision = 'approved' | 'denied' | 'expired';

export interface ApprovalOutcome {
  readonly id: string;
  readonly decision: ApprovalDecision;
  /** Who decided (`admin:<principal>`, `cli:<user>`, `elicitation:<principal>`), absent when it expired. */
  readonly by?: string;
  readonly reason?: string;
}

/**
 * Asks the person at the MCP client (elicitation); undefined when they declined to answer. `signal`
 * aborts when the call was decided another way (or expired), so the question is withdrawn.
 */
export type AskClient = (message: string, signal: AbortSignal) => Promise<'approved' | 'denied' | undefined>;

export interface ApprovalService {
  /**
   * Holds the call until decided or expired. A granted approval covers exactly this call: the same
   * server, tool and canonical arguments, under the same policy revision. `ask`, when given, is raced
   * against the other channels.
   */
  decide(request: ApprovalRequest, ask?: AskClient): Promise<ApprovalOutcome>;
  close(): Promise<void>;
}
