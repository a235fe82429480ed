/**
 * In-process CLI tests for the key and blob commands: the happy paths, the prompts, and a table
 * of bad inputs, each pinned to its exact message and exit code, checking that nothing is written.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cosign } from "../_test_io.ts";

const PW = { COSIGN_PASSWORD: "s3cret" };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cosign-cli-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** A key pair made once and shared by the read-only tests. */
const shared = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "cosign-cli-keys-" });
  const prefix = join(dir, "cosign");
  const { code, io } = await cosign(["generate-key-pair", "--output-key-prefix", prefix], {
    env: PW,
  });
  if (code !== 0) throw new Error(`generate-key-pair failed: ${io.err()}`);
  const blob = join(dir, "blob.txt");
  await Deno.writeTextFile(blob, "hello, world\n");
  return { dir, key: `${prefix}.key`, pub: `${prefix}.pub`, blob };
})();
addEventListener("unload", () => Deno.removeSync(shared.dir, { recursive: true }));

Deno.test("generate-key-pair writes an encrypted SIGSTORE key (0600) and its public key", async () => {
  const keyPem = await Deno.readTextFile(shared.key);
  assert.match(keyPem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
  const envelope = JSON.parse(atob(keyPem.split("\n").slice(1, -2).join("")));
  assert.deepEqual(envelope.kdf.params, { N: 65536, r: 8, p: 1 });
  assert.equal(envelope.cipher.name, "nacl/secretbox");
  assert.equal((await Deno.stat(shared.key)).mode! & 0o777, 0o600);
  assert.match(await Deno.readTextFile(shared.pub), /^-----BEGIN PUBLIC KEY-----\n/);
});

Deno.test("sign-blob and verify-blob round trip, base64 and raw, file and stdin", async () => {
  const signed = await cosign([
    "sign-blob",
    "--key",
    shared.key,
    "--tlog-upload=false",
    shared.blob,
  ], { env: PW });
  assert.equal(signed.code, 0, signed.io.err());
  assert.match(signed.io.out(), /^[A-Za-z0-9+/]+=*\n$/);
  assert.equal(signed.io.err(), `Using payload from: ${shared.blob}\n`);
  const sig = signed.io.out().trim();

  const verified = await cosign(
    [
      "verify-blob",
      "--key",
      shared.pub,
      "--signature",
      sig,
      "--insecure-ignore-tlog=true",
      shared.blob,
    ],
  );
  assert.equal(verified.code, 0, verified.io.err());
  assert.equal(
    verified.io.err(),
    "WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the blob.\nVerified OK\n",
  );

  const data = await Deno.readFile(shared.blob);
  const raw = await cosign([
    "sign-blob",
    "--key",
    shared.key,
    "--tlog-upload=false",
    "--b64=false",
    "-",
  ], {
    env: PW,
    stdin: data,
  });
  assert.equal(raw.code, 0, raw.io.err());
  const rawSig = join(shared.dir, "raw.sig");
  await Deno.writeFile(rawSig, raw.io.outBytes());
  assert.equal(raw.io.outBytes()[0], 0x30, "a raw DER ECDSA signature");
  const viaStdin = await cosign(
    ["verify-blob", "--key", shared.pub, "--signature", rawSig, "--private-infrastructure", "-"],
    { stdin: data },
  );
  assert.equal(viaStdin.code, 0, viaStdin.io.err());
  assert.equal(
    viaStdin.io.err(),
    "Verified OK\n",
    "--private-infrastructure skips the tlog without a warning",
  );
});

Deno.test("sign-blob --output-signature writes the base64 signature without a newline", async () => {
  await withDir(async (dir) => {
    const out = join(dir, "blob.sig");
    const { code, io } = await cosign(
      [
        "sign-blob",
        "--key",
        shared.key,
        "--tlog-upload=false",
        "--output-signature",
        out,
        shared.blob,
      ],
      { env: PW },
    );
    assert.equal(code, 0, io.err());
    assert.equal(io.out(), "");
    assert.match(io.err(), new RegExp(`Wrote signature to file ${out}\n$`));
    const text = await Deno.readTextFile(out);
    assert.match(text, /^[A-Za-z0-9+/]+=*$/);
    assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
  });
});

Deno.test("public-key prints the public key of the private key", async () => {
  const { code, io } = await cosign(["public-key", "--key", shared.key], { env: PW });
  assert.equal(code, 0, io.err());
  assert.equal(io.out(), await Deno.readTextFile(shared.pub));
});

Deno.test("a piped password is used as piped, trailing newline included (as cosign)", async () => {
  await withDir(async (dir) => {
    const prefix = join(dir, "piped");
    const gen = await cosign(["generate-key-pair", "--output-key-prefix", prefix], {
      stdin: "pw\n",
    });
    assert.equal(gen.code, 0, gen.io.err());
    const withNewline = await cosign(["public-key", "--key", `${prefix}.key`], {
      env: { COSIGN_PASSWORD: "pw\n" },
    });
    assert.equal(withNewline.code, 0, withNewline.io.err());
    const without = await cosign(["public-key", "--key", `${prefix}.key`], {
      env: { COSIGN_PASSWORD: "pw" },
    });
    assert.equal(without.code, 1);
  });
});

Deno.test("generate-key-pair asks before overwriting and keeps the old key when declined", async () => {
  await withDir(async (dir) => {
    const prefix = join(dir, "cosign");
    assert.equal(
      (await cosign(["generate-key-pair", "--output-key-prefix", prefix], { env: PW })).code,
      0,
    );
    const before = await Deno.readTextFile(`${prefix}.key`);

    const declined = await cosign(["generate-key-pair", "--output-key-prefix", prefix], {
      env: PW,
      stdin: "n\n",
    });
    assert.equal(declined.code, 1);
    assert.equal(
      declined.io.err(),
      `WARNING: File ${prefix}.key already exists. Overwrite?\nAre you sure you would like to continue? [y/N] \n` +
        `error: cannot write ${prefix}.key: file exists and overwriting was declined\n`,
    );
    assert.equal(await Deno.readTextFile(`${prefix}.key`), before);

    const accepted = await cosign(["generate-key-pair", "--output-key-prefix", prefix], {
      env: PW,
      stdin: "y\n",
    });
    assert.equal(accepted.code, 0, accepted.io.err());
    assert.notEqual(await Deno.readTextFile(`${prefix}.key`), before);

    assert.deepEqual(await listDir(dir), ["cosign.key", "cosign.pub"], "no temporary files left");
  });
});

Deno.test("generate-key-pair never overwrites a key because of COSIGN_YES or --yes", async () => {
  await withDir(async (dir) => {
    const prefix = join(dir, "cosign");
    assert.equal(
      (await cosign(["generate-key-pair", "--output-key-prefix", prefix], { env: PW })).code,
      0,
    );
    const key = await Deno.readTextFile(`${prefix}.key`);
    const pub = await Deno.readTextFile(`${prefix}.pub`);
    const cases: {
      name: string;
      argv: string[];
      env: Record<string, string>;
      stdin?: string;
      err: string;
    }[] = [
      {
        name: "COSIGN_YES=true, no terminal, nothing on stdin",
        argv: [],
        env: { ...PW, COSIGN_YES: "true" },
        err: `WARNING: File ${prefix}.key already exists. Overwrite?\n` +
          `Are you sure you would like to continue? [y/N] \n` +
          `error: cannot write ${prefix}.key: file exists and overwriting was declined\n`,
      },
      {
        name: "COSIGN_YES=true, password piped on stdin (stdin cannot also answer)",
        argv: [],
        env: { COSIGN_YES: "true" },
        stdin: "y\n",
        err: `WARNING: File ${prefix}.key already exists. Overwrite?\n` +
          `Are you sure you would like to continue? [y/N] \n` +
          `error: cannot write ${prefix}.key: file exists and overwriting was declined\n`,
      },
      {
        name: "--yes (cosign has no such flag here)",
        argv: ["--yes"],
        env: PW,
        err: "error: unknown flag: --yes\n",
      },
    ];
    for (const c of cases) {
      const r = await cosign(["generate-key-pair", "--output-key-prefix", prefix, ...c.argv], {
        env: c.env,
        stdin: c.stdin,
      });
      assert.equal(r.code, 1, c.name);
      assert.equal(r.io.err(), c.err, c.name);
      assert.equal(await Deno.readTextFile(`${prefix}.key`), key, c.name);
      assert.equal(await Deno.readTextFile(`${prefix}.pub`), pub, c.name);
    }
    assert.deepEqual(await listDir(dir), ["cosign.key", "cosign.pub"], "no temporary files left");
  });
});

Deno.test("generate-key-pair on a terminal asks twice and refuses different passwords", async () => {
  await withDir(async (dir) => {
    const prefix = join(dir, "tty");
    const { code, io } = await cosign(["generate-key-pair", "--output-key-prefix", prefix], {
      stdin: "one\rtwo\r",
      stdinIsTerminal: true,
    });
    assert.equal(code, 1);
    assert.equal(
      io.err(),
      "Enter password for private key: \nEnter password for private key again: \nerror: cannot read password: passwords do not match\n",
    );
    assert.deepEqual(await listDir(dir), []);
    const ok = await cosign(["generate-key-pair", "--output-key-prefix", prefix], {
      stdin: "same\rsame\r",
      stdinIsTerminal: true,
    });
    assert.equal(ok.code, 0, ok.io.err());
    const load = await cosign(["public-key", "--key", `${prefix}.key`], {
      env: { COSIGN_PASSWORD: "same" },
    });
    assert.equal(load.code, 0, load.io.err());
  });
});

Deno.test("verify-blob rejects a tampered blob, a tampered signature and the wrong key", async () => {
  await withDir(async (dir) => {
    const sigFile = join(dir, "sig");
    assert.equal(
      (await cosign([
        "sign-blob",
        "--key",
        shared.key,
        "--tlog-upload=false",
        "--output-signature",
        sigFile,
        shared.blob,
      ], { env: PW })).code,
      0,
    );
    const tampered = join(dir, "tampered.txt");
    await Deno.writeTextFile(tampered, "hello, world!\n");
    const sig = Uint8Array.fromBase64(await Deno.readTextFile(sigFile));
    sig[sig.length - 1] ^= 0x01;
    const badSig = join(dir, "bad.sig");
    await Deno.writeTextFile(badSig, sig.toBase64());
    const other = join(dir, "other");
    assert.equal(
      (await cosign(["generate-key-pair", "--output-key-prefix", other], { env: PW })).code,
      0,
    );

    const cases: [string, string, string][] = [
      ["tampered blob", shared.pub, sigFile],
      ["tampered signature", shared.pub, badSig],
      ["wrong key", `${other}.pub`, sigFile],
    ];
    for (const [what, pub, s] of cases) {
      const blob = what === "tampered blob" ? tampered : shared.blob;
      const { code, io } = await cosign([
        "verify-blob",
        "--key",
        pub,
        "--signature",
        s,
        "--insecure-ignore-tlog",
        blob,
      ]);
      assert.equal(code, 1, what);
      assert.match(
        io.err(),
        /\nerror: cannot verify signature: invalid signature when validating ASN\.1 encoded signature\n$/,
        what,
      );
    }
  });
});

Deno.test("bad input gets one error line, a non-zero exit code, and writes nothing", async () => {
  await withDir(async (dir) => {
    const keyText = await Deno.readTextFile(shared.key);
    const files: Record<string, string> = {
      "truncated.key": keyText.slice(0, keyText.length / 2),
      "corrupt.key":
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGpzb24=\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
      "public-as-private.key": await Deno.readTextFile(shared.pub),
      "dsa.pub": [
        "-----BEGIN PUBLIC KEY-----",
        "MIIBvjCCATMGByqGSM44BAEwggEmAoGBAPyzhhDIMaToMjLXMtUo2g5SlK3Ij5eO",
        "uEGe8EDwHbDD2m4urQKq/xbwmuDqxc3kFFMmR80NH/4LrOACjq7I+EbMTbwLoZv7",
        "Y/ENrVlmtkqN4S+6e0LjbgOncbST89J4llEgLkeQRgoJurd3BhlEkZ6qyArnj0qa",
        "APQS0/8gcSRjAh0AtwABAqReq82gXPFYd+eBeo2B74kFqWbRAiJvIQKBgHX0jMgk",
        "hr4EiF/I4uWO3QaTD9FX2SZ4WY40t2+4rsznQMHjXVypqbSiDkMJMoVG0O30SOh7",
        "cx3GCHjJqRNLnzxLP/6Tjxtd4w3hQ/qIDWpfOoSqe1MwBRclNzsiGkDiVUCrRUnA",
        "lFdSM7iISElXf5O037PWiKFRSblue9OOpAUkA4GEAAKBgHxD3HZxZxOFhJC8nSw6",
        "k1wZ8tM4BQPOcAOP42hrSfm6xKxzK3bnuK6ItZyeqGkQ3L85oOorhUPh7uGfBk+j",
        "X7VFa1oI3GpJzA7X9eoI0No2fQzXk4YxmKE+FjWUuePfx2jclRJLGZQ3g0G7QuRe",
        "1PpD33drCUZhOE8CNkjgeiP0",
        "-----END PUBLIC KEY-----\n",
      ].join("\n"),
      "truncated.sig": "MEUCIQDxA",
    };
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(dir, name), text);
    }
    await Deno.mkdir(join(dir, "adir"));
    const out = join(dir, "out.sig");
    const sign = (
      key: string,
      blob: string,
      extra: string[] = [],
    ) => [
      "sign-blob",
      "--key",
      key,
      "--tlog-upload=false",
      "--output-signature",
      out,
      ...extra,
      blob,
    ];
    const verify = (
      pub: string,
      sig: string,
      blob: string,
    ) => ["verify-blob", "--key", pub, "--signature", sig, "--insecure-ignore-tlog", blob];
    const d = (n: string) => join(dir, n);

    const cases: {
      argv: string[];
      env?: Record<string, string>;
      tty?: boolean;
      err: string;
      code?: number;
    }[] = [
      {
        argv: sign(shared.key, shared.blob),
        env: { COSIGN_PASSWORD: "wrong" },
        err: "error: cannot decrypt private key: wrong password or corrupt key",
      },
      {
        argv: sign(d("truncated.key"), shared.blob),
        err: "error: cannot load private key: invalid pem block",
      },
      {
        argv: sign(d("corrupt.key"), shared.blob),
        err: "error: cannot decrypt private key: envelope is not valid JSON",
      },
      {
        argv: sign(d("public-as-private.key"), shared.blob),
        err: "error: cannot load private key: unsupported pem type: PUBLIC KEY",
      },
      {
        argv: sign(d("missing.key"), shared.blob),
        err: `error: cannot read key file ${d("missing.key")}: no such file or directory`,
      },
      {
        argv: sign(d("adir"), shared.blob),
        err: `error: cannot read key file ${d("adir")}: is a directory`,
      },
      {
        argv: sign(shared.key, d("missing.txt")),
        err: `error: cannot read blob ${d("missing.txt")}: no such file or directory`,
      },
      {
        argv: sign(shared.key, d("adir")),
        err: `error: cannot read blob ${d("adir")}: is a directory`,
      },
      {
        argv: sign(shared.key, "/etc/hostname/x"),
        err: "error: cannot read blob /etc/hostname/x: not a directory",
      },
      {
        argv: sign(shared.key, "-"),
        tty: true,
        err:
          "error: cannot read blob from standard input: it is a terminal (pipe the blob in or name a file)",
      },
      {
        argv: verify(shared.pub, d("truncated.sig"), shared.blob),
        err: "error: cannot decode signature: invalid base64",
      },
      {
        argv: verify(shared.pub, "MEUCIQDx", shared.blob),
        err:
          "error: cannot verify signature: invalid signature when validating ASN.1 encoded signature",
      },
      {
        argv: verify(shared.pub, d("nosuch.sig"), shared.blob),
        err: `error: cannot read signature ${d("nosuch.sig")}: no such file or directory`,
      },
      {
        argv: verify(d("dsa.pub"), d("truncated.sig"), shared.blob),
        err: "error: cannot load public key: x509: unknown public key algorithm 1.2.840.10040.4.1",
      },
      {
        argv: verify(shared.key, d("truncated.sig"), shared.blob),
        err:
          "error: cannot load public key: unknown Public key PEM file type: ENCRYPTED SIGSTORE PRIVATE KEY. Are you passing the correct public key?",
      },
      {
        argv: verify(d("missing.pub"), d("truncated.sig"), shared.blob),
        err: `error: cannot read key file ${d("missing.pub")}: no such file or directory`,
      },
      {
        argv: [
          "verify-blob",
          "--key",
          shared.pub,
          "--signature",
          d("truncated.sig"),
          "--insecure-ignore-tlog",
          "-",
        ],
        tty: true,
        err:
          "error: cannot read blob from standard input: it is a terminal (pipe the blob in or name a file)",
      },
      {
        argv: ["public-key", "--key", d("truncated.key")],
        env: PW,
        err: "error: cannot load private key: invalid pem block",
      },
      {
        argv: ["import-key-pair", "--key", d("missing.key"), "--output-key-prefix", d("imported")],
        env: PW,
        err: `error: cannot read key file ${d("missing.key")}: no such file or directory`,
      },
      {
        argv: [
          "import-key-pair",
          "--key",
          d("public-as-private.key"),
          "--output-key-prefix",
          d("imported"),
        ],
        env: PW,
        err: "error: cannot import key pair: unsupported private key",
      },
    ];
    const before = await listDir(dir);
    const mismatches: string[] = [];
    for (const c of cases) {
      const { code, io } = await cosign(c.argv, { env: c.env ?? PW, stdinIsTerminal: c.tty });
      const lines = io.err().trimEnd().split("\n");
      const got = `${code} ${lines[lines.length - 1]}`;
      const want = `${c.code ?? 1} ${c.err}`;
      if (got !== want) mismatches.push(`${c.argv.join(" ")}\n  got:  ${got}\n  want: ${want}`);
      assert.equal(lines.filter((l) => l.startsWith("error:")).length, 1);
      assert.equal(io.out(), "");
    }
    assert.deepEqual(mismatches, []);
    assert.deepEqual(await listDir(dir), before, "nothing was written");
  });
});
