import type { ApiVersion } from '../protocol/api-version.js';

/** 202 to a send or a chunk: v1 `{"messageID"}`, v2 `{"message_id"}`. */
export function sendView(version: ApiVersion, messageId: string): Record<string, string> {
  return version === 2 ? { message_id: messageId } : { messageID: messageId };
}

/** 200 to an acknowledge: v1 `{"messageId"}`, v2 no body. */
export function acknowledgeView(version: ApiVersion, messageId: string): Record<string, string> | undefined {
  return version === 2 ? undefined : { messageId };
}

/** 200 to a handshake: v1 `{"mailboxId"}`, v2 no body. */
export function handshakeView(version: ApiVersion, mailboxId: string): Record<string, string> | undefined {
  return version === 2 ? undefined : { mailboxId };
}
