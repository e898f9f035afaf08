import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, EXTENSION } from './harness.js';

/**
 * Least privilege, as built: the manifest of each browser's build asks for `activeTab`, `alarms`
 * and `storage` and nothing else. No `tabs` (the browser shows it at install as reading your
 * browsing history; README "Permissions", "`activeTab` instead of `tabs`"), and no host at install:
 * hosts are only optional, granted one origin at a time when the user signs in.
 */
const TARGETS = { chromium: EXTENSION, firefox: join(EXTENSION, '..', 'firefox') };

describe('the built manifest', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  for (const [target, dir] of Object.entries(TARGETS)) {
    describe(target, () => {
      const manifest = () =>
        JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
          manifest_version: number;
          permissions?: string[];
          host_permissions?: string[];
          optional_permissions?: string[];
          optional_host_permissions?: string[];
        };

      it('asks for activeTab, alarms and storage only: no tabs', () => {
        const m = manifest();
        expect(m.manifest_version).toBe(3);
        expect(m.permissions).not.toContain('tabs');
        expect([...(m.permissions ?? [])].sort()).toEqual(['activeTab', 'alarms', 'storage']);
        expect(m.optional_permissions ?? []).toEqual([]);
      });

      it('asks for no host at install, only the optional http(s) origins granted at sign-in', () => {
        const m = manifest();
        expect(m.host_permissions ?? []).toEqual([]);
        expect(m.optional_host_permissions).toEqual(['http://*/*', 'https://*/*']);
        // No host pattern hidden among the API permissions either (MV2 style).
        expect((m.permissions ?? []).filter((p) => p.includes('/') || p.includes('<all_urls>'))).toEqual([]);
      });
    });
  }
});
