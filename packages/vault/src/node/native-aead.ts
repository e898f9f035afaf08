/// <reference types="node" />
import * as crypto from 'node:crypto';
import type { XChaChaAead } from '../file-format.js';
import { xchachaOnNode } from '../xchacha.js';

/**
 * XChaCha20-Poly1305 on node:crypto (see `xchacha.ts`), imported directly, for the Node entry
 * points; browser-safe modules use `platformXChaCha`, which is the same code on Node.
 */
export const nativeXChaCha: XChaChaAead = xchachaOnNode(crypto);
