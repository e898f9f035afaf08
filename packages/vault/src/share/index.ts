/**
 * Time-limited code links (docs/PROTOCOL.md §9): the codes of one entry for the next few minutes,
 * precomputed and sealed under a random key that travels only in the link's fragment (browsers never
 * send the fragment to a server). The server keeps the sealed codes until the window ends; it never
 * sees the secret, the labels or a code. One small public face: `makeShare` (`postShare` uploads
 * one), `openShare`, the link.
 */
export {
  makeShare,
  openShare,
  shareLink,
  parseShareLink,
  currentShareCode,
  ShareError,
  MAX_SHARE_MINUTES,
  type Share,
  type SharePayload,
  type SharedCode,
} from './share.js';
export { postShare } from './post.js';
