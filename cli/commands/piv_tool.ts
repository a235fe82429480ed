/**
 * `cosign piv-tool` (cosign cmd/cosign/cli/piv_tool.go, pivcli/commands.go), which the Go cosign
 * only has when built with `-tags=pivkey`: here through Yubico's PKCS#11 module `libykcs11`
 * (Deno FFI, `--allow-ffi`), same subcommands, flags and output. Each command opens the one
 * YubiKey first and says "no cards found" when there is none, before asking anything.
 *
 * @module
 */
import type { Command, Context } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import { writeAll } from "../io.ts";
import type { PivSlot, PivToken } from "../../lib/pkcs11/piv_token.ts";

const noInputFlag = {
  name: "no-input",
  short: "f",
  type: "bool",
  help: "skip warnings and confirmations",
} as const;

const slotFlag = {
  name: "slot",
  type: "string",
  help:
    "Slot to use for generated key (authentication|signature|card-authentication|key-management)",
} as const;

async function openToken(): Promise<PivToken> {
  const { PivToken } = await import("../../lib/pkcs11/piv_token.ts");
  return await PivToken.open();
}

async function slotOf(ctx: Context): Promise<PivSlot> {
  const { pivSlot } = await import("../../lib/pkcs11/piv_token.ts");
  try {
    return pivSlot(ctx.flags.slot as string);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * cosign's `Confirm` (a y/N question); `--no-input` answers yes (cosign declares the flag but does
 * not use it yet).
 */
async function confirm(ctx: Context, question: string): Promise<boolean> {
  if (ctx.flags["no-input"] === true) return true;
  await writeAll(ctx.io.stderr, `${question} [y/N]: `);
  const line: number[] = [];
  const buf = new Uint8Array(1);
  for (;;) {
    const n = await ctx.io.stdin.read(buf);
    if (n === null || buf[0] === 0x0a) break;
    if (line.length < 16) line.push(buf[0]);
  }
  const answer = new TextDecoder().decode(new Uint8Array(line)).trim().toLowerCase();
  return answer === "y";
}

/**
 * A management key as ykcs11 takes it (hex): empty is the default key; 48 hex digits are used as
 * they are; 24 characters are the key's bytes (what cosign's `--management-key` means).
 */
async function managementKey(value: string, flag: string): Promise<string> {
  const { PIV_DEFAULTS } = await import("../../lib/pkcs11/piv_token.ts");
  if (value === "") return PIV_DEFAULTS.managementKey;
  if (/^[0-9a-fA-F]{48}$/.test(value)) return value.toLowerCase();
  const bytes = new TextEncoder().encode(value);
  if (bytes.length > 24) throw new UsageError("key too long, must be <24 characters");
  if (bytes.length !== 24) {
    throw new UsageError(`--${flag} must be 24 characters or 48 hexadecimal digits`);
  }
  return bytes.toHex();
}

function randomManagementKey(): string {
  return crypto.getRandomValues(new Uint8Array(24)).toHex();
}

const FORM_FACTORS: Record<number, string> = {
  1: "USB A Keychain",
  2: "USB A Nano",
  3: "USB C Keychain",
  4: "USB C Nano",
  5: "USB C Lighting Keychain",
};

const PIN_POLICIES: Record<number, string> = { 1: "Never", 2: "Once", 3: "Always" };

/** PIV key references and data objects of the slots (piv-go `Slot`). */
const SLOT_IDS: Record<PivSlot, { key: number; object: number }> = {
  authentication: { key: 0x9a, object: 0x5fc105 },
  signature: { key: 0x9c, object: 0x5fc10a },
  "key-management": { key: 0x9d, object: 0x5fc10b },
  "card-authentication": { key: 0x9e, object: 0x5fc101 },
};

/** Prints an attestation as cosign's `Attestations.Output` does (certificates to stdout). */
async function printAttestation(ctx: Context, token: PivToken, slot: PivSlot, format: string) {
  const { verifyPivAttestation } = await import("../../lib/pkcs11/piv_attestation.ts");
  const a = verifyPivAttestation(await token.attestation(slot));
  if (format === "json") {
    // cosign marshals its Attestations struct and prints it with cmd.Println (to stderr).
    const json = JSON.stringify({
      DeviceCertPem: a.deviceCertificatePem,
      KeyCertPem: a.keyCertificatePem,
      KeyAttestation: {
        Version: { Major: a.version.major, Minor: a.version.minor, Patch: a.version.patch },
        Serial: a.serial,
        Formfactor: a.formFactor,
        PINPolicy: a.pinPolicy,
        TouchPolicy: a.touchPolicy,
        Slot: { Key: SLOT_IDS[slot].key, Object: SLOT_IDS[slot].object },
      },
    });
    await writeAll(ctx.io.stderr, json + "\n");
    return;
  }
  const out = (s: string) => writeAll(ctx.io.stdout, s);
  await ctx.info("Printing device attestation certificate");
  await out(a.deviceCertificatePem + "\n");
  await ctx.info("Printing key attestation certificate");
  await out(a.keyCertificatePem + "\n");
  await ctx.info("Verifying certificates...");
  await ctx.info("Verified ok");
  await out("\n");
  await ctx.info("Device info:");
  await out(
    `  Issuer: ${a.deviceIssuer}\n` +
      `  Form factor: ${FORM_FACTORS[a.formFactor] ?? `unknown: ${a.formFactor}`}\n` +
      `  PIN Policy: ${PIN_POLICIES[a.pinPolicy] ?? "unknown"}\n` +
      `  Serial number: ${a.serial}\n` +
      `  Version: ${a.version.major}.${a.version.minor}.${a.version.patch}\n`,
  );
}

const setManagementKeyCommand: Command = {
  name: "set-management-key",
  short: "sets the management key of a hardware token",
  maxArgs: 0,
  bindEnv: true,
  flags: [
    { name: "old-key", type: "string", help: "existing management key, uses default if empty" },
    { name: "new-key", type: "string", help: "new management key, uses default if empty" },
    {
      name: "random-management-key",
      type: "bool",
      help: "if set to true, generates a new random management key and deletes it after",
    },
    noInputFlag,
  ],
  async run(ctx) {
    using token = await openToken();
    const oldKey = await managementKey(ctx.flags["old-key"] as string, "old-key");
    let newKey: string;
    if (ctx.flags["random-management-key"] === true) {
      if (
        !await confirm(
          ctx,
          "Resetting management key to random value. You must factory reset the device to change this value",
        )
      ) return;
      newKey = randomManagementKey();
    } else newKey = await managementKey(ctx.flags["new-key"] as string, "new-key");
    if (!await confirm(ctx, "Setting new management key. This will overwrite the previous key.")) {
      return;
    }
    await token.setManagementKey(oldKey, newKey);
  },
};

function secretCommand(
  name: string,
  short: string,
  flags: [string, string, string, string],
  question: string,
  action: (token: PivToken, a: string, b: string) => Promise<void>,
  defaults: (d: { pin: string; puk: string }) => [string, string],
  bindEnv = false,
): Command {
  return {
    name,
    short,
    maxArgs: 0,
    bindEnv,
    flags: [
      { name: flags[0], type: "string", help: flags[1] },
      { name: flags[2], type: "string", help: flags[3] },
      noInputFlag,
    ],
    async run(ctx) {
      using token = await openToken();
      const { PIV_DEFAULTS } = await import("../../lib/pkcs11/piv_token.ts");
      const [da, db] = defaults(PIV_DEFAULTS);
      const a = (ctx.flags[flags[0]] as string) || da;
      const b = (ctx.flags[flags[2]] as string) || db;
      if (!await confirm(ctx, question)) return;
      await action(token, a, b);
    },
  };
}

const setPinCommand = secretCommand(
  "set-pin",
  "sets the PIN on a hardware token",
  ["old-pin", "existing PIN, uses default if empty", "new-pin", "new PIN, uses default if empty"],
  "Setting new pin. This will overwrite the previous pin.",
  (t, a, b) => t.setPin(a, b),
  (d) => [d.pin, d.pin],
  true,
);

const setPukCommand = secretCommand(
  "set-puk",
  "sets the PUK on a hardware token",
  ["old-puk", "existing PUK, uses default if empty", "new-puk", "new PUK, uses default if empty"],
  "Setting new PUK. This will overwrite the previous PUK.",
  (t, a, b) => t.setPuk(a, b),
  (d) => [d.puk, d.puk],
);

const unblockCommand = secretCommand(
  "unblock",
  "unblocks the hardware token, sets a new PIN",
  ["puk", "existing PUK, uses default if empty", "new-PIN", "new PIN, uses default if empty"],
  "Unblocking the device. This will set a new pin.",
  (t, a, b) => t.unblock(a, b),
  (d) => [d.puk, d.pin],
);

const attestationCommand: Command = {
  name: "attestation",
  short: "attestation contains commands to manage a hardware token",
  maxArgs: 0,
  flags: [
    {
      name: "output",
      short: "o",
      type: "string",
      default: "text",
      help: "format to output attestation information in. (text|json)",
    },
    slotFlag,
    noInputFlag,
  ],
  async run(ctx) {
    using token = await openToken();
    await printAttestation(ctx, token, await slotOf(ctx), ctx.flags.output as string);
  },
};

const generateKeyCommand: Command = {
  name: "generate-key",
  short: "generate-key generates a new signing key on the hardware token",
  maxArgs: 0,
  flags: [
    { name: "management-key", type: "string", help: "management key, uses default if empty" },
    {
      name: "random-management-key",
      type: "bool",
      help: "if set to true, generates a new random management key and deletes it after",
    },
    slotFlag,
    { name: "pin-policy", type: "string", help: "PIN policy for slot (never|once|always)" },
    { name: "touch-policy", type: "string", help: "Touch policy for slot (never|always|cached)" },
    noInputFlag,
  ],
  async run(ctx) {
    const { DEFAULT_PIN_POLICY, DEFAULT_TOUCH_POLICY, PIV_PIN_POLICY, PIV_TOUCH_POLICY } =
      await import("../../lib/pkcs11/piv_token.ts");
    const slot = await slotOf(ctx);
    const pin = (ctx.flags["pin-policy"] as string).toLowerCase() || DEFAULT_PIN_POLICY[slot];
    const touch = (ctx.flags["touch-policy"] as string).toLowerCase() ||
      DEFAULT_TOUCH_POLICY[slot];
    if (pin === "default" || !(pin in PIV_PIN_POLICY)) {
      throw new UsageError(
        `invalid --pin-policy "${ctx.flags["pin-policy"]}": never, once or always`,
      );
    }
    if (touch === "default" || !(touch in PIV_TOUCH_POLICY)) {
      throw new UsageError(
        `invalid --touch-policy "${ctx.flags["touch-policy"]}": never, always or cached`,
      );
    }
    using token = await openToken();
    let key = await managementKey(ctx.flags["management-key"] as string, "management-key");
    if (ctx.flags["random-management-key"] === true) {
      if (
        !await confirm(
          ctx,
          "Resetting management key to random value. You must factory reset the device to change this value",
        )
      ) return;
      const random = randomManagementKey();
      await token.setManagementKey(key, random);
      key = random;
    }
    if (!await confirm(ctx, "Generating new signing key. This will destroy any previous keys.")) {
      return;
    }
    const publicKey = await token.generateKey(
      key,
      slot,
      pin as keyof typeof PIV_PIN_POLICY,
      touch as keyof typeof PIV_TOUCH_POLICY,
    );
    await ctx.info("Generated public key");
    const { marshalPublicKeyPem } = await import("../../lib/keys/public_key.ts");
    await writeAll(ctx.io.stdout, marshalPublicKeyPem(publicKey) + "\n");
    await printAttestation(ctx, token, slot, "text");
  },
};

const resetCommand: Command = {
  name: "reset",
  short: "reset resets the hardware token completely",
  maxArgs: 0,
  flags: [noInputFlag],
  async run(ctx) {
    using token = await openToken();
    if (
      !await confirm(
        ctx,
        "Resetting key to factory defaults. This will destroy all values on device.",
      )
    ) return;
    const { PIV_DEFAULTS } = await import("../../lib/pkcs11/piv_token.ts");
    // ykcs11 resets through C_InitToken, authenticated with the management key: a key whose
    // management key was changed must have it set back to the default first.
    await token.reset(PIV_DEFAULTS.managementKey);
  },
};

/** `cosign piv-tool`. */
export const pivToolCommand: Command = {
  name: "piv-tool",
  short: "Provides utilities for managing a hardware token",
  subcommands: [
    setManagementKeyCommand,
    setPinCommand,
    setPukCommand,
    unblockCommand,
    attestationCommand,
    generateKeyCommand,
    resetCommand,
  ],
};
