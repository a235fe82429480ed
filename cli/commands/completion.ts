/**
 * `cosign completion bash|zsh|fish|powershell`: static scripts generated from the command tree
 * (cosign's are cobra's, which call back into the program; ours list the words up front).
 *
 * @module
 */
import { type Command, loadCommandTree } from "../command.ts";
import { UsageError } from "../exit_codes.ts";
import type { Flag } from "../flags/parse.ts";
import { writeAll } from "../io.ts";

interface Entry {
  path: string[];
  cmd: Command;
}

function walk(cmd: Command, path: string[] = []): Entry[] {
  const here = { path, cmd };
  return [
    here,
    ...(cmd.subcommands ?? []).filter((c) => !c.hidden).flatMap((c) => walk(c, [...path, c.name])),
  ];
}

function flagWords(flags: Flag[]): string[] {
  return flags.filter((f) => !f.hidden).flatMap((
    f,
  ) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
}

/** A bash completion script; zsh loads it through bashcompinit. */
export function bashCompletion(root: Command, persistent: Flag[]): string {
  const name = root.name;
  const cases = walk(root).map(({ path, cmd }) => {
    const subs = (cmd.subcommands ?? []).filter((c) => !c.hidden).map((c) => c.name);
    const words = [...subs, ...flagWords([...(cmd.flags ?? []), ...persistent]), "--help"];
    return `    "${path.join(" ")}") words="${words.join(" ")}" ;;`;
  });
  const groups = walk(root).filter(({ cmd }) => cmd.subcommands?.length).map(({ path, cmd }) =>
    `    "${path.join(" ")}") case "$w" in ${
      cmd.subcommands!.map((c) => c.name).join("|")
    }) path="\${path:+$path }$w" ;; esac ;;`
  );
  return `# bash completion for ${name}; load with: source <(${name} completion bash)
_${name.replace(/-/g, "_")}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w words
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    [[ "$w" == -* ]] && continue
    case "$path" in
${groups.join("\n")}
    esac
  done
  case "$path" in
${cases.join("\n")}
    *) words="" ;;
  esac
  if [[ "$cur" == -* || -n "$words" ]]; then
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=( $(compgen -f -- "$cur") )
}
complete -o default -F _${name.replace(/-/g, "_")}_complete ${name}
`;
}

/** A zsh completion script (bash completion through bashcompinit). */
export function zshCompletion(root: Command, persistent: Flag[]): string {
  return `#compdef ${root.name}
# zsh completion for ${root.name}; load with: source <(${root.name} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(root, persistent)}`;
}

/** A fish completion script. */
export function fishCompletion(root: Command, persistent: Flag[]): string {
  const n = root.name;
  const out = [`# fish completion for ${n}; load with: ${n} completion fish | source`];
  const esc = (s: string) => s.replace(/'/g, "\\'");
  for (const { path, cmd } of walk(root)) {
    const cond = path.length === 0
      ? "__fish_use_subcommand"
      : `__fish_seen_subcommand_from ${path[path.length - 1]}`;
    for (const sub of (cmd.subcommands ?? []).filter((c) => !c.hidden)) {
      out.push(`complete -c ${n} -f -n '${cond}' -a '${sub.name}' -d '${esc(sub.short)}'`);
    }
    for (
      const f of [...(cmd.flags ?? []), ...(path.length === 0 ? persistent : [])].filter((f) =>
        !f.hidden
      )
    ) {
      const s = f.short ? ` -s ${f.short}` : "";
      const r = f.type === "bool" ? "" : " -r";
      out.push(
        `complete -c ${n} -n '${cond}' -l ${f.name}${s}${r} -d '${esc(f.help.split(". ")[0])}'`,
      );
    }
  }
  return out.join("\n") + "\n";
}

/** A PowerShell single-quoted string literal ('' escapes a quote). */
function psQuote(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * A PowerShell completion script: a native argument completer that finds the command path among
 * the words before the cursor and offers its subcommands and flags; other words fall back to
 * PowerShell's file completion.
 */
export function powershellCompletion(root: Command, persistent: Flag[]): string {
  const n = root.name;
  const rows = walk(root).map(({ path, cmd }) => {
    const subs = (cmd.subcommands ?? []).filter((c) => !c.hidden).map((c) => c.name);
    const words = [...subs, ...flagWords([...(cmd.flags ?? []), ...persistent]), "--help"];
    return `    ${psQuote(path.join(" "))} = @(${words.map(psQuote).join(", ")})`;
  });
  return `# powershell completion for ${n}; load with: ${n} completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName ${psQuote(n)} -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = @{
${rows.join("\n")}
  }
  $path = ''
  foreach ($element in ($commandAst.CommandElements | Select-Object -Skip 1)) {
    if ($element.Extent.EndOffset -ge $cursorPosition) { break }
    $text = $element.ToString()
    if ($text.StartsWith('-')) { continue }
    $next = if ($path) { "$path $text" } else { $text }
    if ($words.ContainsKey($next)) { $path = $next }
  }
  $words[$path] | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
    $kind = if ($_.StartsWith('-')) { 'ParameterName' } else { 'Command' }
    [System.Management.Automation.CompletionResult]::new($_, $_, $kind, $_)
  }
}
`;
}

/**
 * The completion command for a program.
 *
 * @param getRoot returns the program's root command (resolved lazily: the root contains this)
 */
export function completionCommand(getRoot: () => Command, persistent: Flag[]): Command {
  return {
    name: "completion",
    short: "Generate completion script",
    long: "Generate the completion script for bash, zsh, fish or PowerShell.",
    example: `  # bash, for the current shell
  source <(cosign completion bash)

  # zsh, for every new shell
  cosign completion zsh > "\${fpath[1]}/_cosign"

  # fish
  cosign completion fish | source

  # PowerShell, for the current session (for every session, save it and source it in $PROFILE)
  cosign completion powershell | Out-String | Invoke-Expression`,
    argsUsage: "[bash|zsh|fish|powershell]",
    minArgs: 1,
    maxArgs: 1,
    async run(ctx) {
      // Every command's flags are needed: load the whole table.
      const root = await loadCommandTree(getRoot());
      const shell = ctx.args[0];
      const script = shell === "bash"
        ? bashCompletion(root, persistent)
        : shell === "zsh"
        ? zshCompletion(root, persistent)
        : shell === "fish"
        ? fishCompletion(root, persistent)
        : shell === "powershell"
        ? powershellCompletion(root, persistent)
        : undefined;
      if (script === undefined) {
        throw new UsageError(
          `invalid argument "${shell}" for "cosign completion": use bash, zsh, fish or powershell`,
        );
      }
      await writeAll(ctx.io.stdout, script);
    },
  };
}
