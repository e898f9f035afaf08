// The suite's cheap OPAQUE key stretching (vitest.config.ts sets TESSERA_TEST_WEAK_KEY_STRETCHING=1):
// on only with NODE_ENV=test as well, and really used by the client's steps when on.
import * as opaque from '@serenity-kit/opaque';
import { afterEach, describe, expect, it } from 'vitest';
import {
  finishLogin,
  finishRegistration,
  startLogin,
  startRegistration,
  testKeyStretching,
} from '../../src/keychain/opaque.js';

const WEAK = { 'argon2id-custom': { iterations: 1, memory: 256, parallelism: 1 } };
const KNOB = 'TESSERA_TEST_WEAK_KEY_STRETCHING';
const saved = process.env[KNOB];

afterEach(() => {
  process.env[KNOB] = saved;
});

describe('test-only key stretching', () => {
  it('is on only with the knob at 1 and NODE_ENV=test', () => {
    expect(testKeyStretching({ [KNOB]: '1', NODE_ENV: 'test' })).toEqual({ keyStretching: WEAK });
    expect(testKeyStretching({ [KNOB]: '1', NODE_ENV: 'production' })).toEqual({});
    expect(testKeyStretching({ [KNOB]: '1' })).toEqual({});
    expect(testKeyStretching({ [KNOB]: 'true', NODE_ENV: 'test' })).toEqual({});
    expect(testKeyStretching({ [KNOB]: '', NODE_ENV: 'test' })).toEqual({});
    expect(testKeyStretching({ NODE_ENV: 'test' })).toEqual({});
    // A browser has no `process`.
    expect(testKeyStretching(null)).toEqual({});
  });

  it("is what the client's registration and login use: a record made with it opens with it only", async () => {
    await opaque.ready;
    const serverSetup = opaque.server.createSetup();
    const expectedServerKey = opaque.server.getPublicKey(serverSetup);
    const userIdentifier = 'acct-1';

    process.env[KNOB] = '1';
    const reg = await startRegistration('pw');
    const { registrationResponse } = opaque.server.createRegistrationResponse({
      serverSetup,
      userIdentifier,
      registrationRequest: reg.registrationRequest,
    });
    const { registrationRecord } = await finishRegistration({
      secret: 'pw',
      state: reg.clientRegistrationState,
      registrationResponse,
      expectedServerKey,
    });

    const login = async () => {
      const start = await startLogin('pw');
      const { loginResponse } = opaque.server.startLogin({
        serverSetup,
        userIdentifier,
        registrationRecord,
        startLoginRequest: start.startLoginRequest,
      });
      return finishLogin({ secret: 'pw', state: start.clientLoginState, loginResponse, expectedServerKey });
    };
    expect(await login()).not.toBeNull();
    // The same password with the default stretching is another password to OPAQUE.
    process.env[KNOB] = '';
    expect(await login()).toBeNull();
  });
});
