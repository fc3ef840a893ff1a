/**
 * docker run's capability arithmetic (moby's TweakCapabilities), checked against the masks the
 * real Docker 20.10 engine shows in /proc/self/status (test/integration/run-parity.test.ts runs both).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CAPABILITIES,
  type Capability,
  capabilitiesOfMask,
  capabilityMask,
  DOCKER_DEFAULT_CAPABILITIES,
  toCapabilities,
  toCapabilityName,
} from '../../../src/config/capabilities.js';

const mask = (add: string[], drop: string[], privileged = false, all: readonly Capability[] = CAPABILITIES): string =>
  capabilityMask(toCapabilities({ add, drop, privileged }, all));

test("Docker's default set is mask 00000000a80425fb", () => {
  assert.equal(capabilityMask(DOCKER_DEFAULT_CAPABILITIES), '00000000a80425fb');
  assert.equal(mask([], []), '00000000a80425fb');
  assert.deepEqual(
    capabilitiesOfMask('00000000a80425fb'),
    toCapabilities({ add: [], drop: [], privileged: false }, CAPABILITIES),
  );
});

test('--cap-add and --cap-drop, named with or without CAP_, in any case, and ALL', () => {
  const cases: Array<[string, string[], string[], string]> = [
    ['drop one', [], ['chown'], '00000000a80425fa'],
    ['add one', ['SYS_ADMIN'], [], '00000000a82425fb'],
    ['drop ALL', [], ['ALL'], '0000000000000000'],
    ['drop ALL, add one', ['cap_net_bind_service'], ['all'], '0000000000000400'],
    ['add ALL, drop one', ['ALL'], ['SYS_ADMIN'], '000001ffffdfffff'],
    ['add and drop the same', ['KILL'], ['KILL'], '00000000a80425fb'],
  ];
  for (const [name, add, drop, expected] of cases) assert.equal(mask(add, drop), expected, name);
});

test('--privileged and ALL mean what this host can give', () => {
  const host = capabilitiesOfMask('000001fffeffffff'); // a machine without CAP_SYS_RESOURCE
  assert.equal(mask([], [], true, host), '000001fffeffffff');
  assert.equal(mask(['ALL'], [], false, host), '000001fffeffffff');
});

test('an unknown capability is a usage error naming the flag', () => {
  assert.equal(toCapabilityName(' Net_Admin ', '--cap-add'), 'CAP_NET_ADMIN');
  assert.throws(() => toCapabilityName('FLY', '--cap-add'), {
    code: 'UNDOCKER_USAGE',
    message: /--cap-add FLY: unknown capability/,
  });
  assert.throws(() => mask([], ['CAP_NOPE']), { message: /--cap-drop CAP_NOPE/ });
});
