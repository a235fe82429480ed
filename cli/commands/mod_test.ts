import assert from "node:assert/strict";
import { resolveCommand } from "../command.ts";
import { cosignCommand } from "./mod.ts";

Deno.test("the command table names each command as its module does", async () => {
  const names = new Set<string>();
  for (const entry of cosignCommand.subcommands!) {
    assert.ok(!names.has(entry.name), `${entry.name} listed twice`);
    names.add(entry.name);
    assert.equal(typeof entry.load, "function", `${entry.name} is a table entry`);
    const cmd = await resolveCommand(entry);
    assert.equal(cmd.load, undefined, entry.name);
    assert.equal(cmd.name, entry.name);
    assert.equal(entry.short, cmd.short, `the one-line help of ${entry.name} matches its module`);
    assert.equal(entry.hidden, cmd.hidden, `${entry.name} is hidden in both or neither`);
    assert.ok(cmd.run || cmd.subcommands?.length, `${entry.name} runs or has subcommands`);
  }
  assert.ok(names.has("verify") && names.has("completion") && names.has("version"));
});

Deno.test("resolveCommand() refuses an entry whose module gives another command", async () => {
  const entry = {
    name: "sign",
    short: "",
    load: () => Promise.resolve({ name: "verify", short: "" }),
  };
  await assert.rejects(resolveCommand(entry), {
    message: "Cannot load command sign: its module gave verify",
  });
});

Deno.test("cli/commands/mod.ts imports no command module before it runs", async () => {
  // Start-up cost: `cosign version` must not evaluate the modules of every other command.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("./mod.ts", import.meta.url).href],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { specifier: string; isDynamic?: boolean }[];
    }[];
  };
  const mod = info.modules.find((m) => m.specifier.endsWith("/cli/commands/mod.ts"))!;
  const deps = mod.dependencies ?? [];
  const staticDeps = deps.filter((d) => !d.isDynamic).map((d) => d.specifier).sort();
  assert.deepEqual(staticDeps, ["../command.ts", "../flags/groups.ts"]);
  const dynamic = deps.filter((d) => d.isDynamic).map((d) => d.specifier);
  assert.equal(dynamic.length, cosignCommand.subcommands!.length);
});
