"""The one table of every agent client's on-disk locations.

Every path skillscan looks at (skill folders, MCP server declarations, hook/permission/env
settings, instruction and memory files) is declared here, once, in ``CLIENTS``. Other modules
must not hard-code client paths: they call ``locations(kind)`` and
``expand(location, home, project)``.

Conventions:
- ``pattern`` is POSIX-style and relative to ``$HOME`` (``Scope.USER``/``Scope.PLUGIN``) or to the
  project root (``Scope.PROJECT``); it may contain ``*``/``**`` segments.
- Each (scope, pattern) belongs to exactly one client. Paths read by many clients
  (``.agents/skills``, ``AGENTS.md``, ``.claude/skills`` …) are owned by the client that defines
  them; ``note`` names the other readers.
- A file that is documented as both an MCP declaration and a hooks/permissions file is listed once
  per kind (same pattern, two kinds).
- ``note`` cites the documentation; "unverified" or "commonly used" marks paths the docs are
  silent or conflicting on. XDG paths assume the default ``~/.config``; env overrides
  (``CODEX_HOME``, ``OPENCLAW_STATE_DIR``, ``COPILOT_HOME`` …) are not applied here.

The module performs no I/O at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Scope(StrEnum):
    USER = "user"  # under $HOME
    PROJECT = "project"  # relative to the current directory (project root)
    PLUGIN = "plugin"  # plugin/extension caches (under $HOME)


class SurfaceKind(StrEnum):
    SKILLS = "skills"  # a folder whose sub-folders are skills (each with SKILL.md)
    MCP_CONFIG = "mcp_config"  # a file declaring MCP servers
    SETTINGS = "settings"  # hooks / permissions / env settings file
    INSTRUCTIONS = "instructions"  # CLAUDE.md, AGENTS.md, GEMINI.md, .cursorrules, memory files …


@dataclass(frozen=True)
class ClientLocation:
    client: str  # stable id: "claude-code", "codex", "cursor", …, "agents" (generic)
    scope: Scope
    kind: SurfaceKind
    pattern: str  # POSIX path relative to $HOME or the project dir; may contain '*' / '**'
    fmt: str = ""  # files: "json", "jsonc", "toml", "markdown", "yaml"; "" for folders
    note: str = ""  # short phrase naming the documentation source


_L = ClientLocation
_U, _P, _X = Scope.USER, Scope.PROJECT, Scope.PLUGIN
_S, _M = SurfaceKind.SKILLS, SurfaceKind.MCP_CONFIG
_C, _I = SurfaceKind.SETTINGS, SurfaceKind.INSTRUCTIONS
_MD = "markdown"

# fmt: off
CLIENTS: tuple[ClientLocation, ...] = (
    # --- Claude Code -------------------------------------------------------------------------
    _L("claude-code", _U, _S, ".claude/skills", "", "Claude Code docs: Skills (personal); Cursor/OpenCode/Copilot/Amp read it"),
    _L("claude-code", _P, _S, ".claude/skills", "", "Claude Code docs: Skills (project); Cursor/OpenCode/Copilot/Amp read it"),
    _L("claude-code", _X, _S, ".claude/plugins/cache/**/skills", "", "Claude Code docs: plugins (installed plugin cache)"),
    _L("claude-code", _X, _S, ".claude/plugins/marketplaces/**/skills", "", "Claude Code marketplace clones; source-observed, not in docs"),
    _L("claude-code", _X, _M, ".claude/plugins/cache/**/.mcp.json", "json", "Claude Code docs: plugin MCP servers"),
    _L("claude-code", _X, _C, ".claude/plugins/cache/**/hooks/hooks.json", "json", "Claude Code docs: plugin hooks"),
    _L("claude-code", _U, _M, ".claude.json", "json", "Claude Code docs: MCP user + local scope"),
    _L("claude-code", _P, _M, ".mcp.json", "json", "Claude Code docs: MCP project scope; also Copilot portable format"),
    _L("claude-code", _U, _C, ".claude/settings.json", "json", "Claude Code docs: settings (user); Cursor loads its hooks"),
    _L("claude-code", _P, _C, ".claude/settings.json", "json", "Claude Code docs: settings (project); Cursor loads its hooks"),
    _L("claude-code", _P, _C, ".claude/settings.local.json", "json", "Claude Code docs: settings (local, gitignored)"),
    _L("claude-code", _U, _I, ".claude/CLAUDE.md", _MD, "Claude Code docs: memory (user)"),
    _L("claude-code", _P, _I, "CLAUDE.md", _MD, "Claude Code docs: memory (project); Amp falls back to it"),
    _L("claude-code", _P, _I, ".claude/CLAUDE.md", _MD, "Claude Code docs: memory (project, alternate)"),
    _L("claude-code", _P, _I, "CLAUDE.local.md", _MD, "Claude Code docs: memory (local; deprecated in some versions)"),
    _L("claude-code", _U, _I, ".claude/rules/**/*.md", _MD, "Claude Code docs: memory, user rules"),
    _L("claude-code", _P, _I, ".claude/rules/**/*.md", _MD, "Claude Code docs: memory, project rules"),
    _L("claude-code", _U, _I, ".claude/projects/*/memory/*.md", _MD, "Claude Code docs: auto memory"),
    _L("claude-code", _U, _I, ".claude/agents/**/*.md", _MD, "Claude Code docs: subagents (user)"),
    _L("claude-code", _P, _I, ".claude/agents/**/*.md", _MD, "Claude Code docs: subagents (project)"),
    _L("claude-code", _U, _I, ".claude/commands/**/*.md", _MD, "Claude Code docs: slash commands (user)"),
    _L("claude-code", _P, _I, ".claude/commands/**/*.md", _MD, "Claude Code docs: slash commands (project)"),
    # --- Codex ------------------------------------------------------------------------------
    _L("codex", _U, _S, ".codex/skills", "", "older Codex docs USER scope (now ~/.agents/skills); Cursor reads it"),
    _L("codex", _P, _S, ".codex/skills", "", "older Codex docs REPO scope (now .agents/skills); Cursor reads it"),
    _L("codex", _X, _S, ".codex/plugins/cache/**/skills", "", "Codex plugin cache; seen in issue reports, not in docs"),
    _L("codex", _X, _C, ".codex/plugins/cache/**/hooks/hooks.json", "json", "Codex docs: Hooks (plugin hooks/hooks.json)"),
    _L("codex", _U, _M, ".codex/config.toml", "toml", "Codex docs: config [mcp_servers.*]"),
    _L("codex", _U, _C, ".codex/config.toml", "toml", "Codex docs: approval/sandbox/notify, inline [hooks]"),
    _L("codex", _P, _M, ".codex/config.toml", "toml", "Codex docs: project layer (trusted only)"),
    _L("codex", _P, _C, ".codex/config.toml", "toml", "Codex docs: project layer (trusted only)"),
    _L("codex", _U, _C, ".codex/hooks.json", "json", "Codex docs: Hooks"),
    _L("codex", _P, _C, ".codex/hooks.json", "json", "Codex docs: Hooks"),
    _L("codex", _U, _I, ".codex/AGENTS.md", _MD, "Codex docs: AGENTS.md (global)"),
    _L("codex", _U, _I, ".codex/AGENTS.override.md", _MD, "Codex docs: AGENTS.md (global override)"),
    _L("codex", _P, _I, "AGENTS.override.md", _MD, "Codex docs: AGENTS.md (repo override)"),
    # --- Cursor -----------------------------------------------------------------------------
    _L("cursor", _U, _S, ".cursor/skills", "", "Cursor docs: Agent Skills (user)"),
    _L("cursor", _P, _S, ".cursor/skills", "", "Cursor docs: Agent Skills (project)"),
    _L("cursor", _U, _M, ".cursor/mcp.json", "json", "Cursor docs: MCP (global)"),
    _L("cursor", _P, _M, ".cursor/mcp.json", "json", "Cursor docs: MCP (project)"),
    _L("cursor", _U, _C, ".cursor/hooks.json", "json", "Cursor docs: Hooks (user)"),
    _L("cursor", _P, _C, ".cursor/hooks.json", "json", "Cursor docs: Hooks (project)"),
    _L("cursor", _P, _I, ".cursor/rules/**/*.md*", _MD, "Cursor docs: Rules (.mdc/.md)"),
    _L("cursor", _P, _I, ".cursorrules", _MD, "Cursor docs: Rules (legacy .cursorrules)"),
    # --- Gemini CLI -------------------------------------------------------------------------
    _L("gemini-cli", _U, _S, ".gemini/skills", "", "Gemini CLI docs: Agent Skills (user tier)"),
    _L("gemini-cli", _P, _S, ".gemini/skills", "", "Gemini CLI docs: Agent Skills (workspace tier)"),
    _L("gemini-cli", _X, _S, ".gemini/extensions/*/skills", "", "Gemini CLI docs: extensions bundle agent skills"),
    _L("gemini-cli", _X, _M, ".gemini/extensions/*/gemini-extension.json", "json", "Gemini CLI docs: extension mcpServers"),
    _L("gemini-cli", _P, _M, ".gemini/extensions/*/gemini-extension.json", "json", "older Gemini CLI docs: workspace extensions"),
    _L("gemini-cli", _U, _M, ".gemini/settings.json", "json", "Gemini CLI docs: settings mcpServers"),
    _L("gemini-cli", _U, _C, ".gemini/settings.json", "json", "Gemini CLI docs: settings hooks, tools"),
    _L("gemini-cli", _P, _M, ".gemini/settings.json", "json", "Gemini CLI docs: settings mcpServers"),
    _L("gemini-cli", _P, _C, ".gemini/settings.json", "json", "Gemini CLI docs: settings hooks, tools"),
    _L("gemini-cli", _U, _I, ".gemini/GEMINI.md", _MD, "Gemini CLI docs: GEMINI.md (global context)"),
    _L("gemini-cli", _P, _I, "GEMINI.md", _MD, "Gemini CLI docs: GEMINI.md (workspace context)"),
    _L("gemini-cli", _U, _I, ".gemini/commands/**/*.toml", "toml", "Gemini CLI docs: custom commands (user)"),
    _L("gemini-cli", _P, _I, ".gemini/commands/**/*.toml", "toml", "Gemini CLI docs: custom commands (project)"),
    # --- OpenClaw (formerly Clawdbot / Moltbot) -------------------------------------------------
    _L("openclaw", _U, _S, ".openclaw/skills", "", "OpenClaw docs: Skills (managed/local)"),
    _L("openclaw", _U, _S, ".openclaw/workspace/skills", "", "OpenClaw docs: Skills (default workspace)"),
    _L("openclaw", _U, _S, ".openclaw/workspace/.agents/skills", "", "OpenClaw docs: Skills (project agent skills)"),
    _L("openclaw", _U, _S, ".openclaw/workspace-*/skills", "", "OpenClaw docs: profile workspace"),
    _L("openclaw", _U, _S, ".openclaw-*/workspace/skills", "", "OpenClaw docs (conflicting): profile state dir"),
    _L("openclaw", _X, _S, ".openclaw/extensions/*/skills", "", "OpenClaw docs: plugin dir; skills/ subdir assumed"),
    _L("openclaw", _U, _S, ".clawdbot/skills", "", "legacy Clawdbot state dir; commonly used"),
    _L("openclaw", _U, _S, ".moltbot/skills", "", "legacy Moltbot state dir; commonly used"),
    _L("openclaw", _U, _S, "clawd/skills", "", "legacy workspace ~/clawd (Moltbot docs)"),
    _L("openclaw", _U, _C, ".openclaw/openclaw.json", "jsonc", "OpenClaw docs: JSON5 config, skill env/apiKey"),
    _L("openclaw", _U, _C, ".clawdbot/clawdbot.json", "jsonc", "legacy Clawdbot config (migration guide)"),
    _L("openclaw", _U, _C, ".moltbot/moltbot.json", "jsonc", "legacy Moltbot config (migration guide)"),
    _L("openclaw", _U, _I, ".openclaw/workspace/AGENTS.md", _MD, "OpenClaw docs: agent workspace bootstrap file"),
    _L("openclaw", _U, _I, ".openclaw/workspace/SOUL.md", _MD, "OpenClaw docs: agent workspace bootstrap file"),
    _L("openclaw", _U, _I, ".openclaw/workspace/TOOLS.md", _MD, "OpenClaw docs: agent workspace bootstrap file"),
    _L("openclaw", _U, _I, ".openclaw/workspace/USER.md", _MD, "OpenClaw docs: agent workspace bootstrap file"),
    _L("openclaw", _U, _I, ".openclaw/workspace/IDENTITY.md", _MD, "OpenClaw docs: agent workspace bootstrap file"),
    _L("openclaw", _U, _I, ".openclaw/workspace/HEARTBEAT.md", _MD, "OpenClaw docs: heartbeat (scheduled)"),
    _L("openclaw", _U, _I, ".openclaw/workspace/MEMORY.md", _MD, "OpenClaw docs: long-term memory"),
    _L("openclaw", _U, _I, ".openclaw/workspace/memory/*.md", _MD, "OpenClaw docs: daily memory logs"),
    # --- GitHub Copilot / VS Code ---------------------------------------------------------------
    _L("copilot", _U, _S, ".copilot/skills", "", "GitHub docs: agent skills (personal)"),
    _L("copilot", _P, _S, ".github/skills", "", "GitHub docs: agent skills (project)"),
    _L("copilot", _U, _M, ".copilot/mcp-config.json", "json", "VS Code docs: portable Copilot MCP"),
    _L("copilot", _U, _M, ".config/Code/User/mcp.json", "jsonc", "VS Code docs: user MCP (Linux)"),
    _L("copilot", _U, _M, "Library/Application Support/Code/User/mcp.json", "jsonc", "VS Code docs: user MCP (macOS)"),
    _L("copilot", _P, _M, ".vscode/mcp.json", "jsonc", "VS Code docs: MCP configuration (workspace)"),
    _L("copilot", _U, _C, ".copilot/settings.json", "jsonc", "Copilot CLI settings; unverified"),
    _L("copilot", _P, _C, ".github/hooks/*.json", "json", "GitHub docs: Copilot hooks"),
    _L("copilot", _P, _C, ".vscode/settings.json", "jsonc", "VS Code: chat auto-approve settings; commonly used"),
    _L("copilot", _P, _C, ".vscode/tasks.json", "jsonc", "VS Code: tasks with runOn folderOpen; commonly used"),
    _L("copilot", _P, _I, ".github/copilot-instructions.md", _MD, "GitHub docs: repository custom instructions"),
    _L("copilot", _P, _I, ".github/instructions/**/*.instructions.md", _MD, "GitHub docs: path-specific instructions"),
    _L("copilot", _P, _I, ".github/prompts/*.prompt.md", _MD, "VS Code docs: prompt files"),
    _L("copilot", _P, _I, ".github/agents/*.md", _MD, "GitHub docs: custom agents (*.agent.md)"),
    _L("copilot", _U, _I, ".copilot/copilot-instructions.md", _MD, "Copilot CLI docs: personal"),
    _L("copilot", _U, _I, ".copilot/instructions/**/*.instructions.md", _MD, "Copilot CLI docs: personal"),
    # --- Windsurf ---------------------------------------------------------------------------
    _L("windsurf", _U, _S, ".codeium/windsurf/skills", "", "Windsurf docs: Cascade Skills (global)"),
    _L("windsurf", _P, _S, ".windsurf/skills", "", "Windsurf docs: Cascade Skills (workspace)"),
    _L("windsurf", _U, _M, ".codeium/windsurf/mcp_config.json", "json", "Windsurf docs: Cascade MCP"),
    _L("windsurf", _U, _C, ".codeium/windsurf/hooks.json", "json", "Windsurf docs: hooks (user); path unverified"),
    _L("windsurf", _P, _C, ".windsurf/hooks.json", "json", "Windsurf docs: Cascade Hooks (workspace)"),
    _L("windsurf", _P, _I, ".windsurfrules", _MD, "Windsurf: legacy workspace rules file; commonly used"),
    _L("windsurf", _P, _I, ".windsurf/rules/*.md", _MD, "Windsurf docs: workspace rules"),
    _L("windsurf", _P, _I, ".windsurf/workflows/*.md", _MD, "Windsurf docs: workflows"),
    _L("windsurf", _U, _I, ".codeium/windsurf/memories/global_rules.md", _MD, "Windsurf docs: global rules"),
    # --- Kiro -------------------------------------------------------------------------------
    _L("kiro", _U, _S, ".kiro/skills", "", "Kiro docs: Agent Skills (global)"),
    _L("kiro", _P, _S, ".kiro/skills", "", "Kiro docs: Agent Skills (workspace)"),
    _L("kiro", _U, _M, ".kiro/settings/mcp.json", "json", "Kiro MCP (user); commonly used"),
    _L("kiro", _P, _M, ".kiro/settings/mcp.json", "json", "Kiro docs: MCP (workspace)"),
    _L("kiro", _U, _C, ".kiro/agents/*.json", "json", "Kiro CLI docs: agents (hooks, MCP)"),
    _L("kiro", _P, _C, ".kiro/agents/*.json", "json", "Kiro CLI docs: agents (hooks, MCP)"),
    _L("kiro", _P, _C, ".kiro/hooks/*", "json", "Kiro IDE docs: hooks (*.kiro.hook)"),
    _L("kiro", _U, _I, ".kiro/steering/*.md", _MD, "Kiro docs: steering (global)"),
    _L("kiro", _P, _I, ".kiro/steering/*.md", _MD, "Kiro docs: steering (workspace)"),
    # --- OpenCode ---------------------------------------------------------------------------
    _L("opencode", _U, _S, ".config/opencode/skills", "", "OpenCode docs: Agent Skills (global)"),
    _L("opencode", _U, _S, ".config/opencode/skill", "", "OpenCode issue #10179: singular dir"),
    _L("opencode", _P, _S, ".opencode/skills", "", "OpenCode docs: Agent Skills (project)"),
    _L("opencode", _P, _S, ".opencode/skill", "", "OpenCode: singular dir (older)"),
    _L("opencode", _U, _M, ".config/opencode/opencode.json*", "jsonc", "OpenCode docs: config mcp"),
    _L("opencode", _U, _C, ".config/opencode/opencode.json*", "jsonc", "OpenCode docs: config permission"),
    _L("opencode", _P, _M, "opencode.json*", "jsonc", "OpenCode docs: project config mcp"),
    _L("opencode", _P, _C, "opencode.json*", "jsonc", "OpenCode docs: project config permission"),
    _L("opencode", _U, _I, ".config/opencode/AGENTS.md", _MD, "OpenCode docs: rules (global)"),
    # --- Amp --------------------------------------------------------------------------------
    _L("amp", _U, _S, ".config/amp/skills", "", "Amp skills (global); third-party mirrors"),
    _L("amp", _U, _M, ".config/amp/settings.json*", "jsonc", "Amp docs: user mcpServers"),
    _L("amp", _U, _C, ".config/amp/settings.json*", "jsonc", "Amp docs: user permissions"),
    _L("amp", _P, _M, ".amp/settings.json*", "jsonc", "Amp docs: workspace mcpServers"),
    _L("amp", _P, _C, ".amp/settings.json*", "jsonc", "Amp docs: workspace permissions"),
    _L("amp", _U, _I, ".config/amp/AGENTS.md", _MD, "Amp docs: personal AGENTS.md"),
    # --- generic / cross-client ---------------------------------------------------------------
    _L("agents", _P, _S, ".agents/skills", "", "Codex docs REPO; Cursor/Gemini/Copilot/OpenCode/Amp"),
    _L("agents", _U, _S, ".agents/skills", "", "Codex docs USER; Cursor/Gemini/Copilot/OpenCode/OpenClaw"),
    _L("agents", _U, _S, ".config/agents/skills", "", "Amp global skills (XDG); third-party mirrors"),
    _L("agents", _P, _I, "AGENTS.md", _MD, "agents.md: Codex/Cursor/Copilot/OpenCode/Amp/Windsurf"),
)
# fmt: on


def locations(kind: SurfaceKind | None = None) -> tuple[ClientLocation, ...]:
    """All table rows, or only those of ``kind``, in table order."""
    if kind is None:
        return CLIENTS
    return tuple(loc for loc in CLIENTS if loc.kind == kind)


def expand(location: ClientLocation, home: Path, project: Path) -> list[Path]:
    """Concrete existing paths for a location: resolve the base (home or project), glob the pattern
    (Path.glob, never following symlinks out of base — skip results whose resolved path is outside
    the resolved base), return sorted existing paths. Never raises on permission errors (skip)."""
    try:
        base = (project if location.scope == Scope.PROJECT else home).resolve()
    except (OSError, RuntimeError):
        return []
    found: set[Path] = set()
    try:
        for candidate in base.glob(location.pattern):
            try:
                real = candidate.resolve()
                if real.is_relative_to(base) and candidate.exists():
                    found.add(candidate)
            except (OSError, RuntimeError):
                continue
    except (OSError, RuntimeError, ValueError):
        pass  # keep what was collected before the error (e.g. unreadable directory)
    return sorted(found)
